package rejection

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/reward"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train/sft"
)

// Config controls a rejection-sampling run.
type Config struct {
	Model        string  // model name recorded in the provenance (usually its directory)
	Template     string  // chat template of the prompts (tokenizer.TemplateByName)
	System       string  // optional system prompt
	N            int     // samples per prompt
	MaxNewTokens int     // per sample
	Temperature  float64 // R1 evaluation: 0.6
	TopP         float64 // R1 evaluation: 0.95
	TopK         int
	Seed         uint64
	MaxRows      int // sequences decoded together (0: the engine's default)
	// PromptsPerChunk is how many prompts are generated, scored and filtered together
	// (bounds memory; progress is reported per chunk). 0 means 64.
	PromptsPerChunk int
	Reward          string // composite reward spec (reward.ParseSpec); needs an accuracy term
	MaxPerPrompt    int    // keep at most this many samples per prompt; 0: no cap
	Dedup           bool   // drop a response identical (up to whitespace) to one already kept for its prompt
	KeepTruncated   bool   // keep samples cut at MaxNewTokens (R1 drops them)
	Filters         Filters
}

// DefaultConfig returns the settings of an R1-style run: the R1 chat template, 8 samples
// per prompt of up to 4,096 tokens at R1's evaluation temperature 0.6 and top-p 0.95, the
// math verifier, every filter on (DefaultFilters), duplicates dropped, at most 4 samples
// kept per prompt, truncated samples dropped.
func DefaultConfig() Config {
	return Config{Template: "r1", N: 8, MaxNewTokens: 4096, Temperature: 0.6, TopP: 0.95, Seed: 42,
		Reward: "math", MaxPerPrompt: 4, Dedup: true, Filters: DefaultFilters()}
}

