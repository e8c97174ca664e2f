package sft

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// benchEnv reads an integer benchmark setting from the environment.
func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchExamples returns n synthetic SFT examples with lengths spread over [T/16, T]
// (deterministic), the first quarter of each a prompt, tokens from the bench formula.
func benchExamples(n, T, vocab int) []Example {
	exs := make([]Example, n)
	lo := max(2, T/16)
	for i := range exs {
		L := lo + (i*7919+i*i*31)%(T-lo+1)
		ex := Example{Tokens: make([]int32, L), Loss: make([]bool, L)}
		for j := range ex.Tokens {
			ex.Tokens[j] = int32((i*7919 + j*104729 + j*j*31) % vocab)
			ex.Loss[j] = j >= L/4
		}
		exs[i] = ex
	}
	return exs
}

// causalObjective is the plain training step of `r1go bench train`: every position of full
// rows is a target, causal attention without a mask. It is the baseline the packed SFT
// step is compared with (same tokens, same shapes).
type causalObjective struct{}

func (causalObjective) Name() string { return "bench-causal" }

func (causalObjective) Build(w *model.Weights, in []*graph.Node) (*graph.Node, []train.Stat) {
	tokens, targets := in[0], in[1]
	hidden, _ := w.Forward(tokens, graph.Iota(tokens.Graph(), tokens.Shape(), 1), nil)
	return graph.Neg(graph.ReduceAllMean(w.TokenLogProbs(hidden, targets))), nil
}

