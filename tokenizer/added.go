package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// addedToken is one entry of tokenizer.json's "added_tokens": a token matched in the raw
// (or normalised) text before the model sees it.
type addedToken struct {
	ID         int32  `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

// trie is a byte trie over added-token contents, giving leftmost-longest matches like
// the Aho-Corasick automaton (MatchKind::LeftmostLongest) of the Rust library.
type trie struct {
	nodes []trieNode
	first [256]bool // bytes that can start a match
}

type trieNode struct {
	next  map[byte]int32
	token int32 // index into the added-token list, -1 if no token ends here
}

func newTrie() *trie {
	return &trie{nodes: []trieNode{{token: -1}}}
}

func (t *trie) empty() bool { return len(t.nodes) == 1 }

func (t *trie) insert(s string, token int32) {
	if s == "" {
		return
	}
	n := int32(0)
	for i := 0; i < len(s); i++ {
		nx, ok := t.nodes[n].next[s[i]]
		if !ok {
			if t.nodes[n].next == nil {
				t.nodes[n].next = map[byte]int32{}
			}
			nx = int32(len(t.nodes))
			t.nodes = append(t.nodes, trieNode{token: -1})
			t.nodes[n].next[s[i]] = nx
		}
		n = nx
	}
	if t.nodes[n].token < 0 {
		t.nodes[n].token = token
	}
	t.first[s[0]] = true
}

// longestAt returns the token and end of the longest match starting at s[i:], or -1.
func (t *trie) longestAt(s string, i int) (token int32, end int) {
	token, end = -1, -1
	n := int32(0)
	for j := i; j < len(s); j++ {
		nx, ok := t.nodes[n].next[s[j]]
		if !ok {
			break
		}
		n = nx
		if tok := t.nodes[n].token; tok >= 0 {
			token, end = tok, j+1
		}
	}
	return token, end
}

// span is a piece of text, either an added token (token ≥ 0) or text for the model.
type span struct {
	start, end int
	token      int32 // index into Tokenizer.added, or -1
}

// findAdded splits s on the added tokens of tr (non-overlapping, leftmost-longest),
// honouring single_word, lstrip and rstrip as the Rust AddedVocabulary::find_matches does.
func findAdded(s string, tr *trie, added []addedToken, dst []span) []span {
	if tr.empty() {
		return append(dst, span{0, len(s), -1})
	}
	startOffset := 0
	for i := 0; i < len(s); {
		if !tr.first[s[i]] {
			i++
			continue
		}
		tok, stop := tr.longestAt(s, i)
		if tok < 0 {
			i++
			continue
		}
		start := i
		i = stop // the automaton resumes after a match, even a discarded one
		at := &added[tok]
		if at.SingleWord {
			startSpace := start == 0 || !endsWithWord(s[:start])
			stopSpace := stop == len(s) || !startsWithWord(s[stop:])
			if !startSpace || !stopSpace {
				continue
			}
		}
		if at.LStrip {
			ns := start
			for ns > 0 {
				r, size := utf8.DecodeLastRuneInString(s[:ns])
				if !unicode.IsSpace(r) {
					break
				}
				ns -= size
			}
			start = max(ns, startOffset)
		}
		if at.RStrip {
			for stop < len(s) {
				r, size := utf8.DecodeRuneInString(s[stop:])
				if !unicode.IsSpace(r) {
					break
				}
				stop += size
			}
			i = stop
		}
		if startOffset < start {
			dst = append(dst, span{startOffset, start, -1})
		}
		dst = append(dst, span{start, stop, tok})
		startOffset = stop
	}
	if startOffset != len(s) {
		dst = append(dst, span{startOffset, len(s), -1})
	}
	return dst
}

// isWordRune is the regex crate's Unicode \w: letters, marks, decimal digits,
// connector punctuation and join controls.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.Is(unicode.Nd, r) ||
		unicode.Is(unicode.Pc, r) || r == 0x200C || r == 0x200D
}

func endsWithWord(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && isWordRune(r)
}

func startsWithWord(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && isWordRune(r)
}
