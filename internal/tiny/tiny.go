// Package tiny is r1go's embedded default model: a 2-layer Qwen2 (64 wide) with a byte-level
// tokenizer (one token per byte plus <|endoftext|>, <think>, </think>, <answer>, </answer>),
// small enough to run GRPO on a laptop CPU in minutes. make_tiny.py wrote the files.
package tiny

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"

	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/model/safetensors"
)

//go:embed files/config.json files/tokenizer.json files/tokenizer_config.json
var files embed.FS

// Config returns the tiny model's configuration.
func Config() (*model.Config, error) {
	b, err := files.ReadFile("files/config.json")
	if err != nil {
		return nil, err
	}
	return model.ParseConfig(b)
}

// WriteModel writes a randomly initialised tiny model (weights, config and tokenizer) into dir.
func WriteModel(dir string, seed uint64) error {
	c, err := Config()
	if err != nil {
		return err
	}
	if err := model.InitParams(c, seed).Save(dir, safetensors.F32, 0); err != nil {
		return err
	}
	return WriteTokenizer(dir)
}

// WriteTokenizer writes the byte-level tokenizer files into dir.
func WriteTokenizer(dir string) error {
	for _, name := range []string{"tokenizer.json", "tokenizer_config.json"} {
		b, err := files.ReadFile("files/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("writing the tiny tokenizer: %w", err)
		}
	}
	return nil
}
