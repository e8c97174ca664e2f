// Package grpo is the algorithm core of Group Relative Policy Optimization (DeepSeekMath,
// arXiv 2402.03300) as DeepSeek-R1 uses it, with the variants users of TRL and verl
// expect: its configuration (Config, LoadConfig), group-relative advantages with group,
// batch or no std scaling, dynamic sampling of groups that carry a learning signal (DAPO),
// overlong shaping or masking of truncated completions, and the clipped surrogate loss
// with the k3 KL penalty built into a GoMLX graph for the grpo, dapo and dr_grpo
// aggregations.
//
// Trainer (trainer.go) is the GRPO loop that ties these pieces to the model, the
// generation engine and the rewards; each piece is a plain function tested on its own.
package grpo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/r1go/r1go/internal/settings"
	"github.com/r1go/r1go/reward"
	"github.com/r1go/r1go/train"
)

// RewardSpec is one reward function of the total reward, by name, with its weight.
type RewardSpec struct {
	Name   string            `yaml:"name" help:"reward function name (e.g. accuracy, format, language)"`
	Weight float64           `yaml:"weight" help:"weight of this reward in the total"`
	Params map[string]string `yaml:"params,omitempty" help:"options passed to the reward function"`
}

// Config holds every setting of a GRPO run. Its YAML keys are the yaml tags; LoadConfig
// reads a file over DefaultConfig, Set changes one key from a command-line string, and
// Validate rejects impossible combinations before any compute.
type Config struct {
	// What to train on and where to write.
	Model       string `yaml:"model" help:"directory of the Hugging Face checkpoint to train (config.json, safetensors, tokenizer.json)"`
	Data        string `yaml:"data" help:"prompt dataset (JSONL or Parquet); exclusive with task"`
	Task        string `yaml:"task" help:"built-in synthetic task name instead of a dataset (exclusive with data)"`
	PromptField string `yaml:"prompt_field" help:"dataset field holding the prompt; empty: detected from the layout (prompt, question, problem, ...; GSM8K, MATH-500, AIME)"`
	AnswerField string `yaml:"answer_field" help:"dataset field holding the reference answer; empty: detected from the layout (answer, solution, ...; GSM8K's number after ####)"`
	Template    string `yaml:"template" help:"prompt template: r1zero (R1-Zero's, opening <think>), r1 (DeepSeek-R1 chat), chatml (Qwen2.5), chatml-think, none, or your own text containing {prompt}"`
	Out         string `yaml:"out" help:"output directory: metrics.jsonl, samples.jsonl, checkpoints"`
	Seed        int64  `yaml:"seed" help:"random seed of data order and sampling; a fixed seed on CPU reproduces a run exactly"`

	// Batch geometry.
	Steps              int    `yaml:"steps" help:"number of GRPO steps (each: rollouts, rewards, mu updates)"`
	PromptsPerStep     int    `yaml:"prompts_per_step" help:"B, questions sampled per step"`
	NumGenerations     int    `yaml:"num_generations" help:"G, completions sampled per question (the group)"`
	Mu                 int    `yaml:"mu" help:"inner updates: passes over each step's rollouts (1 = on-policy, the ratio stays 1)"`
	MicroBatch         int    `yaml:"micro_batch" help:"completions per forward and backward pass: a minibatch is accumulated from micro-batches of this size (same update, the memory of one micro-batch); must divide mini_batch; 0 means the whole minibatch in one pass"`
	RecomputeAttention bool   `yaml:"recompute_attention" help:"recompute the attention probabilities in the backward pass instead of keeping them: less memory (no [B, heads, T, T] per layer between the passes), a little more compute"`
	FusedAttention     string `yaml:"fused_attention" help:"cuDNN's flash attention for the updates and log-probs: auto (wherever it can run: cuda backend, bf16), on (required), off; no [B, heads, T, T] scores in memory, about 10x faster attention"`
	LMHeadChunk        int    `yaml:"lm_head_chunk" help:"compute the LM head's log-probabilities this many tokens at a time, forward and backward (0: all at once): the f32 logits [tokens, vocabulary] of a batch then never exist"`
	MiniBatch          int    `yaml:"mini_batch" help:"completions per optimizer update; must divide prompts_per_step x num_generations; 0 means all of them (one update per pass)"`

	// Sampling of rollouts.
	MaxPromptTokens     int     `yaml:"max_prompt_tokens" help:"prompts longer than this are left-truncated"`
	MaxCompletionTokens int     `yaml:"max_completion_tokens" help:"generation stops after this many tokens (the sample is then truncated)"`
	Temperature         float64 `yaml:"temperature" help:"rollout sampling temperature"`
	TopP                float64 `yaml:"top_p" help:"nucleus sampling threshold in (0, 1]; 1 turns it off"`
	TopK                int     `yaml:"top_k" help:"sample among the k most likely tokens; 0 turns it off"`
	RolloutAttention    string  `yaml:"rollout_attention" help:"attention of the rollouts' decode steps: auto (triton-fused wherever it can run, else xla), xla (two products and a softmax over every cache slot), triton (r1go's kernels, one per layer, reading only the valid cache slots: cuda backend, bf16; 1.16x the decode speed of xla for the 0.5B shape, 256 rows, on an H200), triton-fused (the same kernels also adding the q/k/v biases, applying the rotary embedding and writing the cache: three kernels fewer per layer)"`
	RolloutKVCacheGiB   float64 `yaml:"rollout_kv_cache_gib" help:"KV-cache budget of the rollouts in GiB: the step's samples are decoded together in as many rows as a full-length cache of this size holds (0: 32 on a GPU, at most 1024 rows; 2 on the CPU, at most 64); lower it when the model and optimizer leave less memory"`

	// Rewards and advantages.
	Rewards         []RewardSpec `yaml:"rewards" help:"reward functions and weights; the total reward is their weighted sum"`
	ScaleRewards    string       `yaml:"scale_rewards" help:"advantage scaling: group (divide by each group's std), batch (by the batch std), none (Dr. GRPO)"`
	AdvantageEps    float64      `yaml:"advantage_eps" help:"added to the std before dividing the advantages"`
	DynamicSampling string       `yaml:"dynamic_sampling" help:"groups whose rewards are all equal: off (keep, zero advantage), drop, resample (DAPO)"`
	MaxResample     int          `yaml:"max_resample_rounds" help:"dynamic_sampling resample: at most this many extra generation rounds per step"`
	Truncated       string       `yaml:"truncated" help:"completions cut at max_completion_tokens: keep, mask (no loss), penalty (DAPO soft overlong punishment)"`
	OverlongBuffer  int          `yaml:"overlong_buffer" help:"truncated penalty: length band before max_completion_tokens over which the penalty ramps up"`
	OverlongPenalty float64      `yaml:"overlong_penalty" help:"truncated penalty: reward subtracted at max_completion_tokens (ramping linearly over the buffer)"`

	// The objective.
	LossType   string  `yaml:"loss_type" help:"token aggregation: grpo (per-sequence mean, then mean), dapo (token mean over the batch), dr_grpo (sum / (sequences x max_completion_tokens))"`
	Beta       float64 `yaml:"beta" help:"KL penalty coefficient (k3 estimator, in the loss); 0 drops the reference model and its memory"`
	EpsLow     float64 `yaml:"eps_low" help:"lower clip range: the ratio is clipped at 1 - eps_low"`
	EpsHigh    float64 `yaml:"eps_high" help:"upper clip range: the ratio is clipped at 1 + eps_high (clip-higher: larger than eps_low)"`
	DualClip   float64 `yaml:"dual_clip" help:"dual-clip bound c > 1 on the loss of negative-advantage tokens (verl uses 3); 0 turns it off"`
	RefRefresh int     `yaml:"ref_refresh" help:"replace the reference model by the current policy every N steps; 0 never"`

	// Optimizer and schedule.
	LR           float64 `yaml:"lr" help:"peak learning rate"`
	LRSchedule   string  `yaml:"lr_schedule" help:"constant, cosine or linear (after warmup)"`
	LRFloor      float64 `yaml:"lr_floor" help:"learning rate at the end of cosine or linear decay"`
	WarmupSteps  int     `yaml:"warmup_steps" help:"optimizer updates of linear warmup"`
	AdamBeta1    float64 `yaml:"adam_beta1" help:"AdamW beta1"`
	AdamBeta2    float64 `yaml:"adam_beta2" help:"AdamW beta2"`
	AdamEps      float64 `yaml:"adam_eps" help:"AdamW epsilon"`
	WeightDecay  float64 `yaml:"weight_decay" help:"decoupled weight decay on matrices (not norms or biases)"`
	MaxGradNorm  float64 `yaml:"max_grad_norm" help:"clip gradients to this global L2 norm; 0 turns clipping off"`
	MaxNaNInARow int     `yaml:"max_nan_in_a_row" help:"stop after this many consecutive steps with a NaN/Inf loss or gradient (each is skipped)"`

	// Logging and checkpoints.
	SaveEvery         int      `yaml:"save_every" help:"write a checkpoint every N steps (and at the end); 0 only at the end"`
	KeepCheckpoints   int      `yaml:"keep_checkpoints" help:"number of most recent checkpoints kept on disk"`
	LogSamples        int      `yaml:"log_samples" help:"prompts per step whose completions and rewards go to samples.jsonl (at most prompts_per_step); 0 none"`
	ReflectionPhrases []string `yaml:"reflection_phrases" help:"phrases counted by reflection_rate (the aha moment), matched case-insensitively"`
}

