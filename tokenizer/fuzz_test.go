package tokenizer

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var knownPatterns = []string{patQwen2, patLlama3, patDigits3, patCJK, patDeepSeek, patGPT2}

// splitWith cuts s with an Isolated Split on f.
func splitWith(f finder, s string) []string {
	return (&splitStep{f: f, behavior: bIsolated}).split(s, nil)
}

func addSeeds(f *testing.F) {
	for _, l := range corpus(f) {
		if len(l.Text) < 2000 {
			f.Add(l.Text)
		}
	}
	for _, s := range []string{"'s", "'S", "'ſ", " 'll", "\r\n\r\n  x", "a\u0301", "❤️abc", "(hello", "((a", " \t\n", "1234", "x²³", "👨‍👩‍👧"} {
		f.Add(s)
	}
}

// FuzzPatterns checks every hand-written matcher against regexp2 on the same pattern.
func FuzzPatterns(f *testing.F) {
	addSeeds(f)
	res := make([]*regexFinder, len(knownPatterns))
	for i, p := range knownPatterns {
		rf, err := newRegexFinder(p)
		if err != nil {
			f.Fatal(err)
		}
		res[i] = rf
	}
	var mu sync.Mutex
	f.Fuzz(func(t *testing.T, s string) {
		s = validUTF8(s)
		mu.Lock()
		defer mu.Unlock()
		for i, p := range knownPatterns {
			got := splitWith(handFinder(p), s)
			want := splitWith(res[i].clone(), s)
			if strings.Join(got, "\x00|") != strings.Join(want, "\x00|") {
				t.Fatalf("pattern %d on %q:\nhand    %q\nregexp2 %q", i, s, got, want)
			}
		}
	})
}

var tinyOnce struct {
	sync.Once
	tok *Tokenizer
	err error
}

func tinyTokenizer(t testing.TB) *Tokenizer {
	tinyOnce.Do(func() { tinyOnce.tok, tinyOnce.err = Load("testdata/tiny") })
	if tinyOnce.err != nil {
		t.Fatal(tinyOnce.err)
	}
	return tinyOnce.tok
}

// FuzzEncode: Encode never panics, ids are in range, and Decode(Encode(x)) is x after
// the lossy UTF-8 fix and NFC of the text between added tokens (which is what the Rust
// library normalises); EncodeBatch agrees with Encode.
func FuzzEncode(f *testing.F) {
	addSeeds(f)
	f.Add("a\xffb\xe2\x82<think>\u0301x")
	tok := tinyTokenizer(f)
	f.Fuzz(func(t *testing.T, s string) {
		ids := tok.Encode(s)
		for _, id := range ids {
			if id < 0 || int(id) >= tok.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
		v := validUTF8(s)
		var want strings.Builder
		for _, sp := range findAdded(v, tok.rawTrie, tok.added, nil) {
			if sp.token >= 0 {
				want.WriteString(tok.added[sp.token].Content)
			} else {
				want.WriteString(norm.NFC.String(v[sp.start:sp.end]))
			}
		}
		got := tok.Decode(ids, false)
		if got != want.String() {
			t.Fatalf("Decode(Encode(%q)) = %q, want %q", s, got, want.String())
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Decode gave invalid UTF-8")
		}
		if b := tok.EncodeBatch([]string{s, s}); !slices.Equal(b[0], ids) || !slices.Equal(b[1], ids) {
			t.Fatalf("EncodeBatch differs from Encode")
		}
	})
}

// FuzzLoad: arbitrary bytes as tokenizer.json give an error or a tokenizer, never a panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(miniJSON("")))
	f.Add([]byte(`{"model":{"type":"BPE","vocab":{"a":0},"merges":[["a","a"]]}}`))
	f.Add([]byte(`{"model":{"vocab":{"a":0},"merges":"x"}, "pre_tokenizer":{"type":"ByteLevel"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := Parse(data)
		if err == nil {
			tok.Decode(tok.Encode("hello <think> 123"), true)
		}
	})
}

// FuzzEncodeVariants runs the tiny variants (every normalizer, split behavior and the
// GPT-2 pre-tokenizer): Encode never panics, ids are in range, decoding is valid UTF-8,
// and the hand-written and regexp2 pre-tokenizers agree.
func FuzzEncodeVariants(f *testing.F) {
	addSeeds(f)
	var toks, slow []*Tokenizer
	for _, dir := range []string{"tiny-gpt2", "tiny-lower", "tiny-norms", "tiny-split"} {
		tok, err := Load("testdata/" + dir)
		if err != nil {
			f.Fatal(err)
		}
		ForceRegexp2 = true
		s, err := Load("testdata/" + dir)
		ForceRegexp2 = false
		if err != nil {
			f.Fatal(err)
		}
		toks, slow = append(toks, tok), append(slow, s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, tok := range toks {
			ids := tok.Encode(s)
			for _, id := range ids {
				if id < 0 || int(id) >= tok.VocabSize() {
					t.Fatalf("id %d out of range", id)
				}
			}
			if d := tok.Decode(ids, false); !utf8.ValidString(d) {
				t.Fatalf("invalid UTF-8 from Decode")
			}
			if !slices.Equal(ids, slow[i].Encode(s)) {
				t.Fatalf("variant %d: hand-written and regexp2 pre-tokenizers differ on %q", i, s)
			}
		}
	})
}
