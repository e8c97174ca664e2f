package pipeline

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/internal/settings"
	"github.com/r1go/r1go/rejection"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train"
	"github.com/r1go/r1go/train/grpo"
	"github.com/r1go/r1go/train/sft"
)

// The stages of the DeepSeek-R1 recipe, in the order a recipe runs them. Each reads the model
// the stage before it produced (see RecipeConfig) and writes into Out/<stage>.
const (
	StageZero        = "zero"         // R1-Zero: GRPO on the base model, rule-based rewards (a side branch)
	StageColdStart   = "cold_start"   // SFT of the base model on long chain-of-thought examples
	StageReasoningRL = "reasoning_rl" // GRPO from the cold-start model (accuracy, format, language consistency)
	StageRejection   = "rejection"    // samples of the RL model, kept when verified and past the R1 filters
	StageSFT         = "sft"          // SFT of the base model on the kept samples
	StageFinalRL     = "final_rl"     // GRPO from the SFT model (R1's last stage)
	StageDistill     = "distill"      // SFT of smaller students on the kept samples, no RL
)

// StageNames lists every stage in recipe order.
var StageNames = []string{StageZero, StageColdStart, StageReasoningRL, StageRejection, StageSFT, StageFinalRL, StageDistill}

// RecipeConfig is a recipe file: the base model, the output directory, the stages to run and
// one section of settings per stage (the keys of r1go grpo, r1go sft and r1go rejection-sample;
// each stage's model, data and output are set by the recipe where the recipe decides them).
type RecipeConfig struct {
	Base   string   `yaml:"base" help:"base model directory (Hugging Face layout)"`
	Out    string   `yaml:"out" help:"output directory: recipe.json, one subdirectory per stage; rerunning resumes"`
	Stages []string `yaml:"stages" help:"stages to run, a subset of zero, cold_start, reasoning_rl, rejection, sft, final_rl, distill (run in that order); default: cold_start, reasoning_rl, rejection, sft, distill when students are given"`

	Zero        grpo.Config    `yaml:"zero" help:"R1-Zero GRPO on the base model (keys of r1go grpo; data or task required)"`
	ColdStart   sft.Config     `yaml:"cold_start" help:"cold-start SFT of the base model (keys of r1go sft; data required)"`
	ReasoningRL grpo.Config    `yaml:"reasoning_rl" help:"reasoning RL from the cold-start model (keys of r1go grpo; data or task required)"`
	Rejection   RejectionStage `yaml:"rejection" help:"rejection sampling of the reasoning-RL model"`
	SFT         sft.Config     `yaml:"sft" help:"SFT of the base model on the kept samples (keys of r1go sft; data is set by the recipe)"`
	FinalRL     grpo.Config    `yaml:"final_rl" help:"final RL from the SFT model (keys of r1go grpo; data or task required)"`
	Distill     DistillStage   `yaml:"distill" help:"distillation of the kept samples into students"`
}

// RejectionStage holds the settings of the rejection-sampling stage (as r1go rejection-sample's
// flags).
type RejectionStage struct {
	Data                string  `yaml:"data" help:"prompts with reference answers (JSONL, JSON or Parquet)"`
	Task                string  `yaml:"task" help:"built-in synthetic task instead of data"`
	Limit               int     `yaml:"limit" help:"use only the first N prompts (0: all; with task: problems drawn, default 256)"`
	TaskSeed            int64   `yaml:"task_seed" help:"with task: seed of the problems drawn"`
	PromptField         string  `yaml:"prompt_field" help:"dataset field holding the prompt; empty: detected"`
	AnswerField         string  `yaml:"answer_field" help:"dataset field holding the reference answer; empty: detected"`
	Template            string  `yaml:"template" help:"chat template of the prompts: auto or a template name"`
	N                   int     `yaml:"n" help:"samples generated per prompt"`
	MaxNewTokens        int     `yaml:"max_new_tokens" help:"maximum tokens per sample"`
	Temperature         float64 `yaml:"temperature" help:"sampling temperature"`
	TopP                float64 `yaml:"top_p" help:"nucleus sampling threshold"`
	Reward              string  `yaml:"reward" help:"reward spec that verifies the samples (needs an accuracy term); default: the task's reward with task, else math"`
	MaxPerPrompt        int     `yaml:"max_per_prompt" help:"keep at most this many samples per prompt (0: no cap)"`
	Dedup               bool    `yaml:"dedup" help:"drop duplicate responses of a prompt"`
	KeepTruncated       bool    `yaml:"keep_truncated" help:"keep samples cut at max_new_tokens"`
	FilterMixedLanguage bool    `yaml:"filter_mixed_language" help:"drop reasoning that mixes languages"`
	MaxParagraphChars   int     `yaml:"max_paragraph_chars" help:"drop reasoning with a longer paragraph (0: off)"`
	FilterCodeBlocks    bool    `yaml:"filter_code_blocks" help:"drop reasoning that holds a fenced code block"`
	Seed                uint64  `yaml:"seed" help:"sampling seed"`
}

