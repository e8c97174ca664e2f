package generate

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLX 0.26 has no Sort or TopK, so the samplers never sort: temperature sampling is
// Gumbel-max (argmax of logits/T plus Gumbel noise), and the top-k and top-p sets are found by
// bisecting a threshold (one fused reduction over the vocabulary per step of the bisection).

// bisectSteps bounds the bisection: after 32 halvings the threshold is within 2⁻³² of the
// range, below float32 resolution, so the kept set equals the exact one except for exact ties.
const bisectSteps = 32

// Mode selects the sampler a program is compiled with.
type Mode struct {
	Greedy bool // argmax; the other fields are ignored
	TopP   bool // apply the nucleus threshold
	TopK   bool // apply the top-k threshold
}

// SampleTokens draws one token per row from logits [R, V] (f32). temperature and topP are f32
// scalars, topK an int32 scalar; they are graph inputs so that changing them does not
// recompile. It returns the new RNG state and the tokens [R] (int32).
func SampleTokens(mode Mode, rng, logits, temperature, topP, topK *Node) (newRNG, tokens *Node) {
	if mode.Greedy {
		return rng, ArgMax(logits, -1, dtypes.Int32)
	}
	g := logits.Graph()
	negInf := Scalar(g, dtypes.Float32, -1e30)
	l := Div(logits, temperature)
	if mode.TopK {
		keep := TopKMask(l, topK)
		l = Where(keep, l, BroadcastToShape(negInf, l.Shape()))
	}
	if mode.TopP {
		keep := NucleusMask(Softmax(l, -1), topP)
		l = Where(keep, l, BroadcastToShape(negInf, l.Shape()))
	}
	var u *Node
	newRNG, u = RandomUniform(rng, shapes.Make(dtypes.Float32, l.Shape().Dimensions...))
	gumbel := Neg(Log(Neg(Log(u)))) // u = 0 gives −∞: never chosen
	return newRNG, ArgMax(Add(l, gumbel), -1, dtypes.Int32)
}

// NucleusMask marks, for probabilities [R, V], the smallest set of most likely tokens whose mass
// reaches topP (a scalar): every token with p ≥ τ, for the largest τ whose set still holds mass
// ≥ topP. The most likely token is always kept.
func NucleusMask(probs, topP *Node) *Node {
	g := probs.Graph()
	R := probs.Shape().Dimensions[0]
	mass := func(t *Node) *Node { // [R]: mass of tokens with p ≥ t
		return ReduceSum(Where(GreaterOrEqual(probs, InsertAxes(t, -1)), probs, ZerosLike(probs)), -1)
	}
	lo := Zeros(g, shapes.Make(dtypes.Float32, R)) // mass(lo) = 1 ≥ topP
	hi := ReduceMax(probs, -1)                     // the max itself is in the answer set when mass(hi) ≥ topP
	target := BroadcastToDims(topP, R)
	// Invariant: mass(lo) ≥ topP; answer in [lo, hi].
	for range bisectSteps {
		mid := MulScalar(Add(lo, hi), 0.5)
		ok := GreaterOrEqual(mass(mid), target)
		lo = Where(ok, mid, lo)
		hi = Where(ok, hi, mid)
	}
	// If mass(hi) ≥ topP (e.g. hi is the max and the top token alone has enough mass) use hi.
	t := Where(GreaterOrEqual(mass(hi), target), hi, lo)
	return GreaterOrEqual(probs, InsertAxes(t, -1))
}

// TopKMask marks, for logits [R, V], the k largest per row (k an int32 scalar; ties at the
// boundary are all kept; k ≤ 0 or k ≥ V keeps everything).
func TopKMask(logits, k *Node) *Node {
	g := logits.Graph()
	R, V := logits.Shape().Dimensions[0], logits.Shape().Dimensions[1]
	kf := ConvertDType(k, dtypes.Float32)
	count := func(t *Node) *Node { // [R]: tokens with logit ≥ t
		return ReduceSum(ConvertDType(GreaterOrEqual(logits, InsertAxes(t, -1)), dtypes.Float32), -1)
	}
	lo := ReduceMin(logits, -1) // count(lo) = V ≥ k
	hi := ReduceMax(logits, -1)
	target := BroadcastToDims(kf, R)
	for range bisectSteps {
		mid := MulScalar(Add(lo, hi), 0.5)
		ok := GreaterOrEqual(count(mid), target)
		lo = Where(ok, mid, lo)
		hi = Where(ok, hi, mid)
	}
	t := Where(GreaterOrEqual(count(hi), target), hi, lo)
	keep := GreaterOrEqual(logits, InsertAxes(t, -1))
	off := LogicalOr(LessOrEqual(k, ScalarZero(g, dtypes.Int32)), GreaterOrEqual(k, Scalar(g, dtypes.Int32, V)))
	return LogicalOr(keep, BroadcastToShape(off, keep.Shape()))
}
