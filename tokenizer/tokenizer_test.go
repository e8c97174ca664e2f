package tokenizer

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestLossyUTF8 checks the invalid-UTF-8 replacement against Node's WHATWG decoder,
// which replaces the same maximal subparts as Rust's String::from_utf8_lossy.
func TestLossyUTF8(t *testing.T) {
	f, err := os.Open("testdata/lossy.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		var c struct{ Hex, Text string }
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		b, _ := hex.DecodeString(c.Hex)
		if got := validUTF8(string(b)); got != c.Text {
			t.Errorf("validUTF8(%s) = %q, want %q", c.Hex, got, c.Text)
		}
		n++
	}
	if n < 10 {
		t.Fatal("too few lossy cases")
	}
}

// TestInvalidUTF8Encode: text with invalid bytes encodes like its lossy conversion.
func TestInvalidUTF8Encode(t *testing.T) {
	tok := loadRef(t, "qwen3")
	for _, s := range []string{"a\xffb", "\xe2\x82", "ok \xf0\x9f\x98 emoji", "\xed\xa0\x80"} {
		got := tok.Encode(s)
		want := tok.Encode(validUTF8(s))
		if !slices.Equal(got, want) || !utf8.ValidString(tok.Decode(got, false)) {
			t.Errorf("Encode(%q) = %v, want %v", s, got, want)
		}
		if d := tok.Decode(got, false); !strings.Contains(d, "\uFFFD") {
			t.Errorf("Decode(Encode(%q)) = %q has no U+FFFD", s, d)
		}
	}
}

func TestSpecialIDs(t *testing.T) {
	for _, c := range []struct {
		name   string
		bos    int32 // -1: none
		addBOS bool
		eos    []int32
		pad    int32
	}{
		{"qwen3", -1, false, []int32{151645, 151643}, 151643},
		{"deepseek_v3", 0, true, []int32{1}, 1},
		{"llama3", 128000, false, []int32{128001, 128009}, -1}, // this Llama 3.0 file has no <|eom_id|>
	} {
		t.Run(c.name, func(t *testing.T) {
			tok := loadRef(t, c.name)
			bos, ok := tok.BOS()
			if (c.bos >= 0) != ok || (ok && bos != c.bos) {
				t.Errorf("BOS = %d, %v; want %d", bos, ok, c.bos)
			}
			if tok.AddBOS() != c.addBOS {
				t.Errorf("AddBOS = %v", tok.AddBOS())
			}
			if got := tok.EOS(); !slices.Equal(got, c.eos) {
				t.Errorf("EOS = %v, want %v", got, c.eos)
			}
			pad, ok := tok.Pad()
			if (c.pad >= 0) != ok || (ok && pad != c.pad) {
				t.Errorf("Pad = %d, %v; want %d", pad, ok, c.pad)
			}
		})
	}
	qw := loadRef(t, "qwen3")
	if id, ok := qw.TokenID("<|im_end|>"); !ok || id != 151645 || !qw.IsSpecial(id) {
		t.Errorf("TokenID(<|im_end|>) = %d, %v", id, ok)
	}
	if id, ok := qw.TokenID("<think>"); !ok || id != 151667 || qw.IsSpecial(id) {
		t.Errorf("TokenID(<think>) = %d, %v (Qwen3's <think> is not special)", id, ok)
	}
	if id, ok := qw.TokenID("Hello"); !ok || id != 9707 {
		t.Errorf("TokenID(Hello) = %d, %v", id, ok)
	}
	if tokStr, ok := qw.Token(9707); !ok || tokStr != "Hello" {
		t.Errorf("Token(9707) = %q", tokStr)
	}
	if _, ok := qw.TokenID("no such token"); ok {
		t.Error("TokenID(no such token) found")
	}
}

