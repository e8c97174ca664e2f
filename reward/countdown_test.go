package reward

import (
	"math/big"
	"strings"
	"testing"
	"time"
)

func rats(xs ...int64) []*big.Rat {
	out := make([]*big.Rat, len(xs))
	for i, x := range xs {
		out[i] = big.NewRat(x, 1)
	}
	return out
}

func TestParseArithmetic(t *testing.T) {
	tests := []struct {
		expr string
		want string // exact value as a/b, or "" for an error
		lits int
		err  string // substring of the error
	}{
		{"1+2*3", "7", 3, ""},
		{"(1+2)*3", "9", 3, ""},
		{"7/2", "7/2", 2, ""},
		{"1/3+1/6", "1/2", 4, ""},
		{"(25-5)/4*3", "15", 4, ""},
		{"2-3-4", "-5", 3, ""},    // left associative
		{"24/4/3", "2", 3, ""},    // left associative
		{"-3+10", "7", 2, ""},     // unary minus
		{"-(2-5)", "3", 2, ""},    // unary minus on a group
		{"[2+3]×4", "20", 3, ""},  // brackets, ×
		{"8 ÷ 2 − 1", "3", 3, ""}, // ÷ and the Unicode minus
		{`3 \times 4`, "12", 2, ""},
		{`\left(1+1\right) \cdot 5`, "10", 3, ""},
		{"0.5*4", "2", 2, ""},
		{"1/0", "", 0, "division by zero"},
		{"5/(3-3)", "", 0, "division by zero"},
		{"2(3+4)", "", 0, "missing operator"},
		{"(1+2", "", 0, "unclosed"},
		{"1+2)", "", 0, "unexpected"},
		{"1+", "", 0, "unexpected end"},
		{"", "", 0, "unexpected end"},
		{"2**3", "", 0, "unexpected"},
		{"2^3", "", 0, "unexpected"},
		{"x+1", "", 0, "unexpected"},
		{"__import__('os')", "", 0, "unexpected"},
		{"1..2", "", 0, "malformed number"},
		{"1.", "", 0, "malformed number"},
		{strings.Repeat("9", 41), "", 0, "more than 40 digits"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "", 0, "nested deeper"},
		{strings.Repeat("-", 100) + "1", "", 0, "nested deeper"},
		{strings.Repeat("1+", 3000) + "1", "", 0, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.expr[:min(len(tc.expr), 30)], func(t *testing.T) {
			v, lits, err := ParseArithmetic(tc.expr)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ratString(v); got != tc.want {
				t.Errorf("value = %s, want %s", got, tc.want)
			}
			if len(lits) != tc.lits {
				t.Errorf("%d literals, want %d", len(lits), tc.lits)
			}
		})
	}
}

func TestCheckCountdownNumbers(t *testing.T) {
	nums := rats(25, 5, 4, 3)
	tests := []struct {
		eq          string
		exactlyOnce bool
		want        string
		err         string
	}{
		{"(25-5)/4*3", false, "15", ""},
		{"(25-5)/4*3", true, "15", ""},
		{"25-5-4-3", true, "13", ""},
		{"25 - 5", false, "20", ""},      // a subset is allowed by default
		{"25 - 5", true, "", "not used"}, // but not with exactly_once
		{"25 - 5 = 20", false, "20", ""}, // claimed result on the right
		{"20 = 25 - 5", false, "20", ""}, // or on the left
		{"25+25", false, "", "used more times than given"},
		{"5*5-4", false, "", "used more times than given"},
		{"25+7", false, "", "7 is not among the given numbers"},
		{"25+5.0", false, "30", ""}, // 5.0 is the number 5
		{"25-5 = 4*5", false, "", "neither side"},
		{"1 = 2 = 3", false, "", "more than one"},
		{"25/(5-5)", false, "", "division by zero"}, // evaluation errors come before the number check
		{"25/(4-3-1)", false, "", "division by zero"},
	}
	for _, tc := range tests {
		v, err := CheckCountdown(tc.eq, nums, tc.exactlyOnce)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err = %v, want one containing %q", tc.eq, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.eq, err)
			continue
		}
		if got := ratString(v); got != tc.want {
			t.Errorf("%q = %s, want %s", tc.eq, got, tc.want)
		}
	}
	// Division by zero with distinct numbers: 3 / (5 - 4 - 1) needs a second 1.
	if _, err := CheckCountdown("3/(5-4-1)", rats(3, 5, 4, 1), true); err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("3/(5-4-1): err = %v, want division by zero", err)
	}
	// Repeated given numbers may each be used once.
	if v, err := CheckCountdown("5*5-4", rats(5, 5, 4), true); err != nil || ratString(v) != "21" {
		t.Errorf("5*5-4 with [5 5 4] = %v, %v; want 21", v, err)
	}
}

