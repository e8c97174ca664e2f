package grpo

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/model/safetensors"
	"github.com/r1go/r1go/reward"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train"
)

// Trainer runs GRPO: each step samples PromptsPerStep prompts × NumGenerations completions,
// scores them with the rule-based rewards, computes group advantages, and makes Mu passes of
// minibatch updates of the clipped objective (with the k3 KL to a frozen reference when
// Beta > 0). It writes metrics.jsonl, samples.jsonl and crash-safe checkpoints into Cfg.Out.
type Trainer struct {
	Cfg     Config
	Backend backends.Backend
	Compute dtypes.DType
	Tok     *tokenizer.Tokenizer
	Policy  *train.Policy
	Ref     *model.Params // nil when Beta == 0

	// OnStep, if set, is called after every step with its metrics (for progress display).
	OnStep func(step int, m map[string]any)
	// OnTokens, if set, is called during generation with the number of new tokens.
	OnTokens func(n int)

	engine    *generate.Engine
	refScore  *model.Scorer // log-probs under Ref; kept so its programs compile once
	oldScore  *model.Scorer // log-probs under the policy before the step's updates (μ > 1)
	reward    *reward.Composite
	format    *reward.FormatReward
	pool      []data.Example
	state     train.TrainerState
	guard     train.NaNGuard
	metrics   *train.Log
	samples   *train.Log
	modelDir  string // where tokenizer files are copied from
	startStep int
}

// NewTrainer loads the model (or, with resume, the latest checkpoint in Cfg.Out), the data and
// the rewards, and checks everything before any compute.
func NewTrainer(cfg Config, b backends.Backend, compute dtypes.DType, resume bool) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Backend: b, Compute: compute, modelDir: cfg.Model, guard: train.NaNGuard{MaxInARow: cfg.MaxNaNInARow}}
	var err error
	if t.Tok, err = tokenizer.Load(cfg.Model); err != nil {
		return nil, fmt.Errorf("tokenizer of %s: %w", cfg.Model, err)
	}
	if err := t.loadData(); err != nil {
		return nil, err
	}
	if err := t.loadRewards(); err != nil {
		return nil, err
	}
	if t.format, err = reward.NewFormat(reward.DefaultFormatOptions()); err != nil {
		return nil, err
	}
	from, step, resumed, err := train.ResumeFrom(cfg.Out, cfg.Model, resume)
	if err != nil {
		return nil, err
	}
	resume, t.startStep = resumed, step
	if t.Policy, err = train.LoadPolicy(b, from, compute, cfg.Optimizer(), resume); err != nil {
		return nil, err
	}
	t.Policy.RecomputeAttention, t.Policy.LMHeadChunk = cfg.RecomputeAttention, cfg.LMHeadChunk
	params := t.Policy.Params
	if t.Policy.FusedAttention, err = train.ResolveFusedAttention(cfg.FusedAttention, b, params.Config, compute, ""); err != nil {
		return nil, err
	}
	if params.Config.VocabSize < t.Tok.VocabSize() {
		return nil, fmt.Errorf("%s: the tokenizer has %d tokens but the model's vocab_size is %d", cfg.Model, t.Tok.VocabSize(), params.Config.VocabSize)
	}
	if cfg.Beta != 0 {
		refDir := cfg.Model
		if resume {
			refDir = filepath.Join(from, "ref")
		}
		if t.Ref, err = model.Load(refDir); err != nil {
			return nil, fmt.Errorf("reference model: %w", err)
		}
	}
	if resume {
		if t.state, err = train.ReadState(from); err != nil {
			return nil, err
		}
		t.guard.InARow = t.state.NaNInARow
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, err
	}
	if t.metrics, err = train.OpenLog(filepath.Join(cfg.Out, "metrics.jsonl"), t.startStep); err != nil {
		return nil, err
	}
	if t.samples, err = train.OpenLog(filepath.Join(cfg.Out, "samples.jsonl"), t.startStep); err != nil {
		return nil, err
	}
	t.engine = generate.NewEngine(b, params, compute)
	if t.engine.Attention, err = generate.ParseAttention(cfg.RolloutAttention); err != nil {
		return nil, fmt.Errorf("rollout_attention: %w", err)
	}
	if a := t.engine.Attention; a == generate.AttentionTriton || a == generate.AttentionTritonFused {
		if err := generate.TritonUnusable(b, params.Config, compute); err != nil {
			return nil, fmt.Errorf("rollout_attention: %s %w", a, err)
		}
	}
	return t, nil
}

