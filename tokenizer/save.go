package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Save writes the tokenizer to dir as tokenizer.json and, when the tokenizer has one,
// tokenizer_config.json, each through a temporary file renamed into place. A loaded
// tokenizer is written back byte for byte; a trained one in the format of the Rust
// library, which transformers' AutoTokenizer (PreTrainedTokenizerFast) loads.
func (t *Tokenizer) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tokenizer: save: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, "tokenizer.json"), t.raw); err != nil {
		return err
	}
	if t.cfg.raw != nil {
		if err := writeFileAtomic(filepath.Join(dir, "tokenizer_config.json"), t.cfg.raw); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path, syncs it and renames it
// over path, so a reader never sees a half-written file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("tokenizer: save: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp, 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("tokenizer: save %s: %w", path, werr)
	}
	return nil
}

// marshalNoEscape is json.Marshal without HTML escaping (tokens such as <think> stay
// readable), without the trailing newline.
func marshalNoEscape(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only strings, numbers, bools, slices and maps of them are passed
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}
