package eval

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/r1go/r1go/data"
)

func TestVerifier(t *testing.T) {
	for _, c := range []struct{ task, name, err string }{
		{"math", "math", ""},
		{"integer", "integer", ""},
		{"countdown", "countdown", ""},
		{"countdown(exactly_once=true)", "countdown", ""},
		{"arith:3", "integer", ""},
		{"copy-digit", "integer", ""},
		{"format", "", `task "format": reward "format" has no accuracy-type term`},
		{"nope", "", `task "nope": reward spec "nope"`},
		{"", "", "no task given"},
	} {
		f, err := Verifier(c.task)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Verifier(%q) error = %v, want it to contain %q", c.task, err, c.err)
		case c.err == "" && (err != nil || f.Name() != c.name):
			t.Errorf("Verifier(%q) = %v, %v; want reward %q", c.task, f, err, c.name)
		}
	}
}

func TestMathEquivalenceForCons(t *testing.T) {
	f, err := Verifier("math")
	if err != nil {
		t.Fatal(err)
	}
	eq := Equivalence(f)
	forms := []string{"1/2", "0.5", `\frac{1}{2}`, `\dfrac12`}
	for _, a := range forms {
		for _, b := range forms {
			if !eq(a, b) {
				t.Errorf("math equivalence: %q ≠ %q", a, b)
			}
		}
	}
	if eq("1/2", "1/3") || eq("3", "3.1") {
		t.Error("math equivalence accepts different numbers")
	}
	rep, votes := Majority([]string{"1/3", "0.5", "1/3", `\frac{1}{2}`, "1/2"}, eq)
	if rep != 1 || votes != 3 {
		t.Errorf("Majority with math equivalence = (%d, %d), want (1, 3): 0.5, \\frac{1}{2} and 1/2 outvote 1/3", rep, votes)
	}
	if rep, votes := Majority([]string{"1/3", "0.5", "1/3", `\frac{1}{2}`, "1/2"}, nil); rep != 0 || votes != 2 {
		t.Errorf("Majority with exact equality = (%d, %d), want (0, 2)", rep, votes)
	}
}

