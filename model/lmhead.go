package model

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// The log-probability of the targets needs the logits [B, T, V]: in f32, 10 GB for a Qwen2.5
// vocabulary at 8 × 2048 tokens, plus as much again for their gradient, all alive between the
// forward and backward passes. chunkedLogProbs computes them ChunkTokens tokens at a time
// (forward: log-probability and entropy of each chunk; backward: each chunk's logits again,
// then dL/dlogits = g · (one-hot − softmax) and its products with the LM head and the hidden
// states), so only one chunk's logits exist at once. The gradient is carried as in
// recompute.go: the hidden states (f32) and the f32 LM head are packed behind the
// log-probabilities, and the carrier's VJP returns their gradients.

// chunkedLogProbs returns log p(target) and the entropy, [B, T] f32 each, for hidden
// [B, T, D] and targets [B, T], chunk tokens at a time. The entropy is a diagnostic with no
// gradient.
func (w *Weights) chunkedLogProbs(hidden, targets *Node, chunk int) (logp, entropy *Node) {
	d := hidden.Shape().Dimensions
	B, T, D := d[0], d[1], d[2]
	N := B * T
	V := w.LMHead.Shape().Dimensions[0]
	h := Reshape(hidden, N, D)
	t := Reshape(targets, N)
	head := ConvertDType(w.LMHead, dtypes.Float32) // [V, D], the f32 master
	hs, ws := StopGradient(h), w.cast(StopGradient(head))
	var lps, ents []*Node
	for from := 0; from < N; from += chunk {
		to := min(N, from+chunk)
		logits := ConvertDType(Product(Slice(hs, AxisRange(from, to)), []int{1}, nil, ws, []int{1}, nil), dtypes.Float32) // [C, V]
		lse := logSumExp(logits)
		lps = append(lps, Sub(pick(logits, Slice(t, AxisRange(from, to))), lse))
		probs := Exp(Sub(logits, InsertAxes(lse, -1)))
		ents = append(ents, Sub(lse, ReduceSum(Mul(probs, logits), -1)))
	}
	lp := Concatenate(lps, 0) // [N]
	packed := Concatenate([]*Node{lp, flatten(ConvertDType(h, dtypes.Float32)), flatten(head)}, 0)
	compute := w.Compute
	out := carrier(packed, N, func(packed, g *Node) *Node {
		hh := Reshape(Slice(packed, AxisRange(N, N+N*D)), N, D)
		wh := ConvertDType(Reshape(Slice(packed, AxisRange(N+N*D, N+N*D+V*D)), V, D), compute)
		var dhs []*Node
		var dW *Node
		for from := 0; from < N; from += chunk {
			to := min(N, from+chunk)
			hc := ConvertDType(Slice(hh, AxisRange(from, to)), compute)
			logits := ConvertDType(DotGeneral(hc, []int{1}, nil, wh, []int{1}, nil), dtypes.Float32) // [C, V]
			probs := Softmax(logits, -1)
			onehot := OneHot(Slice(t, AxisRange(from, to)), V, dtypes.Float32)
			dl := ConvertDType(Mul(InsertAxes(Slice(g, AxisRange(from, to)), -1), Sub(onehot, probs)), compute) // dL/dlogits [C, V]
			dhs = append(dhs, ConvertDType(DotGeneral(dl, []int{1}, nil, wh, []int{0}, nil), dtypes.Float32))   // [C, D]
			dw := ConvertDType(DotGeneral(dl, []int{0}, nil, hc, []int{0}, nil), dtypes.Float32)                // [V, D]
			if dW == nil {
				dW = dw
			} else {
				dW = Add(dW, dw)
			}
		}
		zeros := Zeros(packed.Graph(), shapes.Make(dtypes.Float32, N)) // lp was held out of the gradient
		return Concatenate([]*Node{zeros, flatten(Concatenate(dhs, 0)), flatten(dW)}, 0)
	})
	return Reshape(out, B, T), StopGradient(Reshape(Concatenate(ents, 0), B, T))
}
