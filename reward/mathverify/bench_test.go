package mathverify

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
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
	cpu0 := cpuSeconds()
	for b.Loop() {
		p := pairs[i%len(pairs)]
		Verify(p[0], p[1], opts)
		i++
	}
	reportRates(b, cpu0)
}

// BenchmarkExtractUnclosedBoxes measures extraction from a response of n unclosed
// boxes (one op = one ExtractAnswer call), the input that made extraction quadratic.
func BenchmarkExtractUnclosedBoxes(b *testing.B) {
	opts := DefaultOptions()
	for _, n := range []int{4000, 8000, 150000} {
		s := "</think>" + strings.Repeat(`\boxed{`, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				ExtractAnswer(s, opts)
			}
		})
	}
}

// reportRates adds verifications per wall second and per CPU second of the process.
func reportRates(b *testing.B, cpu0 float64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
	if cpu := cpuSeconds() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "verifications/cpu-s")
	}
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
	cpu0 := cpuSeconds()
	for b.Loop() {
		p := pairs[i%len(pairs)]
		naiveVerify(p[0], p[1])
		i++
	}
	reportRates(b, cpu0)
}

var updateBenchPairs = flag.Bool("update-bench-pairs", false, "rewrite testdata/bench_pairs.jsonl from the case table")

// TestBenchPairsFile keeps testdata/bench_pairs.jsonl (the workload of the Python peer
// testdata/peer_bench.py) identical to benchPairs; -update-bench-pairs rewrites it.
func TestBenchPairsFile(t *testing.T) {
	var buf bytes.Buffer
	for i, p := range benchPairs() {
		line, err := json.Marshal(map[string]any{"gold": p[0], "response": p[1], "want": equalCases[i].want})
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	path := filepath.Join("testdata", "bench_pairs.jsonl")
	if *updateBenchPairs {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestBenchPairsFile -update-bench-pairs)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("%s is out of date: run go test -run TestBenchPairsFile -update-bench-pairs ./reward/mathverify", path)
	}
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