func (t *Trainer) loadData() error {
	c := t.Cfg
	switch {
	case c.Task != "":
		task, err := data.TaskByName(c.Task)
		if err != nil {
			return err
		}
		t.pool = task.Train(c.Seed, max(4096, c.Steps*c.PromptsPerStep))
	case c.Data != "":
		ex, err := data.Load(c.Data, data.Mapping{Prompt: c.PromptField, Answer: c.AnswerField})
		if err != nil {
			return err
		}
		t.pool = ex
	default:
		return errors.New("give a dataset (data) or a built-in task (task)")
	}
	if len(t.pool) == 0 {
		return errors.New("the training data is empty")
	}
	return nil
}

// loadRewards builds the composite reward. A built-in task with the default reward list uses
// the task's own reward.
func (t *Trainer) loadRewards() error {
	c := t.Cfg
	var err error
	if c.Task != "" && FormatRewards(c.Rewards) == FormatRewards(DefaultConfig().Rewards) {
		task, _ := data.TaskByName(c.Task)
		t.reward, err = reward.ParseSpec(task.Reward())
		return err
	}
	specs := make([]reward.TermSpec, len(c.Rewards))
	for i, r := range c.Rewards {
		w := r.Weight
		params := map[string]any{}
		for k, v := range r.Params {
			params[k] = v
		}
		specs[i] = reward.TermSpec{Name: r.Name, Weight: &w, Params: params}
	}
	t.reward, err = reward.NewComposite(specs)
	return err
}

// TemplateFor resolves the template setting: a chat template name (tokenizer.TemplateByName;
// "r1-zero" and "chat" are accepted for r1zero and chatml), or a text holding {prompt} (or
// {{.Prompt}}) where the question goes.
func TemplateFor(name string) (func(prompt string) string, error) {
	switch name {
	case "r1-zero":
		name = "r1zero"
	case "chat":
		name = "chatml"
	}
	if t, err := tokenizer.TemplateByName(name); err == nil {
		return func(p string) string {
			return t.Render([]tokenizer.Message{{Role: "user", Content: p}}, true)
		}, nil
	}
	if strings.Contains(name, "{prompt}") || strings.Contains(name, "{{.Prompt}}") {
		return func(p string) string {
			return strings.ReplaceAll(strings.ReplaceAll(name, "{{.Prompt}}", p), "{prompt}", p)
		}, nil
	}
	return nil, fmt.Errorf("%q is neither a template name (%s) nor a text containing {prompt}", name, strings.Join(tokenizer.TemplateNames(), ", "))
}

// RenderPrompt applies the configured template to a question (the template was validated).
func RenderPrompt(template, prompt string) string {
	f, err := TemplateFor(template)
	if err != nil {
		return prompt
	}
	return f(prompt)
}

// completion is one sampled completion with everything the update and the logs need.
type completion struct {
	example    *data.Example
	prompt     []int32
	ids        []int32
	promptText string // the rendered prompt text (it may open <think>)
	text       string
	total      reward.Total
	truncated  bool
	reward     float64 // after truncation shaping
	adv        float64
	train      bool // its tokens enter the loss
}

// Run trains until Cfg.Steps, checkpointing every SaveEvery steps and at the end.
func (t *Trainer) Run() error {
	defer t.metrics.Close()
	defer t.samples.Close()
	for step := t.startStep + 1; step <= t.Cfg.Steps; step++ {
		m, err := t.step(step)
		if err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		if err := t.metrics.Write(step, m); err != nil {
			return err
		}
		if t.OnStep != nil {
			t.OnStep(step, m)
		}
		if t.Cfg.RefRefresh > 0 && t.Ref != nil && step%t.Cfg.RefRefresh == 0 {
			t.Ref = clonePolicy(t.Policy.Params)
		}
		if (t.Cfg.SaveEvery > 0 && step%t.Cfg.SaveEvery == 0) || step == t.Cfg.Steps {
			if err := t.checkpoint(step); err != nil {
				return fmt.Errorf("checkpoint at step %d: %w", step, err)
			}
			if err := train.WriteReport(t.Cfg.Out); err != nil {
				fmt.Fprintf(os.Stderr, "warning: report.html not written: %v\n", err)
			}
		}
	}
	return nil
}

