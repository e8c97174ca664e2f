package sft

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/r1go/r1go/internal/settings"
	"github.com/r1go/r1go/train"
)

// Config holds every setting of an SFT run. Its YAML keys are the yaml tags; ReadConfig
// reads a file over DefaultConfig, Set changes one key from a command-line string, and
// Validate rejects impossible combinations before any compute.
type Config struct {
	// Data and output.
	Model           string  `yaml:"model" help:"directory of the Hugging Face checkpoint to fine-tune (config.json, safetensors, tokenizer.json)"`
	Data            string  `yaml:"data" help:"training data: chat JSONL/JSON/Parquet ({\"messages\":[...]}) or prompt/completion records"`
	EvalData        string  `yaml:"eval_data" help:"held-out data in the same layouts; empty: hold out eval_share of data"`
	EvalShare       float64 `yaml:"eval_share" help:"without eval_data: share of the training examples held out for eval_loss (0 turns evaluation off)"`
	MessagesField   string  `yaml:"messages_field" help:"field holding the list of chat messages; empty: detected (messages, conversations)"`
	PromptField     string  `yaml:"prompt_field" help:"prompt/completion layout: field holding the prompt; empty: detected (prompt, question, ...)"`
	CompletionField string  `yaml:"completion_field" help:"prompt/completion layout: field holding the completion; empty: detected (completion, response, ...)"`
	SystemField     string  `yaml:"system_field" help:"prompt/completion layout: optional field holding a system prompt; empty: \"system\" when present"`
	Template        string  `yaml:"template" help:"chat template that renders conversations: auto (r1 when the tokenizer has the DeepSeek-R1 markers, chatml when it has <|im_start|>, else none), r1, chatml, chatml-think, r1zero, none"`
	Format          string  `yaml:"format" help:"assistant turns: keep (as written), r1 (<think>\\nreasoning\\n</think>\\n\\nsummary) or coldstart (TOKEN reasoning TOKEN summary, the paper's cold-start layout); r1 and coldstart read each assistant turn's reasoning from <think>…</think> or from the cold-start layout"`
	SpecialToken    string  `yaml:"special_token" help:"format coldstart: the token written before the reasoning and before the summary"`
	Out             string  `yaml:"out" help:"output directory: metrics.jsonl, checkpoints (Hugging Face layout)"`
	Seed            int64   `yaml:"seed" help:"random seed of the eval split and of the data order"`

	// Batches.
	Epochs             int    `yaml:"epochs" help:"passes over the training data (R1: 2-3); ignored when steps > 0"`
	Steps              int    `yaml:"steps" help:"optimizer updates to run; 0: epochs x updates per epoch"`
	MaxLength          int    `yaml:"max_length" help:"longest sequence in tokens and, with packing, the packed row length; capped at the model's max_position_embeddings (0: that context)"`
	Overlong           string `yaml:"overlong" help:"examples longer than max_length: truncate (keep the first max_length tokens, counted and reported) or refuse (stop with the record's line)"`
	Packing            bool   `yaml:"packing" help:"pack examples into rows of max_length tokens with a block-diagonal causal mask and per-example positions; false: one example per row, rows padded to length buckets"`
	BatchSize          int    `yaml:"batch_size" help:"rows per micro-batch"`
	RecomputeAttention bool   `yaml:"recompute_attention" help:"recompute the attention probabilities in the backward pass instead of keeping them: less memory, a little more compute"`
	FusedAttention     string `yaml:"fused_attention" help:"cuDNN's flash attention: auto (wherever it can run: cuda backend, bf16, packing false), on (required; with packing, cuDNN's packed form keeps the examples of a row apart: not yet measured on a GPU), off; no [rows, heads, T, T] scores in memory, about 10x faster attention"`
	LMHeadChunk        int    `yaml:"lm_head_chunk" help:"compute the LM head's log-probabilities this many tokens at a time, forward and backward (0: all at once)"`
	GradAccum          int    `yaml:"grad_accum" help:"micro-batches per optimizer update (gradient accumulation); the loss is the mean over all their completion tokens"`
	AccumMode          string `yaml:"grad_accum_mode" help:"with grad_accum > 1: loop (one program call per micro-batch, gradients summed on the device: the memory of one micro-batch) or fused (all micro-batches in one program: fewer calls, more memory)"`
	EvalEvery          int    `yaml:"eval_every" help:"compute eval_loss every N updates (and at the end); 0: only at the end"`
	EvalBatches        int    `yaml:"eval_batches" help:"evaluate at most this many micro-batches of the held-out set; 0: all"`

	// Optimizer and schedule.
	LR           float64 `yaml:"lr" help:"peak learning rate (R1: 5e-5)"`
	LRSchedule   string  `yaml:"lr_schedule" help:"constant, cosine or linear (after warmup)"`
	LRFloor      float64 `yaml:"lr_floor" help:"learning rate at the end of cosine or linear decay (R1: 5e-6)"`
	WarmupRatio  float64 `yaml:"warmup_ratio" help:"share of the updates spent in linear warmup, in [0, 1)"`
	AdamBeta1    float64 `yaml:"adam_beta1" help:"AdamW beta1"`
	AdamBeta2    float64 `yaml:"adam_beta2" help:"AdamW beta2"`
	AdamEps      float64 `yaml:"adam_eps" help:"AdamW epsilon"`
	WeightDecay  float64 `yaml:"weight_decay" help:"decoupled weight decay on matrices (not norms or biases)"`
	MaxGradNorm  float64 `yaml:"max_grad_norm" help:"clip gradients to this global L2 norm; 0 turns clipping off"`
	MaxNaNInARow int     `yaml:"max_nan_in_a_row" help:"stop after this many consecutive updates with a NaN/Inf loss or gradient (each is skipped)"`

	// Checkpoints.
	SaveEvery       int `yaml:"save_every" help:"write a checkpoint every N updates (and at the end); 0: only at the end"`
	KeepCheckpoints int `yaml:"keep_checkpoints" help:"number of most recent checkpoints kept on disk"`
}