// Allowed values of the enumerated settings.
var (
	RolloutAttentionModes = []string{"auto", "xla", "triton", "triton-fused"}
	LossTypes             = []string{"grpo", "dapo", "dr_grpo"}
	ScaleRewardsModes     = []string{"group", "batch", "none"}
	DynamicModes          = []string{"off", "drop", "resample"}
	TruncatedModes        = []string{"keep", "mask", "penalty"}
)

// R1ZeroTemplate is the DeepSeek-R1-Zero prompt template, verbatim from the paper;
// {prompt} is replaced by the question.
const R1ZeroTemplate = "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. User: {prompt}. Assistant:"

// DefaultConfig returns the DeepSeek-R1 settings where the paper (DESIGN.md §3) gives them:
// G = 16, 32 questions per step, lr 3e-6, β = 0.001, rollout temperature 1.0, reference
// refreshed every 400 steps, completions up to 32,768 tokens, accuracy + format rewards of
// equal weight, the R1-Zero template.
//
// The rest follow TRL's and verl's defaults: ε_low = ε_high = 0.2, loss_type grpo,
// scale_rewards group with eps 1e-4, one on-policy update per step (μ = 1, mini_batch =
// the whole batch), constant lr without warmup, AdamW β = (0.9, 0.999), ε 1e-8, no
// weight decay, gradients clipped to norm 1, top_p 1 and top_k 0 (plain sampling),
// dynamic sampling off, truncated completions kept, reflection_rate counting
// reward.DefaultReflectivePhrases. Run-size settings are scaled down
// for a first run: 100 steps, prompts of up to 1024 tokens, a checkpoint every 50 steps,
// the last 2 kept, 2 prompts logged per step, at most 3 NaN steps in a row.
func DefaultConfig() Config {
	return Config{
		Template: "r1-zero",
		Out:      "runs/grpo",
		Seed:     42,

		Steps:          100,
		PromptsPerStep: 32,
		NumGenerations: 16,
		Mu:             1,
		MiniBatch:      0, // the whole batch
		FusedAttention: "auto",

		MaxPromptTokens:     1024,
		MaxCompletionTokens: 32768,
		Temperature:         1.0,
		TopP:                1.0,
		TopK:                0,
		RolloutAttention:    "auto",

		Rewards:         []RewardSpec{{Name: "accuracy", Weight: 1}, {Name: "format", Weight: 1}},
		ScaleRewards:    "group",
		AdvantageEps:    1e-4,
		DynamicSampling: "off",
		MaxResample:     3,
		Truncated:       "keep",
		OverlongBuffer:  4096,
		OverlongPenalty: 1.0,

		LossType:   "grpo",
		Beta:       0.001,
		EpsLow:     0.2,
		EpsHigh:    0.2,
		DualClip:   0,
		RefRefresh: 400,

		LR:           3e-6,
		LRSchedule:   "constant",
		LRFloor:      0,
		WarmupSteps:  0,
		AdamBeta1:    0.9,
		AdamBeta2:    0.999,
		AdamEps:      1e-8,
		WeightDecay:  0,
		MaxGradNorm:  1.0,
		MaxNaNInARow: 3,

		SaveEvery:         50,
		KeepCheckpoints:   2,
		LogSamples:        2,
		ReflectionPhrases: slices.Clone(reward.DefaultReflectivePhrases),
	}
}

