package bench

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/generate"
	"github.com/r1go/r1go/internal/cuda"
	"github.com/r1go/r1go/internal/triton"
	"github.com/r1go/r1go/model"
)

// GenerateOptions describe one rollout benchmark: Prompts prompts of PromptLen tokens, N samples
// each (GRPO's group), MaxNew new tokens per sample. No EOS is set, so every sample runs to
// MaxNew tokens and the work is the same in every run and implementation.
type GenerateOptions struct {
	Config      *model.Config
	Shape       string
	Prompts     int     // distinct prompts
	N           int     // samples per prompt
	PromptLen   int     // tokens per prompt
	MaxNew      int     // new tokens per sample
	Temperature float64 // 0 is greedy; R1's rollouts use 1
	Compute     dtypes.DType
	Seed        uint64 // parameter initialisation and sampling seed
	Runs        int    // timed runs, after one untimed (compiling) run
	// TokensPerCall and CacheGrowth set generate.Options.SyncEvery and CacheGrowth (0: the
	// engine's defaults).
	TokensPerCall, CacheGrowth int
	NoPromptSharing            bool               // generate.Options.NoPromptSharing
	NoCompileAhead             bool               // generate.Engine.NoCompileAhead
	Attention                  generate.Attention // generate.Engine.Attention
	AttentionTuning            triton.Tuning      // generate.Engine.AttentionTuning
	// ProfileCalls > 0 brackets that many decode calls in the middle of the last timed run with
	// the CUDA profiler API (internal/cuda), for `ncu --profile-from-start off`.
	ProfileCalls int
	// KernelTraceCalls > 0 records the kernels of that many decode calls in the middle of the
	// last timed run with CUPTI (cuda.StartTrace) and reports the time per kernel family.
	KernelTraceCalls int
	// BandwidthTBs, when > 0, is the device's memory bandwidth in TB/s: the result then
	// reports the bandwidth bound (BoundTokensPerSec) and the share of it reached.
	BandwidthTBs float64
}

// BoundTokensPerSec is the most new tokens per second a decoder could reach if each decode
// step only read, at bandwidth bytes/s, the weights (bf16 or f32, as computed) and the valid
// part of the KV cache: on average the prompt plus half the new tokens per row, the prompt
// counted once per prompt when its samples share its cache.
func (o GenerateOptions) BoundTokensPerSec(bandwidth float64) float64 {
	c := o.Config
	bytes := float64(o.Compute.Size())
	kvPerToken := 2 * float64(c.NumHiddenLayers*c.NumKeyValueHeads*c.HeadDim) * bytes
	rows := float64(o.Prompts * o.N)
	promptReads := rows
	if o.N > 1 && !o.NoPromptSharing {
		promptReads = float64(o.Prompts)
	}
	perStep := float64(c.NumParams())*bytes + kvPerToken*(promptReads*float64(o.PromptLen)+rows*float64(o.MaxNew+1)/2)
	return rows * bandwidth / perStep
}

// Validate reports options the benchmark cannot run with, naming the field.
func (o *GenerateOptions) Validate() error {
	switch {
	case o.Config == nil:
		return fmt.Errorf("no model configuration")
	case o.Prompts <= 0:
		return fmt.Errorf("prompts %d: must be positive", o.Prompts)
	case o.N <= 0:
		return fmt.Errorf("n %d: must be positive", o.N)
	case o.PromptLen <= 0:
		return fmt.Errorf("prompt length %d: must be positive", o.PromptLen)
	case o.MaxNew <= 0:
		return fmt.Errorf("max new tokens %d: must be positive", o.MaxNew)
	case o.PromptLen+o.MaxNew > o.Config.MaxPositionEmbeddings:
		return fmt.Errorf("prompt length %d + max new tokens %d exceed the model's max_position_embeddings %d", o.PromptLen, o.MaxNew, o.Config.MaxPositionEmbeddings)
	case !(o.Temperature >= 0) || math.IsInf(o.Temperature, 0):
		return fmt.Errorf("temperature %v: must be >= 0", o.Temperature)
	case o.ProfileCalls < 0 || o.KernelTraceCalls < 0:
		return fmt.Errorf("profile calls %d, kernel trace calls %d: must be ≥ 0", o.ProfileCalls, o.KernelTraceCalls)
	case !(o.BandwidthTBs >= 0) || math.IsInf(o.BandwidthTBs, 0):
		return fmt.Errorf("bandwidth %v TB/s: must be ≥ 0 (0: no bound reported)", o.BandwidthTBs)
	case o.ProfileCalls > 0 && o.KernelTraceCalls > 0:
		return fmt.Errorf("profile calls and kernel trace calls: one at a time (the kernel trace would be timed under the profiler)")
	case o.TokensPerCall < 0 || o.CacheGrowth < 0:
		return fmt.Errorf("tokens per call %d, cache growth %d: must be ≥ 0 (0: the default)", o.TokensPerCall, o.CacheGrowth)
	case o.Runs <= 0:
		return fmt.Errorf("runs %d: must be positive", o.Runs)
	case o.Compute != dtypes.Float32 && o.Compute != dtypes.BFloat16:
		return fmt.Errorf("compute dtype %s: must be float32 or bfloat16", o.Compute)
	}
	return o.Config.Validate()
}

