// Package bench measures r1go's training step the way its peers are measured: a full step of a
// Qwen2/Llama model (forward, log-softmax cross-entropy, gradient, AdamW with f32 master weights),
// all state donated between steps, timed after compilation. `r1go bench train` prints the result
// as one line in the format bench/torch_train.py prints for transformers + PyTorch, so that
// bench/gpu.sh can put the two side by side.
package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// H200PeakBF16 is the dense bf16 tensor-core peak of an NVIDIA H200 (and H100 SXM), in FLOP/s:
// the denominator of the MFU figures r1go and its peers report.
const H200PeakBF16 = 989e12

// TrainOptions describe one training-step benchmark.
type TrainOptions struct {
	Config  *model.Config
	Shape   string       // the shape's name, for the report ("0.5B", "tiny", a config path)
	Batch   int          // sequences per step
	Seq     int          // tokens per sequence (every position is a training target)
	Steps   int          // timed steps
	Warmup  int          // untimed steps after the first (compiling) one
	Compute dtypes.DType // dtype of the matrix products (bf16 on GPUs); masters, moments and loss are f32
	Seed    uint64       // parameter initialisation seed
	LR      float64      // AdamW learning rate (constant)

	// DefaultGradients differentiates the model's products with GoMLX's own DotGeneral VJP
	// instead of Product's matrix-product gradients, to measure what the fast gradients buy.
	DefaultGradients bool
	// RecomputeAttention recomputes the attention probabilities in the backward pass
	// (model.Weights.RecomputeAttention) instead of keeping them between the passes.
	RecomputeAttention bool
	// LMHeadChunk > 0 computes the loss's logits this many tokens at a time (forward and
	// backward), so the f32 logits of the whole batch never exist.
	LMHeadChunk int
	// FusedAttention runs attention as cuDNN's flash attention (model.Weights.FusedAttention;
	// XLA on CUDA, bf16).
	FusedAttention bool
}

// Validate reports options the benchmark cannot run with, naming the field.
func (o *TrainOptions) Validate() error {
	switch {
	case o.Config == nil:
		return fmt.Errorf("no model configuration")
	case o.Batch <= 0:
		return fmt.Errorf("batch %d: must be positive", o.Batch)
	case o.Seq <= 0:
		return fmt.Errorf("seq %d: must be positive", o.Seq)
	case o.Seq > o.Config.MaxPositionEmbeddings:
		return fmt.Errorf("seq %d exceeds the model's max_position_embeddings %d", o.Seq, o.Config.MaxPositionEmbeddings)
	case o.Steps <= 0:
		return fmt.Errorf("steps %d: must be positive", o.Steps)
	case o.Warmup < 0:
		return fmt.Errorf("warmup %d: must be >= 0", o.Warmup)
	case o.Compute != dtypes.Float32 && o.Compute != dtypes.BFloat16:
		return fmt.Errorf("compute dtype %s: must be float32 or bfloat16", o.Compute)
	case !(o.LR >= 0) || math.IsInf(o.LR, 0):
		return fmt.Errorf("learning rate %v: must be >= 0", o.LR)
	}
	if o.FusedAttention {
		if err := model.FusedAttentionSupported(o.Config, o.Compute); err != nil {
			return err
		}
	}
	return o.Config.Validate()
}

// TrainResult is what one benchmark run measured.
type TrainResult struct {
	Options    TrainOptions
	Backend    string    // backend.Describe of the backend it ran on
	Params     int64     // number of model parameters
	InitSec    float64   // parameter initialisation and transfer to the device
	CompileSec float64   // building and compiling the step program
	FirstSec   float64   // the first execution (after compilation)
	StepSec    []float64 // each timed step, loss read back (synchronised)
	Losses     []float32 // the loss of every step, first and warm-up included
	GradNorms  []float32 // the global gradient norm of every step
	// PeakFLOPS is the accelerator's peak the MFU is computed against (H200PeakBF16 on GPUs);
	// 0 (on CPUs) reports no MFU.
	PeakFLOPS float64
	// PeakMemBytes is the device memory the run used at its peak, or -1 when unknown (the
	// caller fills it in; see DeviceMemoryUsed).
	PeakMemBytes int64
}