// Optimizer returns the AdamW settings of c.
func (c Config) Optimizer() train.AdamW {
	return train.AdamW{Beta1: c.AdamBeta1, Beta2: c.AdamBeta2, Eps: c.AdamEps, WeightDecay: c.WeightDecay, ClipNorm: c.MaxGradNorm}
}

// UpdatesPerStep is the number of optimizer updates one GRPO step makes: μ passes over
// the B·G completions in minibatches of MiniBatch.
func (c Config) UpdatesPerStep() int {
	if c.MiniBatch <= 0 {
		return c.Mu
	}
	return c.Mu * (c.PromptsPerStep * c.NumGenerations / c.MiniBatch)
}

// Schedule returns the learning-rate schedule of c, counted in optimizer updates
// (Steps × UpdatesPerStep in all).
func (c Config) Schedule() train.Schedule {
	return train.Schedule{Kind: c.LRSchedule, Peak: c.LR, Floor: c.LRFloor, Warmup: c.WarmupSteps, Total: c.Steps * c.UpdatesPerStep()}
}

// Validate reports every impossible setting or combination of c, each naming its YAML key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	oneOf := func(key, v string, allowed []string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

	if c.Data != "" && c.Task != "" {
		bad("data", "give either data (%s) or task (%s), not both", c.Data, c.Task)
	}
	if _, err := TemplateFor(c.Template); err != nil {
		bad("template", "%v", err)
	}
	if c.Steps < 1 {
		bad("steps", "%d: must be >= 1", c.Steps)
	}
	if c.PromptsPerStep < 1 {
		bad("prompts_per_step", "%d: must be >= 1", c.PromptsPerStep)
	}
	if c.NumGenerations < 2 {
		bad("num_generations", "%d: GRPO needs at least 2 completions per prompt: the advantage is the reward minus the group mean (zero for a group of 1) and the group std is undefined", c.NumGenerations)
	}
	if c.Mu < 1 {
		bad("mu", "%d: must be >= 1", c.Mu)
	}
	if batch := c.PromptsPerStep * c.NumGenerations; c.MiniBatch < 0 || c.MiniBatch > batch || (batch > 0 && c.MiniBatch > 0 && batch%c.MiniBatch != 0) {
		bad("mini_batch", "%d: must be 0 (all) or between 1 and the %d completions of a step (prompts_per_step %d x num_generations %d) and divide them",
			c.MiniBatch, batch, c.PromptsPerStep, c.NumGenerations)
	}
	if c.MicroBatch < 0 || (c.MicroBatch > 0 && c.MiniBatch > 0 && c.MiniBatch%c.MicroBatch != 0) {
		bad("micro_batch", "%d: must be 0 (the whole minibatch) or divide mini_batch %d", c.MicroBatch, c.MiniBatch)
	}
	if c.LMHeadChunk < 0 {
		bad("lm_head_chunk", "%d: must be >= 0 (0 turns chunking off)", c.LMHeadChunk)
	}
	if c.MaxPromptTokens < 1 {
		bad("max_prompt_tokens", "%d: must be >= 1", c.MaxPromptTokens)
	}
	if c.MaxCompletionTokens < 1 {
		bad("max_completion_tokens", "%d: must be >= 1", c.MaxCompletionTokens)
	}
	if !(c.Temperature > 0) || !finite(c.Temperature) {
		bad("temperature", "%v: must be > 0 (use a small value such as 1e-3 for near-greedy rollouts)", c.Temperature)
	}
	if !(c.TopP > 0 && c.TopP <= 1) {
		bad("top_p", "%v: must be in (0, 1]", c.TopP)
	}
	if c.RolloutKVCacheGiB < 0 || math.IsNaN(c.RolloutKVCacheGiB) {
		bad("rollout_kv_cache_gib", "%v: must be >= 0 (0: the default)", c.RolloutKVCacheGiB)
	}
	if c.TopK < 0 {
		bad("top_k", "%d: must be >= 0 (0 turns it off)", c.TopK)
	}
	if len(c.Rewards) == 0 {
		bad("rewards", "at least one reward function is needed")
	}
	seen := map[string]bool{}
	for i, r := range c.Rewards {
		key := fmt.Sprintf("rewards[%d]", i)
		switch {
		case strings.TrimSpace(r.Name) == "":
			bad(key+".name", "must not be empty")
		case seen[r.Name]:
			bad(key+".name", "%q appears twice", r.Name)
		}
		seen[r.Name] = true
		if !finite(r.Weight) {
			bad(key+".weight", "%v: must be a finite number", r.Weight)
		}
	}
	oneOf("scale_rewards", c.ScaleRewards, ScaleRewardsModes)
	if !(c.AdvantageEps > 0) || !finite(c.AdvantageEps) {
		bad("advantage_eps", "%v: must be > 0", c.AdvantageEps)
	}
	oneOf("dynamic_sampling", c.DynamicSampling, DynamicModes)
	if c.DynamicSampling == "resample" && c.MaxResample < 1 {
		bad("max_resample_rounds", "%d: dynamic_sampling resample needs at least 1 extra round", c.MaxResample)
	}
	oneOf("truncated", c.Truncated, TruncatedModes)
	if c.Truncated == "penalty" {
		if c.OverlongBuffer < 0 || c.OverlongBuffer >= c.MaxCompletionTokens {
			bad("overlong_buffer", "%d: must be in [0, max_completion_tokens %d)", c.OverlongBuffer, c.MaxCompletionTokens)
		}
		if !(c.OverlongPenalty > 0) || !finite(c.OverlongPenalty) {
			bad("overlong_penalty", "%v: must be > 0", c.OverlongPenalty)
		}
	}
	oneOf("loss_type", c.LossType, LossTypes)
	oneOf("fused_attention", c.FusedAttention, train.FusedAttentionModes)
	oneOf("rollout_attention", c.RolloutAttention, RolloutAttentionModes)
	if c.LossType == "dr_grpo" && c.ScaleRewards != "none" {
		bad("scale_rewards", "%q with loss_type dr_grpo: Dr. GRPO removes the std scaling; set scale_rewards: none", c.ScaleRewards)
	}
	if !(c.Beta >= 0) || !finite(c.Beta) {
		bad("beta", "%v: must be >= 0", c.Beta)
	}
	if !(c.EpsLow > 0 && c.EpsLow < 1) {
		bad("eps_low", "%v: must be in (0, 1) (the ratio is clipped at 1 - eps_low > 0)", c.EpsLow)
	}
	if !(c.EpsHigh > 0) || !finite(c.EpsHigh) {
		bad("eps_high", "%v: must be > 0", c.EpsHigh)
	}
	if c.DualClip != 0 && !(c.DualClip > 1+c.EpsHigh) {
		bad("dual_clip", "%v: must be 0 (off) or larger than 1 + eps_high = %v", c.DualClip, 1+c.EpsHigh)
	}
	if c.RefRefresh < 0 {
		bad("ref_refresh", "%d: must be >= 0 (0 never refreshes)", c.RefRefresh)
	}
	if c.MaxNaNInARow < 1 {
		bad("max_nan_in_a_row", "%d: must be >= 1", c.MaxNaNInARow)
	}
	if c.SaveEvery < 0 {
		bad("save_every", "%d: must be >= 0", c.SaveEvery)
	}
	if c.KeepCheckpoints < 1 {
		bad("keep_checkpoints", "%d: must be >= 1", c.KeepCheckpoints)
	}
	if c.LogSamples < 0 {
		bad("log_samples", "%d: must be >= 0", c.LogSamples)
	}
	for i, p := range c.ReflectionPhrases {
		if strings.TrimSpace(p) == "" {
			bad(fmt.Sprintf("reflection_phrases[%d]", i), "must not be empty")
		}
	}
	if err := c.Optimizer().Validate(); err != nil {
		bad("adam_beta1, adam_beta2, adam_eps, weight_decay, max_grad_norm", "%v", err)
	}
	if c.Steps >= 1 && c.MiniBatch >= 0 && c.MiniBatch <= c.PromptsPerStep*c.NumGenerations {
		if err := c.Schedule().Validate(); err != nil {
			bad("lr, lr_schedule, lr_floor, warmup_steps", "%v", err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid GRPO config:\n  %w", joinIndented(errs))
}

// joinIndented joins errors one per line (errors.Join keeps them inspectable).
func joinIndented(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return &multiError{msg: strings.Join(msgs, "\n  "), errs: errs}
}

type multiError struct {
	msg  string
	errs []error
}

func (m *multiError) Error() string   { return m.msg }
func (m *multiError) Unwrap() []error { return m.errs }

// LoadConfig reads a YAML file over DefaultConfig (keys it does not set keep their
// defaults) and validates the result. An unknown key is an error naming the file, the
// line and the key (with the closest known key); so are values of the wrong type.
func LoadConfig(path string) (Config, error) {
	c, err := ReadConfig(path)
	if err != nil {
		return c, err
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ReadConfig is LoadConfig without the final Validate, for a command that applies flag
// overrides (Set) to the file's settings and validates the combination afterwards.
func ReadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := settings.ReadFile(path, &c); err != nil {
		return c, fmt.Errorf("reading GRPO config: %w", err)
	}
	return c, nil
}

// Key describes one YAML key of Config.
type Key = settings.Key

// Keys lists the top-level YAML keys of Config in declaration order.
func Keys() []Key { return settings.Keys(reflect.TypeOf(Config{})) }

// Get returns the value of the YAML key as a string in the form Set accepts.
func (c Config) Get(key string) (string, error) {
	switch key {
	case "rewards":
		return FormatRewards(c.Rewards), nil
	case "reflection_phrases":
		js, err := json.Marshal(c.ReflectionPhrases) // a YAML flow sequence: phrases may hold commas
		return string(js), err
	}
	return settings.Get(&c, "GRPO", key)
}

// Set assigns one YAML key from a command-line string: numbers and strings as written,
// rewards as "name=weight,name=weight" (ParseRewards), reflection_phrases as a
// comma-separated list or a YAML/JSON list (["wait", "however, this"]). It does not validate the whole config (call Validate after the
// last Set).
func (c *Config) Set(key, value string) error {
	switch key {
	case "rewards":
		r, err := ParseRewards(value)
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		c.Rewards = r
		return nil
	case "reflection_phrases":
		var ps []string
		if strings.HasPrefix(strings.TrimSpace(value), "[") {
			if err := yaml.Unmarshal([]byte(value), &ps); err != nil {
				return fmt.Errorf("%s: %q is not a list of strings: %w", key, value, err)
			}
		} else {
			for _, p := range strings.Split(value, ",") {
				if p = strings.TrimSpace(p); p != "" {
					ps = append(ps, p)
				}
			}
		}
		c.ReflectionPhrases = ps
		return nil
	}
	return settings.Set(c, "GRPO", key, value)
}

// ParseRewards parses "accuracy=1,format=0.5" (a name without "=w" has weight 1).
func ParseRewards(s string) ([]RewardSpec, error) {
	var out []RewardSpec
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, hasW := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("reward %q has no name (want name=weight)", part)
		}
		weight := 1.0
		if hasW {
			x, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("reward %q: weight %q is not a finite number", name, w)
			}
			weight = x
		}
		out = append(out, RewardSpec{Name: name, Weight: weight})
	}
	if len(out) == 0 {
		return nil, errors.New("no reward given (want name=weight,name=weight)")
	}
	return out, nil
}

