package model

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestFusedQKVMatchesSeparate: the forward pass with each layer's q, k, v stacked into one
// product (FuseQKV + BindFused) gives the logits of the separate products, with biases
// (Qwen2) and without (Llama).
func TestFusedQKVMatchesSeparate(t *testing.T) {
	b := cpuBackend(t)
	for _, dir := range []string{"testdata/tiny-qwen2", "testdata/tiny-llama"} {
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		c := p.Config
		specs := c.FusedSpecs()
		stacked := 0
		for _, s := range specs {
			if IsStacked(s.Name) {
				stacked++
				if s.Shape[0] != (c.NumAttentionHeads+2*c.NumKeyValueHeads)*c.HeadDim {
					t.Errorf("%s: %s has %d rows", dir, s.Name, s.Shape[0])
				}
			}
		}
		perLayer := 1
		if c.HasQKVBias() {
			perLayer = 2
		}
		if stacked != perLayer*c.NumHiddenLayers || len(specs) != len(c.ParamSpecs())-2*perLayer*c.NumHiddenLayers {
			t.Errorf("%s: %d stacked of %d specs (from %d)", dir, stacked, len(specs), len(c.ParamSpecs()))
		}
		np := len(p.Tensors)
		logits := func(fused bool) []float32 {
			out := MustExecOnceN(b, func(in []*Node) []*Node {
				tokens := in[np]
				w := bindStackedOrNot(c, in[:np], fused)
				h, _ := w.Forward(tokens, Iota(tokens.Graph(), tokens.Shape(), 1), nil)
				return []*Node{w.Logits(h)}
			}, append(anySlice(p.Tensors), tensors.FromValue([][]int32{{3, 14, 15, 92, 65, 35}}))...)
			flat, err := tensors.CopyFlatData[float32](out[0])
			if err != nil {
				t.Fatal(err)
			}
			return flat
		}
		if worst := maxAbsDiff(logits(false), logits(true)); worst > 1e-4 {
			t.Errorf("%s: stacked q, k, v change the logits by up to %g", dir, worst)
		}
	}
}

func anySlice(ts []*tensors.Tensor) []any {
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = t
	}
	return out
}

// DecodeAttentionFused is handed the stacked projections [B, 1, (H + 2·KV)·HD] whether the
// layer's weights are stacked (BindFused) or separate (Bind, stacked for the hook): the same
// values, first layer, with biases (Qwen2) and without (Llama). Stacked weights hand their
// biases over apart from the product (the kernel adds them); separate ones, in it.
func TestDecodeAttentionFusedGetsStackedProjections(t *testing.T) {
	b := cpuBackend(t)
	for _, dir := range []string{"testdata/tiny-qwen2", "testdata/tiny-llama"} {
		p, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		c := p.Config
		np := len(p.Tensors)
		const B, S = 2, 8
		projections := func(fused bool) []float32 {
			out := MustExecOnceN(b, func(in []*Node) []*Node {
				tokens := in[np]
				g := tokens.Graph()
				w := bindStackedOrNot(c, in[:np], fused)
				var first *Node
				w.DecodeAttentionFused = func(qkv, bias, cos, sin *Node, prompt *KV, cache KV) (*Node, KV) {
					if first == nil {
						first = qkv
						if bias != nil {
							first = Add(qkv, Reshape(bias, 1, 1, bias.Shape().Size()))
						}
						if wantBias := fused && c.HasQKVBias(); (bias != nil) != wantBias {
							t.Errorf("%s, stacked %v: the hook got a bias %v, want %v", dir, fused, bias != nil, wantBias)
						}
					}
					return Zeros(g, shapes.Make(dtypes.Float32, B, 1, c.NumAttentionHeads*c.HeadDim)), cache
				}
				var cache []KV
				for range c.NumHiddenLayers {
					z := Zeros(g, shapes.Make(dtypes.Float32, B, c.NumKeyValueHeads, S, c.HeadDim))
					cache = append(cache, KV{z, z})
				}
				positions := Const(g, []int32{3, 5})
				w.DecodeStep(tokens, positions, cache, Const(g, int32(5)), Const(g, [][]bool{make([]bool, S), make([]bool, S)}), nil)
				return []*Node{first}
			}, append(anySlice(p.Tensors), tensors.FromValue([]int32{7, 42}))...)
			if d := out[0].Shape().Dimensions; d[0] != B || d[1] != 1 || d[2] != (c.NumAttentionHeads+2*c.NumKeyValueHeads)*c.HeadDim {
				t.Fatalf("%s: the hook got projections of shape %v", dir, d)
			}
			flat, err := tensors.CopyFlatData[float32](out[0])
			if err != nil {
				t.Fatal(err)
			}
			return flat
		}
		if worst := maxAbsDiff(projections(false), projections(true)); worst > 1e-5 {
			t.Errorf("%s: the stacked and the separate projections differ by up to %g", dir, worst)
		}
	}
}

// bindStackedOrNot binds parameters in ParamSpecs order with q, k and v stacked (FuseQKV +
// BindFused) or separate (Bind), f32.
func bindStackedOrNot(c *Config, params []*Node, stacked bool) *Weights {
	if stacked {
		return BindFused(c, FuseQKV(c, params, func(x *Node) *Node { return x }), dtypes.Float32)
	}
	return Bind(c, params, dtypes.Float32)
}

func maxAbsDiff(a, b []float32) float64 {
	worst := 0.0
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
	}
	return worst
}
