package model

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// TestRecomputedAttentionGradients: with RecomputeAttention and/or the chunked LM head the
// loss, the entropy and the gradient of every parameter equal those of the plain graph (f32,
// CPU), with a padding mask as well; chunks of 5 tokens do not divide the 16 tokens.
func TestRecomputedAttentionGradients(t *testing.T) {
	b := cpuBackend(t)
	for _, name := range []string{"tiny-qwen2", "tiny-llama"} {
		p, _ := loadFixture(t, name)
		np := len(p.Tensors)
		run := func(recompute bool, chunk int) []*tensors.Tensor {
			ex := MustNewExec(b, func(in []*Node) []*Node {
				w := Bind(p.Config, in[:np], dtypes.Float32)
				w.RecomputeAttention, w.ChunkTokens = recompute, chunk
				tokens, targets, valid := in[np], in[np+1], in[np+2]
				hidden, _ := w.Forward(tokens, Iota(tokens.Graph(), tokens.Shape(), 1), valid)
				logp, ent := w.TokenLogProbsAndEntropy(hidden, targets)
				loss := Neg(ReduceAllMean(logp))
				return append([]*Node{loss, ReduceAllSum(ent)}, Gradient(loss, in[:np]...)...)
			})
			args := make([]any, 0, np+3)
			for _, x := range p.Tensors {
				args = append(args, x)
			}
			tok := [][]int32{{5, 9, 200, 17, 3, 88, 1, 0}, {44, 45, 46, 47, 48, 49, 50, 51}}
			tgt := [][]int32{{9, 200, 17, 3, 88, 1, 0, 7}, {45, 46, 47, 48, 49, 50, 51, 52}}
			valid := [][]bool{{true, true, true, true, true, true, false, false}, {true, true, true, true, true, true, true, true}}
			args = append(args, tensors.FromValue(tok), tensors.FromValue(tgt), tensors.FromValue(valid))
			return ex.MustExec(args...)
		}
		plain := run(false, 0)
		for _, v := range []struct {
			recompute bool
			chunk     int
		}{{true, 0}, {false, 5}, {true, 5}} {
			rec := run(v.recompute, v.chunk)
			for i, what := range []string{"loss", "entropy"} {
				if a, c := plain[i].Value().(float32), rec[i].Value().(float32); math.Abs(float64(a-c)) > 1e-5*math.Max(1, math.Abs(float64(a))) {
					t.Fatalf("%s %+v: %s %v plain, %v", name, v, what, a, c)
				}
			}
			worst := 0.0
			for i := 2; i < len(plain); i++ {
				a, c := flat(plain[i].Value()), flatAny(rec[i])
				var num, den float64
				for j := range a {
					d := float64(a[j] - c[j])
					num += d * d
					den += float64(a[j]) * float64(a[j])
				}
				if den > 0 {
					worst = math.Max(worst, math.Sqrt(num/den))
				}
			}
			t.Logf("%s %+v: worst relative gradient difference %.2e", name, v, worst)
			if worst > 1e-5 {
				t.Errorf("%s %+v: gradients differ by %.2e (relative)", name, v, worst)
			}
		}
	}
}

func flatAny(t *tensors.Tensor) []float32 {
	var out []float32
	t.ConstFlatData(func(f any) { out = append(out, f.([]float32)...) })
	return out
}
