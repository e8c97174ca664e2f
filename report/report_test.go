package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "metrics.jsonl", `{"step":1,"reward_mean":0.5,"kl":null,"note":"x"}
{"step":2,"reward_mean":0.75,"kl":0.01}
{"step":3,"reward_m`) // torn last line: the run was killed while writing it
	write(t, dir, "samples.jsonl", `{"step":1,"prompt":"old","answer":"1","completions":[]}
{"step":2,"prompt":"a <b>","answer":"2","completions":[{"text":"<think>x</think>","reward":1,"correct":true,"tokens":5}]}
{"step":2,"prompt":"c","answer":"3","completions":[]}
`)
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Series["reward_mean"]; len(got) != 2 || got[0] != (Point{1, 0.5}) || got[1] != (Point{2, 0.75}) {
		t.Errorf("reward_mean = %v", got)
	}
	if kl := r.Series["kl"]; len(kl) != 2 || !math.IsNaN(kl[0].Value) || kl[1].Value != 0.01 {
		t.Errorf("kl = %v, want NaN then 0.01", kl)
	}
	if _, ok := r.Series["note"]; ok {
		t.Error("a string field became a series")
	}
	if len(r.Samples) != 2 || r.Samples[0].Prompt != "a <b>" || r.Samples[0].Completions[0].Text != "<think>x</think>" {
		t.Errorf("samples = %+v, want the two of step 2", r.Samples)
	}

	// A malformed line before the last is an error with the file and line.
	write(t, dir, "metrics.jsonl", "{\"step\":1,\"a\":1}\nnot json\n{\"step\":3,\"a\":2}\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "metrics.jsonl:2") {
		t.Errorf("malformed line 2: err %v", err)
	}
	write(t, dir, "metrics.jsonl", "{\"a\":1}\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "step") {
		t.Errorf("no step: err %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "metrics.jsonl") {
		t.Errorf("missing run: err %v", err)
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 97, []float64{0, 20, 40, 60, 80, 100}},
		{-3, 3, []float64{-4, -2, 0, 2, 4}},
		{1, 60, []float64{0, 20, 40, 60}},
		{0.0012, 0.0019, []float64{0.0012, 0.0014, 0.0016, 0.0018, 0.002}},
	} {
		got := niceTicks(tc.lo, tc.hi, 5)
		if len(got) != len(tc.want) {
			t.Errorf("niceTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-12 {
				t.Errorf("niceTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
				break
			}
		}
	}
	// A constant series still gets a range around its value.
	if got := niceTicks(5, 5, 5); got[0] >= 5 || got[len(got)-1] <= 5 {
		t.Errorf("niceTicks(5, 5) = %v", got)
	}
	if got := niceTicks(0, 0, 5); got[0] >= 0 || got[len(got)-1] <= 0 {
		t.Errorf("niceTicks(0, 0) = %v", got)
	}
}

// The EMA is TensorBoard's debiased one: a constant series stays constant, the first value
// is kept, and a step is approached geometrically.
func TestEMA(t *testing.T) {
	got := ema([]Point{{0, 1}, {1, 1}, {2, 3}, {3, math.NaN()}, {4, 3}}, 0.5)
	want := []float64{1, 1, (0.125*1 + 0.25*1 + 0.5*3) / (0.125 + 0.25 + 0.5), math.NaN()}
	for i, w := range want {
		if math.IsNaN(w) != math.IsNaN(got[i].Value) || (!math.IsNaN(w) && math.Abs(got[i].Value-w) > 1e-12) {
			t.Errorf("ema[%d] = %v, want %v", i, got[i].Value, w)
		}
	}
}

// A chart places each point by the axes' linear maps: for y = step on steps 0..10 the ticks
// are 0, 2, ..., 10 on both axes, so point (s, s) is at x = padL + s/10·plotW and
// y = padT + plotH − s/10·plotH. A NaN value starts a new line.
func TestChartGeometry(t *testing.T) {
	var pts []Point
	for s := 0; s <= 10; s++ {
		v := float64(s)
		if s == 5 {
			v = math.NaN()
		}
		pts = append(pts, Point{float64(s), v})
	}
	svg := chart("m", []*Run{{Name: "r", Series: map[string][]Point{"m": pts}}}, 0)
	d := regexp.MustCompile(`<path d="([^"]+)"`).FindStringSubmatch(svg)
	if d == nil {
		t.Fatalf("no path in %s", svg)
	}
	if n := strings.Count(d[1], "M"); n != 2 {
		t.Errorf("path %q has %d subpaths, want 2 (NaN at step 5)", d[1], n)
	}
	for _, s := range []int{0, 3, 10} {
		x, y := padL+float64(s)/10*plotW, padT+plotH-float64(s)/10*plotH
		if want := fmt.Sprintf("%.1f %.1f", x, y); !strings.Contains(d[1], want) {
			t.Errorf("point %d: path %q lacks %s", s, d[1], want)
		}
	}
}

func TestWriteOverlayAndSamples(t *testing.T) {
	a := &Run{Name: "a<1>", Series: map[string][]Point{
		"reward_mean": {{1, 0.1}, {2, 0.2}, {3, 0.4}}, "reward/accuracy": {{1, 0}, {2, 1}, {3, 1}},
		"custom_metric": {{1, 5}, {2, 6}, {3, 7}}, "kl": {{1, math.NaN()}, {2, math.NaN()}, {3, math.NaN()}},
	}, Samples: []Sample{{Step: 3, Prompt: "2+2?", Answer: "4", Completions: []Completion{{Text: "<think>hmm</think><answer>4</answer>", Reward: 1, Correct: true, Tokens: 9}}}}}
	b := &Run{Name: "b", Series: map[string][]Point{"reward_mean": {{1, 0.3}, {2, 0.1}, {3, 0.2}}}}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := WriteFile(path, []*Run{a, b}, Options{Smooth: 0.6}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	for _, want := range []string{
		"<h2>Rewards</h2>", "<h2>Other</h2>", "custom_metric", "reward/accuracy",
		"a&lt;1&gt;", // run names are escaped
		"&lt;think&gt;hmm&lt;/think&gt;&lt;answer&gt;4&lt;/answer&gt;", "Samples at step 3",
		palette[0], palette[1],
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the page must be self-contained: no scripts, nothing fetched")
	}
	if strings.Contains(page, "<figcaption>kl") {
		t.Error("a metric with no finite value got a chart")
	}
	// reward_mean: two runs, raw and smoothed lines each.
	i := strings.Index(page, "<figcaption>reward_mean")
	fig := page[i : i+strings.Index(page[i:], "</figure>")]
	if n := strings.Count(fig, "<path "); n != 4 {
		t.Errorf("reward_mean chart has %d lines, want 4 (2 runs × raw and smoothed)", n)
	}
	if err := Write(&strings.Builder{}, nil, Options{}); err == nil {
		t.Error("no runs accepted")
	}
	if err := Write(&strings.Builder{}, []*Run{a}, Options{Smooth: 1}); err == nil {
		t.Error("smoothing 1 accepted")
	}
}
