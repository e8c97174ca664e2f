package model

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/r1go/r1go/model/safetensors"
)

// ErrDirNotEmpty is returned by InitDir when the output directory holds files and overwriting
// was not asked for.
var ErrDirNotEmpty = errors.New("directory is not empty")

// InitDir writes a random-initialised model (InitParams with seed) into dir as a Hugging Face
// model directory: config.json and model.safetensors in dtype (F32 or BF16). dir is created if
// needed; a directory that already holds anything is refused with ErrDirNotEmpty unless
// overwrite is set, in which case the model files are replaced (other files stay).
func InitDir(dir string, c *Config, seed uint64, dtype safetensors.DType, overwrite bool) (*Params, error) {
	if dtype != safetensors.F32 && dtype != safetensors.BF16 {
		return nil, fmt.Errorf("weights dtype %q: must be F32 or BF16", dtype)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if !overwrite {
		empty, err := isEmptyDir(dir)
		if err != nil {
			return nil, err
		}
		if !empty {
			return nil, fmt.Errorf("%s: %w", dir, ErrDirNotEmpty)
		}
	}
	p := InitParams(c, seed)
	if err := p.Save(dir, dtype, 0); err != nil {
		return nil, fmt.Errorf("writing %s: %w", dir, err)
	}
	return p, nil
}

// isEmptyDir reports whether dir is missing or an empty directory; a file is an error.
func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory", dir)
	}
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// TokenizerIDs are what a model's config.json records about its tokenizer.
type TokenizerIDs struct {
	VocabSize int     // ids the tokenizer can produce, added tokens included
	BOS, Pad  *int32  // nil when the tokenizer has none
	EOS       []int32 // ids generation stops on
}

// UseTokenizer checks that c's vocabulary holds every id of the tokenizer t describes and
// records its BOS, EOS and pad ids in c (replacing those c had). A vocabulary larger than the
// tokenizer is fine (Qwen2.5 pads 151665 tokens to 151936); a smaller one is an error naming
// vocab_size.
func (c *Config) UseTokenizer(t TokenizerIDs) error {
	if t.VocabSize > c.VocabSize {
		return fmt.Errorf("field \"vocab_size\": %d is smaller than the tokenizer's %d tokens", c.VocabSize, t.VocabSize)
	}
	c.BOSTokenID, c.PadTokenID, c.EOSTokenID = nil, nil, nil
	if t.BOS != nil {
		c.BOSTokenID = intPtr(int(*t.BOS))
	}
	if t.Pad != nil {
		c.PadTokenID = intPtr(int(*t.Pad))
	}
	switch len(t.EOS) {
	case 0:
	case 1:
		c.EOSTokenID = float64(t.EOS[0]) // as encoding/json decodes a number
	default:
		ids := make([]any, len(t.EOS))
		for i, id := range t.EOS {
			ids[i] = float64(id)
		}
		c.EOSTokenID = ids
	}
	delete(c.raw, "bos_token_id")
	delete(c.raw, "eos_token_id")
	delete(c.raw, "pad_token_id")
	return c.Validate()
}