// nextPrompts takes the next n examples of the shuffled pool (a new shuffle every epoch).
func (t *Trainer) nextPrompts(n int) []*data.Example {
	out := make([]*data.Example, 0, n)
	for len(out) < n {
		perm := rand.New(rand.NewPCG(uint64(t.Cfg.Seed), uint64(t.state.Epoch))).Perm(len(t.pool))
		for ; t.state.DataCursor < int64(len(perm)) && len(out) < n; t.state.DataCursor++ {
			out = append(out, &t.pool[perm[t.state.DataCursor]])
		}
		if t.state.DataCursor >= int64(len(perm)) {
			t.state.Epoch++
			t.state.DataCursor = 0
		}
	}
	return out
}

// rollout samples G completions for each of n fresh prompts and scores them.
func (t *Trainer) rollout(step, round, n int) ([]completion, int, error) {
	c := t.Cfg
	exs := t.nextPrompts(n)
	prompts := make([][]int32, n)
	for i, ex := range exs {
		var ids []int32
		if bos, ok := t.Tok.BOS(); ok && t.Tok.AddBOS() {
			ids = append(ids, bos)
		}
		ids = t.Tok.AppendEncode(ids, RenderPrompt(c.Template, ex.Prompt))
		if len(ids) > c.MaxPromptTokens {
			ids = ids[len(ids)-c.MaxPromptTokens:]
		}
		prompts[i] = ids
	}
	opts := generate.Options{
		N: c.NumGenerations, MaxNewTokens: c.MaxCompletionTokens, Temperature: c.Temperature, TopP: c.TopP, TopK: c.TopK,
		Seed: uint64(c.Seed)*1_000_003 + uint64(step)*131 + uint64(round), EOS: t.Tok.EOS(),
		// generate.AutoRows: all of the step's rows at once where the KV cache fits the budget.
		MaxRows: 0, CacheBytes: int64(c.RolloutKVCacheGiB * (1 << 30)),
	}
	tokens := 0
	res, err := t.engine.Generate(prompts, opts, func(k int) {
		tokens += k
		if t.OnTokens != nil {
			t.OnTokens(k)
		}
	})
	if err != nil {
		return nil, 0, err
	}
	comps := make([]completion, len(res))
	samples := make([]reward.Sample, len(res))
	for i, r := range res {
		ex := exs[r.Prompt]
		comps[i] = completion{example: ex, prompt: prompts[r.Prompt], ids: r.IDs, truncated: r.FinishReason == generate.FinishLength,
			text: t.Tok.Decode(r.IDs, true), promptText: RenderPrompt(c.Template, ex.Prompt)}
		samples[i] = reward.Sample{Prompt: comps[i].promptText, Completion: comps[i].text, Gold: ex.Answer, Fields: ex.Fields}
	}
	for i, tot := range t.reward.ScoreAll(samples) {
		comps[i].total = tot
	}
	return comps, tokens, nil
}

