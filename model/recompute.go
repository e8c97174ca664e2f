package model

import (
	"runtime"
	"sync"
	"weak"

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

// recomputeInfo is what the VJP of one carrier Slice needs.
type recomputeInfo struct {
	qShape, kShape, oShape shapes.Shape // [B, KV, G, T, HD], [B, KV, S, HD], [B, KV, G, T, HD]
	bias                   *Node        // [mb, 1, 1, T, S] f32
	scale                  float64
}

var (
	recomputeMu       sync.Mutex
	recomputeRegistry = map[weak.Pointer[Graph]]map[NodeId]recomputeInfo{}
	installSliceOnce  sync.Once
)

// recomputedAttention is softmax(q·kᵀ·scale + bias)·v for q [B, KV, G, T, HD], k and v
// [B, KV, S, HD], whose gradient recomputes the probabilities.
func recomputedAttention(q, k, v, bias *Node, scale float64) *Node {
	installSliceOnce.Do(installSliceVJP)
	qs, ks, vs := StopGradient(q), StopGradient(k), StopGradient(v)
	o := Product(attentionProbs(qs, ks, bias, scale, q.DType()), []int{4}, []int{0, 1}, vs, []int{2}, []int{0, 1})
	flat := func(x *Node) *Node { return Reshape(x, x.Shape().Size()) }
	packed := Concatenate([]*Node{flat(o), flat(q), flat(k), flat(v)}, 0)
	carrier := Slice(packed, AxisRange(0, o.Shape().Size()))
	g := carrier.Graph()
	recomputeMu.Lock()
	key := weak.Make(g)
	m := recomputeRegistry[key]
	if m == nil {
		m = map[NodeId]recomputeInfo{}
		recomputeRegistry[key] = m
		runtime.AddCleanup(g, func(k weak.Pointer[Graph]) {
			recomputeMu.Lock()
			delete(recomputeRegistry, k)
			recomputeMu.Unlock()
		}, key)
	}
	m[carrier.Id()] = recomputeInfo{qShape: q.Shape(), kShape: k.Shape(), oShape: o.Shape(), bias: bias, scale: scale}
	recomputeMu.Unlock()
	return Reshape(carrier, o.Shape().Dimensions...)
}

// installSliceVJP wraps GoMLX's Slice VJP: carrier slices made by recomputedAttention get the
// recomputing gradient, every other Slice GoMLX's own.
func installSliceVJP() {
	orig := VJPRegistration[NodeTypeSlice]
	VJPRegistration[NodeTypeSlice] = func(node *Node, v []*Node, s shapes.Shape) []*Node {
		recomputeMu.Lock()
		info, ok := recomputeRegistry[weak.Make(node.Graph())][node.Id()]
		recomputeMu.Unlock()
		if !ok {
			return orig(node, v, s)
		}
		return []*Node{attentionVJP(node.Inputs()[0], v[0], info)}
	}
}

// attentionVJP returns d(packed) for the packed [o, q, k, v] given g = dL/do (flat).
func attentionVJP(packed, g *Node, in recomputeInfo) *Node {
	no, nq, nk := in.oShape.Size(), in.qShape.Size(), in.kShape.Size()
	part := func(from, n int, shape shapes.Shape) *Node {
		return Reshape(Slice(packed, AxisRange(from, from+n)), shape.Dimensions...)
	}
	q := part(no, nq, in.qShape)
	k := part(no+nq, nk, in.kShape)
	v := part(no+nq+nk, nk, in.kShape)
	gO := ConvertDType(Reshape(g, in.oShape.Dimensions...), q.DType()) // [B, KV, G, T, HD]

	// Recompute the probabilities, contracting k with q so that CSE does not reuse the
	// forward's scores: sT [B, KV, S, G, T] → [B, KV, G, T, S].
	sT := DotGeneral(k, []int{3}, []int{0, 1}, q, []int{4}, []int{0, 1})
	scores := TransposeAllAxes(sT, 0, 1, 3, 4, 2)
	scores = Add(MulScalar(ConvertDType(scores, dtypes.Float32), in.scale), in.bias)
	p := Softmax(scores, -1) // f32 [B, KV, G, T, S]
	pc := ConvertDType(p, q.DType())

	dv := DotGeneral(pc, []int{2, 3}, []int{0, 1}, gO, []int{2, 3}, []int{0, 1})                        // [B, KV, S, HD]
	dp := ConvertDType(DotGeneral(gO, []int{4}, []int{0, 1}, v, []int{3}, []int{0, 1}), dtypes.Float32) // [B, KV, G, T, S]
	ds := Mul(p, Sub(dp, ReduceAndKeep(Mul(dp, p), ReduceSum, -1)))                                     // softmax VJP
	ds = ConvertDType(MulScalar(ds, in.scale), q.DType())
	dq := DotGeneral(ds, []int{4}, []int{0, 1}, k, []int{2}, []int{0, 1})       // [B, KV, G, T, HD]
	dk := DotGeneral(ds, []int{2, 3}, []int{0, 1}, q, []int{2, 3}, []int{0, 1}) // [B, KV, S, HD]

	flat := func(x *Node) *Node { return Reshape(ConvertDType(x, packed.DType()), x.Shape().Size()) }
	zeros := Zeros(packed.Graph(), shapes.Make(packed.DType(), no)) // o was held out of the gradient
	return Concatenate([]*Node{zeros, flat(dq), flat(dk), flat(dv)}, 0)
}
