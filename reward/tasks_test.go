package reward

import (
	"strings"
	"testing"
)

// verdict is the expected outcome of one accuracy-type Score.
type verdict struct {
	correct bool
	pred    string
}

func checkVerdicts(t *testing.T, f Func, cases []struct {
	name       string
	gold       string
	completion string
	fields     map[string]any
	want       verdict
}) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := f.Score(Sample{Gold: tc.gold, Completion: tc.completion, Fields: tc.fields})
			if got.Err != nil {
				t.Fatalf("unexpected error: %v", got.Err)
			}
			wantValue := 0.0
			if tc.want.correct {
				wantValue = 1
			}
			if got.Correct != tc.want.correct || got.Value != wantValue || got.Pred != tc.want.pred {
				t.Errorf("Score = %+v, want correct=%v pred=%q", got, tc.want.correct, tc.want.pred)
			}
		})
	}
}

func TestExact(t *testing.T) {
	f, err := New("exact", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkVerdicts(t, f, []struct {
		name       string
		gold       string
		completion string
		fields     map[string]any
		want       verdict
	}{
		{"answer tag", "Paris", "<think>capital of France</think><answer>Paris</answer>", nil, verdict{true, "paris"}},
		{"case and spaces", "New  York", "<answer>  new york </answer>", nil, verdict{true, "new york"}},
		{"after think", "blue", "<think>sky</think>\nBlue", nil, verdict{true, "blue"}},
		{"boxed", "42", `</think> so \boxed{42}`, nil, verdict{true, "42"}},
		{"punctuation counts by default", "Paris", "<answer>Paris.</answer>", nil, verdict{false, "paris."}},
		{"different text", "Paris", "<answer>Lyon</answer>", nil, verdict{false, "lyon"}},
		{"substring is not a match", "Paris", "<answer>Paris, France</answer>", nil, verdict{false, "paris, france"}},
		{"the think text does not count", "Paris", "<think>Paris</think> Lyon", nil, verdict{false, "lyon"}},
		{"empty answer", "Paris", "<answer></answer>", nil, verdict{false, ""}},
	})
	strict, err := New("exact", map[string]any{"ignore_case": false, "collapse_space": false, "trim_punct": true, "unbox": false})
	if err != nil {
		t.Fatal(err)
	}
	checkVerdicts(t, strict, []struct {
		name       string
		gold       string
		completion string
		fields     map[string]any
		want       verdict
	}{
		{"punctuation trimmed", "Paris", `<answer>"Paris."</answer>`, nil, verdict{true, "Paris"}},
		{"case matters", "Paris", "<answer>paris</answer>", nil, verdict{false, "paris"}},
		{"inner spaces matter", "New York", "<answer>New  York</answer>", nil, verdict{false, "New  York"}},
		{"box kept", "42", `<answer>\boxed{42}</answer>`, nil, verdict{false, `boxed{42`}},
	})
	if got := f.Score(Sample{Completion: "x"}); got.Err == nil {
		t.Errorf("empty gold: %+v, want an error", got)
	}
}

func TestInteger(t *testing.T) {
	f, err := New("integer", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkVerdicts(t, f, []struct {
		name       string
		gold       string
		completion string
		fields     map[string]any
		want       verdict
	}{
		{"boxed", "72", `</think> Natalia sold \boxed{72} clips.`, nil, verdict{true, "72"}},
		{"last number", "18", "She makes 16 - 3 - 4 = 9 eggs, so 9 * 2 = 18 dollars.", nil, verdict{true, "18"}},
		{"gsm8k gold", "Natalia sold 48/2 = 24 clips in May.\n#### 72", `\boxed{72}`, nil, verdict{true, "72"}},
		{"gsm8k style answer", "72", "48 + 24 = 72\n#### 72", nil, verdict{true, "72"}},
		{"thousands separator", "1234", `<answer>1,234</answer>`, nil, verdict{true, "1234"}},
		{"gold with separator", "1,234", `<answer>1234</answer>`, nil, verdict{true, "1234"}},
		{"negative", "-5", `\boxed{-5}`, nil, verdict{true, "-5"}},
		{"unicode minus", "-5", `the answer is −5`, nil, verdict{true, "-5"}},
		{"integer-valued decimal", "72", `\boxed{72.00}`, nil, verdict{true, "72"}},
		{"units in box", "18", `\boxed{\$18}`, nil, verdict{true, "18"}},
		{"text units in box", "18", `\boxed{18 \text{ dollars}}`, nil, verdict{true, "18"}},
		{"box beats later number", "5", `\boxed{5} (checked 3 times)`, nil, verdict{true, "5"}},
		{"wrong", "72", `\boxed{71}`, nil, verdict{false, "71"}},
		{"decimal is wrong", "72", `\boxed{72.5}`, nil, verdict{false, "72.5"}},
		{"fraction is not an integer", "2", `\boxed{1/2}`, nil, verdict{false, "1/2"}},
		{"latex fraction is not read as its last number", "2", `\boxed{\frac{1}{2}}`, nil, verdict{false, ""}},
		{"expression in box", "5", `\boxed{2+3}`, nil, verdict{false, ""}},
		{"no number", "5", "I don't know.", nil, verdict{false, ""}},
		{"unclosed think has no answer", "5", "<think>maybe 5", nil, verdict{false, ""}},
	})
	for _, gold := range []string{"", "2.5", "five", "#### "} {
		if got := f.Score(Sample{Gold: gold, Completion: "5"}); got.Err == nil {
			t.Errorf("gold %q: %+v, want an error", gold, got)
		}
	}
}

func TestChoice(t *testing.T) {
	f, err := New("choice", nil)
	if err != nil {
		t.Fatal(err)
	}
	four := map[string]any{"choices": []any{"3", "4", "5", "6"}}
	checkVerdicts(t, f, []struct {
		name       string
		gold       string
		completion string
		fields     map[string]any
		want       verdict
	}{
		{"bare letter", "B", "<think>2+2</think><answer>B</answer>", four, verdict{true, "B"}},
		{"parenthesised", "B", "<answer>(B)</answer>", four, verdict{true, "B"}},
		{"lower case", "B", "<answer>b</answer>", four, verdict{true, "B"}},
		{"boxed", "C", `</think> \boxed{C}`, four, verdict{true, "C"}},
		{"boxed text letter", "C", `</think> \boxed{\text{(C)}}`, four, verdict{true, "C"}},
		{"letter with option text", "B", "<answer>B) 4</answer>", four, verdict{true, "B"}},
		{"option prefix", "D", "<answer>Option D</answer>", four, verdict{true, "D"}},
		{"answer is", "A", "</think> After checking, the answer is (A) because 3 works.", four, verdict{true, "A"}},
		{"Answer colon", "A", "</think> Reasoning...\nAnswer: A", four, verdict{true, "A"}},
		{"option text", "B", "<answer>4</answer>", four, verdict{true, "B"}},
		{"gold as option text", "4", "<answer>B</answer>", four, verdict{true, "B"}},
		{"gold in parentheses", "(B)", "<answer>B</answer>", four, verdict{true, "B"}},
		{"last parenthesised letter", "D", "</think> Not (A), not (B); it must be (D).", four, verdict{true, "D"}},
		{"wrong letter", "B", "<answer>C</answer>", four, verdict{false, "C"}},
		{"letter beyond the choices", "B", "<answer>E</answer>", four, verdict{false, ""}},
		{"article is not a letter", "A", "</think> A good guess would be five.", four, verdict{false, ""}},
		{"no letter", "A", "<answer>I am not sure</answer>", four, verdict{false, ""}},
		{"default letters A-J", "J", "<answer>(J)</answer>", nil, verdict{true, "J"}},
		{"map choices", "B", "<answer>(B)</answer>", map[string]any{"choices": map[string]any{"A": "x", "B": "y"}}, verdict{true, "B"}},
	})
	bad := []struct {
		gold   string
		fields map[string]any
		err    string
	}{
		{"", four, "no gold"},
		{"F", four, "not one of the letters ABCD"},
		{"B", map[string]any{"choices": 7}, "want a list"},
		{"B", map[string]any{"choices": []any{}}, "0 options"},
		{"B", map[string]any{"choices": map[string]any{"AB": "x"}}, "not a letter"},
	}
	for _, b := range bad {
		got := f.Score(Sample{Gold: b.gold, Completion: "<answer>B</answer>", Fields: b.fields})
		if got.Err == nil || !strings.Contains(got.Err.Error(), b.err) {
			t.Errorf("gold %q fields %v: %+v, want error containing %q", b.gold, b.fields, got, b.err)
		}
	}
	if _, err := New("choice", map[string]any{"letters": "AAB"}); err == nil {
		t.Error("letters AAB accepted")
	}
}
