package model

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Rows packed with several examples (SFT's packing): segments [B, T] (int32) numbers each
// token's example within its row from 1, 0 marking padding; an example's tokens are
// contiguous and the examples of a row are numbered in order.

// SegmentMask is the block-diagonal causal mask [B, T, T] (true where query t may attend to
// key s) of packed rows: s ≤ t and both in the same segment. Padding (segment 0) attends
// among itself, so no row of the softmax is empty.
func SegmentMask(segments *Node) *Node {
	g := segments.Graph()
	T := segments.Shape().Dimensions[1]
	same := Equal(InsertAxes(segments, -1), InsertAxes(segments, 1)) // [B, T, T]
	causal := InsertAxes(LowerTriangular(g, T), 0)                   // [1, T, T]
	return LogicalAnd(same, BroadcastToShape(causal, same.Shape()))
}

// ForwardSegments is Forward over packed rows with at most maxSegments examples per row:
// attention is causal within each example and never crosses to another. With FusedAttention
// it is cuDNN's flash attention in its packed form (no [B, T, T] mask or scores in memory; a
// row of one example, maxSegments ≤ 1, is plain causal attention, right padding being exact);
// otherwise attention with SegmentMask.
func (w *Weights) ForwardSegments(tokens, positions, segments *Node, maxSegments int) (hidden *Node, kv []KV) {
	if !w.FusedAttention {
		return w.ForwardWithMask(tokens, positions, SegmentMask(segments))
	}
	scale := 1 / math.Sqrt(float64(w.Config.HeadDim))
	var seg *segmentTables
	if maxSegments > 1 {
		seg = newSegmentTables(segments, maxSegments)
	}
	return w.forward(tokens, positions, func(q, k, v *Node) *Node { return w.fusedAttention(q, k, v, scale, seg) })
}

// segmentTables describe packed rows to cuDNN's attention in the form XLA's custom call reads
// them, which is what JAX's fused_attention_stablehlo (_fix_seqlen_offsets) makes of per-row
// lists: Lengths [B, M] and Starts [B, M+1] (int32) list every example of the batch in order,
// row by row, each start counted in tokens from the start of the batch (b·T + its start in
// row b); the entries after the last example are 0. Valid [B, T] marks tokens inside an
// example. Checked on an H200 through JAX (bench/jax_cudnn_packed.py, BENCHMARKS.md).
type segmentTables struct {
	M                      int
	Lengths, Starts, Valid *Node
}

// newSegmentTables builds the tables from segments [B, T] with at most M examples per row
// (examples past the M-th of a row are left out).
func newSegmentTables(segments *Node, M int) *segmentTables {
	g := segments.Graph()
	B, T := segments.Shape().Dimensions[0], segments.Shape().Dimensions[1]
	n := B * M
	i32 := func(x int) *Node { return Scalar(g, dtypes.Int32, x) }
	// in[b, t, m]: token t of row b belongs to example m+1.
	ids := AddScalar(Iota(g, shapes.Make(dtypes.Int32, 1, 1, M), 2), 1)
	in := Equal(InsertAxes(segments, -1), ids) // [B, T, M]
	lengths := ReduceSum(ConvertDType(in, dtypes.Int32), 1)
	t := Iota(g, shapes.Make(dtypes.Int32, B, T, M), 1)
	starts := ReduceMin(Where(in, t, BroadcastToShape(i32(T), in.Shape())), 1) // [B, M]
	starts = Add(starts, MulScalar(Iota(g, shapes.Make(dtypes.Int32, B, M), 0), float64(T)))
	// Move the examples that exist (length > 0) to the front, keeping their order: example i
	// goes to slot pos[i], the number of existing examples before it.
	lengths, starts = Reshape(lengths, n), Reshape(starts, n)
	exists := GreaterThan(lengths, ZerosLike(lengths)) // [n]
	i := Iota(g, shapes.Make(dtypes.Int32, n, n), 0)
	j := Iota(g, shapes.Make(dtypes.Int32, n, n), 1)
	before := ConvertDType(GreaterThan(i, j), dtypes.Int32)                                             // [i, j]: j < i
	pos := ReduceSum(Mul(before, InsertAxes(ConvertDType(exists, dtypes.Int32), 0)), 1)                 // [n]
	to := ConvertDType(LogicalAnd(Equal(InsertAxes(pos, -1), j), InsertAxes(exists, -1)), dtypes.Int32) // [i, slot]
	move := func(x *Node) *Node { return ReduceSum(Mul(to, InsertAxes(x, -1)), 0) }
	segs := ConvertDType(segments, dtypes.Int32)
	return &segmentTables{
		M:       M,
		Lengths: Reshape(move(lengths), B, M),
		Starts:  Reshape(Concatenate([]*Node{move(starts), Zeros(g, shapes.Make(dtypes.Int32, B))}, 0), B, M+1),
		Valid:   LogicalAnd(GreaterThan(segs, ZerosLike(segs)), LessOrEqual(segs, i32(M))),
	}
}
