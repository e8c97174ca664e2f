package generate

import (
	"math"

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
		return rng, ArgMaxRows(logits)
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
	newRNG, key := RandomIntN(rng, uint64(1)<<32, shapes.Make(dtypes.Uint32, 2))
	noisy := func(rows, cols *Node) *Node { // l + noise at the given elements
		return Add(gatherRows(l, rows, cols), gumbelAt(key, rows, cols, l.Shape().Dimensions[1]))
	}
	return newRNG, argMaxRows(Add(l, GumbelNoise(key, l.Shape())), noisy)
}

// GumbelNoise is standard Gumbel noise of the given [R, V] f32 shape, a function of the two
// uint32 words of key and each element's index: a counter-based generator (two rounds of a
// 32-bit integer hash) made of elementwise operations only, so that XLA computes it inside
// the reduction that consumes it instead of writing R × V random numbers to memory and
// reading them back (on one H200 that write and the argmax over it were 0.25 ms of each
// decode step at 256 rows × 151,936 tokens).
func GumbelNoise(key *Node, shape shapes.Shape) *Node {
	g := key.Graph()
	ishape := shapes.Make(dtypes.Int32, shape.Dimensions...)
	return gumbelAt(key, Iota(g, ishape, 0), Iota(g, ishape, 1), shape.Dimensions[1])
}

// gumbelAt is the noise GumbelNoise gives element (row, col) of a row of length V, for int32
// rows and cols of any one shape. The top 23 bits of the hash give u in (0, 1): (k + ½) / 2²³
// is exact in float32 and never 0 or 1 (with 24 bits the largest value rounds to 1 and its
// noise is +∞). The noise is −log(−log u).
func gumbelAt(key, rows, cols *Node, V int) *Node {
	g := key.Graph()
	u32 := func(x uint32) *Node { return Scalar(g, dtypes.Uint32, x) }
	idx := Add(Mul(ConvertDType(rows, dtypes.Uint32), u32(uint32(V))), ConvertDType(cols, dtypes.Uint32)) // wraps past 2³²: still distinct per step for R·V < 2³²
	k0 := Reshape(Slice(key, AxisElem(0)))
	k1 := Reshape(Slice(key, AxisElem(1)))
	h := hash32(BitwiseXor(idx, k0))
	h = hash32(Add(h, k1))
	u := MulScalar(AddScalar(ConvertDType(Div(h, u32(1<<9)), dtypes.Float32), 0.5), 1.0/(1<<23))
	return Neg(Log(Neg(Log(u))))
}

// gatherRows returns x[rows, cols] for x [R, V] and int32 rows, cols of one shape.
func gatherRows(x, rows, cols *Node) *Node {
	return Gather(x, Stack([]*Node{rows, cols}, -1))
}

// hash32 is a 32-bit integer finaliser ("lowbias32", C. Wellons: x ^= x >> 16; x *= 0x7feb352d;
// x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16), with the shifts written as divisions because
// the pure Go backend has no shift operations; products of uint32 wrap, as the hash wants.
func hash32(x *Node) *Node {
	g := x.Graph()
	u32 := func(v uint32) *Node { return Scalar(g, dtypes.Uint32, v) }
	x = BitwiseXor(x, Div(x, u32(1<<16)))
	x = Mul(x, u32(0x7feb352d))
	x = BitwiseXor(x, Div(x, u32(1<<15)))
	x = Mul(x, u32(0x846ca68b))
	return BitwiseXor(x, Div(x, u32(1<<16)))
}

// argMaxChunks is how many pieces ArgMaxRows cuts a long row into.
const argMaxChunks = 128

// ArgMaxRows is ArgMax(x, -1) for x [R, V] (int32; ties go to the first index), computed in
// two stages for long rows: the argmax inside each of argMaxChunks pieces of a row, then the
// best piece. One reduction over a 151,936-token row per row leaves most of the GPU idle at a
// few hundred rows; [R, 128, V/128] gives it R × 128 short rows.
func ArgMaxRows(x *Node) *Node {
	return argMaxRows(x, func(rows, cols *Node) *Node { return gatherRows(x, rows, cols) })
}

// argMaxRows is ArgMaxRows given at(rows, cols), which computes x at those elements again. The
// second stage compares the chunks' winners through it, so that x has one consumer, the first
// stage's reduction, and XLA computes x (logits plus noise) inside it instead of writing it out
// (on one H200 it wrote the noisy logits [256, 151,936] to memory when the second stage took
// each chunk's maximum from x).
func argMaxRows(x *Node, at func(rows, cols *Node) *Node) *Node {
	g := x.Graph()
	R, V := x.Shape().Dimensions[0], x.Shape().Dimensions[1]
	if V < 32*argMaxChunks {
		return ArgMax(x, -1, dtypes.Int32)
	}
	C := argMaxChunks
	L := (V + C - 1) / C
	if pad := C*L - V; pad > 0 { // the padding is −∞ and never wins (x's own −∞ come first)
		x = Concatenate([]*Node{x, BroadcastToShape(Scalar(g, x.DType(), math.Inf(-1)), shapes.Make(x.DType(), R, pad))}, 1)
	}
	rc := shapes.Make(dtypes.Int32, R, C)
	cols := Add(MulScalar(Iota(g, rc, 1), float64(L)), ArgMax(Reshape(x, R, C, L), -1, dtypes.Int32)) // [R, C]: each chunk's winner
	real := LessThan(cols, Scalar(g, dtypes.Int32, V))                                                // false: a chunk of padding only
	vals := at(Iota(g, rc, 0), Min(cols, Scalar(g, dtypes.Int32, V-1)))
	vals = Where(real, vals, BroadcastToShape(Scalar(g, vals.DType(), math.Inf(-1)), vals.Shape()))
	best := ArgMax(vals, -1, dtypes.Int32) // [R]: the first chunk holding the row's maximum
	pick := Equal(Iota(g, rc, 1), InsertAxes(best, -1))
	return ReduceSum(Where(pick, cols, ZerosLike(cols)), -1)
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