// DistillStage holds the students and their SFT settings.
type DistillStage struct {
	Students []string   `yaml:"students" help:"student model directories; each must share the base model's tokenizer"`
	SFT      sft.Config `yaml:"sft" help:"the students' SFT settings (keys of r1go sft; model, data and out are set by the recipe)"`
}

// DefaultRecipe returns the defaults of every section: R1's GRPO and SFT settings
// (grpo.DefaultConfig, sft.DefaultConfig) and rejection sampling as rejection.DefaultConfig.
func DefaultRecipe() RecipeConfig {
	rc := rejection.DefaultConfig()
	return RecipeConfig{
		Zero: grpo.DefaultConfig(), ColdStart: sft.DefaultConfig(), ReasoningRL: grpo.DefaultConfig(),
		SFT: sft.DefaultConfig(), FinalRL: grpo.DefaultConfig(), Distill: DistillStage{SFT: sft.DefaultConfig()},
		Rejection: RejectionStage{
			TaskSeed: 1, Template: "auto", N: rc.N, MaxNewTokens: rc.MaxNewTokens, Temperature: rc.Temperature, TopP: rc.TopP,
			MaxPerPrompt: rc.MaxPerPrompt, Dedup: rc.Dedup, KeepTruncated: rc.KeepTruncated, Seed: rc.Seed,
			FilterMixedLanguage: rc.Filters.MixedLanguage, MaxParagraphChars: rc.Filters.MaxParagraphChars, FilterCodeBlocks: rc.Filters.CodeBlocks,
		},
	}
}

// ReadRecipe reads a recipe file over the defaults. Unknown keys, also inside a stage's
// section, are errors naming the file and line.
func ReadRecipe(path string) (RecipeConfig, error) {
	c := DefaultRecipe()
	if err := settings.ReadFile(path, &c); err != nil {
		return c, fmt.Errorf("reading recipe: %w", err)
	}
	if len(c.Stages) == 0 {
		c.Stages = []string{StageColdStart, StageReasoningRL, StageRejection, StageSFT}
		if len(c.Distill.Students) > 0 {
			c.Stages = append(c.Stages, StageDistill)
		}
	}
	return c, nil
}

// Step is one stage of a planned recipe: the model it starts from, what it trains or samples
// on, and where it writes.
type Step struct {
	Stage string
	Model string // model directory, or "<stage> output" for one a previous stage makes
	Data  string // data file or task:NAME
	Out   string // the stage's directory (rejection: its samples file's directory)
}

// Files of a recipe directory.
const (
	RecipeManifest = "recipe.json"   // the base model (checked on reruns)
	DoneFile       = "DONE"          // in a stage directory: the stage finished; its output model
	SamplesFile    = "samples.jsonl" // in the rejection directory: the kept samples
)

