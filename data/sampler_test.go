package data

import (
	"reflect"
	"slices"
	"testing"
)

func TestSamplerEpochsArePermutations(t *testing.T) {
	s, err := NewSampler(10, 3)
	if err != nil {
		t.Fatal(err)
	}
	var seen [][]int
	for e := 0; e < 3; e++ {
		// Draw an epoch in uneven pieces: the order must not depend on the piece sizes.
		ep := append(append(s.Next(3), s.Next(0)...), s.Next(7)...)
		sorted := slices.Clone(ep)
		slices.Sort(sorted)
		if !reflect.DeepEqual(sorted, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
			t.Fatalf("epoch %d = %v is not a permutation of 0..9", e, ep)
		}
		seen = append(seen, ep)
	}
	if reflect.DeepEqual(seen[0], seen[1]) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if s.Pos() != 30 || s.Epoch() != 3 {
		t.Errorf("pos %d epoch %d, want 30 and 3", s.Pos(), s.Epoch())
	}
	other, _ := NewSampler(10, 4)
	if reflect.DeepEqual(other.Next(10), seen[0]) {
		t.Error("seeds 3 and 4 gave the same first epoch")
	}
}

func TestSamplerResume(t *testing.T) {
	full, _ := NewSampler(7, 1)
	want := full.Next(40)
	for _, cut := range []int{0, 1, 6, 7, 8, 20, 39} {
		a, _ := NewSampler(7, 1)
		got := a.Next(cut)
		resumed, _ := NewSampler(7, 1)
		if err := resumed.SetPos(a.Pos()); err != nil {
			t.Fatal(err)
		}
		got = append(got, resumed.Next(40-cut)...)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("resumed at %d: %v, want %v", cut, got, want)
		}
	}
	if _, err := NewSampler(0, 1); err == nil {
		t.Error("NewSampler(0): no error")
	}
	if err := full.SetPos(-1); err == nil {
		t.Error("SetPos(-1): no error")
	}
}
