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

// TestBucketLength: the buckets, closed form, and how many there are up to R1's 32k tokens.
func TestBucketLength(t *testing.T) {
	for _, c := range []struct{ n, limit, want int }{
		{1, 4096, 16}, {17, 4096, 32}, {512, 4096, 512}, {513, 4096, 768}, {1535, 4096, 1536},
		{4096, 1 << 20, 4096}, {4097, 1 << 20, 4608}, {8193, 1 << 20, 9216}, {20000, 1 << 20, 20480},
		{32768, 1 << 20, 32768}, {5000, 4800, 5000}, // the limit caps the bucket, never the length
	} {
		if got := BucketLength(c.n, c.limit); got != c.want {
			t.Errorf("BucketLength(%d, %d) = %d, want %d", c.n, c.limit, got, c.want)
		}
	}
	seen := map[int]bool{}
	for n := 1; n <= 32768; n++ {
		b := BucketLength(n, 1<<20)
		if b < n || (n > 4096 && float64(b-n) > 0.125*float64(n)) {
			t.Fatalf("BucketLength(%d) = %d", n, b)
		}
		seen[b] = true
	}
	if len(seen) != 44 {
		t.Errorf("%d buckets up to 32,768 tokens, want 44", len(seen))
	}
}
