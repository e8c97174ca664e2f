package reward

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// constFunc is a test reward that returns a fixed score.
type constFunc struct {
	name string
	sc   Score
	acc  bool
}

func (c constFunc) Name() string         { return c.name }
func (c constFunc) Score(s Sample) Score { return c.sc }
func (c constFunc) IsAccuracy() bool     { return c.acc }

// panicFunc panics on every sample.
type panicFunc struct{}

func (panicFunc) Name() string         { return "boom" }
func (panicFunc) Score(s Sample) Score { panic("index out of range") }

func TestParseSpec(t *testing.T) {
	tests := []struct {
		spec    string
		names   []string
		weights []float64
	}{
		{"countdown:1,format:1", []string{"countdown", "format"}, []float64{1, 1}},
		{"countdown,format", []string{"countdown", "format"}, []float64{1, 1}},
		{" countdown : 2 , format:0.5 ", []string{"countdown", "format"}, []float64{2, 0.5}},
		{"exact,language:0", []string{"exact", "language"}, []float64{1, 0}},
		{"accuracy,format", []string{"accuracy", "format"}, []float64{1, 1}},
		{"format(style=r1-zero;partial=true):0.5", []string{"format"}, []float64{0.5}},
		{"format(style=r1-zero,partial=true),language(lang=zh)", []string{"format", "language"}, []float64{1, 1}},
		{"format,format(style=r1-zero;as=format_zero):0.25", []string{"format", "format_zero"}, []float64{1, 0.25}},
		{`exact(ignore_case=false),integer:-1`, []string{"exact", "integer"}, []float64{1, -1}},
	}
	for _, tc := range tests {
		c, err := ParseSpec(tc.spec)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tc.spec, err)
			continue
		}
		if got := strings.Join(c.Names(), ","); got != strings.Join(tc.names, ",") {
			t.Errorf("ParseSpec(%q).Names() = %s, want %v", tc.spec, got, tc.names)
		}
		for i, w := range tc.weights {
			if c.Terms[i].Weight != w {
				t.Errorf("ParseSpec(%q) term %d weight %v, want %v", tc.spec, i, c.Terms[i].Weight, w)
			}
		}
	}
	// A renamed term keeps its accuracy type.
	c, err := ParseSpec("countdown(as=cd),format")
	if err != nil || !IsAccuracy(c.Terms[0].Func) || IsAccuracy(c.Terms[1].Func) {
		t.Errorf("accuracy types after renaming: %v, %v", c, err)
	}
	bad := []struct{ spec, err string }{
		{"", "empty term"},
		{"math,,format", "empty term"},
		{"bogus:1", `unknown reward "bogus"`},
		{"format:x", `weight "x"`},
		{"format:NaN", "not a finite number"},
		{"format:Inf", "not a finite number"},
		{"format,format", `name "format" used twice`},
		{"format(style=r2)", `parameter "style"`},
		{"format(colour=red)", "unknown parameter(s) colour"},
		{"format(style)", "want key=value"},
		{"format(style=r1", "unclosed '('"},
		{"format)", "unbalanced"},
		{"format(style=r1)x", "text after ')'"},
		{"(style=r1)", "missing reward name"},
		{`format(style="r1)`, "unclosed quote"},
	}
	for _, b := range bad {
		_, err := ParseSpec(b.spec)
		if err == nil || !strings.Contains(err.Error(), b.err) {
			t.Errorf("ParseSpec(%q): err = %v, want one containing %q", b.spec, err, b.err)
		}
	}
}

func TestCompositeScore(t *testing.T) {
	c := &Composite{Terms: []Weighted{
		{Func: constFunc{name: "fmt", sc: Score{Value: 1}}, Weight: 0.5},
		{Func: constFunc{name: "acc", sc: Score{Value: 1, Correct: true, Pred: "4", Gold: "4"}, acc: true}, Weight: 2},
		{Func: constFunc{name: "acc2", sc: Score{Value: 0, Pred: "5"}, acc: true}, Weight: 1},
		{Func: constFunc{name: "lang", sc: Score{Value: 0.25}}, Weight: -1},
	}}
	tot := c.Score(Sample{})
	if tot.Reward != 0.5+2-0.25 || !tot.Correct || tot.Pred != "4" || tot.Gold != "4" || tot.Err != nil {
		t.Errorf("Total = %+v", tot)
	}
	want := map[string]float64{"fmt": 1, "acc": 1, "acc2": 0, "lang": 0.25}
	for k, v := range want {
		if tot.Parts[k] != v {
			t.Errorf("Parts[%s] = %v, want %v", k, tot.Parts[k], v)
		}
	}
	// Errors, panics and non-finite values become zero scores with errors, per term.
	c = &Composite{Terms: []Weighted{
		{Func: panicFunc{}, Weight: 1},
		{Func: constFunc{name: "nan", sc: Score{Value: math.NaN()}}, Weight: 1},
		{Func: constFunc{name: "bad", sc: Score{Err: errors.New("no gold")}, acc: true}, Weight: 1},
		{Func: constFunc{name: "ok", sc: Score{Value: 0.5}}, Weight: 1},
	}}
	tot = c.Score(Sample{})
	if tot.Reward != 0.5 || tot.Correct || tot.Err == nil {
		t.Fatalf("Total = %+v", tot)
	}
	for _, s := range []string{`boom: reward "boom" panicked: index out of range`, `nan: reward "nan" returned NaN`, "bad: no gold"} {
		if !strings.Contains(tot.Err.Error(), s) {
			t.Errorf("Err %q lacks %q", tot.Err, s)
		}
	}
}