func (t *Trainer) step(step int) (map[string]any, error) {
	c := t.Cfg
	G := c.NumGenerations
	t0 := time.Now()
	var all, kept []completion
	genTokens, zeroStd, groups := 0, 0, 0
	for round := 0; ; round++ {
		comps, ntok, err := t.rollout(step, round, c.PromptsPerStep)
		if err != nil {
			return nil, err
		}
		genTokens += ntok
		rewards := make([]float64, len(comps))
		lengths := make([]int, len(comps))
		trunc := make([]bool, len(comps))
		for i, x := range comps {
			rewards[i], lengths[i], trunc[i] = x.total.Reward, len(x.ids), x.truncated
		}
		shaped, trainable := c.ShapeTruncated(rewards, lengths, trunc)
		adv := Advantages(shaped, G, c.ScaleRewards, c.AdvantageEps)
		zs := ZeroStdGroups(shaped, G)
		for i := range comps {
			comps[i].reward, comps[i].adv, comps[i].train = shaped[i], adv[i], trainable[i]
		}
		for _, z := range zs {
			groups++
			if z {
				zeroStd++
			}
		}
		all = append(all, comps...)
		want := c.PromptsPerStep - len(kept)/G
		for _, gi := range SelectGroups(c.DynamicSampling, zs, want) {
			kept = append(kept, comps[gi*G:(gi+1)*G]...)
		}
		if c.DynamicSampling != "resample" || len(kept)/G >= c.PromptsPerStep || round >= c.MaxResample {
			break
		}
	}
	tGen := time.Since(t0)

	// Reference and old-policy log-probs, before any update of this step.
	t1 := time.Now()
	seqs := make([]model.Sequence, len(kept))
	for i, x := range kept {
		seqs[i] = model.Sequence{Prompt: x.prompt, Completion: x.ids}
	}
	var refLP, oldLP [][]float32
	var err error
	if t.Ref != nil && len(seqs) > 0 {
		if t.refScore == nil {
			t.refScore = model.NewScorer(t.Backend, t.Ref, t.Compute)
			t.refScore.FusedAttention = t.Policy.FusedAttention
		}
		t.refScore.Params = t.Ref // replaced at each reference refresh
		if refLP, err = t.refScore.LogProbs(seqs); err != nil {
			return nil, fmt.Errorf("reference log-probs: %w", err)
		}
	}
	withOld := c.Mu > 1
	if withOld && len(seqs) > 0 {
		if t.oldScore == nil {
			t.oldScore = model.NewScorer(t.Backend, t.Policy.Params, t.Compute)
			t.oldScore.FusedAttention = t.Policy.FusedAttention
		}
		if oldLP, err = t.oldScore.LogProbs(seqs); err != nil {
			return nil, fmt.Errorf("old-policy log-probs: %w", err)
		}
	}
	tLogp := time.Since(t1)

	// μ passes of minibatch updates.
	t2 := time.Now()
	obj := objective{cfg: c, withOld: withOld}
	sums := map[string]float64{}
	updates, skipped, trainTokens := 0, 0, 0
	var lossSum, normSum float64
	mb := c.MiniBatch
	if mb <= 0 || mb > len(kept) {
		mb = max(1, len(kept))
	}
	r := rand.New(rand.NewPCG(uint64(c.Seed), uint64(step)))
	for pass := 0; pass < c.Mu && len(kept) > 0; pass++ {
		perm := r.Perm(len(kept))
		for s := 0; s < len(perm); s += mb {
			rows := perm[s:min(s+mb, len(perm))]
			lr := c.Schedule().LR(t.Policy.Updates)
			res, ntok, err := t.update(obj, kept, rows, oldLP, refLP, withOld, lr)
			if err != nil {
				return nil, err
			}
			skip, err := t.guard.Observe(step, res.Loss, res.GradNorm)
			if err != nil {
				return nil, err
			}
			if skip || res.Skipped {
				skipped++
				continue
			}
			updates++
			trainTokens += ntok
			lossSum += res.Loss
			normSum += res.GradNorm
			for k, v := range res.Stats {
				sums[k] += v
			}
		}
	}
	tUpd := time.Since(t2)
	m := t.metricsOf(all, kept, zeroStd, groups)
	m["loss"] = mean(lossSum, updates)
	m["grad_norm"] = mean(normSum, updates)
	for _, k := range []string{"policy_loss", "kl", "ratio_mean", "clip_low", "clip_high", "clip_fraction", "entropy"} {
		m[k] = mean(sums[k], updates)
	}
	m["lr"] = c.Schedule().LR(max(0, t.Policy.Updates-1))
	m["updates"] = updates
	m["skipped_updates"] = skipped
	m["gen_tokens_per_s"] = float64(genTokens) / tGen.Seconds()
	m["train_tokens_per_s"] = float64(trainTokens) / max(1e-9, tUpd.Seconds())
	m["time_generate_s"] = tGen.Seconds()
	m["time_logprobs_s"] = tLogp.Seconds()
	m["time_update_s"] = tUpd.Seconds()
	m["time_step_s"] = time.Since(t0).Seconds()
	if err := t.logSamples(step, all); err != nil {
		return nil, err
	}
	t.state.Step = step
	t.state.Updates = t.Policy.Updates
	t.state.NaNInARow = t.guard.InARow
	return m, nil
}

