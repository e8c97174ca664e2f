package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/eval"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/internal/progress"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/reward"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train/sft"
)

// cmdEval is `r1go eval`: the R1 evaluation, from a model or from generated samples.
func cmdEval() *command {
	return &command{
		name:    "eval",
		summary: "evaluate a model (sample k responses per problem, the R1 protocol) or score generated samples: pass@1, pass@k, cons@k, mean length, a pass@1 confidence interval",
		usage: "--model DIR (--data FILE | --task NAME) --out DIR [--k 16] [--temperature 0.6] [--top-p 0.95] [--max-new-tokens N] [--template auto] [--pass-k 1,4,16] [flags]\n" +
			"       r1go eval --samples FILE.jsonl [--task math|integer|countdown|…|<built-in task>] [--pass-k 1,4,16] [--group-by FIELD] [--out DIR]",
		run: runEval,
	}
}

// defaultTestProblems is the size of a built-in task's test set when --limit is 0.
const defaultTestProblems = 500

func runEval(fs *flag.FlagSet, args []string) error {
	// Scoring (both modes).
	samples := fs.String("samples", "", "score generated samples instead of a model: a .jsonl, .json or .parquet file, one object per sample: "+
		`{"id": problem id, "gold": reference answer, "pred": response or final answer}; a full response may be given as "completion"; `+
		`optional "prompt", "tokens" (completion length in tokens), "finish_reason" (stop or length) and task fields ("numbers", "target", ... or a "fields" object). `+
		"Lines sharing an id are the samples of one problem. --model writes its samples in this format (OUT/samples.jsonl)")
	task := fs.String("task", "", "verifier that judges each sample: a reward name ("+strings.Join(reward.Names(), ", ")+
		`), a reward with parameters such as "countdown(exactly_once=true)", or a built-in task (`+strings.Join(data.TaskNames(), ", ")+
		") whose reward's accuracy term is used; default math. With --model and no --data, a built-in task whose held-out test set is evaluated")
	passK := fs.String("pass-k", "1", "comma-separated k for the unbiased pass@k estimator, e.g. 1,4,16; each k must be at most the samples of every problem (--k with --model)")
	out := fs.String("out", "", "directory to write results.jsonl (one line per problem), summary.json and summary.md into (with --model also samples.jsonl and eval.json, the settings); required with --model; the summary always goes to standard output")
	ciLevel := fs.Float64("ci-level", 0.95, "confidence level of the pass@1 interval (percentile bootstrap over problems)")
	bootstrap := fs.Int("bootstrap", 2000, "number of bootstrap resamples for the pass@1 interval")
	groupBy := fs.String("group-by", "", `task field of the samples to break the results down by, e.g. "level" or "subject" for MATH-500; adds "by_<field>" to the summary`)

	// Sampling (--model).
	r1 := eval.R1Sampling()
	modelDir := fs.String("model", "", "model directory (config.json, safetensors weights, tokenizer.json) to sample responses from")
	dataPath := fs.String("data", "", "with --model: problems with reference answers (.jsonl, .json or .parquet); the layout is detected: MATH-500 and AIME (problem/answer), GSM8K (question, answer after ####), or generic with --prompt-field/--answer-field")
	promptField := fs.String("prompt-field", "", "dataset field holding the question; empty: detected (prompt, problem, question, ...)")
	answerField := fs.String("answer-field", "", "dataset field holding the reference answer; empty: detected (answer, solution, ...)")
	idField := fs.String("id-field", "", "dataset field holding the problem id; empty: detected (id, unique_id, ...), else the line index")
	limit := fs.Int("limit", 0, fmt.Sprintf("evaluate only the first N problems of --data (0: all); with --task and no --data, the size of the held-out test set (0: %d)", defaultTestProblems))
	k := fs.Int("k", r1.K, "responses sampled per problem (the R1 protocol: 16; the paper uses 4 to 64)")
	temperature := fs.Float64("temperature", r1.Temperature, "sampling temperature (the R1 protocol: 0.6); 0 is greedy decoding")
	topP := fs.Float64("top-p", r1.TopP, "nucleus sampling: keep the most likely tokens holding this much probability, in (0, 1] (the R1 protocol: 0.95); 1 disables")
	topK := fs.Int("top-k", 0, "sample among the k most likely tokens; 0 disables")
	maxNew := fs.Int("max-new-tokens", 0, fmt.Sprintf("maximum tokens per response; 0: %d, or less when the model's context is shorter. DeepSeek-R1 used 32768 (fewer sequences then decode together, so that the KV cache fits: --max-rows)", eval.DefaultMaxNewTokens))
	seed := fs.Uint64("seed", r1.Seed, "random seed of the sampling (with --model: the same seed, problems and backend give the same responses) and of the bootstrap resampling of the pass@1 interval")
	template := fs.String("template", "auto", "chat template of the prompts: auto (r1 when the tokenizer has the DeepSeek-R1 markers, chatml when it has <|im_start|>, else none), "+
		strings.Join(templateChoices(), ", ")+", or a text holding {prompt} where the question goes (as r1go grpo's template setting); use the template the model was trained with")
	system := fs.String("system", "", "system prompt put before each question (none by default)")
	chunk := fs.Int("problems-per-chunk", 64, "with --model: problems sampled together and saved before the next ones (OUT/samples.jsonl.partial): the same command started again after a crash resumes after the last saved chunk")
	maxRows := fs.Int("max-rows", 0, "sequences decoded together (problems × k per wave); 0: as many as a 32 GiB KV cache holds at full length on a GPU (at most 1024), at most 64 on the CPU")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision: bf16 or f32; default bf16 on cuda, f32 on cpu")
	attention := attentionFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if _, err := parseAttention(*attention); err != nil {
		return err
	}
	ks, err := parseKList(*passK)
	if err != nil {
		return fmt.Errorf("--pass-k: %w", err)
	}
	if *ciLevel <= 0 || *ciLevel >= 1 {
		return fmt.Errorf("--ci-level: want a value strictly between 0 and 1, got %v", *ciLevel)
	}
	if *bootstrap < 2 {
		return fmt.Errorf("--bootstrap: want at least 2 resamples, got %d", *bootstrap)
	}
	opts := eval.Options{PassK: ks, CILevel: *ciLevel, Bootstrap: *bootstrap, Seed: *seed, GroupBy: *groupBy}

	var rep *eval.Report
	switch {
	case *samples != "" && *modelDir != "":
		return errors.New("give --model (sample and score) or --samples (score only), not both")
	case *samples != "":
		var modelOnly []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "samples", "task", "pass-k", "out", "ci-level", "bootstrap", "seed", "group-by":
			default:
				modelOnly = append(modelOnly, "--"+f.Name)
			}
		})
		if len(modelOnly) > 0 {
			return fmt.Errorf("%s: only with --model (--samples scores responses already generated, and its file carries the gold answers)", strings.Join(modelOnly, ", "))
		}
		verifier := *task
		if verifier == "" {
			verifier = "math"
		}
		if rep, err = eval.EvaluateFile(*samples, verifier, opts); err != nil {
			return err
		}
		if *out != "" {
			if err := rep.WriteDir(*out); err != nil {
				return err
			}
		}
	case *modelDir != "":
		if *maxRows == 0 && onCPU(*backendFlag) {
			*maxRows = 64
		}
		cfg := eval.SampleConfig{K: *k, MaxNewTokens: *maxNew, Temperature: *temperature, TopP: *topP, TopK: *topK, Seed: *seed, MaxRows: *maxRows, System: *system}
		mo := modelEval{chunk: *chunk, model: *modelDir, data: *dataPath, task: *task, template: *template, limit: *limit, out: *out,
			mapping: data.Mapping{Prompt: *promptField, Answer: *answerField, ID: *idField}, backend: *backendFlag, dtype: *dtype, attention: *attention}
		if rep, err = mo.run(cfg, opts); err != nil {
			return err
		}
	default:
		return errors.New("give --model DIR with --data FILE or --task NAME to evaluate a model, or --samples FILE to score generated samples")
	}
	warnScoreErrors(rep)
	b, err := json.MarshalIndent(rep.Summary, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Println(string(b))
	return err
}