func TestCountdownReward(t *testing.T) {
	f, err := New("countdown", nil)
	if err != nil {
		t.Fatal(err)
	}
	strict, err := New("countdown", map[string]any{"exactly_once": true, "format_score": 0.1})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]any{"numbers": []any{44.0, 19.0, 35.0}, "target": 98.0}
	tests := []struct {
		name       string
		f          Func
		completion string
		fields     map[string]any
		gold       string
		value      float64
		correct    bool
		pred       string
	}{
		{"tinyzero style", f, "<think> 44+19+35 = 98 </think>\n<answer> 44 + 19 + 35 </answer>", fields, "", 1, true, "44 + 19 + 35"},
		{"with claimed result", f, "<think>..</think><answer>(44 + 19) + 35 = 98</answer>", fields, "", 1, true, "(44 + 19) + 35 = 98"},
		{"last answer wins", f, "<answer>44+19</answer> no wait <answer>44+19+35</answer>", fields, "", 1, true, "44+19+35"},
		{"wrong value", f, "<answer>44+19-35</answer>", fields, "", 0, false, "44+19-35"},
		{"wrong value with format score", strict, "<answer>44+19-35</answer>", fields, "", 0.1, false, "44+19-35"},
		{"subset needs exactly_once off", strict, "<answer>44+19+35</answer>", map[string]any{"numbers": []int{44, 19, 35, 2}, "target": 98}, "", 0, false, "44+19+35"},
		{"reused number", f, "<answer>44+44+10</answer>", map[string]any{"numbers": []int{44, 10, 3}, "target": 98}, "", 0, false, "44+44+10"},
		{"target from gold", f, "</think> 44+19+35", map[string]any{"numbers": []float64{44, 19, 35}}, "98", 1, true, "44+19+35"},
		{"python eval is not used", f, "<answer>__import__('os').system('true')</answer>", fields, "", 0, false, "__import__('os').system('true')"},
		{"boxed", f, `</think> The equation is $\boxed{44+19+35}$`, fields, "", 1, true, "44+19+35"},
		{"no answer", f, "<think>I give up", fields, "", 0, false, ""},
		{"rational target", f, "<answer>7/2</answer>", map[string]any{"numbers": []int{7, 2}, "target": "7/2"}, "", 1, true, "7/2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.Score(Sample{Completion: tc.completion, Fields: tc.fields, Gold: tc.gold})
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			if got.Value != tc.value || got.Correct != tc.correct || got.Pred != tc.pred {
				t.Errorf("Score = %+v, want value %v correct %v pred %q", got, tc.value, tc.correct, tc.pred)
			}
		})
	}
}

func TestCountdownBadFields(t *testing.T) {
	f, _ := New("countdown", nil)
	tests := []struct {
		fields map[string]any
		gold   string
		err    string
	}{
		{nil, "", `no "numbers" field`},
		{map[string]any{"numbers": "1 2 3", "target": 6}, "", `field "numbers": want a list`},
		{map[string]any{"numbers": []any{1.0, "x"}, "target": 6}, "", "element 1"},
		{map[string]any{"numbers": []any{}, "target": 6}, "", "empty list"},
		{map[string]any{"numbers": []int{1, 2}}, "", `no "target" field`},
		{map[string]any{"numbers": []int{1, 2}, "target": "six"}, "", `field "target"`},
		{map[string]any{"numbers": make([]int, 65), "target": 1}, "", "limit 64"},
	}
	for _, tc := range tests {
		got := f.Score(Sample{Completion: "<answer>1+2</answer>", Fields: tc.fields, Gold: tc.gold})
		if got.Err == nil || !strings.Contains(got.Err.Error(), tc.err) || got.Value != 0 {
			t.Errorf("fields %v: %+v, want error containing %q", tc.fields, got, tc.err)
		}
	}
}

func TestCountdownHugeInputsAreFast(t *testing.T) {
	f, _ := New("countdown", nil)
	fields := map[string]any{"numbers": []int{1, 2, 3}, "target": 6}
	huge := []string{
		strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000),
		strings.Repeat("1+", 500000) + "1",
		strings.Repeat("9", 1<<20),
		strings.Repeat("-", 1<<20) + "1",
	}
	for i, h := range huge {
		start, cpu0 := time.Now(), cpuSeconds()
		got := f.Score(Sample{Completion: "<answer>" + h + "</answer>", Fields: fields})
		if cpu := cpuSeconds() - cpu0; cpu > 0.1 {
			t.Errorf("huge input %d took %.3f CPU-s (%v wall)", i, cpu, time.Since(start))
		}
		if got.Value != 0 || got.Correct || got.Note == "" {
			t.Errorf("huge input %d: %+v, want a rejection with a note", i, got)
		}
	}
}

// FuzzParseArithmetic checks that the parser never panics, stays within its limits, and
// agrees with itself on reformatted input.
func FuzzParseArithmetic(f *testing.F) {
	for _, s := range []string{"1+2*3", "(25-5)/4*3", "-(2-5)", "1/0", "((1)", "7 ÷ 2", `3 \times 4`, "2(3)", "0.5*0.25"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, lits, err := ParseArithmetic(s)
		if err != nil {
			return
		}
		if v == nil || len(lits) == 0 {
			t.Fatalf("%q: nil value or no literals without an error", s)
		}
		// Wrapping a valid expression in parentheses keeps its value.
		if len(s) < MaxEquationBytes-2 && strings.Count(s, "(")+1 <= MaxNestingDepth/2 {
			w, _, err := ParseArithmetic("(" + s + ")")
			if err == nil && w.Cmp(v) != 0 {
				t.Fatalf("(%s) = %v, but %s = %v", s, w, s, v)
			}
		}
	})
}
