package eval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// numeric is a simple answer equivalence for tests: equal as decimal numbers, else as strings.
func numeric(a, b string) bool {
	x, errx := strconv.ParseFloat(a, 64)
	y, erry := strconv.ParseFloat(b, 64)
	if errx == nil && erry == nil {
		return x == y
	}
	return a == b
}

type verdict struct {
	pred       string
	correct    bool
	completion string
}

func scoredOf(id, gold string, vs ...verdict) []Scored {
	out := make([]Scored, len(vs))
	for i, v := range vs {
		out[i] = Scored{Sample: Sample{ID: id, Gold: gold, Completion: v.completion}, Pred: v.pred, Correct: v.correct}
	}
	return out
}

// threeProblems: p1 has 2 of 4 right, p2 2 of 4, p3 none and no answers.
func threeProblems() []Scored {
	var s []Scored
	s = append(s, scoredOf("p1", "1/2",
		verdict{"0.5", true, "abcd"}, verdict{`\frac{1}{2}`, true, "½½"}, verdict{"1/3", false, ""}, verdict{"", false, "xy"})...)
	s = append(s, scoredOf("p2", "2",
		verdict{"3", false, "aaaaaaaaaa"}, verdict{"2", true, "b"}, verdict{"2.0", true, "c"}, verdict{"4", false, "d"})...)
	s = append(s, scoredOf("p3", "7",
		verdict{"", false, "q"}, verdict{"", false, "q"}, verdict{"", false, "q"}, verdict{"", false, "q"})...)
	return s
}