// miniJSON builds a small byte-level tokenizer.json with the given added tokens.
func miniJSON(added string) string {
	var vocab []string
	for b := 0; b < 256; b++ {
		k, _ := json.Marshal(string(byteChar[b]))
		vocab = append(vocab, string(k)+":"+itoa(b))
	}
	vocab = append(vocab, `"ab":256`, `"abc":257`)
	return `{"added_tokens":[` + added + `],"normalizer":{"type":"Lowercase"},
"pre_tokenizer":{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"\\s+"},"behavior":"MergedWithNext","invert":false},{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}]},
"decoder":{"type":"ByteLevel"},
"model":{"type":"BPE","vocab":{` + strings.Join(vocab, ",") + `},"merges":["a b","ab c"]}}`
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestAddedTokenOptions covers lstrip, rstrip, single_word and normalized added tokens,
// with the expected splits of the Rust library's own tests (added_vocabulary.rs).
func TestAddedTokenOptions(t *testing.T) {
	added := `{"id":300,"content":"<mask>","single_word":true,"lstrip":true,"rstrip":true,"normalized":true,"special":true},
{"id":301,"content":"[CLS]","single_word":false,"lstrip":false,"rstrip":false,"normalized":false,"special":true},
{"id":302,"content":"my","single_word":false,"lstrip":true,"rstrip":true,"normalized":true,"special":false}`
	tok, err := Parse([]byte(miniJSON(added)))
	if err != nil {
		t.Fatal(err)
	}
	e := tok.getEncoder()
	split := func(s string, tr *trie) []string {
		var out []string
		for _, sp := range findAdded(s, tr, tok.added, nil) {
			p := s[sp.start:sp.end]
			if sp.token >= 0 {
				p = "[" + p + "]"
			}
			out = append(out, p)
		}
		return out
	}
	for _, c := range []struct {
		in   string
		want string
	}{
		// Rust: ("hi"), (" <mask> ", 0), ("there"), ("\t<mask>\t", 0), ("<mask>\u2000", 0).
		{"Hi <mask> there\t<mask>\t<mask>\u2000", "hi|[ <mask> ]|there|[\t<mask>\t]|[<mask>\u2000]"},
		// "A<mask>" is no single word; the automaton resumes after it, so the next
		// <mask> (glued to "ony") is skipped too. "my" strips the spaces around it
		// that <mask> did not already take.
		{"<mask> My name <mask> A<mask> <mask>ony <mask>", "[<mask> ]|[my ]|name|[ <mask> ]|a<mask> <mask>ony|[ <mask>]"},
		{"[CLS] is my name", "[CLS] is|[ my ]|name"},
	} {
		// Normalised tokens (here all but [CLS]) match after lowercasing.
		got := strings.Join(split(strings.ToLower(c.in), tok.normTrie), "|")
		if c.in == "[CLS] is my name" {
			got = strings.Join(split(c.in, tok.normTrie), "|")
		}
		if got != c.want {
			t.Errorf("split(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// [CLS] is matched on the raw text; "MY" is matched after lowercasing.
	ids := tok.Encode("[CLS]abc MY abcab")
	want := []int32{301, 257, 302, 257, 256}
	if !slices.Equal(ids, want) {
		t.Errorf("Encode = %v, want %v", ids, want)
	}
	tok.pool.Put(e)
	if got := tok.Decode([]int32{301, 257, 302, 999, -1}, false); got != "[CLS]abcmy" {
		t.Errorf("Decode = %q", got)
	}
	if got := tok.Decode([]int32{301, 257, 302}, true); got != "abcmy" {
		t.Errorf("Decode(skip) = %q", got)
	}
}

// TestSplitBehaviors covers every SplitDelimiterBehavior and invert on a literal
// pattern (TestParitySplitBehaviors holds the same behaviors to the Rust library).
func TestSplitBehaviors(t *testing.T) {
	cases := []struct {
		b      behavior
		invert bool
		want   []string
	}{
		{bRemoved, false, []string{"The", "final", "countdown"}},
		{bIsolated, false, []string{"The", "-", "final", "-", "-", "countdown"}},
		{bMergedWithPrevious, false, []string{"The-", "final-", "-", "countdown"}},
		{bMergedWithNext, false, []string{"The", "-final", "-", "-countdown"}},
		{bContiguous, false, []string{"The", "-", "final", "--", "countdown"}},
		{bRemoved, true, []string{"-", "-", "-"}},
		{bMergedWithPrevious, true, []string{"The", "-final", "-", "-countdown"}},
	}
	for _, c := range cases {
		st := &splitStep{f: literalFinder{"-"}, behavior: c.b, invert: c.invert}
		got := st.split("The-final--countdown", nil)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("behavior %d invert %v: %q, want %q", c.b, c.invert, got, c.want)
		}
	}
}

// TestLoadErrors: malformed files fail with an error naming the problem, never a panic.
func TestLoadErrors(t *testing.T) {
	good := miniJSON("")
	for _, c := range []struct {
		name, json, want string
	}{
		{"syntax", "{\n  \"model\": {\n    \"type\": \"BPE\",,\n", "invalid JSON at line 3"},
		{"not object", "[1,2]", "invalid JSON"},
		{"no model", `{"added_tokens":[]}`, `no "model" object`},
		{"unigram", `{"model":{"type":"Unigram","vocab":[["a",0]]}}`, `model type "Unigram" is not supported`},
		{"wordpiece", `{"model":{"type":"WordPiece","vocab":{"a":0}}}`, `model type "WordPiece" is not supported`},
		{"unknown merge token", strings.Replace(good, `"ab c"`, `"ab zz"`, 1), `merges[1] ("ab" "zz"): token "zz" is not in the vocab`},
		{"unknown merged token", strings.Replace(good, `"ab c"`, `"c a"`, 1), `merged token "ca" is not in the vocab`},
		{"bad merge", strings.Replace(good, `"ab c"`, `"abc"`, 1), `merges[1] = "abc": want two tokens`},
		{"bad merge type", strings.Replace(good, `"ab c"`, `7`, 1), `merges[1] = 7`},
		{"empty vocab", `{"model":{"type":"BPE","vocab":{},"merges":[]}}`, `"vocab" is missing or empty`},
		{"negative id", `{"model":{"type":"BPE","vocab":{"a":-1},"merges":[]}}`, `negative id`},
		{"dropout", strings.Replace(good, `"type":"BPE"`, `"type":"BPE","dropout":0.1`, 1), "dropout 0.1 is not supported"},
		{"no byte level", strings.Replace(good, `{"type":"ByteLevel","add_prefix_space":false,"use_regex":false}`, `{"type":"Split","pattern":{"String":"x"},"behavior":"Isolated"}`, 1), "no ByteLevel pre-tokenizer"},
		{"unknown pretok", strings.Replace(good, `"type":"Split"`, `"type":"Metaspace"`, 1), `pre-tokenizer type "Metaspace" is not supported`},
		{"bad behavior", strings.Replace(good, `"MergedWithNext"`, `"Sideways"`, 1), `unknown split behavior "Sideways"`},
		{"bad regex", strings.Replace(good, `"\\s+"`, `"(\\s+"`, 1), `regex "(\\s+"`},
		{"unknown normalizer", strings.Replace(good, `"Lowercase"`, `"Precompiled"`, 1), `normalizer type "Precompiled" is not supported`},
		{"unknown decoder", strings.Replace(good, `"decoder":{"type":"ByteLevel"}`, `"decoder":{"type":"WordPiece"}`, 1), `decoder type "WordPiece" is not supported`},
		{"empty added", miniJSON(`{"id":300,"content":""}`), "added_tokens[0] (id 300): empty content"},
		{"unk missing", strings.Replace(good, `"type":"BPE"`, `"type":"BPE","unk_token":"<unk>"`, 1), `unk_token "<unk>" is not in the vocab`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "has no tokenizer.json") {
		t.Errorf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(miniJSON("")), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"eos_token": 5}`), 0o644)
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "tokenizer_config.json") || !strings.Contains(err.Error(), `field "eos_token"`) {
		t.Errorf("bad config: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"eos_token": "<nope>"}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), `eos_token "<nope>" is not in the vocabulary`) {
		t.Errorf("unknown eos: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(`{"eos_token": {"content": "ab"}, "pad_token": null}`), 0o644)
	os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id": [257, 256]}`), 0o644)
	tok, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.EOS(); !slices.Equal(got, []int32{256, 257}) {
		t.Errorf("EOS = %v, want [256 257]", got)
	}
	if _, ok := tok.Pad(); ok {
		t.Error("Pad set by a null pad_token")
	}
	// Save writes both files back; Load of the copy gives the same tokenizer.
	out := filepath.Join(t.TempDir(), "copy")
	if err := tok.Save(out); err != nil {
		t.Fatal(err)
	}
	tok2, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tok2.Encode("abc ab"), tok.Encode("abc ab")) || tok2.VocabSize() != tok.VocabSize() {
		t.Error("saved copy differs")
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 2 {
		t.Errorf("Save left %d files (temporary files not cleaned?)", len(entries))
	}
}

// TestEncodeBatch: the batch encoder gives the single-text results, in order.
func TestEncodeBatch(t *testing.T) {
	tok := loadRef(t, "qwen3")
	var texts []string
	for _, l := range corpus(t) {
		texts = append(texts, l.Text)
	}
	got := tok.EncodeBatch(texts)
	for i, s := range texts {
		if !slices.Equal(got[i], tok.Encode(s)) {
			t.Fatalf("EncodeBatch[%d] differs from Encode", i)
		}
	}
	if len(tok.EncodeBatch(nil)) != 0 {
		t.Error("EncodeBatch(nil) not empty")
	}
}

// TestTokenBytes: concatenating TokenBytes gives Decode's text (for valid UTF-8).
func TestTokenBytes(t *testing.T) {
	tok := loadRef(t, "qwen3")
	text := "数学 emoji 👨‍👩‍👧 <|im_end|> x²"
	var b []byte
	for _, id := range tok.Encode(text) {
		b = append(b, tok.TokenBytes(id)...)
	}
	if string(b) != text {
		t.Errorf("TokenBytes concatenation = %q, want %q", b, text)
	}
	if tok.TokenBytes(-1) != nil || tok.TokenBytes(1<<30) != nil {
		t.Error("TokenBytes of unknown ids not nil")
	}
}

// TestRustLower: Lowercase maps like the Rust library's Lowercase normalizer (expected
// values are its outputs, through testdata/tiny-lower: İ → i̇, no final sigma).
func TestRustLower(t *testing.T) {
	for in, want := range map[string]string{
		"ΟΔΟΣ ΟΔΟΣ. Σ ΑΣΑ İ": "οδοσ οδοσ. σ ασα i̇",
		"ΑΣ\u0301 x":         "ασ\u0301 x",
		"ΑΣ'Β ΑΣ.":           "ασ'β ασ.",
		"AΣ1 ΑΣ-Β":           "aσ1 ασ-β",
		"Hello WORLD":        "hello world",
	} {
		if got := rustLower(in); got != want {
			t.Errorf("rustLower(%q) = %q, want %q", in, got, want)
		}
	}
}
