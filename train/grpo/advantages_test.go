package grpo

import (
	"math"
	"reflect"
	"testing"
)

func TestAdvantages(t *testing.T) {
	s3 := math.Sqrt(1.0 / 3) // sample std of {1, 0, 0, 1}
	tests := []struct {
		name    string
		rewards []float64
		g       int
		scale   string
		eps     float64
		want    []float64
	}{
		{"group std", []float64{1, 0, 0, 1}, 4, "group", 1e-4,
			[]float64{0.5 / (s3 + 1e-4), -0.5 / (s3 + 1e-4), -0.5 / (s3 + 1e-4), 0.5 / (s3 + 1e-4)}},
		{"two groups, one with equal rewards", []float64{2, 0, 5, 5}, 2, "group", 1e-4,
			[]float64{1 / (math.Sqrt2 + 1e-4), -1 / (math.Sqrt2 + 1e-4), 0, 0}},
		// batch: group means 0.5 and 3, batch std of {1,0,3,3} = 1.5.
		{"batch std", []float64{1, 0, 3, 3}, 2, "batch", 1e-4, []float64{0.5 / 1.5001, -0.5 / 1.5001, 0, 0}},
		{"none (Dr. GRPO)", []float64{1, 0, 0, 3}, 2, "none", 1e-4, []float64{0.5, -0.5, -1.5, 1.5}},
		{"single group of size 1 is zero", []float64{0.7}, 1, "none", 1e-4, []float64{0}},
	}
	for _, tc := range tests {
		got := Advantages(tc.rewards, tc.g, tc.scale, tc.eps)
		for i := range tc.want {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("%s: Advantages = %v, want %v", tc.name, got, tc.want)
				break
			}
		}
	}
	// Invariant: group-scaled advantages of every group sum to zero.
	r := []float64{0.3, 1, 0, 0.25, 4, 4, 1, 2, 3}
	adv := Advantages(r, 3, "group", 1e-6)
	for g := 0; g < 3; g++ {
		if s := adv[3*g] + adv[3*g+1] + adv[3*g+2]; math.Abs(s) > 1e-12 {
			t.Errorf("group %d advantages sum to %v, want 0", g, s)
		}
	}
}

func TestZeroStdAndSelectGroups(t *testing.T) {
	r := []float64{1, 1, 1, 0, 1, 0, 0.5, 0.5, 0.5, 2, 2, 3}
	zero := ZeroStdGroups(r, 3)
	if want := []bool{true, false, true, false}; !reflect.DeepEqual(zero, want) {
		t.Fatalf("ZeroStdGroups = %v, want %v", zero, want)
	}
	tests := []struct {
		mode string
		want int
		keep []int
	}{
		{"off", 0, []int{0, 1, 2, 3}},
		{"drop", 0, []int{1, 3}},
		{"resample", 1, []int{1}},
		{"resample", 5, []int{1, 3}},
	}
	for _, tc := range tests {
		if got := SelectGroups(tc.mode, zero, tc.want); !reflect.DeepEqual(got, tc.keep) {
			t.Errorf("SelectGroups(%s, want %d) = %v, want %v", tc.mode, tc.want, got, tc.keep)
		}
	}
}

func TestOverlongAndTruncation(t *testing.T) {
	// max 100, buffer 20: no penalty up to 80, linear to −factor at 100.
	tests := []struct {
		n         int
		truncated bool
		want      float64
	}{
		{10, false, 0}, {80, false, 0}, {90, false, -0.5}, {95, false, -0.75}, {100, false, -1}, {60, true, -1},
	}
	for _, tc := range tests {
		if got := OverlongPenalty(tc.n, 100, 20, 1, tc.truncated); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("OverlongPenalty(%d, truncated %v) = %v, want %v", tc.n, tc.truncated, got, tc.want)
		}
	}
	if got := OverlongPenalty(99, 100, 0, 2, false); got != 0 {
		t.Errorf("buffer 0: penalty %v before the limit, want 0", got)
	}

	c := DefaultConfig()
	c.MaxCompletionTokens, c.OverlongBuffer, c.OverlongPenalty = 100, 20, 0.5
	rewards := []float64{1, 0, 1}
	lengths := []int{50, 90, 100}
	trunc := []bool{false, false, true}
	for _, tc := range []struct {
		mode    string
		rewards []float64
		train   []bool
	}{
		{"keep", []float64{1, 0, 1}, []bool{true, true, true}},
		{"mask", []float64{1, 0, 1}, []bool{true, true, false}},
		{"penalty", []float64{1, -0.25, 0.5}, []bool{true, true, true}},
	} {
		c.Truncated = tc.mode
		gotR, gotT := c.ShapeTruncated(rewards, lengths, trunc)
		if !reflect.DeepEqual(gotR, tc.rewards) || !reflect.DeepEqual(gotT, tc.train) {
			t.Errorf("%s: ShapeTruncated = %v %v, want %v %v", tc.mode, gotR, gotT, tc.rewards, tc.train)
		}
	}
	if rewards[1] != 0 {
		t.Errorf("ShapeTruncated modified its input")
	}
}