func near(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func TestEvaluateHandComputed(t *testing.T) {
	rep, err := Evaluate(threeProblems(), Options{PassK: []int{4, 2, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	if s.Problems != 3 || s.Samples != 12 || s.ConsK != 4 || s.MinSamples != 4 || s.MaxSamples != 4 {
		t.Fatalf("summary counts %+v", s)
	}
	near(t, "pass@1", s.Pass1, (0.5+0.5+0)/3)
	near(t, "pass@2", s.PassK[2], (5.0/6+5.0/6+0)/3) // 1 - C(2,2)/C(4,2) = 5/6
	near(t, "pass@4", s.PassK[4], (1+1+0)/3.0)       // n - c = 2 < 4
	if len(s.PassK) != 2 {
		t.Errorf("PassK keys %v, want 2 and 4 (1 is Pass1, duplicates dropped)", s.PassK)
	}
	// Exact equality: p1 is a three-way tie won by "0.5" (first, correct); p2 a four-way
	// tie won by "3" (wrong); p3 has no answer.
	near(t, "cons@4 exact", s.Cons, 1.0/3)
	near(t, "mean length", s.MeanLengthChars, (4+2+0+2+10+1+1+1+4)/12.0)
	near(t, "answer rate", s.AnswerRate, 7.0/12)
	p1 := rep.Problems[0]
	if p1.ID != "p1" || p1.Correct != 2 || p1.ConsAnswer != "0.5" || p1.ConsVotes != 1 || !p1.ConsCorrect {
		t.Errorf("p1 = %+v", p1)
	}
	if p3 := rep.Problems[2]; p3.ConsAnswer != "" || p3.ConsCorrect || p3.PassK[4] != 0 {
		t.Errorf("p3 = %+v", p3)
	}

	// With numeric equivalence "2" and "2.0" form the majority of p2.
	rep, err = Evaluate(threeProblems(), Options{Equal: numeric})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "cons@4 numeric", rep.Summary.Cons, 2.0/3)
	if p2 := rep.Problems[1]; p2.ConsAnswer != "2" || p2.ConsVotes != 2 {
		t.Errorf("p2 vote = %q with %d votes, want \"2\" with 2", p2.ConsAnswer, p2.ConsVotes)
	}
}

func TestEvaluateUnevenSampleCounts(t *testing.T) {
	s := scoredOf("a", "1", verdict{"2", false, ""}, verdict{"1", true, ""}, verdict{"1", true, ""}, verdict{"2", false, ""})
	s = append(s, scoredOf("b", "5", verdict{"5", true, ""}, verdict{"6", false, ""})...)
	_, err := Evaluate(s, Options{PassK: []int{4}})
	want := `pass@4 needs at least 4 samples per problem, but problem "b" has 2`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error = %v, want it to contain %q", err, want)
	}
	rep, err := Evaluate(s, Options{PassK: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	sum := rep.Summary
	near(t, "pass@1 (per-problem means)", sum.Pass1, (0.5+0.5)/2)
	near(t, "pass@2", sum.PassK[2], ((1-1.0/6)+1)/2)
	// cons@2 votes over the first 2 samples of each problem: a ties "2"/"1" → "2" (wrong); b → "5".
	if sum.ConsK != 2 || sum.MinSamples != 2 || sum.MaxSamples != 4 {
		t.Errorf("cons k %d, min %d, max %d", sum.ConsK, sum.MinSamples, sum.MaxSamples)
	}
	near(t, "cons@2", sum.Cons, 0.5)
}

func TestEvaluateErrors(t *testing.T) {
	if _, err := Evaluate(nil, Options{}); err == nil {
		t.Error("no samples: no error")
	}
	s := append(scoredOf("a", "1", verdict{"1", true, ""}), scoredOf("a", "2", verdict{"2", true, ""})...)
	_, err := Evaluate(s, Options{})
	if err == nil || err.Error() != `evaluate: problem "a": sample 1 has gold "1" but sample 2 has "2"` {
		t.Errorf("gold disagreement: %v", err)
	}
	if _, err := Evaluate(scoredOf("a", "1", verdict{"1", true, ""}), Options{PassK: []int{0}}); err == nil {
		t.Error("pass@0: no error")
	}
}

func TestSummaryJSONKeys(t *testing.T) {
	rep, err := Evaluate(threeProblems(), Options{PassK: []int{2, 4}})
	if err != nil {
		t.Fatal(err)
	}
	rep.Summary.Task = "math"
	b, err := json.Marshal(rep.Summary)
	if err != nil {
		t.Fatal(err)
	}
	wantOrder := []string{`"problems":3`, `"samples":12`, `"pass@1":0.333`, `"pass@2":0.555`, `"pass@4":0.666`, `"cons@4":0.333`,
		`"mean_length_chars":2.0833`, `"pass@1_stderr":`, `"pass@1_ci_low":`, `"pass@1_ci_high":`, `"ci_level":0.95`,
		`"ci_method":"percentile bootstrap over problems, 2000 resamples, fixed seed"`, `"samples_per_problem_min":4`,
		`"samples_per_problem_max":4`, `"answer_rate":0.583`, `"score_errors":0`, `"task":"math"`}
	at := 0
	for _, w := range wantOrder {
		i := strings.Index(string(b[at:]), w)
		if i < 0 {
			t.Fatalf("summary %s: %s missing or out of order", b, w)
		}
		at += i
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("summary is not valid JSON: %v", err)
	}
	if _, ok := m["mean_length_tokens"]; ok {
		t.Error("mean_length_tokens present although no sample gave tokens")
	}
}

func TestWriteDir(t *testing.T) {
	rep, err := Evaluate(threeProblems(), Options{PassK: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := rep.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	results, _ := os.ReadFile(filepath.Join(dir, "results.jsonl"))
	lines := strings.Split(strings.TrimSpace(string(results)), "\n")
	if len(lines) != 3 {
		t.Fatalf("results.jsonl has %d lines, want 3", len(lines))
	}
	want := `{"id":"p1","gold":"1/2","n":4,"correct":2,"pass@1":0.5,"pass@2":0.8333333333333333,"cons_answer":"0.5","cons_votes":1,"cons_correct":true,` +
		`"mean_length_chars":2,"preds":["0.5","\\frac{1}{2}","1/3",""],"verdicts":[true,true,false,false]}`
	if lines[0] != want {
		t.Errorf("results line 1:\n got %s\nwant %s", lines[0], want)
	}
	var sum map[string]any
	raw, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(raw, &sum); err != nil || sum["problems"] != 3.0 {
		t.Errorf("summary.json: %v %v", sum, err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	wantMD := "| problems | samples | pass@1 (95% CI) | pass@2 | cons@4 | mean length (chars) |\n|---|---|---|---|---|---|\n| 3 | 12 | 33.3 ("
	if !strings.Contains(string(md), wantMD) || !strings.Contains(string(md), "| 55.6 | 33.3 | 2.1 |") {
		t.Errorf("summary.md:\n%s", md)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("files in out dir: %v", entries)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEvaluateGroupBy(t *testing.T) {
	s := threeProblems()
	levels := map[string]any{"p1": 2, "p2": 10} // p3 has no level
	for i := range s {
		if l, ok := levels[s[i].ID]; ok {
			s[i].Fields = map[string]any{"level": l}
		}
	}
	rep, err := Evaluate(s, Options{PassK: []int{2}, GroupBy: "level"})
	if err != nil {
		t.Fatal(err)
	}
	g := rep.Summary.Groups
	if len(g) != 3 || g[0].Key != "(none)" || g[1].Key != "10" || g[2].Key != "2" {
		t.Fatalf("groups %+v, want (none), 10, 2 (not all keys are integers: string order)", g)
	}
	// Make every key numeric: numeric order puts 2 before 10.
	for i := range s {
		if s[i].ID == "p3" {
			s[i].Fields = map[string]any{"level": 2}
		}
	}
	rep, err = Evaluate(s, Options{PassK: []int{2}, GroupBy: "level"})
	if err != nil {
		t.Fatal(err)
	}
	g = rep.Summary.Groups
	if len(g) != 2 || g[0].Key != "2" || g[0].Problems != 2 || g[1].Key != "10" || g[1].Problems != 1 {
		t.Fatalf("groups %+v", g)
	}
	near(t, "level 2 pass@1", g[0].Pass1, (0.5+0)/2)
	near(t, "level 2 pass@2", g[0].PassK[2], (5.0/6+0)/2)
	near(t, "level 2 cons", g[0].Cons, 0.5)
	near(t, "level 10 pass@1", g[1].Pass1, 0.5)
	near(t, "level 10 cons", g[1].Cons, 0)
	b, err := json.Marshal(rep.Summary)
	if err != nil {
		t.Fatal(err)
	}
	want := `"by_level":{"2":{"problems":2,"pass@1":0.25,"pass@2":0.41666666666666663,"cons@4":0.5},"10":{"problems":1,"pass@1":0.5,"pass@2":0.8333333333333333,"cons@4":0}}}`
	if !strings.HasSuffix(string(b), want) {
		t.Errorf("summary JSON ends %s\nwant suffix %s", b, want)
	}
	md := rep.Markdown()
	if !strings.Contains(md, "By level:\n\n| level | problems | pass@1 | pass@2 | cons@4 |\n|---|---|---|---|---|\n| 2 | 2 | 25.0 | 41.7 | 50.0 |\n| 10 | 1 | 50.0 | 83.3 | 0.0 |\n") {
		t.Errorf("markdown:\n%s", md)
	}
	line, _ := json.Marshal(rep.Problems[0])
	if !strings.HasPrefix(string(line), `{"id":"p1","group":"2","gold":"1/2",`) {
		t.Errorf("results line %s", line)
	}
}
