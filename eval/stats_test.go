package eval

import (
	"math"
	"math/big"
	"strconv"
	"testing"
)

func TestPassAtKHandComputed(t *testing.T) {
	cases := []struct {
		n, c, k int
		want    float64
		why     string
	}{
		{5, 0, 1, 0, "c = 0"},
		{5, 0, 5, 0, "c = 0, k = n"},
		{5, 5, 3, 1, "all correct"},
		{5, 2, 1, 0.4, "pass@1 = c/n"},
		{5, 2, 2, 0.7, "1 - C(3,2)/C(5,2) = 1 - 3/10"},
		{5, 2, 3, 0.9, "1 - C(3,3)/C(5,3) = 1 - 1/10"},
		{5, 2, 4, 1, "n - c = 3 < k = 4"},
		{10, 3, 5, 11.0 / 12, "1 - C(7,5)/C(10,5) = 1 - 21/252"},
		{16, 1, 4, 0.25, "one correct: k/n"},
		{16, 15, 2, 1, "n - c = 1 < 2"},
		{64, 8, 1, 0.125, "c/n"},
	}
	for _, c := range cases {
		got, err := PassAtK(c.n, c.c, c.k)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("PassAtK(n=%d, c=%d, k=%d) = %v, %v; want %v (%s)", c.n, c.c, c.k, got, err, c.want, c.why)
		}
	}
}

// binom returns C(n, k) exactly.
func binom(n, k int) *big.Int { return new(big.Int).Binomial(int64(n), int64(k)) }

// TestPassAtKMatchesExactBinomials checks the product form against the closed form
// 1 − C(n−c, k)/C(n, k) in exact rationals, including sizes where factorials overflow.
func TestPassAtKMatchesExactBinomials(t *testing.T) {
	for _, n := range []int{1, 2, 7, 16, 64, 200, 1000} {
		for _, c := range []int{0, 1, n / 3, n / 2, n - 1, n} {
			for _, k := range []int{1, 2, 4, 10, 16, 64, 100, n} {
				if c < 0 || k > n {
					continue
				}
				exact := new(big.Rat).SetFrac(binom(n-c, k), binom(n, k)) // C(m,k) = 0 for m < k
				want, _ := new(big.Rat).Sub(big.NewRat(1, 1), exact).Float64()
				got, err := PassAtK(n, c, k)
				if err != nil || math.Abs(got-want) > 1e-12 {
					t.Errorf("PassAtK(%d, %d, %d) = %v, %v; exact %v", n, c, k, got, err, want)
				}
			}
		}
	}
}

func TestPassAtKErrors(t *testing.T) {
	for _, c := range []struct{ n, c, k int }{{5, 2, 0}, {5, 2, 6}, {5, 6, 1}, {0, 0, 1}, {5, -1, 1}} {
		if _, err := PassAtK(c.n, c.c, c.k); err == nil {
			t.Errorf("PassAtK(%d, %d, %d): no error", c.n, c.c, c.k)
		}
	}
}

func TestMajority(t *testing.T) {
	near := func(a, b string) bool { // |a-b| <= 1: not transitive, shows grouping by first representative
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x-y <= 1 && y-x <= 1
	}
	cases := []struct {
		name    string
		answers []string
		equal   func(a, b string) bool
		rep     int
		votes   int
	}{
		{"clear winner", []string{"3", "5", "5", "5", "3"}, nil, 1, 3},
		{"tie: earliest first occurrence wins", []string{"a", "b", "b", "a"}, nil, 0, 2},
		{"tie with empty answers skipped", []string{"", "b", "a", "a", "b"}, nil, 1, 2},
		{"three-way tie", []string{"x", "y", "z"}, nil, 0, 1},
		{"later group overtakes", []string{"a", "b", "b"}, nil, 1, 2},
		{"no answers", []string{"", "", ""}, nil, -1, 0},
		{"none at all", nil, nil, -1, 0},
		{"grouping by first representative", []string{"1", "2", "3", "3", "3"}, near, 2, 3},
		{"non-transitive tie", []string{"1", "2", "3", "3"}, near, 0, 2},
	}
	for _, c := range cases {
		rep, votes := Majority(c.answers, c.equal)
		if rep != c.rep || votes != c.votes {
			t.Errorf("%s: Majority(%q) = (%d, %d), want (%d, %d)", c.name, c.answers, rep, votes, c.rep, c.votes)
		}
	}
}

func TestBootstrapCI(t *testing.T) {
	lo, hi, err := BootstrapCI([]float64{0.25, 0.25, 0.25}, 0.95, 500, 0)
	if err != nil || lo != 0.25 || hi != 0.25 {
		t.Errorf("constant values: CI = [%v, %v], %v; want [0.25, 0.25]", lo, hi, err)
	}
	// 400 problems, 30% solved: the bootstrap interval must agree with the normal
	// approximation mean ± 1.96·se (se = sqrt(p(1-p)/n) ≈ 0.0229) to within 0.005.
	vals := make([]float64, 400)
	for i := range vals {
		if i%10 < 3 {
			vals[i] = 1
		}
	}
	lo, hi, err = BootstrapCI(vals, 0.95, 4000, 7)
	if err != nil {
		t.Fatal(err)
	}
	mean, se := meanStdErr(vals)
	if math.Abs(mean-0.3) > 1e-12 || math.Abs(se-math.Sqrt(0.3*0.7/399)) > 1e-12 {
		t.Errorf("mean, se = %v, %v", mean, se)
	}
	if math.Abs(lo-(mean-1.96*se)) > 0.005 || math.Abs(hi-(mean+1.96*se)) > 0.005 {
		t.Errorf("bootstrap CI [%v, %v], normal approximation [%v, %v]", lo, hi, mean-1.96*se, mean+1.96*se)
	}
	lo2, hi2, _ := BootstrapCI(vals, 0.95, 4000, 7)
	if lo2 != lo || hi2 != hi {
		t.Errorf("same seed gave [%v, %v] then [%v, %v]", lo, hi, lo2, hi2)
	}
	spread := make([]float64, 400)
	for i := range spread {
		spread[i] = float64((i*7919)%1000) / 1000
	}
	la, ha, _ := BootstrapCI(spread, 0.95, 1000, 1)
	if lb, hb, _ := BootstrapCI(spread, 0.95, 1000, 2); la == lb && ha == hb {
		t.Errorf("seeds 1 and 2 gave the same interval [%v, %v]: the seed is not used", la, ha)
	}
	if lo90, hi90, _ := BootstrapCI(vals, 0.90, 4000, 7); lo90 <= lo || hi90 >= hi {
		t.Errorf("90%% interval [%v, %v] not inside the 95%% one [%v, %v]", lo90, hi90, lo, hi)
	}
	for _, bad := range []struct {
		v     []float64
		level float64
		b     int
	}{{nil, 0.95, 100}, {vals, 1, 100}, {vals, 0, 100}, {vals, 0.95, 1}} {
		if _, _, err := BootstrapCI(bad.v, bad.level, bad.b, 0); err == nil {
			t.Errorf("BootstrapCI(len %d, %v, %d): no error", len(bad.v), bad.level, bad.b)
		}
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.5, 3}, {1, 5}, {0.125, 1.5}, {0.975, 4.9}} {
		if got := quantile(s, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
}