// Tokens is the number of tokens a step trains on.
func (r *TrainResult) Tokens() int { return r.Options.Batch * r.Options.Seq }

// MeanStepSec is the mean of the timed steps.
func (r *TrainResult) MeanStepSec() float64 {
	var s float64
	for _, x := range r.StepSec {
		s += x
	}
	return s / float64(len(r.StepSec))
}

// TokensPerSec is the training throughput over the timed steps.
func (r *TrainResult) TokensPerSec() float64 { return float64(r.Tokens()) / r.MeanStepSec() }

// MFU is the model FLOPs utilisation against peak FLOP/s: 6·N·tokens/s / peak, the usual
// estimate (2N for the forward products, 4N for the backward; attention's own products not
// counted).
func (r *TrainResult) MFU(peak float64) float64 {
	return 6 * float64(r.Params) * r.TokensPerSec() / peak
}

// Line is the one-line report shared with bench/torch_train.py: space-separated key=value pairs.
func (r *TrainResult) Line() string {
	o := r.Options
	grad := "fast"
	if o.DefaultGradients {
		grad = "default"
	}
	if o.RecomputeAttention {
		grad += "+recompute" // attention probabilities recomputed in the backward pass
	}
	if o.LMHeadChunk > 0 {
		grad += fmt.Sprintf("+lmchunk%d", o.LMHeadChunk) // logits in chunks of this many tokens
	}
	if o.FusedAttention {
		grad += "+fused" // cuDNN flash attention
	}
	mfu := "n/a"
	if r.PeakFLOPS > 0 {
		mfu = fmt.Sprintf("%.4f", r.MFU(r.PeakFLOPS))
	}
	mem := "n/a"
	if r.PeakMemBytes >= 0 {
		mem = fmt.Sprintf("%.2f", float64(r.PeakMemBytes)/(1<<30))
	}
	return fmt.Sprintf("bench=train impl=r1go grad=%s shape=%s params=%d batch=%d seq=%d dtype=%s compile_s=%.2f step_s=%.4f tokens_per_s=%.0f mfu=%s peak_mem_gib=%s loss_first=%.4f loss_last=%.4f",
		grad, o.Shape, r.Params, o.Batch, o.Seq, dtypeName(o.Compute), r.CompileSec, r.MeanStepSec(), r.TokensPerSec(),
		mfu, mem, r.Losses[0], r.Losses[len(r.Losses)-1])
}

func dtypeName(d dtypes.DType) string {
	if d == dtypes.BFloat16 {
		return "bf16"
	}
	return "f32"
}

// BenchTokens returns the benchmark's input and target tokens [batch, seq]: a fixed
// pseudo-random sequence per row (the same in every run), targets shifted by one.
func BenchTokens(vocab, batch, seq int) (inputs, targets *tensors.Tensor) {
	in := make([]int32, batch*seq)
	tg := make([]int32, batch*seq)
	for r := range batch {
		for j := 0; j <= seq; j++ {
			id := int32((uint64(r)*7919 + uint64(j)*104729 + uint64(j*j)*31) % uint64(vocab))
			if j < seq {
				in[r*seq+j] = id
			}
			if j > 0 {
				tg[r*seq+j-1] = id
			}
		}
	}
	return tensors.FromFlatDataAndDimensions(in, batch, seq), tensors.FromFlatDataAndDimensions(tg, batch, seq)
}

