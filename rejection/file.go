package rejection

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
)

// Prompts loads the prompts of a run: a prompt/answer dataset (path, with field mapping m)
// or n problems of a built-in task drawn with seed. For a task it also returns the task's
// reward spec.
func Prompts(path string, m data.Mapping, task string, n int, seed int64) ([]data.Example, string, error) {
	switch {
	case path != "" && task != "":
		return nil, "", errors.New("give a dataset (--data) or a built-in task (--task), not both")
	case task != "":
		t, err := data.TaskByName(task)
		if err != nil {
			return nil, "", err
		}
		if n < 1 {
			return nil, "", fmt.Errorf("task %s: the number of prompts must be >= 1, got %d", task, n)
		}
		return t.Train(seed, n), t.Reward(), nil
	case path != "":
		exs, err := data.Load(path, m)
		if err != nil {
			return nil, "", err
		}
		if len(exs) == 0 {
			return nil, "", fmt.Errorf("%s: no prompts", path)
		}
		if n > 0 && n < len(exs) {
			exs = exs[:n]
		}
		return exs, "", nil
	}
	return nil, "", errors.New("give a dataset (--data) or a built-in task (--task)")
}

// SampleToFile rejection-samples exs with the model in modelDir and writes the kept
// samples to out (JSONL chat records, written to a temporary file and renamed) and the
// stats beside it as out + ".stats.json". cfg.Model defaults to modelDir.
func SampleToFile(cfg Config, b backends.Backend, compute dtypes.DType, modelDir string, exs []data.Example, out string, progress func(int)) (Stats, error) {
	if cfg.Model == "" {
		cfg.Model = modelDir
	}
	tok, err := tokenizer.Load(modelDir)
	if err != nil {
		return Stats{}, fmt.Errorf("tokenizer of %s: %w", modelDir, err)
	}
	params, err := model.Load(modelDir)
	if err != nil {
		return Stats{}, err
	}
	s, err := NewSampler(cfg, b, params, compute, tok)
	if err != nil {
		return Stats{}, err
	}
	kept, st, err := s.Run(exs, progress)
	if err != nil {
		return st, err
	}
	if err := data.WriteJSONL(out, kept); err != nil {
		return st, err
	}
	err = data.WriteFileAtomic(out+".stats.json", func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	})
	return st, err
}