// FormatRewards writes rewards in the form ParseRewards reads.
func FormatRewards(rs []RewardSpec) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.Name + "=" + strconv.FormatFloat(r.Weight, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// TinyConfig is DefaultConfig scaled to r1go's embedded tiny model (internal/tiny, 2 layers,
// byte-level tokenizer, random initialisation) learning the copy-digit task on a laptop CPU in
// about a minute: 8 prompts × 16 samples of one token per step (the answer is one digit), no
// template, no reference model, the integer reward alone (accuracy), lr 2e-3, 60 steps, a
// checkpoint every 20. Measured (2-core VM): accuracy 0.01 at the start, about 0.6 after 60
// steps. A larger learning rate collapses the policy onto one digit (every group then has
// equal rewards and no signal) before it learns to copy.
func TinyConfig() Config {
	c := DefaultConfig()
	c.Task, c.Template, c.Out = "copy-digit", "none", "runs/tiny-grpo"
	c.Steps, c.PromptsPerStep, c.NumGenerations, c.MiniBatch = 60, 8, 16, 0
	c.MaxPromptTokens, c.MaxCompletionTokens = 64, 1
	c.LR, c.Beta, c.SaveEvery, c.LogSamples = 2e-3, 0, 20, 1
	c.Rewards = []RewardSpec{{Name: "integer", Weight: 1}}
	return c
}
