package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/internal/progress"
	"github.com/r1go/r1go/rejection"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train/sft"
)

// cmdRejection is `r1go rejection-sample`: sample, verify, filter; write SFT data.
func cmdRejection() *command {
	return &command{
		name:    "rejection-sample",
		summary: "sample n responses per prompt, keep the verified ones that pass the R1 filters, write SFT chat data",
		usage:   "--model DIR (--data FILE | --task NAME) [--n 8] [--reward math] --out FILE.jsonl [flags]",
		run:     runRejection,
	}
}

// rejectionOptions are the sampling, verification and filter flags shared by
// rejection-sample and distill.
type rejectionOptions struct {
	cfg                      rejection.Config
	template, reward         string
	promptField, answerField string
	idField, task            string
	limit                    int
	seed                     int64
}

// rejectionFlags registers the rejection-sampling flags on fs; call prompts once parsed.
func rejectionFlags(fs *flag.FlagSet) *rejectionOptions {
	o := &rejectionOptions{cfg: rejection.DefaultConfig()}
	c := &o.cfg
	fs.StringVar(&o.task, "task", "", "built-in synthetic task instead of --data (its problems and its reward); see r1go tasks")
	fs.IntVar(&o.limit, "limit", 0, "use only the first N prompts of --data (0: all); with --task, the number of problems drawn (default 256)")
	fs.Int64Var(&o.seed, "task-seed", 1, "with --task: seed of the problems drawn")
	fs.StringVar(&o.promptField, "prompt-field", "", "dataset field holding the prompt; empty: detected (prompt, problem, question, ...)")
	fs.StringVar(&o.answerField, "answer-field", "", "dataset field holding the reference answer; empty: detected (answer, solution, ...)")
	fs.StringVar(&o.idField, "id-field", "", "dataset field holding the prompt id recorded in the provenance; empty: detected (id, unique_id, ...), else the line index")
	fs.StringVar(&o.template, "template", "auto", "chat template of the prompts: auto (r1 when the tokenizer has the DeepSeek-R1 markers, chatml when it has <|im_start|>, else none), "+strings.Join(tokenizer.TemplateNames(), ", "))
	fs.StringVar(&c.System, "system", "", "system prompt put before each question (none by default)")
	fs.IntVar(&c.N, "n", c.N, "samples generated per prompt")
	fs.IntVar(&c.MaxNewTokens, "max-new-tokens", c.MaxNewTokens, "maximum tokens per sample; samples cut there are dropped unless --keep-truncated")
	fs.Float64Var(&c.Temperature, "temperature", c.Temperature, "sampling temperature (R1 evaluation: 0.6); 0 is greedy")
	fs.Float64Var(&c.TopP, "top-p", c.TopP, "nucleus sampling threshold in (0, 1]; 1 disables")
	fs.IntVar(&c.TopK, "top-k", c.TopK, "sample among the k most likely tokens; 0 disables")
	fs.Func("seed", fmt.Sprintf("sampling seed: the same seed, inputs and backend give the same samples (default %d)", c.Seed), func(s string) error {
		_, err := fmt.Sscan(s, &c.Seed)
		return err
	})
	fs.IntVar(&c.MaxRows, "max-rows", 0, "sequences decoded together; 0: as many as a 32 GiB KV cache holds at full length on a GPU (at most 1024), at most 64 on the CPU")
	fs.IntVar(&c.PromptsPerChunk, "prompts-per-chunk", 64, "prompts generated, verified and filtered together (bounds memory)")
	fs.StringVar(&o.reward, "reward", "", `reward spec that verifies the samples, e.g. "math" or "countdown,format" (it needs an accuracy term; a sample is kept when that term says correct); default: the task's reward with --task, else math`)
	fs.IntVar(&c.MaxPerPrompt, "max-per-prompt", c.MaxPerPrompt, "keep at most this many samples per prompt (0: no cap)")
	fs.BoolVar(&c.Dedup, "dedup", c.Dedup, "drop a response identical (up to whitespace) to one already kept for the same prompt")
	fs.BoolVar(&c.KeepTruncated, "keep-truncated", c.KeepTruncated, "keep samples cut at --max-new-tokens (R1 drops them)")
	fs.BoolVar(&c.Filters.MixedLanguage, "filter-mixed-language", c.Filters.MixedLanguage, "drop reasoning that mixes languages (writing systems), as R1 does")
	fs.StringVar(&c.Filters.Language, "language", "", "also require --min-language-share of the reasoning's words in this language (en, zh, ...); empty: no target language")
	fs.Float64Var(&c.Filters.MinLanguageShare, "min-language-share", c.Filters.MinLanguageShare, "with --language: the share of words required, in (0, 1]")
	fs.IntVar(&c.Filters.MaxParagraphChars, "max-paragraph-chars", c.Filters.MaxParagraphChars, "drop reasoning with a paragraph (text between blank lines) longer than this many characters; 0 turns the filter off")
	fs.BoolVar(&c.Filters.CodeBlocks, "filter-code-blocks", c.Filters.CodeBlocks, "drop reasoning that holds a fenced (```) code block")
	return o
}