// Plan checks the whole recipe before any work (every stage's settings, its data files, the
// students' tokenizers) and returns its steps in order.
func (c RecipeConfig) Plan() ([]Step, error) {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if c.Base == "" {
		bad("base: required")
	} else if _, err := os.Stat(filepath.Join(c.Base, "config.json")); err != nil {
		bad("base: %s is not a model directory (no config.json)", c.Base)
	}
	if c.Out == "" {
		bad("out: required")
	}
	selected := map[string]bool{}
	for _, s := range c.Stages {
		if !slices.Contains(StageNames, s) {
			bad("stages: unknown stage %q (stages: %s)", s, strings.Join(StageNames, ", "))
		}
		if selected[s] {
			bad("stages: %s given twice", s)
		}
		selected[s] = true
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("recipe: %s", strings.Join(errs, "; "))
	}
	stageDir := func(s string) string { return filepath.Join(c.Out, s) }
	// has reports whether a stage's output exists or will: selected, or done by an earlier run.
	has := func(s string) bool {
		_, err := os.Stat(filepath.Join(stageDir(s), DoneFile))
		return selected[s] || err == nil
	}
	output := func(s string) string { return s + " output" }
	samples := filepath.Join(stageDir(StageRejection), SamplesFile)
	dataOf := func(dataPath, task string) string {
		if task != "" {
			return "task:" + task
		}
		return dataPath
	}
	needData := func(stage, dataPath, task string) {
		switch {
		case dataPath == "" && task == "":
			bad("%s: data or task required", stage)
		case dataPath != "":
			if _, err := os.Stat(dataPath); err != nil {
				bad("%s: data: %v", stage, err)
			}
		}
	}
	checkGRPO := func(stage string, g grpo.Config, model string) {
		g.Model, g.Out = model, stageDir(stage)
		needData(stage, g.Data, g.Task)
		if err := g.Validate(); err != nil {
			bad("%s: %v", stage, err)
		}
	}
	checkSFT := func(stage string, s sft.Config, model, dataPath string) {
		s.Model, s.Data, s.Out = model, dataPath, stageDir(stage)
		if err := s.Validate(); err != nil {
			bad("%s: %v", stage, err)
		}
	}
	var steps []Step
	for _, s := range StageNames {
		if !selected[s] {
			continue
		}
		st := Step{Stage: s, Out: stageDir(s)}
		switch s {
		case StageZero:
			st.Model, st.Data = c.Base, dataOf(c.Zero.Data, c.Zero.Task)
			checkGRPO(s, c.Zero, st.Model)
		case StageColdStart:
			st.Model, st.Data = c.Base, c.ColdStart.Data
			needData(s, c.ColdStart.Data, "")
			checkSFT(s, c.ColdStart, st.Model, c.ColdStart.Data)
		case StageReasoningRL:
			st.Model = c.Base
			if has(StageColdStart) {
				st.Model = output(StageColdStart)
			}
			st.Data = dataOf(c.ReasoningRL.Data, c.ReasoningRL.Task)
			checkGRPO(s, c.ReasoningRL, st.Model)
		case StageRejection:
			st.Model = c.Base
			for _, from := range []string{StageColdStart, StageReasoningRL} {
				if has(from) {
					st.Model = output(from)
				}
			}
			st.Data = dataOf(c.Rejection.Data, c.Rejection.Task)
			needData(s, c.Rejection.Data, c.Rejection.Task)
			if _, err := c.Rejection.config(c.Rejection.Template); err != nil {
				bad("%s: %v", s, err)
			}
		case StageSFT, StageDistill:
			if !has(StageRejection) {
				bad("%s: trains on the rejection stage's samples: add rejection to stages", s)
			}
			st.Data = samples
			if s == StageSFT {
				st.Model = c.Base
				checkSFT(s, c.SFT, st.Model, samples)
				break
			}
			if len(c.Distill.Students) == 0 {
				bad("distill: students: at least one student model directory")
			}
			st.Model = strings.Join(c.Distill.Students, ", ")
			for _, dir := range c.Distill.Students {
				if err := SameTokenizer(c.Base, dir); err != nil {
					bad("distill: student %s: %v", dir, err)
				}
				checkSFT(s, c.Distill.SFT, dir, samples)
			}
		case StageFinalRL:
			if !has(StageSFT) {
				bad("final_rl: starts from the sft stage's model: add sft to stages")
			}
			st.Model, st.Data = output(StageSFT), dataOf(c.FinalRL.Data, c.FinalRL.Task)
			checkGRPO(s, c.FinalRL, st.Model)
		}
		steps = append(steps, st)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("recipe: %s", strings.Join(errs, "; "))
	}
	return steps, nil
}