// GenerateResult is what one rollout benchmark measured.
type GenerateResult struct {
	Options      GenerateOptions
	Params       int64
	FirstSec     float64   // the first run, compilation included
	RunSec       []float64 // each timed run
	NewTokens    int       // tokens one run generates (Prompts × N × MaxNew)
	PeakMemBytes int64     // -1 when unknown
	Attention    string    // the decode attention the engine used: xla, triton or triton-fused
	Async        bool      // program calls returned before the device finished (backend.AsyncExecute)
}

// MeanRunSec is the mean of the timed runs.
func (r *GenerateResult) MeanRunSec() float64 {
	var s float64
	for _, x := range r.RunSec {
		s += x
	}
	return s / float64(len(r.RunSec))
}

// TokensPerSec is generated tokens per second over the timed runs.
func (r *GenerateResult) TokensPerSec() float64 { return float64(r.NewTokens) / r.MeanRunSec() }

// Line is the one-line report shared with bench/hf_generate.py.
func (r *GenerateResult) Line() string {
	o := r.Options
	mem := "n/a"
	if r.PeakMemBytes >= 0 {
		mem = fmt.Sprintf("%.2f", float64(r.PeakMemBytes)/(1<<30))
	}
	bound := ""
	if o.BandwidthTBs > 0 {
		b := o.BoundTokensPerSec(o.BandwidthTBs * 1e12)
		bound = fmt.Sprintf(" bound_tokens_per_s=%.0f bound_share=%.3f", b, r.TokensPerSec()/b)
	}
	async := ""
	if r.Async {
		async = " async=true"
	}
	return fmt.Sprintf("bench=generate impl=r1go shape=%s params=%d prompts=%d n=%d prompt_len=%d max_new=%d temperature=%g dtype=%s attention=%s%s first_s=%.2f run_s=%.4f tokens_per_s=%.0f peak_mem_gib=%s%s",
		o.Shape, r.Params, o.Prompts, o.N, o.PromptLen, o.MaxNew, o.Temperature, dtypeName(o.Compute), r.Attention, async, r.FirstSec, r.MeanRunSec(), r.TokensPerSec(), mem, bound)
}

// stretch returns the decode hook that calls start before the decode call in the middle of a
// run of calls decode calls and stop n calls later (unless start failed); the first error is
// kept in *err.
func stretch(calls, n int, start, stop func() error, err *error) func(calls int) {
	from := max(0, calls/2-n/2)
	return func(calls int) {
		var e error
		switch calls {
		case from:
			e = start()
		case from + n:
			if *err == nil {
				e = stop()
			}
		}
		if e != nil && *err == nil {
			*err = e
		}
	}
}

func perCall(d time.Duration, calls int) float64 {
	return float64(d.Microseconds()) / float64(max(1, calls))
}

// BenchPrompts returns the benchmark's prompts: BenchTokens' rows, so that the peer
// (bench/hf_generate.py) generates from the same tokens.
func BenchPrompts(vocab, prompts, length int) [][]int32 {
	in, _ := BenchTokens(vocab, prompts, length)
	return in.Value().([][]int32)
}

