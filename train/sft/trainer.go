package sft

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train"
)

// Trainer runs supervised fine-tuning: it encodes the data with the chat template, packs
// (or buckets) it into micro-batches, and makes Steps optimizer updates of the SFT
// objective, each over GradAccum micro-batches, with a warmup + decay schedule. It writes
// metrics.jsonl and crash-safe checkpoints (Hugging Face layout, tokenizer files,
// optimizer.safetensors, trainer_state.json) into Cfg.Out, and resumes from them.
type Trainer struct {
	Cfg     Config
	Backend backends.Backend
	Compute dtypes.DType
	Tok     *tokenizer.Tokenizer
	Policy  *train.Policy
	// Template is the name of the chat template in use (Cfg.Template resolved).
	Template string
	// TrainStats and EvalStats report what loading did to the records (truncations, drops).
	TrainStats, EvalStats LoadStats
	// Steps is the number of optimizer updates of the whole run.
	Steps int

	// OnStep, if set, is called after every update with its metrics (for progress display).
	OnStep func(step int, m map[string]any)

	rows, evalRows []Row
	T              int // packed row length / longest bucket
	segments       int // Objective.Segments: the most examples in a row, as a power of two
	state          train.TrainerState
	guard          train.NaNGuard
	metrics        *train.Log
	eval           *Evaluator
	startStep      int
	plan           []microBatch // the current epoch's micro-batches
	planEpoch      int
}