// Allowed values of the enumerated settings.
var (
	Formats       = []string{"keep", "r1", "coldstart"}
	AccumModes    = []string{"loop", "fused"}
	OverlongModes = []string{"truncate", "refuse"}
	Templates     = []string{"auto", "r1", "chatml", "chatml-think", "r1zero", "none"}
)

// DefaultSpecialToken is the cold-start separator as the DeepSeek-R1 paper writes it.
const DefaultSpecialToken = "|special_token|"

// DefaultConfig returns the DeepSeek-R1 SFT settings where the paper gives them (2 epochs,
// cosine decay from 5e-5 to 5e-6) and TRL's SFTTrainer defaults for the rest: AdamW
// β = (0.9, 0.999), ε 1e-8, no weight decay, gradients clipped to norm 1, 3% warmup,
// packing on into rows of 4,096 tokens (or the model's context if shorter), 8 rows per
// micro-batch, no accumulation. 5% of the data is held out for
// eval_loss, computed every 50 updates; a checkpoint every 200 updates, the last 2 kept.
func DefaultConfig() Config {
	return Config{
		EvalShare:    0.05,
		Template:     "auto",
		Format:       "keep",
		SpecialToken: DefaultSpecialToken,
		Out:          "runs/sft",
		Seed:         42,

		Epochs:         2,
		MaxLength:      4096,
		Overlong:       "truncate",
		Packing:        true,
		FusedAttention: "auto",
		BatchSize:      8,
		GradAccum:      1,
		AccumMode:      "loop",
		EvalEvery:      50,

		LR:           5e-5,
		LRSchedule:   "cosine",
		LRFloor:      5e-6,
		WarmupRatio:  0.03,
		AdamBeta1:    0.9,
		AdamBeta2:    0.999,
		AdamEps:      1e-8,
		MaxGradNorm:  1.0,
		MaxNaNInARow: 3,

		SaveEvery:       200,
		KeepCheckpoints: 2,
	}
}

// Optimizer returns the AdamW settings of c.
func (c Config) Optimizer() train.AdamW {
	return train.AdamW{Beta1: c.AdamBeta1, Beta2: c.AdamBeta2, Eps: c.AdamEps, WeightDecay: c.WeightDecay, ClipNorm: c.MaxGradNorm}
}

