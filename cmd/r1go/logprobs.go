package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/generate"
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
	chunk := fs.Int("chunk", 4096, "sequences scored per round (progress is printed after each; output is written as it goes)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelDir == "" || *input == "" {
		return errors.New("--model and --input are required")
	}
	if *tokenBudget <= 0 || *chunk <= 0 {
		return fmt.Errorf("--batch-tokens %d, --chunk %d: must be positive", *tokenBudget, *chunk)
	}
	compute, err := modelComputeDType(*dtype, onCPU(*backendFlag))
	if err != nil {
		return err
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
	fmt.Fprintf(os.Stderr, "r1go logprobs: %s, compute %s, %d sequences from %s\n", backend.Describe(b), compute, len(seqs), *input)
	w, commit, err := logprobsOutput(*output)
	if err != nil {
		return err
	}
	defer commit(false)
	start := time.Now()
	sc := model.NewScorer(b, p, compute)
	sc.TokenBudget = *tokenBudget
	tokens := 0
	var buf []byte
	for lo := 0; lo < len(seqs); lo += *chunk {
		hi := min(len(seqs), lo+*chunk)
		lps, err := sc.LogProbs(seqs[lo:hi])
		if err != nil {
			return fmt.Errorf("scoring %s lines %d-%d: %w", *input, lo+1, hi, err)
		}
		if buf, err = model.AppendLogProbsJSONL(buf[:0], lps); err != nil {
			return fmt.Errorf("%s: %w (sequence numbers count from line %d)", *input, err, lo+1)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		for _, s := range seqs[lo:hi] {
			tokens += len(s.Prompt) + len(s.Completion)
		}
		el := time.Since(start).Seconds()
		fmt.Fprintf(os.Stderr, "r1go logprobs: %d/%d sequences, %d tokens in %.1fs (%.0f tokens/s, compilation included)\n", hi, len(seqs), tokens, el, float64(tokens)/el)
	}
	return commit(true)
}

// logprobsOutput opens where results go: standard output, or a temporary file beside path that
// commit(true) syncs and renames to path; commit(false) (after an error) removes it.
func logprobsOutput(path string) (w io.Writer, commit func(ok bool) error, err error) {
	if path == "" {
		bw := bufio.NewWriter(os.Stdout)
		return bw, func(ok bool) error {
			if ok {
				return bw.Flush()
			}
			return nil
		}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	done := false
	return bw, func(ok bool) error {
		if done {
			return nil
		}
		done = true
		if !ok {
			f.Close()
			os.Remove(f.Name())
			return nil
		}
		err := bw.Flush()
		if err == nil {
			err = f.Chmod(0o644)
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
			return fmt.Errorf("writing %s: %w", path, err)
		}
		return nil
	}, nil
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

// attentionFlag declares --attention, the decode steps' attention of the generation engine.
func attentionFlag(fs *flag.FlagSet) *string {
	return fs.String("attention", "auto", "decode attention: auto (triton-fused wherever it can run, else xla), xla (XLA's two products and softmax over every cache slot), "+
		"triton (r1go's kernels, internal/triton, reading only the valid slots; CUDA, bf16), "+
		"triton-fused (the same kernels also adding the q/k/v biases, applying the rotary embedding and writing the cache: three kernels fewer per layer)")
}

// tokensPerCallFlag defines --tokens-per-call (generate.Options.SyncEvery).
func tokensPerCallFlag(fs *flag.FlagSet) *int {
	return fs.Int("tokens-per-call", 0, "tokens decoded per program call, without the host in between (0: the engine's default: 1 with asynchronous calls (scripts/gpu-build.sh) or XLA's attention, 4 with the Triton attention in a plain build)")
}

// parseAttention reads --attention's value.
func parseAttention(s string) (generate.Attention, error) {
	a, err := generate.ParseAttention(s)
	if err != nil {
		return "", fmt.Errorf("--attention: %w", err)
	}
	return a, nil
}

// openBackend creates the backend for a --backend value, says which on stderr (as "r1go
// <command>: ..."), and resolves the --dtype value for it.
func openBackend(command, choice, dtype string) (backends.Backend, dtypes.DType, error) {
	b, err := backend.New(choice)
	if err != nil {
		return nil, dtypes.InvalidDType, err
	}
	fmt.Fprintf(os.Stderr, "r1go %s: %s\n", command, backend.Describe(b))
	if note := backend.CallsNote(b); note != "" {
		fmt.Fprintf(os.Stderr, "r1go %s: %s\n", command, note)
	}
	compute, err := modelComputeDType(dtype, backend.IsCPU(b))
	if err != nil {
		return nil, dtypes.InvalidDType, err
	}
	return b, compute, nil
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

// onCPU reports whether a --backend value selects the pure Go backend, before the backend is
// created (backend.IsCPU answers the same for a created one).
func onCPU(choice string) bool {
	cfg, err := backend.Resolve(choice)
	return err == nil && (cfg == "go" || strings.HasPrefix(cfg, "go:"))
}
