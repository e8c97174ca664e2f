package sft

import (
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/model"
)

// Row is one row of a training batch: one example, or several packed one after another.
// Segments numbers the examples of the row from 1 (0 marks padding); attention stays
// within a segment, and Positions restart at 0 for each one.
type Row struct {
	Tokens    []int32   // inputs
	Targets   []int32   // the next token of each input (0 where none)
	Weights   []float32 // 1 where the target is an assistant token that enters the loss
	Positions []int32
	Segments  []int32
}

// Len returns the row's length in tokens.
func (r *Row) Len() int { return len(r.Tokens) }

// append adds one example to the row as a new segment.
func (r *Row) append(ex Example) {
	seg := int32(1)
	if n := len(r.Segments); n > 0 {
		seg = r.Segments[n-1] + 1
	}
	for i, t := range ex.Tokens {
		target, w := int32(0), float32(0)
		if i+1 < len(ex.Tokens) {
			target = ex.Tokens[i+1]
			if ex.Loss[i+1] {
				w = 1
			}
		}
		r.Tokens = append(r.Tokens, t)
		r.Targets = append(r.Targets, target)
		r.Weights = append(r.Weights, w)
		r.Positions = append(r.Positions, int32(i))
		r.Segments = append(r.Segments, seg)
	}
}

// Unpacked returns one row per example.
func Unpacked(exs []Example) []Row {
	rows := make([]Row, len(exs))
	for i, ex := range exs {
		rows[i].append(ex)
	}
	return rows
}

// Pack packs examples (each at most length tokens) into rows of at most length tokens
// with best-fit decreasing: longest first, each into the fullest row that still has room
// (a max segment tree over the rows' free space finds it in O(log n)). Rows hold whole
// examples; none is split.
func Pack(exs []Example, length int) []Row {
	order := make([]int, len(exs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(exs[b].Tokens), len(exs[a].Tokens)) })
	// free[] holds each row's free space in a segment tree of maxima; best fit is the row
	// with the least free space ≥ L, approximated as the leftmost row with room (rows are
	// opened in decreasing order of example length, so earlier rows are fuller).
	size := 1
	for size < max(1, len(exs)) {
		size *= 2
	}
	tree := make([]int, 2*size)
	var rows []Row
	update := func(i, free int) {
		i += size
		tree[i] = free
		for i /= 2; i >= 1; i /= 2 {
			tree[i] = max(tree[2*i], tree[2*i+1])
		}
	}
	for _, k := range order {
		ex := exs[k]
		L := len(ex.Tokens)
		if tree[1] >= L {
			i := 1
			for i < size {
				if tree[2*i] >= L {
					i = 2 * i
				} else {
					i = 2*i + 1
				}
			}
			r := i - size
			rows[r].append(ex)
			update(r, length-rows[r].Len())
			continue
		}
		rows = append(rows, Row{})
		rows[len(rows)-1].append(ex)
		update(len(rows)-1, length-L)
	}
	return rows
}

// batchPlan lists the micro-batches of an epoch: row indices and the padded length.
type microBatch struct {
	rows []int
	T    int
}

// planEpoch orders rows into micro-batches of b rows for one epoch. Packed rows (fixed
// length T) are shuffled; unpacked rows are grouped by length into batches padded to a
// length bucket (model.BucketLength), and the batches are shuffled.
func planEpoch(rows []Row, b int, packed bool, T int, seed int64, epoch int) []microBatch {
	r := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)+1))
	idx := r.Perm(len(rows))
	var out []microBatch
	if packed {
		for s := 0; s < len(idx); s += b {
			out = append(out, microBatch{rows: idx[s:min(s+b, len(idx))], T: T})
		}
		return out
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(rows[x].Len(), rows[y].Len()) })
	for s := 0; s < len(idx); s += b {
		mb := microBatch{rows: idx[s:min(s+b, len(idx))]}
		longest := 0
		for _, i := range mb.rows {
			longest = max(longest, rows[i].Len())
		}
		mb.T = model.BucketLength(longest, T)
		out = append(out, mb)
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Batch lays out rows as the five [B, T] inputs of one micro-batch of the SFT objective:
// tokens, targets, positions, segments (int32) and weights (f32). Rows are right-padded
// to T (segment 0, weight 0) and missing rows up to B are all padding.
func Batch(rows []Row, B, T int) []*tensors.Tensor {
	tokens := make([]int32, B*T)
	targets := make([]int32, B*T)
	positions := make([]int32, B*T)
	segments := make([]int32, B*T)
	weights := make([]float32, B*T)
	for i, r := range rows {
		o := i * T
		copy(tokens[o:o+T], r.Tokens)
		copy(targets[o:o+T], r.Targets)
		copy(positions[o:o+T], r.Positions)
		copy(segments[o:o+T], r.Segments)
		copy(weights[o:o+T], r.Weights)
	}
	return []*tensors.Tensor{
		tensors.FromFlatDataAndDimensions(tokens, B, T), tensors.FromFlatDataAndDimensions(targets, B, T),
		tensors.FromFlatDataAndDimensions(positions, B, T), tensors.FromFlatDataAndDimensions(segments, B, T),
		tensors.FromFlatDataAndDimensions(weights, B, T),
	}
}
