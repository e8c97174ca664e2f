package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/internal/progress"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
)

// cmdGenerate is `r1go generate`: sample completions for a file of prompts.
func cmdGenerate() *command {
	return &command{
		name:    "generate",
		summary: "sample completions with the KV-cache engine (batched, on-device sampling)",
		usage:   "--model DIR --input prompts.jsonl [--n 4] [--max-new-tokens N] [--temperature T] [--top-p P] [--top-k K] [--seed S] [--template NAME] [--output FILE]",
		run:     runGenerate,
	}
}

// genRecord is one output line of r1go generate.
type genRecord struct {
	Index        int     `json:"index"`
	Sample       int     `json:"sample"`
	Text         string  `json:"text"`
	IDs          []int32 `json:"ids"`
	FinishReason string  `json:"finish_reason"`
	NumTokens    int     `json:"num_tokens"`
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runGenerate(fs *flag.FlagSet, args []string) error {
	modelDir := fs.String("model", "", "model directory (config.json, safetensors weights, tokenizer.json)")
	input := fs.String("input", "", `JSONL of prompts: {"prompt":"text"} (templated, then encoded) or {"prompt_ids":[...]} (used as is)`)
	output := fs.String("output", "", "output JSONL (written atomically); default stdout")
	n := fs.Int("n", 1, "samples per prompt (they share one prefill)")
	maxNew := fs.Int("max-new-tokens", 256, "maximum tokens generated per sample")
	temperature := fs.Float64("temperature", 1.0, "sampling temperature; 0 is greedy decoding")
	topP := fs.Float64("top-p", 1.0, "nucleus sampling: keep the most likely tokens holding this much probability, in (0, 1]; 1 disables")
	topK := fs.Int("top-k", 0, "sample among the k most likely tokens; 0 disables")
	seed := fs.Uint64("seed", 42, "random seed: the same seed, inputs and backend give the same samples")
	template := fs.String("template", "none", "prompt template for text prompts: "+strings.Join(templateChoices(), ", "))
	var stops stringList
	fs.Var(&stops, "stop", "stop a sample once its text contains this string (repeatable); EOS tokens always stop")
	maxRows := fs.Int("max-rows", 0, "sequences decoded together (prompts × n per wave); 0: as many as a 32 GiB KV cache holds at full length on a GPU (at most 1024), at most 64 on the CPU; see --kv-cache-gib")
	cacheGiB := fs.Float64("kv-cache-gib", 0, "with --max-rows 0: the KV-cache budget the rows are sized by, in GiB (0: 32 on a GPU, 2 on the CPU)")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision: bf16 or f32; default bf16 on cuda, f32 on cpu")
	attention := attentionFlag(fs)
	perCall := tokensPerCallFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *perCall < 0 {
		return fmt.Errorf("--tokens-per-call %d: must be ≥ 0 (0: the engine's default)", *perCall)
	}
	attn, err := parseAttention(*attention)
	if err != nil {
		return err
	}
	if *modelDir == "" || *input == "" {
		return errors.New("--model and --input are required")
	}
	opts := generate.Options{N: *n, MaxNewTokens: *maxNew, Temperature: *temperature, TopP: *topP, TopK: *topK, Seed: *seed, StopStrings: stops, MaxRows: *maxRows, CacheBytes: int64(*cacheGiB * (1 << 30)), SyncEvery: *perCall}
	tok, err := tokenizer.Load(*modelDir)
	if err != nil {
		return fmt.Errorf("tokenizer: %w", err)
	}
	opts.Decode = func(ids []int32) string { return tok.Decode(ids, false) }
	opts.EOS = tok.EOS()
	if err := opts.Validate(); err != nil { // before loading weights: bad options fail fast
		return err
	}
	tmpl, err := templateByName(*template)
	if err != nil {
		return err
	}
	params, err := model.Load(*modelDir)
	if err != nil {
		return err
	}
	prompts, err := readPrompts(*input, tok, tmpl, params.Config)
	if err != nil {
		return err
	}
	b, compute, err := openBackend("generate", *backendFlag, *dtype)
	if err != nil {
		return err
	}
	bar := progress.New(os.Stderr, "generate", 0, len(prompts)**n**maxNew, progress.Options{Unit: "tok"})
	start, total := time.Now(), 0
	engine := generate.NewEngine(b, params, compute)
	engine.Attention = attn
	res, err := engine.Generate(prompts, opts, func(k int) {
		total += k
		bar.Add(k)
	})
	if err != nil {
		return err
	}
	bar.Finish()
	recs := make([]genRecord, len(res))
	for i, r := range res {
		recs[i] = genRecord{Index: r.Prompt, Sample: r.Sample, Text: tok.Decode(r.IDs, true), IDs: r.IDs, FinishReason: r.FinishReason, NumTokens: len(r.IDs)}
	}
	fmt.Fprintf(os.Stderr, "r1go generate: %d samples, %d tokens in %.1fs (%.0f tokens/s)\n", len(res), total, time.Since(start).Seconds(), float64(total)/time.Since(start).Seconds())
	if *output == "" {
		return data.EncodeJSONL(os.Stdout, recs)
	}
	return data.WriteJSONL(*output, recs)
}

// templateChoices are the --template values.
func templateChoices() []string { return append(tokenizer.TemplateNames(), "chat") }

// templateByName resolves a --template value ("chat" is ChatML, "r1-zero" is r1zero).
func templateByName(name string) (tokenizer.Template, error) {
	switch name {
	case "chat":
		name = "chatml"
	case "r1-zero":
		name = "r1zero"
	}
	t, err := tokenizer.TemplateByName(name)
	if err != nil {
		return nil, fmt.Errorf("--template: %w", err)
	}
	return t, nil
}

// readPrompts reads {"prompt":".."} or {"prompt_ids":[...]} lines.
func readPrompts(path string, tok *tokenizer.Tokenizer, tmpl tokenizer.Template, c *model.Config) ([][]int32, error) {
	var prompts [][]int32
	err := data.ScanObjects(path, func(line int, obj map[string]any) error {
		text, hasText := obj["prompt"].(string)
		rawIDs, hasIDs := obj["prompt_ids"]
		switch {
		case hasText && hasIDs:
			return data.RecordError(path, line, "prompt", errors.New("give prompt or prompt_ids, not both"))
		case hasText:
			var ids []int32
			if bos, ok := tok.BOS(); ok && tok.AddBOS() {
				ids = append(ids, bos)
			}
			prompts = append(prompts, tok.AppendEncode(ids, tmpl.Render([]tokenizer.Message{{Role: "user", Content: text}}, true)))
		case hasIDs:
			list, ok := rawIDs.([]int) // data.ScanObjects turns a list of integers into []int
			if !ok || len(list) == 0 {
				return data.RecordError(path, line, "prompt_ids", errors.New("must be a non-empty list of integer token ids"))
			}
			ids := make([]int32, len(list))
			for i, v := range list {
				if v < 0 || v >= c.VocabSize {
					return data.RecordError(path, line, "prompt_ids", fmt.Errorf("element %d (%d) is not a token id in [0, %d)", i, v, c.VocabSize))
				}
				ids[i] = int32(v)
			}
			prompts = append(prompts, ids)
		default:
			return data.RecordError(path, line, "prompt", errors.New(`missing: each line needs "prompt" or "prompt_ids"`))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(prompts) == 0 {
		return nil, fmt.Errorf("%s: no prompts", path)
	}
	return prompts, nil
}