func TestScoreAllMatchesSequential(t *testing.T) {
	c, err := ParseSpec("countdown:1,format(style=r1-zero):0.5,language:0.1")
	if err != nil {
		t.Fatal(err)
	}
	var samples []Sample
	for i := 0; i < 500; i++ {
		a, b := i%17+1, i%5+1
		ans := fmt.Sprintf("%d+%d", a, b)
		if i%3 == 0 {
			ans = fmt.Sprintf("%d*%d", a, b)
		}
		samples = append(samples, Sample{
			Completion: fmt.Sprintf("<think>try %s</think> <answer>%s</answer>", ans, ans),
			Fields:     map[string]any{"numbers": []int{a, b}, "target": a + b},
		})
	}
	got := c.ScoreAll(samples)
	if len(got) != len(samples) {
		t.Fatalf("%d totals for %d samples", len(got), len(samples))
	}
	correct := 0
	for i, s := range samples {
		want := c.Score(s)
		if got[i].Reward != want.Reward || got[i].Correct != want.Correct || got[i].Pred != want.Pred {
			t.Fatalf("sample %d: parallel %+v, sequential %+v", i, got[i], want)
		}
		if got[i].Correct {
			correct++
		}
	}
	// a*b == a+b only for a=b=2; i%3 != 0 samples are sums and always right.
	wantCorrect := 0
	for i := 0; i < 500; i++ {
		a, b := i%17+1, i%5+1
		if i%3 != 0 || a*b == a+b {
			wantCorrect++
		}
	}
	if correct != wantCorrect {
		t.Errorf("%d correct, want %d", correct, wantCorrect)
	}
	if got := c.ScoreAll(nil); len(got) != 0 {
		t.Errorf("ScoreAll(nil) = %v", got)
	}
}

func TestNewRejectsUnknown(t *testing.T) {
	if _, err := New("nope", nil); err == nil || !strings.Contains(err.Error(), "known: accuracy, choice, code") {
		t.Errorf("unknown name: err = %v", err)
	}
	if _, err := New("integer", map[string]any{"strict": true}); err == nil || !strings.Contains(err.Error(), "it takes none") {
		t.Errorf("unknown param: err = %v", err)
	}
	if _, err := New("countdown", map[string]any{"exactly_once": "yes please"}); err == nil || !strings.Contains(err.Error(), `"exactly_once"`) {
		t.Errorf("bad type: err = %v", err)
	}
	if _, err := New("countdown", map[string]any{"format_score": 2}); err == nil {
		t.Error("format_score 2 accepted")
	}
	for _, n := range Names() {
		f, err := New(n, nil)
		if err != nil {
			t.Errorf("New(%s, nil): %v", n, err)
			continue
		}
		if f.Name() != n {
			t.Errorf("New(%s).Name() = %s", n, f.Name())
		}
	}
}

// FuzzParseSpec checks that spec parsing never panics and that accepted specs have
// distinct term names and finite weights.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"math:1,format:1", "countdown,format(style=r1-zero;partial=true):0.5", "format(as=\"x\"),format", "a(b=(c)):", ":,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := ParseSpec(spec)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, term := range c.Terms {
			if seen[term.Func.Name()] || math.IsNaN(term.Weight) || math.IsInf(term.Weight, 0) {
				t.Fatalf("ParseSpec(%q) gave a bad term %q weight %v", spec, term.Func.Name(), term.Weight)
			}
			seen[term.Func.Name()] = true
		}
	})
}

// FuzzTaskRewards runs every pure-Go reward on arbitrary completions: no panic, no error
// for a well-formed sample, and a value in [0, 1].
func FuzzTaskRewards(f *testing.F) {
	for _, s := range []string{"<think>x</think><answer>1+2</answer>", `\boxed{\frac{1}{2}}`, "(B)", "<think>", "</think>\\boxed{", "答案是 3"} {
		f.Add(s)
	}
	var funcs []Func
	for _, n := range []string{"math", "format", "countdown", "exact", "integer", "choice", "language"} {
		fn, err := New(n, nil)
		if err != nil {
			f.Fatal(err)
		}
		funcs = append(funcs, fn)
	}
	f.Fuzz(func(t *testing.T, completion string) {
		s := Sample{Prompt: "<think>\n", Completion: completion, Gold: "3",
			Fields: map[string]any{"numbers": []any{1.0, 2.0}, "target": 3.0, "choices": []any{"1", "2", "3"}}}
		for _, fn := range funcs {
			sc := fn.Score(s)
			if sc.Err != nil || sc.Value < 0 || sc.Value > 1 || math.IsNaN(sc.Value) {
				t.Fatalf("%s on %q: %+v", fn.Name(), completion, sc)
			}
			if sc.Correct && sc.Value != 1 {
				t.Fatalf("%s on %q: correct with value %v", fn.Name(), completion, sc.Value)
			}
		}
	})
}