// Train runs the benchmark on b: it initialises the model (model.InitParams), compiles one
// training step, runs it once plus opt.Warmup times, then opt.Steps timed times, feeding each
// step's parameters and moments (donated) into the next. Progress lines go to log (may be nil).
// Graph-building and runtime panics become errors.
func Train(b backends.Backend, opt TrainOptions, log io.Writer) (res *TrainResult, err error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	c := opt.Config
	res = &TrainResult{Options: opt, Backend: backend.Describe(b), Params: c.NumParams(), PeakMemBytes: -1}
	adam := train.DefaultAdamW()
	adam.WeightDecay = 0.01

	// The step is train.Policy's, the one GRPO and SFT train with, on a plain cross-entropy.
	var pol *train.Policy
	t0 := time.Now()
	err = guard.Run(func() {
		p := model.InitParams(c, opt.Seed)
		for _, t := range p.Tensors {
			if err := t.MaterializeOnDevice(b, false, 0); err != nil {
				panic(err)
			}
		}
		pol = train.NewPolicy(b, p, opt.Compute, adam)
		pol.RecomputeAttention, pol.LMHeadChunk, pol.FusedAttention = opt.RecomputeAttention, opt.LMHeadChunk, opt.FusedAttention
		for _, t := range append(pol.M, pol.V...) {
			if err := t.MaterializeOnDevice(b, false, 0); err != nil {
				panic(err)
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("initialising %s: %w", opt.Shape, err)
	}
	res.InitSec = time.Since(t0).Seconds()
	fmt.Fprintf(log, "init %.1fs (%d parameters)\n", res.InitSec, res.Params)

	obj := crossEntropy{defaultGradients: opt.DefaultGradients}
	tokens, targets := BenchTokens(c.VocabSize, opt.Batch, opt.Seq)
	batch := []*tensors.Tensor{tokens, targets}
	t0 = time.Now()
	if err := pol.Compile(obj, batch, opt.LR); err != nil {
		return nil, fmt.Errorf("compiling the training step of %s: %w", opt.Shape, err)
	}
	res.CompileSec = time.Since(t0).Seconds()
	fmt.Fprintf(log, "compile %.1fs\n", res.CompileSec)

	total := 1 + opt.Warmup + opt.Steps
	for i := range total {
		s0 := time.Now()
		r, err := pol.Update(obj, batch, opt.LR)
		if err != nil {
			return nil, fmt.Errorf("training step %d of %s: %w", i, opt.Shape, err)
		}
		el := time.Since(s0).Seconds()
		loss, norm := float32(r.Loss), float32(r.GradNorm)
		if r.Skipped {
			return nil, fmt.Errorf("training step %d of %s: loss %v, gradient norm %v", i, opt.Shape, loss, norm)
		}
		res.Losses = append(res.Losses, loss)
		res.GradNorms = append(res.GradNorms, norm)
		kind := "timed"
		switch {
		case i == 0:
			res.FirstSec = el
			kind = "first"
		case i <= opt.Warmup:
			kind = "warm-up"
		default:
			res.StepSec = append(res.StepSec, el)
		}
		fmt.Fprintf(log, "step %d (%s): %.4fs loss %.4f grad_norm %.4f\n", i, kind, el, loss, norm)
	}
	for _, t := range append(append(slices.Clone(pol.Params.Tensors), pol.M...), pol.V...) {
		t.FinalizeAll()
	}
	return res, nil
}

// crossEntropy is the benchmark's objective: the mean negative log-likelihood of every next
// token. With defaultGradients the model's products differentiate with GoMLX's own VJP.
type crossEntropy struct{ defaultGradients bool }

func (o crossEntropy) Name() string {
	if o.defaultGradients {
		return "bench-ce-default-gradients"
	}
	return "bench-ce"
}

func (o crossEntropy) Build(w *model.Weights, in []*Node) (*Node, []train.Stat) {
	tokens, targets := in[0], in[1]
	hidden, _ := w.Forward(tokens, Iota(tokens.Graph(), tokens.Shape(), 1), nil)
	loss := Neg(ReduceAllMean(w.TokenLogProbs(hidden, targets)))
	if o.defaultGradients {
		model.UseDefaultGradients(tokens.Graph())
	}
	return loss, nil
}

// ParseLine reads a line printed by Line (or by bench/torch_train.py) into its key=value pairs.
func ParseLine(line string) (map[string]string, error) {
	kv := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("bench line: field %q is not key=value", f)
		}
		kv[k] = v
	}
	if kv["bench"] == "" {
		return nil, fmt.Errorf("bench line: no bench= field in %q", line)
	}
	return kv, nil
}