// Schedule returns the learning-rate schedule of a run of total updates.
func (c Config) Schedule(total int) train.Schedule {
	return train.Schedule{Kind: c.LRSchedule, Peak: c.LR, Floor: c.LRFloor, Warmup: int(math.Round(c.WarmupRatio * float64(total))), Total: total}
}

// Validate reports every impossible setting of c, each naming its YAML key.
func (c Config) Validate() error {
	var errs []string
	bad := func(key, format string, args ...any) {
		errs = append(errs, key+": "+fmt.Sprintf(format, args...))
	}
	oneOf := func(key, v string, allowed []string) {
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		bad(key, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	if c.Model == "" {
		bad("model", "required")
	}
	if c.Data == "" {
		bad("data", "required")
	}
	if c.Out == "" {
		bad("out", "required")
	}
	if !(c.EvalShare >= 0 && c.EvalShare < 1) {
		bad("eval_share", "%v: must be in [0, 1)", c.EvalShare)
	}
	if c.MessagesField != "" && (c.PromptField != "" || c.CompletionField != "") {
		bad("messages_field", "give messages_field or prompt_field/completion_field, not both")
	}
	oneOf("template", c.Template, Templates)
	oneOf("format", c.Format, Formats)
	if c.Format == "coldstart" && strings.TrimSpace(c.SpecialToken) == "" {
		bad("special_token", "must not be empty with format coldstart")
	}
	if c.Epochs < 1 && c.Steps < 1 {
		bad("epochs", "%d: must be >= 1 (or give steps)", c.Epochs)
	}
	if c.Steps < 0 {
		bad("steps", "%d: must be >= 0", c.Steps)
	}
	oneOf("fused_attention", c.FusedAttention, train.FusedAttentionModes)
	if c.MaxLength < 0 || c.MaxLength == 1 {
		bad("max_length", "%d: must be 0 (the model's context) or >= 2", c.MaxLength)
	}
	oneOf("overlong", c.Overlong, OverlongModes)
	if c.BatchSize < 1 {
		bad("batch_size", "%d: must be >= 1", c.BatchSize)
	}
	if c.LMHeadChunk < 0 {
		bad("lm_head_chunk", "%d: must be >= 0 (0 turns chunking off)", c.LMHeadChunk)
	}
	if c.GradAccum < 1 {
		bad("grad_accum", "%d: must be >= 1", c.GradAccum)
	}
	oneOf("grad_accum_mode", c.AccumMode, AccumModes)
	if c.EvalEvery < 0 {
		bad("eval_every", "%d: must be >= 0", c.EvalEvery)
	}
	if c.EvalBatches < 0 {
		bad("eval_batches", "%d: must be >= 0", c.EvalBatches)
	}
	if !(c.WarmupRatio >= 0 && c.WarmupRatio < 1) {
		bad("warmup_ratio", "%v: must be in [0, 1)", c.WarmupRatio)
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
	if err := c.Optimizer().Validate(); err != nil {
		bad("adam_beta1, adam_beta2, adam_eps, weight_decay, max_grad_norm", "%v", err)
	}
	if err := c.Schedule(100).Validate(); err != nil {
		bad("lr, lr_schedule, lr_floor", "%v", err)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("invalid SFT config:\n  " + strings.Join(errs, "\n  "))
}

// ReadConfig reads a YAML file over DefaultConfig (keys it does not set keep their
// defaults) without validating, so that flag overrides can be applied first. An unknown
// key is an error naming the file, the line and the key.
func ReadConfig(path string) (Config, error) {
	c := DefaultConfig()
	if err := settings.ReadFile(path, &c); err != nil {
		return c, fmt.Errorf("reading SFT config: %w", err)
	}
	return c, nil
}

// Key describes one YAML key of Config, so that a command can offer every key as a flag.
type Key = settings.Key

// Keys lists the YAML keys of Config in declaration order.
func Keys() []Key { return settings.Keys(reflect.TypeOf(Config{})) }

// Get returns the value of a YAML key as a string in the form Set accepts.
func (c Config) Get(key string) (string, error) { return settings.Get(&c, "SFT", key) }

// Set assigns one YAML key from a command-line string. It does not validate the whole
// config (call Validate after the last Set).
func (c *Config) Set(key, value string) error { return settings.Set(c, "SFT", key, value) }