// config maps the stage's settings onto rejection.Config (template resolved by the caller).
func (r RejectionStage) config(template string) (rejection.Config, error) {
	c := rejection.DefaultConfig()
	c.Template, c.N, c.MaxNewTokens, c.Temperature, c.TopP = template, r.N, r.MaxNewTokens, r.Temperature, r.TopP
	c.MaxPerPrompt, c.Dedup, c.KeepTruncated, c.Seed = r.MaxPerPrompt, r.Dedup, r.KeepTruncated, r.Seed
	c.Filters.MixedLanguage, c.Filters.MaxParagraphChars, c.Filters.CodeBlocks = r.FilterMixedLanguage, r.MaxParagraphChars, r.FilterCodeBlocks
	if r.Reward != "" {
		c.Reward = r.Reward
	}
	if template == "auto" {
		c.Template = "none" // resolved from the model's tokenizer at run time; any valid name checks the rest
	}
	return c, c.Validate()
}

// Recipe runs a planned recipe. The stage runners default to the library trainers; the CLI
// wraps them with progress bars.
type Recipe struct {
	Config RecipeConfig
	GRPO   func(stage string, cfg grpo.Config, b backends.Backend, compute dtypes.DType) error
	SFT    func(stage string, cfg sft.Config, b backends.Backend, compute dtypes.DType) error
	Sample func(stage string, cfg rejection.Config, b backends.Backend, compute dtypes.DType, modelDir string, exs []data.Example, out string) (rejection.Stats, error)
	Log    func(format string, args ...any)
}

// Run plans the recipe, then runs every stage that is not done: a finished stage (its DONE
// file) is skipped, a stage that stopped half-way resumes from its latest checkpoint (or its
// partial samples). Nothing a finished stage wrote is touched.
func (r *Recipe) Run(b backends.Backend, compute dtypes.DType) error {
	c := r.Config
	steps, err := c.Plan()
	if err != nil {
		return err
	}
	logf := r.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := os.MkdirAll(c.Out, 0o755); err != nil {
		return err
	}
	if err := r.checkManifest(); err != nil {
		return err
	}
	for i, st := range steps {
		head := fmt.Sprintf("stage %d/%d (%s)", i+1, len(steps), st.Stage)
		if model, err := doneModel(st.Out); err == nil {
			logf("%s: done (%s), skipped", head, model)
			continue
		}
		from, err := r.resolve(st.Model)
		if err != nil {
			return fmt.Errorf("%s: %w", st.Stage, err)
		}
		logf("%s: %s on %s → %s", head, from, st.Data, st.Out)
		model, err := r.runStage(st, from, b, compute)
		if err != nil {
			return fmt.Errorf("%s: %w", st.Stage, err)
		}
		if err := writeDone(st.Out, model); err != nil {
			return fmt.Errorf("%s: %w", st.Stage, err)
		}
		logf("%s: done → %s", head, model)
	}
	return nil
}

// resolve turns a step's model ("<stage> output" or a directory) into a directory.
func (r *Recipe) resolve(model string) (string, error) {
	stage, ok := strings.CutSuffix(model, " output")
	if !ok {
		return model, nil
	}
	out, err := doneModel(filepath.Join(r.Config.Out, stage))
	if err != nil {
		return "", fmt.Errorf("the %s stage has not finished: %w", stage, err)
	}
	return out, nil
}

// runStage runs one stage from model dir `from` and returns the stage's output (a model
// directory, or the samples file).
func (r *Recipe) runStage(st Step, from string, b backends.Backend, compute dtypes.DType) (string, error) {
	c := r.Config
	runGRPO := r.GRPO
	if runGRPO == nil {
		runGRPO = func(_ string, cfg grpo.Config, b backends.Backend, compute dtypes.DType) error {
			tr, err := grpo.NewTrainer(cfg, b, compute, true)
			if err != nil {
				return err
			}
			return tr.Run()
		}
	}
	trainSFT := r.SFT
	if trainSFT == nil {
		trainSFT = func(_ string, cfg sft.Config, b backends.Backend, compute dtypes.DType) error {
			return runSFT(cfg, b, compute)
		}
	}
	grpoStage := func(g grpo.Config) (string, error) {
		g.Model, g.Out = from, st.Out
		if err := runGRPO(st.Stage, g, b, compute); err != nil {
			return "", err
		}
		return finalCheckpoint(st.Out)
	}
	sftStage := func(s sft.Config, model, out string) (string, error) {
		s.Model, s.Data, s.Out = model, st.Data, out
		if err := trainSFT(st.Stage, s, b, compute); err != nil {
			return "", err
		}
		return finalCheckpoint(out)
	}
	switch st.Stage {
	case StageZero:
		return grpoStage(c.Zero)
	case StageColdStart:
		return sftStage(c.ColdStart, from, st.Out)
	case StageReasoningRL:
		return grpoStage(c.ReasoningRL)
	case StageFinalRL:
		return grpoStage(c.FinalRL)
	case StageSFT:
		return sftStage(c.SFT, from, st.Out)
	case StageDistill:
		var outs []string
		for _, student := range c.Distill.Students {
			out, err := sftStage(c.Distill.SFT, student, filepath.Join(st.Out, filepath.Base(filepath.Clean(student))))
			if err != nil {
				return "", fmt.Errorf("student %s: %w", student, err)
			}
			outs = append(outs, out)
		}
		return strings.Join(outs, ", "), nil
	case StageRejection:
		return r.rejection(st, from, b, compute)
	}
	return "", fmt.Errorf("unknown stage %q", st.Stage)
}

