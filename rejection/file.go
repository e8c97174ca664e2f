package rejection

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

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
// samples to out (JSONL chat records) and the stats beside it as out + ".stats.json".
// cfg.Model defaults to modelDir.
//
// Work is saved chunk by chunk (Config.PromptsPerChunk prompts): the kept samples are
// appended to out + ".partial" and fsynced, and out + ".partial.json" records how far the
// run got. A run killed at any moment and started again with the same model, settings and
// prompts continues after the last saved chunk and writes exactly the file an uninterrupted
// run writes (each chunk's sampling seed depends only on its position). out appears, by a
// rename, only when every chunk is done.
func SampleToFile(cfg Config, b backends.Backend, compute dtypes.DType, modelDir string, exs []data.Example, out string, progress func(int)) (Stats, error) {
	return sampleToFile(cfg, b, compute, modelDir, exs, out, progress, -1)
}

// errStopped is returned by sampleToFile when it stops after stopAfter chunks (tests).
var errStopped = errors.New("stopped")

// partialState is what out + ".partial.json" records between chunks.
type partialState struct {
	Key    string `json:"key"`    // digest of the model directory, settings and prompts
	Chunks int    `json:"chunks"` // chunks done
	Bytes  int64  `json:"bytes"`  // size of out + ".partial" after them
	Stats  Stats  `json:"stats"`
}

func sampleToFile(cfg Config, b backends.Backend, compute dtypes.DType, modelDir string, exs []data.Example, out string, progress func(int), stopAfter int) (Stats, error) {
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
	key := runKey(s.Cfg, modelDir, exs)
	partial, statePath := out+".partial", out+".partial.json"
	st := Stats{Dropped: map[string]int{}}
	start := 0
	var f *os.File
	if raw, err := os.ReadFile(statePath); err == nil {
		var ps partialState
		if json.Unmarshal(raw, &ps) == nil && ps.Key == key {
			if f, err = os.OpenFile(partial, os.O_RDWR, 0o644); err == nil {
				if err = f.Truncate(ps.Bytes); err == nil {
					_, err = f.Seek(ps.Bytes, io.SeekStart)
				}
				if err != nil {
					f.Close()
					return st, fmt.Errorf("resuming %s: %w", partial, err)
				}
				st, start = ps.Stats, ps.Chunks
				if st.Dropped == nil {
					st.Dropped = map[string]int{}
				}
			}
		}
	}
	if f == nil {
		if f, err = os.Create(partial); err != nil {
			return st, err
		}
	}
	defer f.Close()
	n := s.Cfg.PromptsPerChunk
	for c := start; c*n < len(exs); c++ {
		if c == stopAfter {
			return st, errStopped
		}
		kept, err := s.chunk(exs[c*n:min((c+1)*n, len(exs))], uint64(c*n), &st, progress)
		if err != nil {
			return st, err
		}
		w := bufio.NewWriter(f)
		for _, k := range kept {
			line, err := json.Marshal(k)
			if err != nil {
				return st, err
			}
			w.Write(append(line, '\n'))
		}
		if err := w.Flush(); err != nil {
			return st, fmt.Errorf("writing %s: %w", partial, err)
		}
		if err := f.Sync(); err != nil {
			return st, fmt.Errorf("writing %s: %w", partial, err)
		}
		pos, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return st, err
		}
		if err := writeJSON(statePath, partialState{Key: key, Chunks: c + 1, Bytes: pos, Stats: st}); err != nil {
			return st, err
		}
	}
	if err := f.Close(); err != nil {
		return st, err
	}
	if err := writeJSON(out+".stats.json", st); err != nil {
		return st, err
	}
	if err := os.Rename(partial, out); err != nil {
		return st, err
	}
	os.Remove(statePath)
	return st, nil
}

func writeJSON(path string, v any) error {
	return data.WriteFileAtomic(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// runKey digests what decides a run's output: the model directory, the settings and the
// prompts.
func runKey(cfg Config, modelDir string, exs []data.Example) string {
	h := sha256.New()
	js, _ := json.Marshal(cfg)
	fmt.Fprintf(h, "%s\n%s\n", modelDir, js)
	for _, ex := range exs {
		line, _ := json.Marshal(ex)
		h.Write(append(line, '\n'))
	}
	return hex.EncodeToString(h.Sum(nil))
}