// update makes one optimizer update on the given completions, accumulated over micro-batches
// of MicroBatch completions when that is smaller. Each micro-batch's loss is weighted so that
// the sum is the loss of the whole minibatch: by its share of the completions for grpo (a mean
// over completions) and dr_grpo (a sum over a fixed number of completions), by its share of
// the tokens for dapo (a mean over tokens). It returns the number of tokens trained on.
func (t *Trainer) update(obj objective, kept []completion, rows []int, oldLP, refLP [][]float32, withOld bool, lr float64) (train.UpdateResult, int, error) {
	micro := t.Cfg.MicroBatch
	if micro <= 0 || micro >= len(rows) {
		batch, ntok := t.batch(kept, rows, oldLP, refLP, withOld)
		res, err := t.Policy.Update(obj, batch, lr)
		return res, ntok, err
	}
	var mbs [][]*tensors.Tensor
	var ntoks []int
	total := 0
	for s := 0; s < len(rows); s += micro {
		b, n := t.batch(kept, rows[s:min(s+micro, len(rows))], oldLP, refLP, withOld)
		mbs, ntoks, total = append(mbs, b), append(ntoks, n), total+n
	}
	weights := make([]float64, len(mbs))
	for k := range mbs {
		rowsK := min(micro, len(rows)-k*micro)
		weights[k] = float64(rowsK) / float64(len(rows))
		if t.Cfg.LossType == "dapo" && total > 0 {
			weights[k] = float64(ntoks[k]) / float64(total)
		}
	}
	res, err := t.Policy.UpdateMicro(obj, mbs, weights, lr)
	return res, total, err
}

// batch lays out the given completions as the objective's [M, T] inputs.
func (t *Trainer) batch(kept []completion, rows []int, oldLP, refLP [][]float32, withOld bool) ([]*tensors.Tensor, int) {
	cfgm := t.Policy.Params.Config
	longest := 0
	for _, i := range rows {
		longest = max(longest, len(kept[i].prompt)+len(kept[i].ids)-1)
	}
	M, T := len(rows), model.BucketLength(longest, cfgm.MaxPositionEmbeddings)
	tokens := make([]int32, M*T)
	targets := make([]int32, M*T)
	mask := make([]float32, M*T)
	adv := make([]float32, M)
	old := make([]float32, M*T)
	ref := make([]float32, M*T)
	ntok := 0
	for r, i := range rows {
		x := kept[i]
		seq := append(slices.Clone(x.prompt), x.ids...)
		copy(tokens[r*T:], seq[:len(seq)-1])
		copy(targets[r*T:], seq[1:])
		adv[r] = float32(x.adv)
		p := len(x.prompt) - 1 // position of the first completion target
		for j := range x.ids {
			if x.train {
				mask[r*T+p+j] = 1
				ntok++
			}
			if withOld {
				old[r*T+p+j] = oldLP[i][j]
			}
			if refLP != nil {
				ref[r*T+p+j] = refLP[i][j]
			}
		}
	}
	out := []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(tokens, M, T), tensors.FromFlatDataAndDimensions(targets, M, T),
		tensors.FromFlatDataAndDimensions(mask, M, T), tensors.FromFlatDataAndDimensions(adv, M),
	}
	if withOld {
		out = append(out, tensors.FromFlatDataAndDimensions(old, M, T))
	}
	if refLP != nil {
		out = append(out, tensors.FromFlatDataAndDimensions(ref, M, T))
	}
	return out, ntok
}