// Generate runs the rollout benchmark with r1go's generation engine (package generate): one
// untimed run, then opt.Runs timed runs of Prompts × N samples of MaxNew tokens. It checks that
// every sample has MaxNew tokens.
func Generate(b backends.Backend, opt GenerateOptions, log io.Writer) (*GenerateResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = io.Discard
	}
	c := opt.Config
	res := &GenerateResult{Options: opt, Params: c.NumParams(), NewTokens: opt.Prompts * opt.N * opt.MaxNew, PeakMemBytes: -1}
	t0 := time.Now()
	e := generate.NewEngine(b, model.InitParams(c, opt.Seed), opt.Compute)
	e.NoCompileAhead, e.Attention, e.AttentionTuning = opt.NoCompileAhead, opt.Attention, opt.AttentionTuning
	fmt.Fprintf(log, "init %.1fs (%d parameters)\n", time.Since(t0).Seconds(), res.Params)
	prompts := BenchPrompts(c.VocabSize, opt.Prompts, opt.PromptLen)
	g := generate.DefaultOptions()
	g.N, g.MaxNewTokens, g.Temperature, g.TopP, g.TopK = opt.N, opt.MaxNew, opt.Temperature, 1, 0
	g.EOS, g.MaxRows = nil, opt.Prompts*opt.N
	g.SyncEvery, g.CacheGrowth, g.NoPromptSharing = opt.TokensPerCall, opt.CacheGrowth, opt.NoPromptSharing
	var profErr error
	for i := range 1 + opt.Runs {
		g.Seed = opt.Seed + uint64(i)
		calls := e.Stats.Calls // of the run before, which decoded as many tokens per call as this one
		e.Stats = generate.Stats{}
		var trace []cuda.Kernel
		var traceStart time.Time
		var traceWall time.Duration // from starting the trace to stopping it, host clock
		switch {
		case i < opt.Runs:
		case opt.ProfileCalls > 0:
			e.BeforeDecode = stretch(calls, opt.ProfileCalls, cuda.Start, cuda.Stop, &profErr)
		case opt.KernelTraceCalls > 0:
			e.BeforeDecode = stretch(calls, opt.KernelTraceCalls, func() error {
				traceStart = time.Now()
				return cuda.StartTrace()
			}, func() (err error) {
				traceWall = time.Since(traceStart)
				trace, err = cuda.StopTrace()
				return err
			}, &profErr)
		}
		s0 := time.Now()
		out, err := e.Generate(prompts, g, nil)
		if err != nil {
			return nil, fmt.Errorf("generation run %d of %s: %w", i, opt.Shape, err)
		}
		el := time.Since(s0).Seconds()
		res.Attention, res.Async = string(e.AttentionUsed()), !r1backend.IsCPU(b) && r1backend.AsyncExecute()
		if profErr != nil {
			return nil, profErr
		}
		if len(out) != opt.Prompts*opt.N {
			return nil, fmt.Errorf("generation run %d: %d samples, want %d", i, len(out), opt.Prompts*opt.N)
		}
		for _, r := range out {
			if len(r.IDs) != opt.MaxNew {
				return nil, fmt.Errorf("generation run %d: prompt %d sample %d has %d tokens, want %d", i, r.Prompt, r.Sample, len(r.IDs), opt.MaxNew)
			}
		}
		kind := "timed"
		if i == 0 {
			res.FirstSec, kind = el, "first"
		} else {
			res.RunSec = append(res.RunSec, el)
		}
		st := e.Stats
		fmt.Fprintf(log, "run %d (%s): %.3fs, %.0f tokens/s; decode loop: %d calls of %d tokens, per call %.0f µs starting the program, %.0f µs waiting for its tokens, %.0f µs on the host",
			i, kind, el, float64(res.NewTokens)/el, st.Calls, st.Tokens/max(1, st.Calls), perCall(st.Dispatch, st.Calls), perCall(st.Wait, st.Calls), perCall(st.Host, st.Calls))
		if st.Compiled > 0 {
			fmt.Fprintf(log, "; %d decode programs compiled in %.1fs", st.Compiled, st.Compile.Seconds())
		}
		fmt.Fprintln(log)
		if len(trace) > 0 {
			fmt.Fprintf(log, "traced calls: %.0f µs each on the host's clock (tracing on)\n", perCall(traceWall, opt.KernelTraceCalls))
			fmt.Fprint(log, cuda.Summarize(trace).Report(opt.KernelTraceCalls))
			fmt.Fprintf(log, "the first %d kernels traced:\n%s", min(len(trace), 40), cuda.Timeline(trace, 40))
		}
	}
	return res, nil
}