// rejection samples the model `from` on the stage's prompts into Out/rejection/samples.jsonl.
func (r *Recipe) rejection(st Step, from string, b backends.Backend, compute dtypes.DType) (string, error) {
	rs := r.Config.Rejection
	tok, err := tokenizer.Load(from)
	if err != nil {
		return "", fmt.Errorf("tokenizer of %s: %w", from, err)
	}
	template := rs.Template
	if template == "auto" {
		template = sft.AutoTemplate(tok)
	}
	cfg, err := rs.config(template)
	if err != nil {
		return "", err
	}
	n := rs.Limit
	if rs.Task != "" && n == 0 {
		n = 256
	}
	exs, taskReward, err := rejection.Prompts(rs.Data, data.Mapping{Prompt: rs.PromptField, Answer: rs.AnswerField}, rs.Task, n, rs.TaskSeed)
	if err != nil {
		return "", err
	}
	if rs.Reward == "" && taskReward != "" {
		cfg.Reward = taskReward
	}
	if err := os.MkdirAll(st.Out, 0o755); err != nil {
		return "", err
	}
	sample := r.Sample
	if sample == nil {
		sample = func(_ string, cfg rejection.Config, b backends.Backend, compute dtypes.DType, dir string, exs []data.Example, out string) (rejection.Stats, error) {
			return sampleToFile(cfg, b, compute, dir, exs, out)
		}
	}
	out := filepath.Join(st.Out, SamplesFile)
	stats, err := sample(st.Stage, cfg, b, compute, from, exs, out)
	if err != nil {
		return "", err
	}
	return out, keptSome(stats, out)
}

// finalCheckpoint is the latest complete checkpoint of a training run directory.
func finalCheckpoint(dir string) (string, error) {
	ck, _, err := train.Latest(dir)
	if err != nil {
		return "", fmt.Errorf("no checkpoint in %s: %w", dir, err)
	}
	return ck, nil
}

// done is what a stage's DONE file records.
type done struct {
	Output string `json:"output"` // the stage's model directory (or samples file)
	Time   string `json:"time"`
}

func writeDone(dir, output string) error {
	return data.WriteFileAtomic(filepath.Join(dir, DoneFile), func(w *bufio.Writer) error {
		return json.NewEncoder(w).Encode(done{Output: output, Time: time.Now().UTC().Format(time.RFC3339)})
	})
}

// doneModel returns the output a finished stage recorded, or an error when it has not finished.
func doneModel(dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, DoneFile))
	if err != nil {
		return "", err
	}
	var d done
	if err := json.Unmarshal(raw, &d); err != nil || d.Output == "" {
		return "", fmt.Errorf("%s: malformed (%v)", filepath.Join(dir, DoneFile), err)
	}
	return d.Output, nil
}

// checkManifest records the base model on the first run and refuses a rerun with another.
func (r *Recipe) checkManifest() error {
	path := filepath.Join(r.Config.Out, RecipeManifest)
	type manifest struct {
		Base string `json:"base"`
	}
	if raw, err := os.ReadFile(path); err == nil {
		var m manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if m.Base != r.Config.Base {
			return fmt.Errorf("%s holds a recipe from base model %s, not %s: use another out", r.Config.Out, m.Base, r.Config.Base)
		}
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return data.WriteFileAtomic(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(manifest{Base: r.Config.Base})
	})
}
