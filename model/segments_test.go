package model

import (
	"math/rand/v2"
	"slices"
	"testing"

	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/backend"
)

// jaxSegmentTables is what JAX's cuDNN lowering (_fix_seqlen_offsets, as its StableHLO shows)
// makes of per-row segment lengths [B][M] and starts [B][M+1], both padded with -1: keep the
// entries ≥ 0 in order over the flattened batch, starts shifted by b·T, the rest 0.
func jaxSegmentTables(lengths, starts [][]int32, T int) (l, s []int32) {
	B, M := len(lengths), len(lengths[0])
	l, s = make([]int32, 0, B*M), make([]int32, 0, B*(M+1))
	for b := range B {
		for _, x := range lengths[b] {
			if x >= 0 {
				l = append(l, x)
			}
		}
		for _, x := range starts[b] {
			if x >= 0 {
				s = append(s, x+int32(b*T))
			}
		}
	}
	for len(l) < B*M {
		l = append(l, 0)
	}
	for len(s) < B*(M+1) {
		s = append(s, 0)
	}
	return l, s
}

// TestSegmentTables: the tables r1go builds on the device from per-token segment ids equal
// JAX's form of the same rows (random packings: full rows, rows with padding, empty rows).
func TestSegmentTables(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	const B, T, M = 5, 40, 4
	for trial := range 20 {
		segs := make([][]int32, B)
		lengths := make([][]int32, B)
		starts := make([][]int32, B)
		for row := range B {
			segs[row] = make([]int32, T)
			lengths[row] = []int32{-1, -1, -1, -1}
			starts[row] = []int32{-1, -1, -1, -1, -1}
			if trial > 0 && row == 2 {
				continue // an empty row (all padding)
			}
			at := 0
			for k := range 1 + r.IntN(M) {
				n := 1 + r.IntN(T/M)
				if k == 0 && trial%3 == 0 {
					n = T / M
				}
				for i := at; i < at+n; i++ {
					segs[row][i] = int32(k + 1)
				}
				lengths[row][k], starts[row][k] = int32(n), int32(at)
				at += n
			}
		}
		wantL, wantS := jaxSegmentTables(lengths, starts, T)
		out := MustExecOnceN(b, func(s *Node) []*Node {
			tab := newSegmentTables(s, M)
			return []*Node{tab.Lengths, tab.Starts, tab.Valid}
		}, tensors.FromValue(segs))
		gotL := slices.Concat(out[0].Value().([][]int32)...)
		gotS := slices.Concat(out[1].Value().([][]int32)...)
		if !slices.Equal(gotL, wantL) || !slices.Equal(gotS, wantS) {
			t.Fatalf("trial %d, segments %v:\n lengths %v, JAX %v\n starts %v, JAX %v", trial, segs, gotL, wantL, gotS, wantS)
		}
		valid := out[2].Value().([][]bool)
		for row := range B {
			for i := range T {
				if valid[row][i] != (segs[row][i] > 0) {
					t.Fatalf("trial %d row %d token %d: valid %v, segment %d", trial, row, i, valid[row][i], segs[row][i])
				}
			}
		}
	}
}
