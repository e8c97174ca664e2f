package mathverify

import (
	"strings"
	"testing"
)

// benchPairs are short (gold, response) pairs: every table case with its prediction
// inside a one-sentence response ending in a box, so each verification extracts,
// parses and compares.
func benchPairs() [][2]string {
	out := make([][2]string, len(equalCases))
	for i, tc := range equalCases {
		out[i] = [2]string{tc.gold, `Adding the two parts gives the result, so the answer is $\boxed{` + tc.pred + `}$.`}
	}
	return out
}

// BenchmarkVerify measures short math verifications (one op = one Verify call).
// Run with -cpu 1 for the per-core figure.
func BenchmarkVerify(b *testing.B) {
	pairs := benchPairs()
	opts := DefaultOptions()
	i := 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		Verify(p[0], p[1], opts)
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// naiveVerify is the baseline a string-matching grader implements: the last box's
// content compared with the gold after removing spaces.
func naiveVerify(gold, response string) bool {
	i := strings.LastIndex(response, `\boxed{`)
	if i < 0 {
		return false
	}
	rest := response[i+len(`\boxed{`):]
	depth := 1
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return strings.ReplaceAll(rest[:j], " ", "") == strings.ReplaceAll(gold, " ", "")
			}
		}
	}
	return false
}

// BenchmarkNaiveStringMatch is the same workload graded by naiveVerify, as a speed
// baseline for BenchmarkVerify.
func BenchmarkNaiveStringMatch(b *testing.B) {
	pairs := benchPairs()
	i := 0
	for b.Loop() {
		p := pairs[i%len(pairs)]
		naiveVerify(p[0], p[1])
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
}

// TestNaiveBaselineAccuracy records how often the naive baseline agrees with the
// table, to show what exact string matching misses.
func TestNaiveBaselineAccuracy(t *testing.T) {
	pairs := benchPairs()
	agree, ours := 0, 0
	opts := DefaultOptions()
	for i, p := range pairs {
		if naiveVerify(p[0], p[1]) == equalCases[i].want {
			agree++
		}
		if Verify(p[0], p[1], opts).Correct == equalCases[i].want {
			ours++
		}
	}
	if ours != len(pairs) {
		t.Errorf("Verify agrees with %d/%d table verdicts inside responses", ours, len(pairs))
	}
	if agree == len(pairs) {
		t.Errorf("the naive baseline agrees with every case: the table is too easy")
	}
	t.Logf("naive string match agrees with %d/%d table verdicts; Verify with %d/%d", agree, len(pairs), ours, len(pairs))
}
