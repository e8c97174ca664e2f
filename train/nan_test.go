package train

import (
	"errors"
	"math"
	"testing"
)

func TestNaNGuard(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	g := NaNGuard{MaxInARow: 3}
	steps := []struct {
		loss, norm float64
		skip, stop bool
		inARow     int
	}{
		{1.0, 0.5, false, false, 0},
		{nan, 0.5, true, false, 1},
		{1.0, inf, true, false, 2},
		{0.9, 0.4, false, false, 0}, // a good step resets the count
		{nan, nan, true, false, 1},
		{-inf, 1, true, false, 2},
		{nan, 1, true, true, 3},
	}
	for i, s := range steps {
		skip, err := g.Observe(i, s.loss, s.norm)
		if skip != s.skip || (err != nil) != s.stop || g.InARow != s.inARow {
			t.Fatalf("step %d (loss %v, norm %v): skip %v, err %v, in a row %d; want %v, stop %v, %d", i, s.loss, s.norm, skip, err, g.InARow, s.skip, s.stop, s.inARow)
		}
		if err != nil && !errors.Is(err, ErrNonFinite) {
			t.Errorf("stop error %v does not wrap ErrNonFinite", err)
		}
	}
	// A guard resumed from a checkpoint keeps counting.
	g = NaNGuard{MaxInARow: 2, InARow: 1}
	if _, err := g.Observe(10, nan, 0); err == nil {
		t.Errorf("resumed guard with 1 NaN step did not stop at the 2nd")
	}
}
