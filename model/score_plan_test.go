package model

import (
	"math/rand/v2"
	"testing"
)

// The scorer's passes cover every sequence once, stay in one length bucket and within the
// token budget, and compute padding rows only in the last pass of a bucket: a GRPO step's 512
// completions of 1,535 tokens at the default budget run as 128 passes of 4 rows (the earlier
// plan took 5 rows and padded them to 8, computing 60% more rows than there were sequences).
func TestPlanScoreBatches(t *testing.T) {
	lens := make([]int, 512)
	for i := range lens {
		lens[i] = 1535
	}
	plan := planScoreBatches(lens, 8192, 32768)
	if len(plan) != 128 {
		t.Fatalf("%d passes, want 128", len(plan))
	}
	for _, b := range plan {
		if b.B != 4 || b.T != 1536 || len(b.rows) != 4 {
			t.Fatalf("pass %+v, want 4 rows of 1536", b)
		}
	}

	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 1 + r.IntN(300)
		lens := make([]int, n)
		for i := range lens {
			lens[i] = 1 + r.IntN(3000)
		}
		budget := 1 << (10 + r.IntN(6))
		plan := planScoreBatches(lens, budget, 4096)
		seen := make([]int, n)
		for k, b := range plan {
			if b.B < len(b.rows) || b.B&(b.B-1) != 0 {
				t.Fatalf("trial %d pass %d: %d rows in a batch of %d (must be a power of two at least as large)", trial, k, len(b.rows), b.B)
			}
			if b.T <= budget && b.B*b.T > budget {
				t.Fatalf("trial %d pass %d: %d×%d tokens over the budget %d", trial, k, b.B, b.T, budget)
			}
			lastOfBucket := k == len(plan)-1 || plan[k+1].T != b.T
			if b.B != len(b.rows) && !lastOfBucket {
				t.Fatalf("trial %d pass %d: padding rows before the last pass of bucket %d", trial, k, b.T)
			}
			for _, i := range b.rows {
				seen[i]++
				if BucketLength(lens[i], 4096) != b.T {
					t.Fatalf("trial %d: sequence of %d tokens in bucket %d", trial, lens[i], b.T)
				}
			}
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("trial %d: sequence %d scored %d times", trial, i, c)
			}
		}
	}
}
