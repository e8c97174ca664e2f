// Package eval computes the evaluation statistics of the DeepSeek-R1 protocol from
// scored samples, whatever generated them: pass@1 as the mean correctness over the k
// samples of each problem, the unbiased pass@k estimator of Chen et al. (Codex, arXiv
// 2107.03374), cons@k (majority vote over the final answers, answers grouped by an
// equivalence function), the mean response length, and a bootstrap confidence interval
// for pass@1. It writes per-problem results (JSONL), summary.json and a Markdown table.
//
// The flow is: []Sample (from any generator, or a samples file via LoadSamples) →
// Score (a reward.Func verifies each sample) → Evaluate → Report. To evaluate a model,
// EncodePrompts renders and checks the problems (R1Sampling is the R1 protocol: 16
// responses at temperature 0.6, top-p 0.95) and Prompts.Sample or the crash-safe
// Prompts.SampleToFile draw the samples with the generation engine.
//
// Conventions, chosen and fixed here:
//   - A problem is the set of samples sharing an ID, in order of first appearance.
//   - pass@1 is the mean over problems of each problem's share of correct samples
//     (every problem weighs the same, whatever its sample count).
//   - Problems may have different sample counts n_i. pass@k is reported only for
//     k ≤ min n_i; asking for a larger k is an error naming the problem with the fewest
//     samples. cons@m uses the first m = min n_i samples of every problem, so the
//     reported key cons@m is exactly what was computed.
//   - cons@k votes over the non-empty extracted answers: answers are grouped greedily,
//     each joining the first group whose representative (its first member) it is
//     equivalent to; the largest group wins, ties going to the group whose first member
//     came earliest. The vote is correct when the winning representative was verified
//     correct. A problem with no extracted answer at all counts as wrong.
//   - The confidence interval for pass@1 is the percentile bootstrap over problems
//     (problems resampled with replacement, Options.Bootstrap times, fixed seed), so
//     it is reproducible; the normal-approximation standard error of the per-problem
//     means is reported beside it.
package eval

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// PassAtK returns the unbiased estimate of pass@k for a problem with n samples of
// which c are correct: 1 − C(n−c, k)/C(n, k), computed as the numerically stable
// product 1 − ∏_{i=n−c+1}^{n} (1 − k/i). When n − c < k every k-subset holds a correct
// sample and the result is 1. It is an error unless 1 ≤ k ≤ n and 0 ≤ c ≤ n.
func PassAtK(n, c, k int) (float64, error) {
	if n < 1 || c < 0 || c > n {
		return 0, fmt.Errorf("pass@k: want 0 ≤ c ≤ n and n ≥ 1, got n=%d c=%d", n, c)
	}
	if k < 1 || k > n {
		return 0, fmt.Errorf("pass@%d: k must be between 1 and the %d samples of the problem", k, n)
	}
	if n-c < k {
		return 1, nil
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod, nil
}

// Majority runs the cons@k vote over answers. Empty answers do not vote. Each
// answer joins the first group whose representative (first member) is equal to it
// under equal(representative, answer); a new group starts otherwise. The winner is
// the largest group, ties broken by the earliest first member. It returns the index
// in answers of the winner's representative and the winner's votes, or (-1, 0) when
// no answer is non-empty. A nil equal compares strings exactly.
func Majority(answers []string, equal func(a, b string) bool) (rep, votes int) {
	if equal == nil {
		equal = func(a, b string) bool { return a == b }
	}
	var reps, counts []int
	for i, a := range answers {
		if a == "" {
			continue
		}
		joined := false
		for g, r := range reps {
			if equal(answers[r], a) {
				counts[g]++
				joined = true
				break
			}
		}
		if !joined {
			reps = append(reps, i)
			counts = append(counts, 1)
		}
	}
	rep = -1
	for g := range reps { // groups are in order of first member: strict > keeps the earliest on ties
		if counts[g] > votes {
			rep, votes = reps[g], counts[g]
		}
	}
	return rep, votes
}

// BootstrapCI returns the percentile bootstrap confidence interval at level (e.g.
// 0.95) for the mean of values: resamples values with replacement b times with a
// PCG generator seeded by seed, and takes the (1−level)/2 and (1+level)/2 quantiles of
// the resampled means (linear interpolation between order statistics).
func BootstrapCI(values []float64, level float64, b int, seed uint64) (lo, hi float64, err error) {
	if len(values) == 0 {
		return 0, 0, errors.New("bootstrap: no values")
	}
	if level <= 0 || level >= 1 {
		return 0, 0, fmt.Errorf("bootstrap: level %v outside (0, 1)", level)
	}
	if b < 2 {
		return 0, 0, fmt.Errorf("bootstrap: %d resamples, want at least 2", b)
	}
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	means := make([]float64, b)
	n := len(values)
	for j := range means {
		sum := 0.0
		for range n {
			sum += values[r.IntN(n)]
		}
		means[j] = sum / float64(n)
	}
	sort.Float64s(means)
	return quantile(means, (1-level)/2), quantile(means, (1+level)/2), nil
}

// quantile returns the q-quantile of sorted values, interpolating linearly.
func quantile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// meanStdErr returns the mean of values and its normal-approximation standard error
// (sample standard deviation / sqrt(n); 0 for a single value).
func meanStdErr(values []float64) (mean, se float64) {
	n := float64(len(values))
	for _, v := range values {
		mean += v
	}
	mean /= n
	if len(values) < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, v := range values {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss/(n-1)) / math.Sqrt(n)
}