// modelEval holds the settings of `r1go eval --model` besides sampling and statistics.
type modelEval struct {
	model, data, task, template string
	limit, chunk                int
	out                         string
	mapping                     data.Mapping
	backend, dtype, attention   string
}

// run checks every setting and loads the problems and the tokenizer before the
// weights, samples cfg.K responses per problem, scores and evaluates them, and writes
// OUT/{samples.jsonl, eval.json, results.jsonl, summary.json, summary.md}.
func (m modelEval) run(cfg eval.SampleConfig, opts eval.Options) (*eval.Report, error) {
	if m.out == "" {
		return nil, errors.New("--out is required with --model (the samples and results are written there)")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sampling settings: %w", err)
	}
	for _, pk := range opts.PassK {
		if pk > cfg.K {
			return nil, fmt.Errorf("--pass-k: pass@%d needs at least %d samples per problem, but --k is %d", pk, pk, cfg.K)
		}
	}
	if m.limit < 0 {
		return nil, fmt.Errorf("--limit: want N ≥ 0, got %d", m.limit)
	}
	if m.chunk < 1 {
		return nil, fmt.Errorf("--problems-per-chunk: want N ≥ 1, got %d", m.chunk)
	}
	compute, err := modelComputeDType(m.dtype, onCPU(m.backend))
	if err != nil {
		return nil, err
	}
	// The problems and their verifier.
	verifier := m.task
	var exs []data.Example
	if m.data == "" {
		if m.task == "" {
			return nil, errors.New("give --data FILE (problems with reference answers) or --task NAME (a built-in task's held-out test set: " + strings.Join(data.TaskNames(), ", ") + ")")
		}
		t, err := data.TaskByName(m.task)
		if err != nil {
			return nil, fmt.Errorf("--task: %w (without --data, --task names a built-in task)", err)
		}
		n := m.limit
		if n == 0 {
			n = defaultTestProblems
		}
		if exs = t.Test(n); len(exs) == 0 {
			return nil, fmt.Errorf("--task %s: its test set is empty", m.task)
		}
	} else if verifier == "" {
		verifier = "math"
	}
	f, err := eval.Verifier(verifier)
	if err != nil {
		return nil, fmt.Errorf("--task: %w", err)
	}
	if m.data != "" {
		if exs, err = data.Load(m.data, m.mapping); err != nil {
			return nil, err
		}
		if m.limit > 0 && m.limit < len(exs) {
			exs = exs[:m.limit]
		}
	}
	// The tokenizer, template and prompts, checked against the model's context.
	tok, err := tokenizer.Load(m.model)
	if err != nil {
		return nil, fmt.Errorf("tokenizer of %s: %w", m.model, err)
	}
	tmplName := m.template
	if tmplName == "auto" {
		tmplName = sft.AutoTemplate(tok)
	}
	if strings.Contains(tmplName, "{prompt}") || strings.Contains(tmplName, "{{.Prompt}}") {
		cfg.Template = eval.TextTemplate(tmplName)
	} else if cfg.Template, err = templateByName(tmplName); err != nil {
		return nil, err
	}
	mc, err := model.LoadConfig(filepath.Join(m.model, "config.json"))
	if err != nil {
		return nil, err
	}
	prompts, err := eval.EncodePrompts(tok, exs, cfg, mc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", problemSource(m), err)
	}
	if err := os.MkdirAll(m.out, 0o755); err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	// The weights, then sampling.
	b, _, err := openBackend("eval", m.backend, m.dtype) // its dtype is compute, resolved above
	if err != nil {
		return nil, err
	}
	params, err := model.Load(m.model)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "r1go eval: %d problems from %s × %d responses (at most %d tokens, temperature %g, top-p %g), template %s, verifier %s\n",
		len(exs), problemSource(m), cfg.K, prompts.MaxNewTokens, cfg.Temperature, cfg.TopP, cfg.Template.Name(), verifier)
	bar := progress.New(os.Stderr, "eval", 0, len(exs)*cfg.K*prompts.MaxNewTokens, progress.Options{Unit: "tok"})
	start, total := time.Now(), 0
	key := fmt.Sprintf("model %s\nbackend %s\ndtype %s", absPath(m.model), backend.Describe(b), compute)
	engine := generate.NewEngine(b, params, compute)
	if engine.Attention, err = parseAttention(m.attention); err != nil {
		return nil, err
	}
	ss, resumed, err := prompts.SampleToFile(engine, filepath.Join(m.out, "samples.jsonl"), key, m.chunk, func(n int) {
		total += n
		bar.Add(n)
	})
	if resumed > 0 {
		fmt.Fprintf(os.Stderr, "r1go eval: resumed after %d problems saved by an earlier run\n", resumed)
	}
	if err != nil {
		return nil, err
	}
	bar.Finish()
	secs := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "r1go eval: %d responses, %d new tokens in %.1fs (%.0f tokens/s)\n", len(ss), total, secs, float64(total)/max(secs, 1e-9))
	settings := map[string]any{"model": m.model, "data": m.data, "task": m.task, "verifier": verifier, "limit": m.limit, "problems": len(exs),
		"k": cfg.K, "temperature": cfg.Temperature, "top_p": cfg.TopP, "top_k": cfg.TopK, "max_new_tokens": prompts.MaxNewTokens,
		"seed": cfg.Seed, "template": cfg.Template.Name(), "system": cfg.System, "backend": backend.Describe(b), "dtype": compute.String(),
		"generation_seconds": secs, "generated_tokens": total}
	if err := writeJSONFile(filepath.Join(m.out, "eval.json"), settings); err != nil {
		return nil, err
	}
	// Scoring and statistics, as --samples does.
	if opts.Equal == nil {
		opts.Equal = eval.Equivalence(f)
	}
	scored := eval.Score(ss, f)
	failed := 0
	for _, s := range scored {
		if s.Err != "" {
			failed++
		}
	}
	if failed == len(scored) {
		return nil, fmt.Errorf("no response could be scored with %q (first error: %s); the responses are in %s: score them with another verifier with r1go eval --samples %[3]s --task NAME",
			verifier, scored[0].Err, filepath.Join(m.out, "samples.jsonl"))
	}
	rep, err := eval.Evaluate(scored, opts)
	if err != nil {
		return nil, err
	}
	rep.Summary.Task = verifier
	if err := rep.WriteDir(m.out); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "r1go eval: wrote %s/{samples.jsonl, eval.json, results.jsonl, summary.json, summary.md}\n", m.out)
	return rep, nil
}

// absPath returns p made absolute when possible.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// problemSource names where the problems came from, for messages.
func problemSource(m modelEval) string {
	if m.data != "" {
		return m.data
	}
	return "task " + m.task + " (test set)"
}

// writeJSONFile writes v as indented JSON to path, atomically.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return data.WriteFileAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(append(b, '\n'))
		return err
	})
}

// warnScoreErrors tells on standard error how many samples could not be scored.
func warnScoreErrors(rep *eval.Report) {
	n := rep.Summary.ScoreErrors
	if n == 0 {
		return
	}
	first := ""
	for _, p := range rep.Problems {
		if len(p.Errors) > 0 {
			first = fmt.Sprintf(" (first: problem %q: %s)", p.ID, p.Errors[0])
			break
		}
	}
	fmt.Fprintf(os.Stderr, "r1go eval: warning: %d of %d samples could not be scored and count as wrong%s\n", n, rep.Summary.Samples, first)
}

// parseKList parses "1,4,16" into positive integers.
func parseKList(s string) ([]int, error) {
	var ks []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, err := strconv.Atoi(part)
		if err != nil || k < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", part)
		}
		ks = append(ks, k)
	}
	return ks, nil
}