// prompts loads the prompts and resolves the template and reward of a parsed option set.
func (o *rejectionOptions) prompts(dataPath string, tok *tokenizer.Tokenizer) ([]data.Example, error) {
	n := o.limit
	if o.task != "" && n == 0 {
		n = 256
	}
	exs, taskReward, err := rejection.Prompts(dataPath, data.Mapping{Prompt: o.promptField, Answer: o.answerField, ID: o.idField}, o.task, n, o.seed)
	if err != nil {
		return nil, err
	}
	switch {
	case o.reward != "":
		o.cfg.Reward = o.reward
	case taskReward != "":
		o.cfg.Reward = taskReward
	}
	o.cfg.Template = o.template
	if o.template == "auto" {
		o.cfg.Template = sft.AutoTemplate(tok)
	}
	return exs, o.cfg.Validate()
}

func runRejection(fs *flag.FlagSet, args []string) error {
	modelDir := fs.String("model", "", "model directory to sample from (config.json, safetensors weights, tokenizer.json)")
	dataPath := fs.String("data", "", "prompt dataset with reference answers (JSONL, JSON or Parquet)")
	out := fs.String("out", "", "output JSONL of kept samples as chat records; stats go to OUT.stats.json. Work is saved chunk by chunk in OUT.partial: the same command started again after a crash resumes after the last saved chunk")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision: bf16 or f32; default bf16 on cuda, f32 on cpu")
	o := rejectionFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelDir == "" || *out == "" {
		return errors.New("--model and --out are required")
	}
	tok, err := tokenizer.Load(*modelDir)
	if err != nil {
		return fmt.Errorf("tokenizer of %s: %w", *modelDir, err)
	}
	exs, err := o.prompts(*dataPath, tok)
	if err != nil {
		return err
	}
	b, compute, err := openBackend("rejection-sample", *backendFlag, *dtype)
	if err != nil {
		return err
	}
	st, err := sampleWithProgress("rejection-sample", o.cfg, b, compute, *modelDir, exs, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go rejection-sample: wrote %s and %s.stats.json\n", *out, *out)
	if st.Kept == 0 {
		fmt.Fprintf(os.Stderr, "r1go rejection-sample: WARNING: no sample was kept; %s is empty\n", *out)
	}
	return nil
}

// sampleWithProgress runs rejection.SampleToFile with a progress bar and prints the stats.
func sampleWithProgress(name string, cfg rejection.Config, b backends.Backend, compute dtypes.DType, modelDir string, exs []data.Example, out string) (rejection.Stats, error) {
	fmt.Fprintf(os.Stderr, "r1go %s: %d prompts x %d samples, template %s, reward %s\n", name, len(exs), cfg.N, cfg.Template, cfg.Reward)
	bar := progress.New(os.Stderr, name, 0, len(exs)*cfg.N*cfg.MaxNewTokens, progress.Options{Unit: "tok"})
	st, err := rejection.SampleToFile(cfg, b, compute, modelDir, exs, out, func(n int) { bar.Add(n) })
	if err != nil {
		return st, err
	}
	bar.Finish()
	reasons := make([]string, 0, len(st.Dropped))
	for k, v := range st.Dropped {
		reasons = append(reasons, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(reasons)
	fmt.Fprintf(os.Stderr, "r1go %s: %d of %d samples verified correct (%.1f%%); kept %d (%d of %d prompts); dropped: %s\n", name, st.Correct, st.Samples,
		100*float64(st.Correct)/float64(max(1, st.Samples)), st.Kept, st.PromptsWithKept, st.Prompts, strings.Join(reasons, ", "))
	for _, e := range st.VerifierErrors {
		fmt.Fprintf(os.Stderr, "r1go %s: WARNING: verifier error: %s\n", name, e)
	}
	if st.PromptsSkipped > 0 {
		fmt.Fprintf(os.Stderr, "r1go %s: WARNING: %d prompts skipped: prompt + max-new-tokens exceed the model's context (ids: %s)\n", name, st.PromptsSkipped, strings.Join(firstN(st.SkippedPrompts, 10), ", "))
	}
	return st, nil
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], "...")
	}
	return s
}