// Validate reports every impossible setting, naming it as the command's flag.
func (c Config) Validate() error {
	var errs []string
	bad := func(key, format string, args ...any) { errs = append(errs, key+": "+fmt.Sprintf(format, args...)) }
	if c.N < 1 {
		bad("n", "%d: must be >= 1", c.N)
	}
	if c.MaxNewTokens < 1 {
		bad("max_new_tokens", "%d: must be >= 1", c.MaxNewTokens)
	}
	if !(c.Temperature >= 0) || math.IsInf(c.Temperature, 0) {
		bad("temperature", "%v: must be >= 0 (0 is greedy)", c.Temperature)
	}
	if !(c.TopP > 0 && c.TopP <= 1) {
		bad("top_p", "%v: must be in (0, 1]", c.TopP)
	}
	if c.TopK < 0 {
		bad("top_k", "%d: must be >= 0", c.TopK)
	}
	if c.MaxPerPrompt < 0 {
		bad("max_per_prompt", "%d: must be >= 0 (0: no cap)", c.MaxPerPrompt)
	}
	if c.PromptsPerChunk < 0 {
		bad("prompts_per_chunk", "%d: must be >= 0", c.PromptsPerChunk)
	}
	if c.Filters.MaxParagraphChars < 0 {
		bad("max_paragraph_chars", "%d: must be >= 0 (0 turns the filter off)", c.Filters.MaxParagraphChars)
	}
	if c.Filters.Language != "" {
		if _, err := reward.LanguageShare("", c.Filters.Language); err != nil {
			bad("language", "%v", err)
		}
		if !(c.Filters.MinLanguageShare > 0 && c.Filters.MinLanguageShare <= 1) {
			bad("min_language_share", "%v: must be in (0, 1]", c.Filters.MinLanguageShare)
		}
	}
	if _, err := tokenizer.TemplateByName(c.Template); err != nil {
		bad("template", "%v", err)
	}
	if _, err := accuracyReward(c.Reward); err != nil {
		bad("reward", "%v", err)
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New("invalid rejection-sampling settings:\n  " + strings.Join(errs, "\n  "))
}

func accuracyReward(spec string) (*reward.Composite, error) {
	c, err := reward.ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	for _, t := range c.Terms {
		if reward.IsAccuracy(t.Func) {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%q has no accuracy term (math, countdown, exact, integer, choice, code): rejection sampling keeps verified answers only", spec)
}

// Stats counts what a run generated, kept and dropped.
type Stats struct {
	Prompts         int            `json:"prompts"`
	PromptsSkipped  int            `json:"prompts_skipped"` // longer than the context leaves room for
	Samples         int            `json:"samples"`
	Correct         int            `json:"correct"` // verified correct, before the other filters (Correct / Samples is the pass rate)
	Kept            int            `json:"kept"`
	PromptsWithKept int            `json:"prompts_with_kept"`
	Dropped         map[string]int `json:"dropped"` // by Reason*
	Tokens          int            `json:"generated_tokens"`
	// SkippedPrompts names the prompts skipped as too long (by id).
	SkippedPrompts []string `json:"skipped_prompt_ids,omitempty"`
	// VerifierErrors holds the first verifier errors (prompt id: error), so that a dataset
	// without gold answers is not mistaken for a model that is always wrong.
	VerifierErrors []string `json:"verifier_errors,omitempty"`
}

// Sampler draws, verifies and filters samples from one model.
type Sampler struct {
	Cfg     Config
	Tok     *tokenizer.Tokenizer
	Params  *model.Params
	engine  *generate.Engine
	tmpl    tokenizer.Template
	reward  *reward.Composite
	context int
}

// NewSampler checks the configuration and prepares the generation engine.
func NewSampler(cfg Config, b backends.Backend, params *model.Params, compute dtypes.DType, tok *tokenizer.Tokenizer) (*Sampler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxNewTokens >= params.Config.MaxPositionEmbeddings {
		return nil, fmt.Errorf("max_new_tokens: %d leaves no room for a prompt in the model's context (max_position_embeddings %d)", cfg.MaxNewTokens, params.Config.MaxPositionEmbeddings)
	}
	s := &Sampler{Cfg: cfg, Tok: tok, Params: params, engine: generate.NewEngine(b, params, compute), context: params.Config.MaxPositionEmbeddings}
	s.tmpl, _ = tokenizer.TemplateByName(cfg.Template)
	s.reward, _ = accuracyReward(cfg.Reward)
	if s.Cfg.PromptsPerChunk == 0 {
		s.Cfg.PromptsPerChunk = 64
	}
	return s, nil
}

// messages returns the prompt's conversation (system prompt, user question).
func (s *Sampler) messages(ex data.Example) []tokenizer.Message {
	var msgs []tokenizer.Message
	if s.Cfg.System != "" {
		msgs = append(msgs, tokenizer.Message{Role: "system", Content: s.Cfg.System})
	}
	return append(msgs, tokenizer.Message{Role: "user", Content: ex.Prompt})
}

// Run samples every example and returns the kept samples as SFT conversations, in prompt
// order. progress, if not nil, is called with the number of new tokens as they are generated.
func (s *Sampler) Run(exs []data.Example, progress func(newTokens int)) ([]data.Conversation, Stats, error) {
	st := Stats{Dropped: map[string]int{}}
	var out []data.Conversation
	for c := 0; c < len(exs); c += s.Cfg.PromptsPerChunk {
		chunk := exs[c:min(c+s.Cfg.PromptsPerChunk, len(exs))]
		kept, err := s.chunk(chunk, uint64(c), &st, progress)
		if err != nil {
			return nil, st, err
		}
		out = append(out, kept...)
	}
	return out, st, nil
}

func (s *Sampler) chunk(exs []data.Example, offset uint64, st *Stats, progress func(int)) ([]data.Conversation, error) {
	cfg := s.Cfg
	var prompts [][]int32
	var texts []string
	var idx []int // example of each prompt
	for i, ex := range exs {
		st.Prompts++
		text := s.tmpl.Render(s.messages(ex), true)
		var ids []int32
		if bos, ok := s.Tok.BOS(); ok && s.Tok.AddBOS() && !strings.HasPrefix(text, tokenizer.R1BOS) {
			ids = append(ids, bos)
		}
		ids = s.Tok.AppendEncode(ids, text)
		if len(ids)+cfg.MaxNewTokens > s.context {
			st.PromptsSkipped++
			st.SkippedPrompts = append(st.SkippedPrompts, ex.ID)
			continue
		}
		prompts, texts, idx = append(prompts, ids), append(texts, text), append(idx, i)
	}
	if len(prompts) == 0 {
		return nil, nil
	}
	opts := generate.Options{N: cfg.N, MaxNewTokens: cfg.MaxNewTokens, Temperature: cfg.Temperature, TopP: cfg.TopP, TopK: cfg.TopK,
		Seed: cfg.Seed*1_000_003 + offset, EOS: s.Tok.EOS(), MaxRows: cfg.MaxRows}
	res, err := s.engine.Generate(prompts, opts, func(n int) {
		st.Tokens += n
		if progress != nil {
			progress(n)
		}
	})
	if err != nil {
		return nil, err
	}
	samples := make([]reward.Sample, len(res))
	comps := make([]string, len(res))
	for i, r := range res {
		ex := exs[idx[r.Prompt]]
		comps[i] = s.Tok.Decode(r.IDs, true)
		samples[i] = reward.Sample{Prompt: texts[r.Prompt], Completion: comps[i], Gold: ex.Answer, Fields: ex.Fields}
	}
	totals := s.reward.ScoreAll(samples)
	cands := make([]candidate, len(res))
	for i, r := range res {
		cands[i] = candidate{example: exs[idx[r.Prompt]], prompt: r.Prompt, sample: r.Sample, full: reward.FullCompletion(samples[i]),
			tokens: len(r.IDs), truncated: r.FinishReason == generate.FinishLength, total: totals[i]}
	}
	return s.Cfg.judge(cands, st), nil
}

// candidate is one generated sample with its verdict.
type candidate struct {
	example   data.Example
	prompt    int    // index of its prompt in the chunk
	sample    int    // index among the prompt's samples
	full      string // the whole assistant turn (the template's opening <think> restored)
	tokens    int
	truncated bool
	total     reward.Total
}

// judge applies the keep rules to candidates in (prompt, sample) order: verified,
// not truncated, in the R1 format, past the filters, not a duplicate, under the cap.
// The kept ones come back as SFT conversations; st counts every decision.
func (cfg Config) judge(cands []candidate, st *Stats) []data.Conversation {
	slices.SortStableFunc(cands, func(a, b candidate) int {
		return cmp.Or(cmp.Compare(a.prompt, b.prompt), cmp.Compare(a.sample, b.sample))
	})
	var out []data.Conversation
	kept := map[int]int{}
	seen := map[int]map[string]bool{}
	for _, x := range cands {
		st.Samples++
		if x.total.Correct {
			st.Correct++
		}
		reason := ""
		reasoning, summary, ok := sft.SplitReasoning(x.full)
		switch {
		case x.truncated && !cfg.KeepTruncated:
			reason = ReasonTruncated
		case !x.total.Correct && x.total.Err != nil:
			reason = ReasonUnverifiable
		case !x.total.Correct:
			reason = ReasonIncorrect
		case !ok || reasoning == "" || summary == "":
			reason = ReasonFormat
		default:
			reason = cfg.Filters.Check(reasoning)
		}
		content, _ := sft.FormatResponse("r1", "", reasoning, summary)
		if reason == "" && cfg.Dedup {
			if seen[x.prompt] == nil {
				seen[x.prompt] = map[string]bool{}
			}
			k := dedupKey(content)
			if seen[x.prompt][k] {
				reason = ReasonDuplicate
			}
			seen[x.prompt][k] = true
		}
		if reason == "" && cfg.MaxPerPrompt > 0 && kept[x.prompt] >= cfg.MaxPerPrompt {
			reason = ReasonCap
		}
		if reason == ReasonUnverifiable && len(st.VerifierErrors) < 10 {
			st.VerifierErrors = append(st.VerifierErrors, fmt.Sprintf("%s: %v", x.example.ID, x.total.Err))
		}
		if reason != "" {
			st.Dropped[reason]++
			continue
		}
		ex, tot := x.example, x.total
		if kept[x.prompt] == 0 {
			st.PromptsWithKept++
		}
		kept[x.prompt]++
		st.Kept++
		msgs := []data.Message{}
		if cfg.System != "" {
			msgs = append(msgs, data.Message{Role: "system", Content: cfg.System})
		}
		msgs = append(msgs, data.Message{Role: "user", Content: ex.Prompt}, data.Message{Role: "assistant", Content: content})
		out = append(out, data.Conversation{
			ID:       fmt.Sprintf("%s-%d", ex.ID, x.sample),
			Messages: msgs,
			Fields: map[string]any{
				"prompt_id": ex.ID, "sample": x.sample, "model": cfg.Model, "reward": tot.Reward, "reward_parts": tot.Parts,
				"answer": ex.Answer, "pred": tot.Pred, "tokens": x.tokens, "reasoning_chars": len([]rune(reasoning)),
				"temperature": cfg.Temperature, "top_p": cfg.TopP, "template": cfg.Template,
			},
		})
	}
	return out
}
