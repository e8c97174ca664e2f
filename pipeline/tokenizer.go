package pipeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
)

// SameTokenizer checks that two model directories tokenize text identically, as
// distillation needs (the student learns the teacher's token sequences): their
// tokenizer.json files must be byte-identical or agree on the vocabulary, the merges, the
// added (special) tokens, the normalizer, the pre-tokenizer and the decoder. Model sizes
// may differ. The error names the first difference.
func SameTokenizer(teacherDir, studentDir string) error {
	a, err := os.ReadFile(filepath.Join(teacherDir, "tokenizer.json"))
	if err != nil {
		return fmt.Errorf("teacher tokenizer: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(studentDir, "tokenizer.json"))
	if err != nil {
		return fmt.Errorf("student tokenizer: %w", err)
	}
	if bytes.Equal(a, b) {
		return nil
	}
	var ta, tb tokJSON
	if err := json.Unmarshal(a, &ta); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(teacherDir, "tokenizer.json"), err)
	}
	if err := json.Unmarshal(b, &tb); err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(studentDir, "tokenizer.json"), err)
	}
	diff := ta.diff(&tb)
	if diff == "" {
		return nil
	}
	return fmt.Errorf("teacher %s and student %s have different tokenizers (%s): distillation needs a shared tokenizer", teacherDir, studentDir, diff)
}

// tokJSON is the part of a Hugging Face tokenizer.json that decides the token ids.
type tokJSON struct {
	Model struct {
		Type   string          `json:"type"`
		Vocab  map[string]int  `json:"vocab"`
		Merges json.RawMessage `json:"merges"`
	} `json:"model"`
	AddedTokens []struct {
		ID      int    `json:"id"`
		Content string `json:"content"`
		Special bool   `json:"special"`
	} `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Decoder       json.RawMessage `json:"decoder"`
	PostProcessor json.RawMessage `json:"post_processor"`
}

func (a *tokJSON) diff(b *tokJSON) string {
	if a.Model.Type != b.Model.Type {
		return fmt.Sprintf("model type %q vs %q", a.Model.Type, b.Model.Type)
	}
	if len(a.Model.Vocab) != len(b.Model.Vocab) {
		return fmt.Sprintf("vocabulary of %d vs %d tokens", len(a.Model.Vocab), len(b.Model.Vocab))
	}
	keys := make([]string, 0, len(a.Model.Vocab))
	for k := range a.Model.Vocab {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if id, ok := b.Model.Vocab[k]; !ok || id != a.Model.Vocab[k] {
			if !ok {
				return fmt.Sprintf("token %q is only in the teacher's vocabulary", k)
			}
			return fmt.Sprintf("token %q has id %d vs %d", k, a.Model.Vocab[k], id)
		}
	}
	if !jsonEqual(a.Model.Merges, b.Model.Merges) {
		return "merges differ"
	}
	if len(a.AddedTokens) != len(b.AddedTokens) {
		return fmt.Sprintf("%d vs %d added tokens", len(a.AddedTokens), len(b.AddedTokens))
	}
	for i := range a.AddedTokens {
		x, y := a.AddedTokens[i], b.AddedTokens[i]
		if x.ID != y.ID || x.Content != y.Content {
			return fmt.Sprintf("added token %d: %q (id %d) vs %q (id %d)", i, x.Content, x.ID, y.Content, y.ID)
		}
	}
	for _, p := range []struct {
		name string
		x, y json.RawMessage
	}{{"normalizer", a.Normalizer, b.Normalizer}, {"pre_tokenizer", a.PreTokenizer, b.PreTokenizer}, {"decoder", a.Decoder, b.Decoder}} {
		if !jsonEqual(p.x, p.y) {
			return p.name + " differs"
		}
	}
	return ""
}

// jsonEqual compares two JSON values structurally (formatting and key order aside).
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if len(a) > 0 {
		if json.Unmarshal(a, &x) != nil {
			return false
		}
	}
	if len(b) > 0 {
		if json.Unmarshal(b, &y) != nil {
			return false
		}
	}
	return reflect.DeepEqual(x, y)
}
