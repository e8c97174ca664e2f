package reward

import (
	"errors"
	"strings"
	"testing"

	"github.com/r1go/r1go/reward/sandbox"
)

func TestCodeTests(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   []sandbox.TestCase
		err    string
	}{
		{"stdin/stdout objects", map[string]any{"tests": []any{
			map[string]any{"input": "1 2\n", "output": "3\n"},
			map[string]any{"stdin": "5 5", "expected_output": "10"},
		}}, []sandbox.TestCase{{Stdin: "1 2\n", Stdout: "3\n"}, {Stdin: "5 5", Stdout: "10"}}, ""},
		{"assert strings", map[string]any{"tests": []any{"assert f(1) == 2", "assert f(2) == 3"}},
			[]sandbox.TestCase{{Assert: "assert f(1) == 2"}, {Assert: "assert f(2) == 3"}}, ""},
		{"assert objects", map[string]any{"tests": []map[string]any{{"assert": "assert f() is None"}}},
			[]sandbox.TestCase{{Assert: "assert f() is None"}}, ""},
		{"APPS JSON string", map[string]any{"input_output": `{"inputs": ["1\n", "2\n"], "outputs": ["2\n", "4\n"]}`},
			[]sandbox.TestCase{{Stdin: "1\n", Stdout: "2\n"}, {Stdin: "2\n", Stdout: "4\n"}}, ""},
		{"APPS with line lists", map[string]any{"tests": map[string]any{"inputs": []any{[]any{"1", "2"}}, "outputs": []any{[]any{3.0}}}},
			[]sandbox.TestCase{{Stdin: "1\n2", Stdout: "3"}}, ""},
		{"MBPP with setup", map[string]any{"test_list": []any{"assert f(1) == 1"}, "test_setup_code": "import math"},
			[]sandbox.TestCase{{Assert: "import math\nassert f(1) == 1"}}, ""},
		{"no tests", map[string]any{"numbers": 1}, nil, `no "tests"`},
		{"empty list", map[string]any{"tests": []any{}}, nil, "no test cases"},
		{"bad element", map[string]any{"tests": []any{3.0}}, nil, "test 1: want an object"},
		{"missing output", map[string]any{"tests": []any{map[string]any{"input": "1"}}}, nil, `want "output"`},
		{"mismatched APPS", map[string]any{"input_output": map[string]any{"inputs": []any{"1"}, "outputs": []any{}}}, nil, "1 inputs but 0 outputs"},
		{"not JSON", map[string]any{"tests": "print(1)"}, nil, "neither JSON nor Python asserts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CodeTests(tc.fields)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("test %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestCodeReward runs real programs in the sandbox (python3 is required in CI).
func TestCodeReward(t *testing.T) {
	if _, err := sandbox.Default(); errors.Is(err, sandbox.ErrNoPython) {
		t.Skip("no python3 here: the code reward cannot run (CI has python3)")
	}
	// Generous wall limits: CI machines are shared, and these programs finish at once.
	frac, err := New("code", map[string]any{"timeout": 30})
	if err != nil {
		t.Fatal(err)
	}
	all, err := New("code", map[string]any{"mode": "all", "timeout": "30s"})
	if err != nil {
		t.Fatal(err)
	}
	sumTests := map[string]any{"tests": []any{
		map[string]any{"input": "1 2\n", "output": "3\n"},
		map[string]any{"input": "4 -4\n", "output": "0\n"},
		map[string]any{"input": "10 -3\n", "output": "7\n"},
		map[string]any{"input": "2 2\n", "output": "4\n"},
	}}
	right := "<think>read two ints</think>\n```python\na, b = map(int, input().split())\nprint(a + b)\n```"
	// Wrong on inputs where b < 0.
	wrong := "</think>\n```python\na, b = map(int, input().split())\nprint(a + abs(b))\n```"
	asserts := map[string]any{"test_list": []any{"assert add(1, 2) == 3", "assert add(0, 0) == 0"}}
	fn := "</think>\n```python\ndef add(a, b):\n    return a + b\n```"
	tests := []struct {
		name    string
		f       Func
		comp    string
		fields  map[string]any
		value   float64
		correct bool
	}{
		{"right, fraction", frac, right, sumTests, 1, true},
		{"wrong, fraction", frac, wrong, sumTests, 0.5, false},
		{"wrong, all or nothing", all, wrong, sumTests, 0, false},
		{"asserts", frac, fn, asserts, 1, true},
		{"no program", frac, "</think> I would write a loop.", sumTests, 0, false},
		{"program only in unclosed think", frac, "<think>```python\nprint(3)\n```", sumTests, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.f.Score(Sample{Completion: tc.comp, Fields: tc.fields})
			if got.Err != nil {
				t.Fatal(got.Err)
			}
			if got.Value != tc.value || got.Correct != tc.correct {
				t.Errorf("Score = %+v, want value %v correct %v", got, tc.value, tc.correct)
			}
		})
	}
	if got := frac.Score(Sample{Completion: right}); got.Err == nil {
		t.Errorf("sample without tests: %+v, want an error", got)
	}
}
