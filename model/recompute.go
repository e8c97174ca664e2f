package model

import (
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Attention with recomputation. Without it, the backward pass of attention reads the f32
// scores and probabilities [B, KV, G, T, S] of every layer, which XLA keeps from the forward
// pass (5.6 GB per layer for the 1.5B shape at 8 × 2048). GoMLX 0.26 has no custom-VJP op
// with several inputs, so the attention output is carried by a Slice node whose VJP r1go
// overrides: the forward computes o from q, k, v held out of the gradient, packs
// [o, q, k, v] into one flat tensor, and slices o back out; the Slice's VJP recomputes the
// probabilities from the packed q and k and returns dq, dk and dv into the packed tensor,
// from which autodiff carries them to q, k and v. Only [o, q, k, v] live between the passes.
// The recomputation contracts k with q (the forward contracts q with k), so that XLA's common
// subexpression elimination cannot merge it with the forward's products.

// A carrier is a Slice of a flat "packed" tensor whose VJP r1go provides: vjp(packed, g)
// returns the gradient of the whole packed tensor given g, the gradient of the slice.
type carrierVJP func(packed, g *Node) *Node

var (
	carriers         nodeRegistry[carrierVJP]
	installSliceOnce sync.Once
)

// carrier returns packed[0:n] (packed is 1-D) with the gradient vjp computes.
func carrier(packed *Node, n int, vjp carrierVJP) *Node {
	installSliceOnce.Do(installSliceVJP)
	out := Slice(packed, AxisRange(0, n))
	carriers.set(out, vjp)
	return out
}

// installSliceVJP wraps GoMLX's Slice VJP: carriers get theirs, every other Slice GoMLX's own.
func installSliceVJP() {
	orig := VJPRegistration[NodeTypeSlice]
	VJPRegistration[NodeTypeSlice] = func(node *Node, v []*Node, s shapes.Shape) []*Node {
		vjp, ok := carriers.get(node)
		if !ok {
			return orig(node, v, s)
		}
		return []*Node{vjp(node.Inputs()[0], v[0])}
	}
}

// flatten reshapes x to one axis.
func flatten(x *Node) *Node { return Reshape(x, x.Shape().Size()) }

// recomputedAttention is softmax(q·kᵀ·scale + bias)·v for q [B, KV, G, T, HD], k and v
// [B, KV, S, HD], whose gradient recomputes the probabilities.
func recomputedAttention(q, k, v, bias *Node, scale float64) *Node {
	qs, ks, vs := StopGradient(q), StopGradient(k), StopGradient(v)
	o := Product(attentionProbs(qs, ks, bias, scale, q.DType()), []int{4}, []int{0, 1}, vs, []int{2}, []int{0, 1})
	packed := Concatenate([]*Node{flatten(o), flatten(q), flatten(k), flatten(v)}, 0)
	qShape, kShape, oShape := q.Shape(), k.Shape(), o.Shape()
	out := carrier(packed, oShape.Size(), func(packed, g *Node) *Node {
		return attentionVJP(packed, g, oShape, qShape, kShape, bias, scale)
	})
	return Reshape(out, oShape.Dimensions...)
}

// attentionVJP returns d(packed) for the packed [o, q, k, v] given g = dL/do (flat).
func attentionVJP(packed, g *Node, oShape, qShape, kShape shapes.Shape, bias *Node, scale float64) *Node {
	no, nq, nk := oShape.Size(), qShape.Size(), kShape.Size()
	part := func(from, n int, shape shapes.Shape) *Node {
		return Reshape(Slice(packed, AxisRange(from, from+n)), shape.Dimensions...)
	}
	q := part(no, nq, qShape)
	k := part(no+nq, nk, kShape)
	v := part(no+nq+nk, nk, kShape)
	gO := ConvertDType(Reshape(g, oShape.Dimensions...), q.DType()) // [B, KV, G, T, HD]

	// Recompute the probabilities, contracting k with q so that CSE does not reuse the
	// forward's scores: sT [B, KV, S, G, T] → [B, KV, G, T, S].
	sT := DotGeneral(k, []int{3}, []int{0, 1}, q, []int{4}, []int{0, 1})
	scores := TransposeAllAxes(sT, 0, 1, 3, 4, 2)
	scores = Add(MulScalar(ConvertDType(scores, dtypes.Float32), scale), bias)
	p := Softmax(scores, -1) // f32 [B, KV, G, T, S]
	pc := ConvertDType(p, q.DType())

	dv := DotGeneral(pc, []int{2, 3}, []int{0, 1}, gO, []int{2, 3}, []int{0, 1})                        // [B, KV, S, HD]
	dp := ConvertDType(DotGeneral(gO, []int{4}, []int{0, 1}, v, []int{3}, []int{0, 1}), dtypes.Float32) // [B, KV, G, T, S]
	ds := Mul(p, Sub(dp, ReduceAndKeep(Mul(dp, p), ReduceSum, -1)))                                     // softmax VJP
	ds = ConvertDType(MulScalar(ds, scale), q.DType())
	dq := DotGeneral(ds, []int{4}, []int{0, 1}, k, []int{2}, []int{0, 1})       // [B, KV, G, T, HD]
	dk := DotGeneral(ds, []int{2, 3}, []int{0, 1}, q, []int{2, 3}, []int{0, 1}) // [B, KV, S, HD]

	as := func(x *Node) *Node { return flatten(ConvertDType(x, packed.DType())) }
	zeros := Zeros(packed.Graph(), shapes.Make(packed.DType(), no)) // o was held out of the gradient
	return Concatenate([]*Node{zeros, as(dq), as(dk), as(dv)}, 0)
}
