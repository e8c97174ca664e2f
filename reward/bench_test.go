package reward

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// benchSample is one line of testdata/bench_samples.jsonl (made by make_bench_samples.py).
type benchSample struct {
	Prompt  string  `json:"prompt"`
	Pred    string  `json:"pred"`
	Gold    string  `json:"gold"`
	Correct bool    `json:"correct"`
	Format  float64 `json:"format"`
}

func loadBenchSamples(tb testing.TB) ([]Sample, []benchSample) {
	tb.Helper()
	data, err := os.ReadFile("testdata/bench_samples.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	var samples []Sample
	var labels []benchSample
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var b benchSample
		if err := json.Unmarshal([]byte(line), &b); err != nil {
			tb.Fatalf("bench_samples.jsonl line %d: %v", i+1, err)
		}
		samples = append(samples, Sample{Prompt: b.Prompt, Completion: b.Pred, Gold: b.Gold})
		labels = append(labels, b)
	}
	return samples, labels
}

// TestBenchSamplesVerdicts checks the math+format composite against the hand-assigned
// labels of the benchmark corpus, so the benchmark measures correct work.
func TestBenchSamplesVerdicts(t *testing.T) {
	samples, labels := loadBenchSamples(t)
	c, err := ParseSpec("math:1,format:1")
	if err != nil {
		t.Fatal(err)
	}
	for i, tot := range c.ScoreAll(samples) {
		l := labels[i]
		if tot.Correct != l.Correct || tot.Parts["format"] != l.Format || tot.Err != nil {
			t.Errorf("sample %d (gold %q, pred %q): %+v, want correct %v format %v", i+1, l.Gold, tot.Pred, tot, l.Correct, l.Format)
		}
	}
}

// BenchmarkCompositeMathFormat measures the R1 reward (math accuracy + format) on short
// responses, one sample per op. Run with -cpu 1 for the per-core figure.
func BenchmarkCompositeMathFormat(b *testing.B) {
	samples, _ := loadBenchSamples(b)
	c, err := ParseSpec("math:1,format:1")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		c.Score(samples[i%len(samples)])
	}
	reportThroughput(b, b.N, cpu0)
}

// reportThroughput reports n samples per wall-clock second and per CPU-second.
func reportThroughput(b *testing.B, n int, cpu0 float64) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
	if cpu := cpuSeconds() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(float64(n)/cpu, "samples/cpu-s")
	}
}

// BenchmarkCompositeScoreAll measures ScoreAll on the whole corpus on every core
// (GOMAXPROCS), one corpus of 1,000 samples per op.
func BenchmarkCompositeScoreAll(b *testing.B) {
	samples, _ := loadBenchSamples(b)
	c, err := ParseSpec("math:1,format:1")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		c.ScoreAll(samples)
	}
	reportThroughput(b, b.N*len(samples), cpu0)
}

// BenchmarkCountdown measures the countdown reward on a TinyZero-style answer.
func BenchmarkCountdown(b *testing.B) {
	f := NewCountdown(CountdownOptions{})
	s := Sample{
		Completion: "<think>Try 95 - 21 = 74, then 74 + 3 = 77, not 82. Try (95 - 21) + 8 = 82.</think>\n<answer>(95 - 21) + 8</answer>",
		Fields:     map[string]any{"numbers": []any{95.0, 21.0, 8.0, 3.0}, "target": 82.0},
	}
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		if !f.Score(s).Correct {
			b.Fatal("wrong verdict")
		}
	}
	reportThroughput(b, b.N, cpu0)
}
