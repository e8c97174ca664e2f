// Package tokenizer turns text into token ids and back for the models r1go trains.
//
// It reads Hugging Face tokenizer.json files of byte-level BPE tokenizers (Qwen2/Qwen3,
// Llama 3, DeepSeek-V3/R1, GPT-2 style) and reproduces the ids of the Rust `tokenizers`
// library exactly: normalizers, Split/ByteLevel pre-tokenizers (hand-written matchers
// for the known regexes, regexp2 for any other), added and special tokens matched
// before BPE, both merge formats, and the ByteLevel decoder. Train learns a small
// byte-level BPE for tiny from-scratch models and Save writes it as a tokenizer.json
// that Load (and transformers) read. The chat templates the R1 recipe uses (R1-Zero,
// DeepSeek-R1, Qwen ChatML) are in template.go.
package tokenizer

import (
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// Tokenizer is a loaded byte-level BPE tokenizer. It is safe for concurrent use.
type Tokenizer struct {
	raw           []byte          // the tokenizer.json it was loaded from (Save writes it back)
	postProcessor json.RawMessage // its "post_processor" (TemplateProcessing tells add_bos)

	vocab        map[string]int32 // model vocabulary, byte-level strings
	rawVocab     map[string]int32 // raw bytes → id, for ignore_merges
	idToToken    []string         // model and added tokens by id
	hasID        []bool
	idBytes      [][]byte // what each id decodes to
	special      []bool   // added tokens marked special
	byteIDs      [256]int32
	merges       *mergeTable
	nMerges      int
	ignoreMerges bool
	unk          int32

	normalizer normalizer
	preSteps   []preStep
	byteLevel  bool
	joinDecode bool // no decoder: tokens are joined by spaces

	added     []addedToken
	addedByID map[int32]int32
	addedIDs  map[string]int32
	rawTrie   *trie // added tokens matched on the raw text
	normTrie  *trie // added tokens matched on the normalised text

	cfg  config
	pool sync.Pool // *encoder
}

// config is what tokenizer_config.json and generation_config.json tell.
type config struct {
	raw      []byte // tokenizer_config.json as read, or nil
	bos      string
	eos      string
	pad      string
	addBOS   bool
	hasBOS   bool
	eosIDs   []int32 // from generation_config.json
	eosList  []int32 // EOS(): eos token first, then end-of-turn tokens
	bosID    int32
	padID    int32
	hasPadID bool
}

// encoder holds the per-goroutine state of encoding: splitters with their scratch,
// BPE buffers and a word cache.
type encoder struct {
	t      *Tokenizer
	steps  []splitter // nil entry: ByteLevel step without regex
	pa, pb []string
	spans  []span
	spans2 []span
	word   []int32
	ranks  []int32
	news   []int32
	syms   []symbol
	heap   candHeap
	cache  map[string][]int32
}

const (
	maxCacheEntries = 1 << 16
	maxCachedWord   = 256 // bytes; longer words are merged every time
)

func (t *Tokenizer) getEncoder() *encoder {
	if e, ok := t.pool.Get().(*encoder); ok {
		return e
	}
	e := &encoder{t: t, cache: make(map[string][]int32, 1024)}
	for _, st := range t.preSteps {
		if st.make != nil {
			e.steps = append(e.steps, st.make())
		} else {
			e.steps = append(e.steps, nil)
		}
	}
	return e
}

// Encode returns the ids of text like the Rust library's encode(text,
// add_special_tokens=false): added and special tokens written in the text are
// recognised, nothing is added around it. Invalid UTF-8 is first replaced by U+FFFD as
// String::from_utf8_lossy does (the Rust library only accepts valid strings).
func (t *Tokenizer) Encode(text string) []int32 {
	e := t.getEncoder()
	out := e.encode(validUTF8(text), nil)
	t.pool.Put(e)
	return out
}

// AppendEncode is Encode appending to dst.
func (t *Tokenizer) AppendEncode(dst []int32, text string) []int32 {
	e := t.getEncoder()
	dst = e.encode(validUTF8(text), dst)
	t.pool.Put(e)
	return dst
}

// EncodeBatch encodes every text on all cores; the result is in input order.
func (t *Tokenizer) EncodeBatch(texts []string) [][]int32 {
	out := make([][]int32, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	if workers <= 1 {
		for i, s := range texts {
			out[i] = t.Encode(s)
		}
		return out
	}
	var next sync.WaitGroup
	var mu sync.Mutex
	idx := 0
	const chunk = 16
	for w := 0; w < workers; w++ {
		next.Add(1)
		go func() {
			defer next.Done()
			e := t.getEncoder()
			defer t.pool.Put(e)
			for {
				mu.Lock()
				lo := idx
				idx += chunk
				mu.Unlock()
				if lo >= len(texts) {
					return
				}
				for i := lo; i < min(lo+chunk, len(texts)); i++ {
					out[i] = e.encode(validUTF8(texts[i]), nil)
				}
			}
		}()
	}
	next.Wait()
	return out
}

func (e *encoder) encode(text string, out []int32) []int32 {
	t := e.t
	e.spans = findAdded(text, t.rawTrie, t.added, e.spans[:0])
	spans := e.spans
	for _, sp := range spans {
		if sp.token >= 0 {
			out = append(out, t.added[sp.token].ID)
			continue
		}
		piece := text[sp.start:sp.end]
		if t.normalizer != nil {
			piece = t.normalizer.normalize(piece)
		}
		if t.normTrie.empty() {
			out = e.encodeText(piece, out)
			continue
		}
		e.spans2 = findAdded(piece, t.normTrie, t.added, e.spans2[:0])
		for _, sp2 := range e.spans2 {
			if sp2.token >= 0 {
				out = append(out, t.added[sp2.token].ID)
			} else {
				out = e.encodeText(piece[sp2.start:sp2.end], out)
			}
		}
	}
	return out
}

// encodeText pre-tokenizes normalised text and runs BPE on each piece.
func (e *encoder) encodeText(s string, out []int32) []int32 {
	if s == "" {
		return out
	}
	pieces := append(e.pa[:0], s)
	for k, st := range e.steps {
		meta := &e.t.preSteps[k]
		if meta.isByteLevel && meta.prefixSpace {
			for i, p := range pieces {
				if !strings.HasPrefix(p, " ") {
					pieces[i] = " " + p
				}
			}
		}
		if st == nil {
			continue
		}
		next := e.pb[:0]
		for _, p := range pieces {
			next = st.split(p, next)
		}
		e.pa, e.pb = next, pieces
		pieces = next
	}
	for _, p := range pieces {
		out = e.bpe(p, out)
	}
	e.pa = pieces
	return out
}

// bpe appends the ids of one pre-tokenized piece (raw bytes; the byte-level mapping is
// folded into byteIDs).
func (e *encoder) bpe(p string, out []int32) []int32 {
	if ids, ok := e.cache[p]; ok {
		return append(out, ids...)
	}
	t := e.t
	if t.ignoreMerges {
		if id, ok := t.rawVocab[p]; ok {
			return append(out, id)
		}
	}
	word := e.word[:0]
	for i := 0; i < len(p); i++ {
		id := t.byteIDs[p[i]]
		if id < 0 {
			id = t.unk
			if id < 0 {
				continue // the Rust BPE drops a symbol it cannot map when there is no unk
			}
		}
		word = append(word, id)
	}
	word = e.mergeWord(word)
	e.word = word
	if len(p) <= maxCachedWord {
		if len(e.cache) >= maxCacheEntries {
			clear(e.cache)
		}
		e.cache[strings.Clone(p)] = append([]int32(nil), word...)
	}
	return append(out, word...)
}

// Decode returns the text of ids like the Rust library's decode: added tokens are
// written as their content (special ones dropped with skipSpecial), unknown ids are
// skipped, and byte sequences that are not valid UTF-8 become U+FFFD.
func (t *Tokenizer) Decode(ids []int32, skipSpecial bool) string {
	var buf []byte
	first := true
	for _, id := range ids {
		if id < 0 || int(id) >= len(t.idBytes) || !t.hasID[id] {
			continue
		}
		if skipSpecial && t.special[id] {
			continue
		}
		if t.joinDecode && !first {
			buf = append(buf, ' ')
		}
		first = false
		buf = append(buf, t.idBytes[id]...)
	}
	if utf8.Valid(buf) {
		return string(buf)
	}
	return string(appendLossy(nil, buf))
}

// VocabSize returns the number of ids, added tokens included: one more than the
// largest id (the size an embedding table needs).
func (t *Tokenizer) VocabSize() int { return len(t.idToToken) }

// NumMerges returns the number of BPE merges.
func (t *Tokenizer) NumMerges() int { return t.nMerges }

// TokenID returns the id of a token given in its vocabulary form (byte-level string for
// model tokens, the literal content for added tokens).
func (t *Tokenizer) TokenID(token string) (int32, bool) {
	if id, ok := t.addedIDs[token]; ok {
		return id, true
	}
	id, ok := t.vocab[token]
	return id, ok
}

// Token returns the vocabulary form of id.
func (t *Tokenizer) Token(id int32) (string, bool) {
	if id < 0 || int(id) >= len(t.idToToken) || !t.hasID[id] {
		return "", false
	}
	return t.idToToken[id], true
}

// IsSpecial reports whether id is an added token marked special (dropped by Decode
// with skipSpecial).
func (t *Tokenizer) IsSpecial(id int32) bool {
	return id >= 0 && int(id) < len(t.special) && t.special[id]
}

// PreTokenizerInfo describes the pre-tokenizer steps and which matcher runs each regex
// ("hand-written" for the known Qwen/Llama-3/DeepSeek/GPT-2 patterns, else "regexp2").
func (t *Tokenizer) PreTokenizerInfo() string {
	var parts []string
	for _, st := range t.preSteps {
		s := st.name
		if st.regexPattern != "" {
			kind := "regexp2"
			if !ForceRegexp2 && handFinder(st.regexPattern) != nil {
				kind = "hand-written"
			}
			s += "(" + kind + ")"
		}
		if st.isByteLevel && st.prefixSpace {
			s += "(add_prefix_space)"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " → ")
}

// TokenBytes returns the bytes id decodes to (a copy), so that callers can decode a
// stream of ids incrementally and emit text once the bytes form whole UTF-8 sequences.
// Unknown ids give nil.
func (t *Tokenizer) TokenBytes(id int32) []byte {
	if id < 0 || int(id) >= len(t.idBytes) || !t.hasID[id] {
		return nil
	}
	return append([]byte(nil), t.idBytes[id]...)
}
