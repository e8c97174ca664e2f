package tokenizer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

var update = flag.Bool("update", false, "rewrite testdata/tiny (the trained tokenizer golden); then run node testdata/make_golden.js tiny=testdata/tiny/tokenizer.json")

// tinyCorpus is the training text of the tiny golden tokenizer: the parity corpus.
func tinyCorpus(t *testing.T) string {
	var b strings.Builder
	for _, l := range corpus(t) {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

const tinyVocab = 1000

// TestTrainGolden trains the tiny tokenizer and checks it byte for byte against
// testdata/tiny (so training stays deterministic), then checks the Rust library's ids
// for the trained file (golden-tiny, made by make_golden.js): the file r1go writes is
// one the reference implementation loads and agrees on.
func TestTrainGolden(t *testing.T) {
	tok, err := Train(strings.NewReader(tinyCorpus(t)), tinyVocab, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != tinyVocab {
		t.Fatalf("VocabSize = %d, want %d", tok.VocabSize(), tinyVocab)
	}
	dir := filepath.Join("testdata", "tiny")
	if *update {
		if err := tok.Save(dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		want, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		if err := tok.Save(out); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("trained %s differs from testdata/tiny/%s (run go test -run TestTrainGolden -update if the change is intended)", f, f)
		}
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	checkParity(t, loaded, "tiny", norm.NFC.String)
	checkParity(t, tok, "tiny", norm.NFC.String)
}

// TestTrainSpecials checks the added tokens, ids and config of a trained tokenizer.
func TestTrainSpecials(t *testing.T) {
	text := strings.Repeat("the cat sat on the mat. <think>2+2=4</think> <answer>4</answer><|endoftext|>\n", 50)
	tok, err := Train(strings.NewReader(text), 400, []string{"<|user|>", "<think>"})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>", "<answer>", "</answer>", "<|user|>"} {
		id, ok := tok.TokenID(name)
		if !ok || id != int32(i) {
			t.Errorf("TokenID(%q) = %d, %v; want %d", name, id, ok, i)
		}
	}
	if got := tok.VocabSize(); got <= 264 || got > 400 || got != 264+tok.NumMerges() {
		t.Errorf("VocabSize = %d, want 264 + merges (%d), at most 400", got, tok.NumMerges())
	}
	if eos := tok.EOS(); len(eos) == 0 || eos[0] != 0 {
		t.Errorf("EOS = %v, want [0 ...]", eos)
	}
	if pad, ok := tok.Pad(); !ok || pad != 0 {
		t.Errorf("Pad = %d, %v", pad, ok)
	}
	if _, ok := tok.BOS(); ok {
		t.Error("BOS set, want none")
	}
	ids := tok.Encode("<think>the cat</think><|user|>")
	if ids[0] != 3 || ids[len(ids)-1] != 7 {
		t.Errorf("Encode = %v: added tokens not matched", ids)
	}
	// <think> is not special: it survives skipSpecial; <|endoftext|> does not.
	if got := tok.Decode(tok.Encode("<think>x</think><|endoftext|>"), true); got != "<think>x</think>" {
		t.Errorf("Decode(skipSpecial) = %q", got)
	}
	// Frequent words become single tokens.
	if got := tok.Encode(" cat"); len(got) != 1 {
		t.Errorf("Encode(\" cat\") = %v, want one token", got)
	}
}

func TestTrainErrors(t *testing.T) {
	for _, c := range []struct {
		vocab    int
		specials []string
		want     string
	}{
		{100, nil, "below the 7 added tokens + 256"},
		{300, []string{""}, "empty special token"},
		{300, []string{"\xff"}, "not valid UTF-8"},
	} {
		_, err := Train(strings.NewReader("abc"), c.vocab, c.specials)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Train(%d, %q): err = %v, want %q", c.vocab, c.specials, err, c.want)
		}
	}
	// A corpus too small for the requested size stops early, without error.
	tok, err := Train(strings.NewReader("ab ab ab"), 5000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() >= 5000 || tok.VocabSize() < 263 {
		t.Errorf("VocabSize = %d", tok.VocabSize())
	}
}