func mean(sum float64, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// metricsOf computes the rollout metrics of a step over every sampled completion.
func (t *Trainer) metricsOf(all, kept []completion, zeroStd, groups int) map[string]any {
	m := map[string]any{}
	n := float64(len(all))
	var sum, sq, acc, fmtOK, refl, mix, trunc float64
	parts := map[string]float64{}
	lmax := 0
	var lsum float64
	for _, x := range all {
		sum += x.total.Reward
		sq += x.total.Reward * x.total.Reward
		if x.total.Correct {
			acc++
		}
		s := reward.Sample{Prompt: x.promptText, Completion: x.text}
		if t.format.Score(s).Value >= 1 {
			fmtOK++
		}
		if reward.Reflective(x.text, t.Cfg.ReflectionPhrases) {
			refl++
		}
		if reward.MixesLanguages(reward.ThinkText(s)) {
			mix++
		}
		if x.truncated {
			trunc++
		}
		for k, v := range x.total.Parts {
			parts[k] += v
		}
		lsum += float64(len(x.ids))
		lmax = max(lmax, len(x.ids))
	}
	mu := sum / n
	m["reward_mean"] = mu
	m["reward_std"] = math.Sqrt(math.Max(0, sq/n-mu*mu))
	for k, v := range parts {
		m["reward/"+k] = v / n
	}
	m["accuracy"] = acc / n
	m["format_rate"] = fmtOK / n
	m["reflection_rate"] = refl / n
	m["language_mix_rate"] = mix / n
	m["truncated_rate"] = trunc / n
	m["response_length_mean"] = lsum / n
	m["response_length_max"] = lmax
	m["zero_std_fraction"] = float64(zeroStd) / float64(max(1, groups))
	m["completions"] = len(all)
	m["completions_trained"] = len(kept)
	return m
}

// logSamples writes the first LogSamples prompts of the step with their completions.
func (t *Trainer) logSamples(step int, all []completion) error {
	G := t.Cfg.NumGenerations
	for g := 0; g < t.Cfg.LogSamples && (g+1)*G <= len(all); g++ {
		var comps []map[string]any
		for _, x := range all[g*G : (g+1)*G] {
			comps = append(comps, map[string]any{"text": x.text, "reward": x.total.Reward, "parts": x.total.Parts,
				"correct": x.total.Correct, "pred": x.total.Pred, "advantage": x.adv, "tokens": len(x.ids), "truncated": x.truncated})
		}
		ex := all[g*G].example
		if err := t.samples.Write(step, map[string]any{"prompt": ex.Prompt, "answer": ex.Answer, "completions": comps}); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint writes the model (Hugging Face layout, with the tokenizer files), the optimizer
// moments, the reference model when there is one, and the trainer state.
func (t *Trainer) checkpoint(step int) error {
	ck := train.Checkpointer{Keep: t.Cfg.KeepCheckpoints}
	return ck.Save(t.Cfg.Out, step, func(dir string) error {
		if err := train.SavePolicy(dir, t.Policy, t.modelDir); err != nil {
			return err
		}
		if t.Ref != nil {
			if err := t.Ref.Save(filepath.Join(dir, "ref"), safetensors.F32, 0); err != nil {
				return err
			}
		}
		cfg, _ := json.MarshalIndent(t.Cfg, "", "  ")
		return os.WriteFile(filepath.Join(dir, "grpo_config.json"), cfg, 0o644)
	}, t.state)
}

// clonePolicy copies the policy's current weights to the host (the new reference model).
func clonePolicy(p *model.Params) *model.Params {
	q := &model.Params{Config: p.Config, Specs: p.Specs, Tensors: make([]*tensors.Tensor, len(p.Tensors))}
	for i, x := range p.Tensors {
		var vals []float32
		x.ConstFlatData(func(flat any) { vals = slices.Clone(flat.([]float32)) })
		q.Tensors[i] = tensors.FromFlatDataAndDimensions(vals, p.Specs[i].Shape...)
	}
	return q
}

// StartStep is the last step completed before this run (0, or the resumed checkpoint's step).
func (t *Trainer) StartStep() int { return t.startStep }
