package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
)

// cmdLogprobs is `r1go logprobs`: per-token log-probabilities of completions under a model.
func cmdLogprobs() *command {
	return &command{
		name:    "logprobs",
		summary: "score completions: per-token log-probabilities and their sum under a model, one JSON line per input line",
		usage:   "--model DIR --input FILE.jsonl [--output FILE] [--backend cpu|cuda|...] [--dtype f32|bf16]",
		run:     runLogprobs,
	}
}

func runLogprobs(fs *flag.FlagSet, args []string) error {
	modelDir := fs.String("model", "", "model directory (config.json + safetensors weights; a tokenizer.json there enables text input)")
	input := fs.String("input", "", `JSONL file, one sequence per line: {"prompt_ids":[...],"completion_ids":[...]} or {"prompt":"..","completion":".."} (text needs tokenizer.json in --model); "-" reads standard input`)
	output := fs.String("output", "", `file for the results, one line {"logprobs":[...],"sum":x} per input line in input order (written to a temporary file, then renamed); default standard output`)
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute dtype of the matrix products: f32 or bf16 (softmax and log-probs stay f32); default bf16 on cuda, f32 on cpu")
	tokenBudget := fs.Int("batch-tokens", 8192, "tokens per forward pass (batch × padded length); larger is faster on GPUs and uses more memory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelDir == "" || *input == "" {
		return errors.New("--model and --input are required")
	}
	if *tokenBudget <= 0 {
		return fmt.Errorf("--batch-tokens %d: must be positive", *tokenBudget)
	}
	p, err := model.Load(*modelDir)
	if err != nil {
		return err
	}
	var enc model.Encoder
	if _, err := os.Stat(filepath.Join(*modelDir, "tokenizer.json")); err == nil {
		tok, err := tokenizer.Load(*modelDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "r1go logprobs: warning: %v; lines with text cannot be scored\n", err)
		} else {
			enc = tok
		}
	}
	seqs, err := readLogprobsInput(*input, p.Config, enc)
	if err != nil {
		return err
	}
	b, err := backend.New(*backendFlag)
	if err != nil {
		return err
	}
	compute, err := modelComputeDType(*dtype, onCPU(*backendFlag))
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go logprobs: %s, compute %s, %d sequences from %s\n", backend.Describe(b), compute, len(seqs), *input)
	start := time.Now()
	sc := model.NewScorer(b, p, compute)
	sc.TokenBudget = *tokenBudget
	lps, err := sc.LogProbs(seqs)
	if err != nil {
		return fmt.Errorf("scoring %s: %w", *input, err)
	}
	tokens := 0
	for _, s := range seqs {
		tokens += len(s.Prompt) + len(s.Completion)
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "r1go logprobs: %d tokens in %.2fs (%.0f tokens/s, compilation included)\n", tokens, el, float64(tokens)/el)
	out, err := model.AppendLogProbsJSONL(nil, lps)
	if err != nil {
		return fmt.Errorf("%s: %w", *input, err)
	}
	if *output == "" {
		_, err = os.Stdout.Write(out)
		return err
	}
	return writeLogprobsAtomic(*output, out)
}

func readLogprobsInput(path string, c *model.Config, enc model.Encoder) ([]model.Sequence, error) {
	var r io.Reader = os.Stdin
	name := "standard input"
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	return model.ReadSequences(r, name, c, enc)
}

// modelComputeDType maps a --dtype value ("" for the default: f32 on the CPU, bf16 elsewhere) to the
// dtype of the model's products.
func modelComputeDType(s string, cpu bool) (dtypes.DType, error) {
	switch strings.ToLower(s) {
	case "":
		if cpu {
			return dtypes.Float32, nil
		}
		return dtypes.BFloat16, nil
	case "f32", "float32", "fp32":
		return dtypes.Float32, nil
	case "bf16", "bfloat16":
		return dtypes.BFloat16, nil
	}
	return dtypes.InvalidDType, fmt.Errorf("--dtype %q: must be f32 or bf16", s)
}

// onCPU reports whether a --backend value selects the pure Go backend. (backend.IsCPU compares
// Backend.Name() with "go", but GoMLX 0.26's pure Go backend is named "SimpleGo (go)".)
func onCPU(choice string) bool {
	cfg, err := backend.Resolve(choice)
	return err == nil && (cfg == "go" || strings.HasPrefix(cfg, "go:"))
}

// writeLogprobsAtomic writes b to a temporary file beside path, syncs it and renames it to path, so
// that path holds either its old content or all of b.
func writeLogprobsAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