// NewTrainer loads the tokenizer, the data (failing on any malformed record) and the model
// (or, with resume, the latest checkpoint in Cfg.Out), and checks everything before any
// compute.
func NewTrainer(cfg Config, b backends.Backend, compute dtypes.DType, resume bool) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Cfg: cfg, Backend: b, Compute: compute, guard: train.NaNGuard{MaxInARow: cfg.MaxNaNInARow}, planEpoch: -1}
	var err error
	if t.Tok, err = tokenizer.Load(cfg.Model); err != nil {
		return nil, fmt.Errorf("tokenizer of %s: %w", cfg.Model, err)
	}
	mcfg, err := model.LoadConfig(filepath.Join(cfg.Model, "config.json"))
	if err != nil {
		return nil, err
	}
	if mcfg.VocabSize < t.Tok.VocabSize() {
		return nil, fmt.Errorf("%s: the tokenizer has %d tokens but the model's vocab_size is %d", cfg.Model, t.Tok.VocabSize(), mcfg.VocabSize)
	}
	t.T = cfg.MaxLength
	if t.T == 0 || t.T > mcfg.MaxPositionEmbeddings {
		t.T = mcfg.MaxPositionEmbeddings
	}
	if err := t.loadData(); err != nil {
		return nil, err
	}
	upe := t.updatesPerEpoch()
	t.Steps = cfg.Steps
	if t.Steps == 0 {
		t.Steps = cfg.Epochs * upe
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
	// auto leaves packed rows on XLA attention until cuDNN's packed form has been measured on a
	// GPU (its custom call matches JAX's, and JAX's matches a block-diagonal reference: see
	// BENCHMARKS.md); on runs it.
	packed := ""
	if cfg.Packing && cfg.FusedAttention == "auto" {
		packed = "packed rows: cuDNN's packed attention is used only with fused_attention on"
	}
	if t.Policy.FusedAttention, err = train.ResolveFusedAttention(cfg.FusedAttention, b, params.Config, compute, packed); err != nil {
		return nil, err
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
	logStart := -1
	if resume {
		logStart = t.startStep
	}
	if t.metrics, err = train.OpenLog(filepath.Join(cfg.Out, "metrics.jsonl"), logStart); err != nil {
		return nil, err
	}
	t.metrics.First = []string{"loss", "eval_loss", "lr", "grad_norm", "tokens_per_s"}
	t.eval = &Evaluator{Backend: b, Params: params, Compute: compute, FusedAttention: t.Policy.FusedAttention, Segments: t.segments}
	return t, nil
}

func (t *Trainer) loadData() error {
	c := t.Cfg
	enc, err := NewEncoder(c, t.Tok, t.T)
	if err != nil {
		return err
	}
	t.Template = enc.Template.Name()
	m := c.Mapping()
	exs, st, err := enc.Load(c.Data, m)
	if err != nil {
		return err
	}
	t.TrainStats = st
	var evalExs []Example
	switch {
	case c.EvalData != "":
		if evalExs, t.EvalStats, err = enc.Load(c.EvalData, m); err != nil {
			return err
		}
	case c.EvalShare > 0:
		n := int(float64(len(exs)) * c.EvalShare)
		if n > 0 && n < len(exs) {
			perm := rand.New(rand.NewPCG(uint64(c.Seed), 0x5f7)).Perm(len(exs))
			held := map[int]bool{}
			for _, i := range perm[:n] {
				held[i] = true
			}
			var kept []Example
			for i, ex := range exs {
				if held[i] {
					evalExs = append(evalExs, ex)
				} else {
					kept = append(kept, ex)
				}
			}
			exs = kept
		}
	}
	if c.Packing {
		t.rows, t.evalRows = Pack(exs, t.T), Pack(evalExs, t.T)
	} else {
		t.rows, t.evalRows = Unpacked(exs), Unpacked(evalExs)
	}
	t.segments = max(MaxSegments(t.rows), MaxSegments(t.evalRows))
	return nil
}

// MaxSegments is the most examples any of the rows holds, rounded up to a power of two (the
// programs are compiled for it: Objective.Segments).
func MaxSegments(rows []Row) int {
	most := 1
	for _, r := range rows {
		if n := len(r.Segments); n > 0 {
			most = max(most, int(r.Segments[n-1]))
		}
	}
	return model.BucketBatch(most)
}

// updatesPerEpoch is the number of optimizer updates one pass over the rows takes.
func (t *Trainer) updatesPerEpoch() int {
	mbs := (len(t.rows) + t.Cfg.BatchSize - 1) / t.Cfg.BatchSize
	return max(1, (mbs+t.Cfg.GradAccum-1)/t.Cfg.GradAccum)
}

// RowLength is the longest sequence, and with packing the length of every row: max_length
// capped at the model's context.
func (t *Trainer) RowLength() int { return t.T }

// Rows returns the number of training rows and of held-out rows.
func (t *Trainer) Rows() (trainRows, evalRows int) { return len(t.rows), len(t.evalRows) }

// StartStep is the last update completed before this run (0, or the resumed checkpoint's).
func (t *Trainer) StartStep() int { return t.startStep }

// nextMicroBatches takes the next k micro-batches of the epoch's plan (fewer at the end of
// an epoch), advancing the epoch when it is exhausted.
func (t *Trainer) nextMicroBatches(k int) []microBatch {
	if t.planEpoch != t.state.Epoch {
		t.plan = planEpoch(t.rows, t.Cfg.BatchSize, t.Cfg.Packing, t.T, t.Cfg.Seed, t.state.Epoch)
		t.planEpoch = t.state.Epoch
	}
	start := int(t.state.DataCursor)
	end := min(start+k, len(t.plan))
	out := t.plan[start:end]
	t.state.DataCursor = int64(end)
	if end >= len(t.plan) {
		t.state.Epoch++
		t.state.DataCursor = 0
	}
	return out
}

// Run trains until Steps, evaluating every EvalEvery updates and checkpointing every
// SaveEvery updates and at the end.
func (t *Trainer) Run() error { return t.RunUntil(t.Steps) }

// RunUntil is Run stopped after update last (≤ Steps) without a final checkpoint unless
// last is Steps or a multiple of SaveEvery: what a run killed after that update leaves.
func (t *Trainer) RunUntil(last int) error {
	defer t.metrics.Close()
	sched := t.Cfg.Schedule(t.Steps)
	obj := Objective{Micro: t.Cfg.GradAccum, Segments: t.segments}
	for step := t.startStep + 1; step <= min(last, t.Steps); step++ {
		t0 := time.Now()
		mbs := t.nextMicroBatches(t.Cfg.GradAccum)
		T := 0
		for _, mb := range mbs {
			T = max(T, mb.T)
		}
		var micro [][]*tensors.Tensor
		seen := 0
		for k := 0; k < t.Cfg.GradAccum; k++ {
			var rows []Row
			if k < len(mbs) {
				for _, i := range mbs[k].rows {
					rows = append(rows, t.rows[i])
					seen += t.rows[i].Len()
				}
			} else if t.Cfg.AccumMode == "loop" {
				break // the epoch's last update has fewer micro-batches
			}
			Tk := T
			if t.Cfg.AccumMode == "loop" && k < len(mbs) {
				Tk = mbs[k].T // programs run one micro-batch at a time: each keeps its own bucket
			}
			micro = append(micro, Batch(rows, t.Cfg.BatchSize, Tk))
		}
		lr := sched.LR(t.Policy.Updates)
		var res train.UpdateResult
		var err error
		if t.Cfg.GradAccum > 1 && t.Cfg.AccumMode == "loop" {
			res, err = Accumulate(t.Policy, micro, t.segments, lr)
		} else {
			var batch []*tensors.Tensor
			for _, mb := range micro {
				batch = append(batch, mb...)
			}
			res, err = t.Policy.Update(obj, batch, lr)
		}
		if err != nil {
			return fmt.Errorf("step %d: %w", step, err)
		}
		skip, err := t.guard.Observe(step, res.Loss, res.GradNorm)
		if err != nil {
			return err
		}
		dt := time.Since(t0).Seconds()
		m := map[string]any{
			"loss": res.Loss, "lr": lr, "grad_norm": res.GradNorm, "tokens_per_s": float64(seen) / dt,
			"tokens": seen, "loss_tokens": res.Stats["tokens"], "epoch": float64(t.state.Epoch) + float64(t.state.DataCursor)/float64(max(1, len(t.plan))),
			"time_step_s": dt,
		}
		if skip || res.Skipped {
			m["skipped"] = true
		}
		if t.Cfg.EvalEvery > 0 && step%t.Cfg.EvalEvery == 0 || step == t.Steps {
			if len(t.evalRows) > 0 {
				el, err := t.EvalLoss()
				if err != nil {
					return fmt.Errorf("step %d: %w", step, err)
				}
				m["eval_loss"] = el
			}
		}
		t.state.Step, t.state.Updates, t.state.NaNInARow = step, t.Policy.Updates, t.guard.InARow
		if err := t.metrics.Write(step, m); err != nil {
			return err
		}
		if t.OnStep != nil {
			t.OnStep(step, m)
		}
		if (t.Cfg.SaveEvery > 0 && step%t.Cfg.SaveEvery == 0) || step == t.Steps {
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

// EvalLoss returns the mean NLL per assistant token of the held-out rows (at most
// EvalBatches micro-batches), with the current weights.
func (t *Trainer) EvalLoss() (float64, error) {
	t.eval.Params = t.Policy.Params
	plan := planEpoch(t.evalRows, t.Cfg.BatchSize, t.Cfg.Packing, t.T, t.Cfg.Seed, -1)
	if n := t.Cfg.EvalBatches; n > 0 && len(plan) > n {
		plan = plan[:n]
	}
	var sum, count float64
	for _, mb := range plan {
		rows := make([]Row, len(mb.rows))
		for i, r := range mb.rows {
			rows[i] = t.evalRows[r]
		}
		s, c, err := t.eval.Sums(Batch(rows, t.Cfg.BatchSize, mb.T))
		if err != nil {
			return 0, err
		}
		sum, count = sum+s, count+c
	}
	if count == 0 {
		return math.NaN(), nil
	}
	return sum / count, nil
}

// checkpoint writes the model (Hugging Face layout, with the tokenizer files), the
// optimizer moments, the SFT config and the trainer state.
func (t *Trainer) checkpoint(step int) error {
	ck := train.Checkpointer{Keep: t.Cfg.KeepCheckpoints}
	return ck.Save(t.Cfg.Out, step, func(dir string) error {
		if err := train.SavePolicy(dir, t.Policy, t.Cfg.Model); err != nil {
			return err
		}
		cfg, _ := json.MarshalIndent(t.Cfg, "", "  ")
		return os.WriteFile(filepath.Join(dir, "sft_config.json"), cfg, 0o644)
	}, t.state)
}
