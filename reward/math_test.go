package reward

import (
	"strings"
	"testing"
)

func TestMathReward(t *testing.T) {
	f, err := New("math", nil)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := New("accuracy", nil)
	if err != nil {
		t.Fatal(err)
	}
	boxOnly, err := New("math", map[string]any{"extract": []any{"boxed"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		f       Func
		prompt  string
		comp    string
		gold    string
		correct bool
	}{
		{"boxed after think", f, "", "<think>1/2 of 1</think> The answer is $\\boxed{\\frac{1}{2}}$.", "0.5", true},
		{"answer tag", acc, "", "<think>..</think> <answer>\\dfrac{1}{2}</answer>", "1/2", true},
		{"prompt-opened think", f, "<think>\n", "it is 4 </think> \\boxed{4}", "4", true},
		{"box inside think does not count", f, "", "<think>maybe \\boxed{4}</think> \\boxed{5}", "4", false},
		{"truncated think has no answer", f, "<think>\n", "so far \\boxed{4}", "4", false},
		{"wrong", f, "", "</think> \\boxed{3}", "4", false},
		{"gold as a boxed solution", f, "", "</think> \\boxed{2\\sqrt{2}}", "We get $\\boxed{\\sqrt{8}}$.", true},
		{"no think tags", f, "", "So x = \\boxed{7}.", "7", true},
		{"box only: phrase ignored", boxOnly, "", "</think> the answer is 7", "7", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.Score(Sample{Prompt: tc.prompt, Completion: tc.comp, Gold: tc.gold})
			if got.Err != nil {
				t.Fatalf("unexpected error: %v", got.Err)
			}
			want := 0.0
			if tc.correct {
				want = 1
			}
			if got.Correct != tc.correct || got.Value != want {
				t.Errorf("Score = %+v, want correct %v", got, tc.correct)
			}
		})
	}
	if got := f.Score(Sample{Completion: "\\boxed{1}"}); got.Err == nil || !strings.Contains(got.Err.Error(), "no gold") {
		t.Errorf("empty gold: %+v", got)
	}
	// An unparseable reference is a dataset error, not a wrong answer.
	if got := f.Score(Sample{Completion: "\\boxed{3}", Gold: "\\frac{"}); got.Err == nil || !strings.Contains(got.Err.Error(), "math: gold: ") {
		t.Errorf("malformed gold: %+v", got)
	}
	for _, p := range []map[string]any{{"extract": []any{"magic"}}, {"precision": -1}, {"percent": "half"}, {"rel_tol": 2}} {
		if _, err := New("math", p); err == nil {
			t.Errorf("New(math, %v) succeeded", p)
		}
	}
}

func TestMathFormatComposite(t *testing.T) {
	c, err := ParseSpec("math:1,format:1")
	if err != nil {
		t.Fatal(err)
	}
	samples := []Sample{
		{Prompt: "<think>\n", Completion: "6*7 = 42\n</think>\n\\boxed{42}", Gold: "42"},
		{Prompt: "<think>\n", Completion: "6*7 = 41\n</think>\n\\boxed{41}", Gold: "42"},
		{Prompt: "Q", Completion: "\\boxed{42}", Gold: "42"},
		{Prompt: "Q", Completion: "no idea", Gold: "42"},
	}
	want := []struct {
		reward  float64
		correct bool
		math    float64
		format  float64
	}{{2, true, 1, 1}, {1, false, 0, 1}, {1, true, 1, 0}, {0, false, 0, 0}}
	got := c.ScoreAll(samples)
	for i, w := range want {
		g := got[i]
		if g.Reward != w.reward || g.Correct != w.correct || g.Parts["math"] != w.math || g.Parts["format"] != w.format || g.Err != nil {
			t.Errorf("sample %d: %+v, want %+v", i, g, w)
		}
	}
}