// TestEvaluateFileMath scores testdata/samples_math.jsonl with the math verifier. By hand:
// "half" (gold 1/2): 0.5, \frac{1}{2} and 1/2 right, 1/3 twice wrong → 3/5; the math
// vote groups the three right forms (3 votes) against 1/3 (2) → right.
// "six": 6 twice right of 5; the vote ties 5 (first) against 6 → 5 wins → wrong.
// "square" (x^2+2x+1): (x+1)^2, x^2 + 2x + 1, (1+x)^2 right → 3/5; vote right.
func TestEvaluateFileMath(t *testing.T) {
	rep, err := EvaluateFile("testdata/samples_math.jsonl", "math", Options{PassK: []int{2, 4}})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	if s.Problems != 3 || s.Samples != 15 || s.ConsK != 5 || s.ScoreErrors != 0 || s.Task != "math" {
		t.Fatalf("summary %+v", s)
	}
	near(t, "pass@1", s.Pass1, (0.6+0.4+0.6)/3)
	near(t, "pass@2", s.PassK[2], ((1-1.0/10)+(1-3.0/10)+(1-1.0/10))/3) // 1 - C(n-c,2)/C(5,2)
	near(t, "pass@4", s.PassK[4], 1)                                    // n - c < 4 everywhere
	near(t, "cons@5", s.Cons, 2.0/3)
	near(t, "answer rate", s.AnswerRate, 14.0/15)
	near(t, "mean tokens", s.MeanLengthTokens, (9+12+5+10+6+3*4+4+5*5)/15.0)
	near(t, "six: mean chars", rep.Problems[1].MeanChars, float64(4*len(`\boxed{5}`)+len("I do not know."))/5)
	if p := rep.Problems[0]; p.ConsAnswer != "0.5" || p.ConsVotes != 3 || !p.ConsCorrect {
		t.Errorf("half: vote %q (%d votes, correct %v), want 0.5 with 3, correct", p.ConsAnswer, p.ConsVotes, p.ConsCorrect)
	}
	if p := rep.Problems[1]; p.ConsAnswer != "5" || p.ConsVotes != 2 || p.ConsCorrect {
		t.Errorf("six: vote %q (%d votes, correct %v), want the tie won by 5", p.ConsAnswer, p.ConsVotes, p.ConsCorrect)
	}
	// The same samples voted with exact string equality: "half" is won by 1/3.
	f, _ := Verifier("math")
	samples, _ := LoadSamples("testdata/samples_math.jsonl")
	exact, err := Evaluate(Score(samples, f), Options{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "cons@5 with exact equality", exact.Summary.Cons, 1.0/3)
}

func TestEvaluateFileCountdown(t *testing.T) {
	rep, err := EvaluateFile("testdata/samples_countdown.jsonl", "countdown", Options{PassK: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	// 3*5+3*3 uses 3 three times (given twice): wrong. The other three are right; the
	// vote groups "(3 + 5) * 3" with "(3+5) * 3" (whitespace ignored): 2 votes.
	p := rep.Problems[0]
	if p.ID != "1" || p.Correct != 3 || p.ConsVotes != 2 || !p.ConsCorrect || p.ConsAnswer != "(3 + 5) * 3" {
		t.Errorf("countdown problem = %+v", p)
	}
	near(t, "pass@2", rep.Summary.PassK[2], 1)
}

func TestLoadSamplesErrors(t *testing.T) {
	good := `{"id":"a","gold":"1","pred":"1"}` + "\n"
	cases := []struct{ name, content, want string }{
		{"malformed line 2", good + `{"id":"a","gold":"1","pred":` + "\n", `s.jsonl line 2: malformed JSON`},
		{"missing gold", good + good + `{"id":"a","pred":"1"}`, `s.jsonl line 3: missing field "gold"`},
		{"missing pred", `{"id":"a","gold":"1"}`, `s.jsonl line 1: missing field "pred" (or "completion", "response", "output")`},
		{"missing id", `{"gold":"1","pred":"1"}`, `s.jsonl line 1: missing field "id"`},
		{"gold of the wrong type", `{"id":"a","gold":{"v":1},"pred":"1"}`, `s.jsonl line 1: field "gold": want a string or a number, got an object`},
		{"negative tokens", `{"id":"a","gold":"1","pred":"1","tokens":-3}`, `s.jsonl line 1: field "tokens": want a non-negative integer, got -3`},
		{"fields not an object", `{"id":"a","gold":"1","pred":"1","fields":[1]}`, `s.jsonl line 1: field "fields": want an object, got an array`},
		{"empty file", "\n", `s.jsonl: no samples`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.jsonl")
			writeTestFile(t, path, c.content)
			_, err := LoadSamples(path)
			if err == nil {
				t.Fatal("no error")
			}
			if msg := strings.TrimPrefix(err.Error(), filepath.Dir(path)+"/"); !strings.HasPrefix(msg, c.want) {
				t.Errorf("error = %q\nwant prefix %q", msg, c.want)
			}
		})
	}
}

func TestLoadSamplesFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	writeTestFile(t, path, `{"id":7,"gold":24,"pred":"x","completion":"full","prompt":"p","tokens":3,"numbers":[1,2],"fields":{"target":24}}`)
	s, err := LoadSamples(path)
	if err != nil {
		t.Fatal(err)
	}
	got := s[0]
	if got.ID != "7" || got.Gold != "24" || got.Completion != "full" || got.Prompt != "p" || got.Tokens != 3 ||
		len(got.Fields) != 2 || got.Fields["target"] != 24 {
		t.Errorf("sample = %+v", got)
	}
}

// TestFromExamplesOnATask evaluates hand-written responses to the first countdown test
// problems through the same path a generator uses.
func TestFromExamplesOnATask(t *testing.T) {
	task, err := data.TaskByName("countdown")
	if err != nil {
		t.Fatal(err)
	}
	exs := task.Test(3)
	var completions [][]string
	for _, ex := range exs {
		right := "<think>fold them</think> <answer>" + ex.Fields["solution"].(string) + "</answer>"
		completions = append(completions, []string{right, "<answer>1 + 1</answer>", right, "no idea"})
	}
	samples, err := FromExamples(exs, completions, [][]int{{5, 3, 5, 2}, {5, 3, 5, 2}, {5, 3, 5, 2}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Verifier(task.Name())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Evaluate(Score(samples, f), Options{PassK: []int{2}, Equal: Equivalence(f)})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	near(t, "pass@1", s.Pass1, 0.5)
	near(t, "pass@2", s.PassK[2], 1-1.0/6) // 1 - C(2,2)/C(4,2)
	near(t, "cons@4", s.Cons, 1)           // the right equation twice against one wrong one
	near(t, "mean tokens", s.MeanLengthTokens, 15.0/4)
	if _, err := FromExamples(exs, completions[:2], nil); err == nil {
		t.Error("mismatched lengths: no error")
	}
	if _, err := FromExamples(exs[:1], [][]string{{}}, nil); err == nil {
		t.Error("no completions: no error")
	}
	dup := []data.Example{exs[0], exs[0]}
	if _, err := FromExamples(dup, completions[:2], nil); err == nil {
		t.Error("duplicate ids: no error")
	}
}

func TestEvaluateFileNothingScorable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.jsonl")
	writeTestFile(t, path, `{"id":"a","gold":"x","pred":"1"}`+"\n"+`{"id":"a","gold":"x","pred":"2"}`)
	_, err := EvaluateFile(path, "integer", Options{})
	if err == nil || !strings.Contains(err.Error(), `s.jsonl: no sample could be scored with "integer" (first error: integer: gold answer "x" is not an integer)`) {
		t.Fatalf("error = %v", err)
	}
}

// TestGSM8KEndToEnd evaluates 4 synthetic responses to each of the 1,319 GSM8K test
// problems through the file path of `r1go eval --samples`: the gold solution itself
// (right), a boxed off-by-one (wrong), the boxed answer (right), no answer. By hand:
// pass@1 = 1/2, pass@2 = 1 − C(2,2)/C(4,2) = 5/6, pass@4 = 1, cons@4 = 1 (the right
// answer has 2 votes against 1), answer rate 3/4.
func TestGSM8KEndToEnd(t *testing.T) {
	var path string
	for _, p := range []string{"../../shared/data/gsm8k/test.jsonl", "/work/shared/data/gsm8k/test.jsonl"} {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("skipping: gsm8k/test.jsonl not found under ../shared/data (present in CI)")
	}
	exs, err := data.Load(path, data.Mapping{})
	if err != nil {
		t.Fatal(err)
	}
	var lines []map[string]any
	for _, ex := range exs {
		n, err := strconv.Atoi(ex.Answer)
		if err != nil {
			t.Fatalf("%s: answer %q", ex.ID, ex.Answer)
		}
		for _, c := range []string{ex.Fields["solution"].(string), `The answer is \boxed{` + strconv.Itoa(n+1) + `}.`,
			`So she makes \boxed{` + ex.Answer + `} dollars.`, "I cannot tell."} {
			lines = append(lines, map[string]any{"id": ex.ID, "gold": ex.Answer, "completion": c})
		}
	}
	samples := filepath.Join(t.TempDir(), "gsm8k_samples.jsonl")
	if err := data.WriteJSONL(samples, lines); err != nil {
		t.Fatal(err)
	}
	rep, err := EvaluateFile(samples, "integer", Options{PassK: []int{2, 4}})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	if s.Problems != 1319 || s.Samples != 4*1319 || s.ScoreErrors != 0 {
		t.Fatalf("summary %+v", s)
	}
	for _, p := range rep.Problems {
		if p.Correct != 2 || !p.ConsCorrect {
			t.Fatalf("problem %s: %d correct, vote %q correct=%v; verdicts %v preds %q", p.ID, p.Correct, p.ConsAnswer, p.ConsCorrect, p.Verdicts, p.Preds)
		}
	}
	near(t, "pass@1", s.Pass1, 0.5)
	near(t, "pass@2", s.PassK[2], 5.0/6)
	near(t, "pass@4", s.PassK[4], 1)
	near(t, "cons@4", s.Cons, 1)
	near(t, "answer rate", s.AnswerRate, 0.75)
	if s.Pass1CILow != 0.5 || s.Pass1CIHigh != 0.5 {
		t.Errorf("every problem at 1/2: CI [%v, %v], want [0.5, 0.5]", s.Pass1CILow, s.Pass1CIHigh)
	}
}