// BenchmarkStep times SFT optimizer updates (forward, assistant-only loss, gradient, AdamW
// with f32 masters, buffers donated) on packed rows, next to the same rows trained as plain
// causal rows (`r1go bench train`'s step: the cost of the block-diagonal mask) and, on the
// CPU, the same examples one per row in length buckets (the cost of padding). It reports
// tokens/s (all row tokens), useful_tokens/s (example tokens, padding excluded) and, on a
// GPU, MFU against the H200's dense bf16 peak (6·N·tokens/s / 989 TFLOP/s).
//
// Settings from the environment: R1GO_BENCH_BACKEND (--backend syntax; default cpu),
// R1GO_BENCH_SHAPE (tiny, 0.5B, 1.5B; default tiny), R1GO_BENCH_SEQ (row length; default 256),
// R1GO_BENCH_BATCH (rows per update; default 4), R1GO_BENCH_STEPS (timed updates; default 4),
// R1GO_BENCH_MODES (comma-separated packed,causal,bucketed,fused,fused-packed; default
// packed,causal,bucketed on cpu, packed,causal on GPUs; fused (length buckets) and
// fused-packed (packed rows) run cuDNN's attention and need a GPU). Example on one H200:
//
//	R1GO_BENCH_BACKEND=cuda R1GO_BENCH_SHAPE=0.5B R1GO_BENCH_SEQ=4096 R1GO_BENCH_BATCH=8 \
//	  go test ./train/sft -run '^$' -bench Step -benchtime 1x -timeout 30m
func BenchmarkStep(b *testing.B) {
	choice := os.Getenv("R1GO_BENCH_BACKEND")
	if choice == "" {
		choice = "cpu"
	}
	be, err := r1backend.New(choice)
	if err != nil {
		b.Fatal(err)
	}
	cpu := r1backend.IsCPU(be) || strings.HasPrefix(choice, "go") || choice == "cpu"
	shape := os.Getenv("R1GO_BENCH_SHAPE")
	if shape == "" {
		shape = "tiny"
	}
	cfg, err := model.BuiltinConfig(shape)
	if err != nil {
		b.Fatal(err)
	}
	T, B, steps := benchEnv("R1GO_BENCH_SEQ", 256), benchEnv("R1GO_BENCH_BATCH", 4), benchEnv("R1GO_BENCH_STEPS", 4)
	modes := os.Getenv("R1GO_BENCH_MODES")
	if modes == "" {
		modes = "packed,causal"
		if cpu {
			modes += ",bucketed"
		}
	}
	compute := dtypes.BFloat16
	if cpu {
		compute = dtypes.Float32
	}
	// Enough examples to fill steps+1 updates of packed rows (one untimed update compiles).
	exs := benchExamples(1, T, cfg.VocabSize)
	for n := 2; len(Pack(exs, T)) < (steps+1)*B; n *= 2 {
		exs = benchExamples(n, T, cfg.VocabSize)
	}
	packed := Pack(exs, T)[:(steps+1)*B]
	b.Logf("%s, shape %s (%d parameters), %d rows x %d tokens per update, %s", r1backend.Describe(be), shape, cfg.NumParams(), B, T, compute)
	type run struct {
		mode    string
		obj     train.Objective
		pol     *train.Policy
		batches [][]*tensors.Tensor
		tokens  int // row tokens of all the batches
		useful  int // example tokens (padding excluded)
		best    float64
	}
	var runs []*run
	for _, mode := range strings.Split(modes, ",") {
		r := &run{mode: mode, obj: Objective{Micro: 1, Segments: MaxSegments(packed)}}
		switch mode {
		case "packed", "causal", "fused-packed":
			for s := 0; s+B <= len(packed); s += B {
				rows := packed[s : s+B]
				batch := Batch(rows, B, T)
				if mode == "causal" {
					batch = batch[:2]
					r.obj = causalObjective{}
				}
				r.batches = append(r.batches, batch)
				r.tokens += B * T
				for _, row := range rows {
					r.useful += row.Len()
				}
			}
		case "bucketed", "fused":
			// The examples of the packed rows, one per row, grouped by length bucket; fused:
			// the same rows with cuDNN's attention (GPU only).
			var sub []Example
			for _, row := range packed {
				start := 0
				for i := 1; i <= row.Len(); i++ {
					if i == row.Len() || row.Segments[i] != row.Segments[start] {
						sub = append(sub, Example{Tokens: row.Tokens[start:i], Loss: make([]bool, i-start)})
						start = i
					}
				}
			}
			rows := Unpacked(sub)
			for _, mb := range planEpoch(rows, B, false, T, 1, 0) {
				var rs []Row
				for _, i := range mb.rows {
					rs = append(rs, rows[i])
					r.useful += rows[i].Len()
				}
				r.batches = append(r.batches, Batch(rs, B, mb.T))
				r.tokens += B * mb.T
			}
		default:
			b.Fatalf("R1GO_BENCH_MODES: unknown mode %q (packed, causal, bucketed, fused, fused-packed)", mode)
		}
		runs = append(runs, r)
	}
	// Compile every program of every mode first, then time whole passes over the same
	// examples, the modes alternating (the machine's load drifts), keeping each mode's fastest.
	for _, r := range runs {
		r.pol = train.NewPolicy(be, model.InitParams(cfg, 0), compute, train.DefaultAdamW())
		r.pol.FusedAttention = r.mode == "fused" || r.mode == "fused-packed"
		seen := map[int]bool{}
		for _, bt := range r.batches {
			if T := bt[0].Shape().Dimensions[1]; !seen[T] {
				seen[T] = true
				if _, err := r.pol.Update(r.obj, bt, 1e-5); err != nil {
					b.Fatal(err)
				}
			}
		}
		r.best = math.Inf(1)
	}
	b.ResetTimer()
	for range b.N {
		for round := 0; round < benchEnv("R1GO_BENCH_ROUNDS", 3); round++ {
			for _, r := range runs {
				t0 := time.Now()
				for _, bt := range r.batches {
					if _, err := r.pol.Update(r.obj, bt, 1e-5); err != nil {
						b.Fatal(err)
					}
				}
				r.best = min(r.best, time.Since(t0).Seconds())
			}
		}
	}
	b.StopTimer()
	base := runs[0]
	for _, r := range runs {
		b.ReportMetric(float64(r.useful)/r.best, r.mode+"_useful_tokens/s")
		line := fmt.Sprintf("%-8s %2d updates in %.3f s (fastest of the rounds): %.0f tokens/s, %.0f useful tokens/s (%.1f%% padding), %.2fx %s",
			r.mode, len(r.batches), r.best, float64(r.tokens)/r.best, float64(r.useful)/r.best, 100*(1-float64(r.useful)/float64(r.tokens)),
			(float64(r.useful)/r.best)/(float64(base.useful)/base.best), base.mode)
		if !cpu {
			mfu := 6 * float64(cfg.NumParams()) * float64(r.useful) / r.best / 989e12
			b.ReportMetric(mfu, r.mode+"_MFU")
			line += fmt.Sprintf(", MFU %.3f", mfu)
		}
		b.Log(line)
		if r.mode == "packed" || r.mode == "fused" || r.mode == "fused-packed" {
			mfu := "n/a"
			if !cpu {
				mfu = fmt.Sprintf("%.4f", 6*float64(cfg.NumParams())*float64(r.useful)/r.best/989e12)
			}
			n := float64(len(r.batches))
			// The line torch_sft.py prints for its peer (same keys).
			attn := "masked" // packed rows, block-diagonal mask
			switch r.mode {
			case "fused":
				attn = "cudnn-bucketed" // one example per row, length buckets, cuDNN attention
			case "fused-packed":
				attn = "cudnn-packed" // packed rows, cuDNN attention in its packed form
			}
			fmt.Printf("bench=sft impl=r1go attn=%s shape=%s params=%d batch=%d seq=%d step_s=%.4f tokens_per_s=%.0f useful_tokens_per_s=%.0f mfu=%s\n",
				attn, shape, cfg.NumParams(), B, T, r.best/n, float64(r.tokens)/r.best, float64(r.useful)/r.best, mfu)
		}
	}
}
