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
