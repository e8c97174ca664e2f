package reward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/r1go/r1go/reward/sandbox"
)

// CodeOptions configures the code reward.
type CodeOptions struct {
	// AllOrNothing gives 1 only when every test passes; otherwise the reward is the
	// fraction of tests passed.
	AllOrNothing bool
	// Limits bounds each test case run (see sandbox.Limits).
	Limits sandbox.Limits
	// MaxTests caps the number of tests run per sample (the first MaxTests); 0 runs all.
	MaxTests int
}

// DefaultCodeOptions scores the fraction of tests passed under sandbox.DefaultLimits.
func DefaultCodeOptions() CodeOptions {
	return CodeOptions{Limits: sandbox.DefaultLimits()}
}

// CodeReward runs the Python program of a completion against the sample's tests in the
// sandbox (reward/sandbox). The program is the last ```python (or ```) block of the
// answer (see sandbox.ExtractProgram; the text after </think> when there is one). Tests
// come from the sample's fields:
//
//   - "tests": a list of {"input"|"stdin": ..., "output"|"stdout"|"expected_output": ...}
//     or {"assert": "..."} objects, a list of assert statements (strings), or an object
//     {"inputs": [...], "outputs": [...]} (APPS/TACO); a JSON string of any of these is
//     decoded first;
//   - "input_output": the APPS/TACO object (or its JSON string);
//   - "test_list": a list of assert statements (MBPP), with optional "test_setup_code"
//     run before them.
type CodeReward struct {
	opts CodeOptions
}

// NewCode returns a code reward.
func NewCode(o CodeOptions) *CodeReward { return &CodeReward{opts: o} }

func newCode(p *params) (Func, error) {
	o := DefaultCodeOptions()
	mode := p.Choice("mode", "fraction", "fraction", "all")
	o.AllOrNothing = mode == "all"
	o.Limits.Wall = p.Seconds("timeout", o.Limits.Wall)
	o.Limits.CPU = p.Seconds("cpu", o.Limits.CPU)
	o.Limits.MemoryBytes = int64(p.Int("memory_mb", int(o.Limits.MemoryBytes>>20))) << 20
	o.Limits.MaxProcs = p.Int("max_procs", o.Limits.MaxProcs)
	o.MaxTests = p.Int("max_tests", 0)
	if p.err != nil {
		return nil, p.err
	}
	if o.Limits.MemoryBytes < 32<<20 {
		return nil, fmt.Errorf("reward \"code\": parameter \"memory_mb\": at least 32 MiB, got %d", o.Limits.MemoryBytes>>20)
	}
	if o.Limits.MaxProcs < 1 {
		return nil, fmt.Errorf("reward \"code\": parameter \"max_procs\": at least 1, got %d", o.Limits.MaxProcs)
	}
	if o.MaxTests < 0 {
		return nil, fmt.Errorf("reward \"code\": parameter \"max_tests\": want >= 0, got %d", o.MaxTests)
	}
	return NewCode(o), nil
}

// Name returns "code".
func (c *CodeReward) Name() string { return "code" }

// IsAccuracy reports true: the code reward is a verifier.
func (c *CodeReward) IsAccuracy() bool { return true }

// Score runs the completion's program against the sample's tests.
func (c *CodeReward) Score(s Sample) Score {
	tests, err := CodeTests(s.Fields)
	if err != nil {
		return Score{Err: fmt.Errorf("code: %w", err)}
	}
	if c.opts.MaxTests > 0 && len(tests) > c.opts.MaxTests {
		tests = tests[:c.opts.MaxTests]
	}
	gold := fmt.Sprintf("%d tests", len(tests))
	if len(tests) == 1 {
		gold = "1 test"
	}
	prog, ok := sandbox.ExtractProgram(answerAfterThink(FullCompletion(s)))
	if !ok || strings.TrimSpace(prog) == "" {
		return Score{Gold: gold, Note: "no program found"}
	}
	// Every case has its own wall limit; the overall deadline only guards against a
	// sandbox that hangs.
	budget := time.Duration(len(tests)+1) * (c.opts.Limits.Wall + 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	rep, err := sandbox.Run(ctx, prog, tests, c.opts.Limits)
	if err != nil {
		return Score{Gold: gold, Err: fmt.Errorf("code: %w", err)}
	}
	sc := Score{Pred: fmt.Sprintf("%d/%d passed", rep.Passed, rep.Total), Gold: gold}
	sc.Correct = rep.AllPassed()
	switch {
	case sc.Correct:
		sc.Value = 1
	case !c.opts.AllOrNothing:
		sc.Value = rep.Fraction()
	}
	for i, r := range rep.Results {
		if !r.Passed {
			sc.Note = fmt.Sprintf("test %d: %s", i+1, r.Status)
			break
		}
	}
	return sc
}

// CodeTests reads the test cases of a code sample from its fields (see CodeReward).
func CodeTests(fields map[string]any) ([]sandbox.TestCase, error) {
	setup := ""
	if v, ok := fields["test_setup_code"]; ok && v != nil {
		s, isStr := v.(string)
		if !isStr {
			return nil, fmt.Errorf("field \"test_setup_code\": want a string, got %T", v)
		}
		setup = s
	}
	for _, key := range []string{"tests", "input_output", "test_list"} {
		v, ok := fields[key]
		if !ok || v == nil {
			continue
		}
		tests, err := decodeTests(v, setup)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", key, err)
		}
		if len(tests) == 0 {
			return nil, fmt.Errorf("field %q: no test cases", key)
		}
		return tests, nil
	}
	return nil, errors.New(`sample has no "tests", "input_output" or "test_list" field`)
}

// decodeTests converts one tests field to test cases.
func decodeTests(v any, setup string) ([]sandbox.TestCase, error) {
	if s, ok := v.(string); ok {
		var decoded any
		if err := json.Unmarshal([]byte(s), &decoded); err != nil {
			// A single string that is not JSON is one block of asserts.
			if strings.Contains(s, "assert") {
				return []sandbox.TestCase{{Assert: joinSetup(setup, s)}}, nil
			}
			return nil, fmt.Errorf("string is neither JSON nor Python asserts: %w", err)
		}
		v = decoded
	}
	switch x := v.(type) {
	case []string:
		var out []sandbox.TestCase
		for _, a := range x {
			out = append(out, sandbox.TestCase{Assert: joinSetup(setup, a)})
		}
		return out, nil
	case []map[string]any:
		var list []any
		for _, m := range x {
			list = append(list, m)
		}
		return decodeTests(list, setup)
	case []any:
		var out []sandbox.TestCase
		for i, e := range x {
			switch t := e.(type) {
			case string:
				out = append(out, sandbox.TestCase{Assert: joinSetup(setup, t)})
			case map[string]any:
				tc, err := testFromMap(t, setup)
				if err != nil {
					return nil, fmt.Errorf("test %d: %w", i+1, err)
				}
				out = append(out, tc)
			default:
				return nil, fmt.Errorf("test %d: want an object or an assert string, got %T", i+1, e)
			}
		}
		return out, nil
	case map[string]any:
		ins, okIn := x["inputs"].([]any)
		outs, okOut := x["outputs"].([]any)
		if !okIn || !okOut {
			return nil, errors.New(`want {"inputs": [...], "outputs": [...]}`)
		}
		if len(ins) != len(outs) {
			return nil, fmt.Errorf("%d inputs but %d outputs", len(ins), len(outs))
		}
		var out []sandbox.TestCase
		for i := range ins {
			in, err := ioText(ins[i])
			if err != nil {
				return nil, fmt.Errorf("input %d: %w", i+1, err)
			}
			o, err := ioText(outs[i])
			if err != nil {
				return nil, fmt.Errorf("output %d: %w", i+1, err)
			}
			out = append(out, sandbox.TestCase{Stdin: in, Stdout: o})
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list of tests, got %T", v)
}

// testFromMap reads one {"input","output"} or {"assert"} test.
func testFromMap(m map[string]any, setup string) (sandbox.TestCase, error) {
	var tc sandbox.TestCase
	get := func(keys ...string) (any, bool) {
		for _, k := range keys {
			if v, ok := m[k]; ok {
				return v, true
			}
		}
		return nil, false
	}
	if a, ok := get("assert", "code"); ok {
		s, isStr := a.(string)
		if !isStr {
			return tc, fmt.Errorf("\"assert\": want a string, got %T", a)
		}
		tc.Assert = joinSetup(setup, s)
		if o, ok := get("output", "stdout", "expected_output"); ok {
			text, err := ioText(o)
			if err != nil {
				return tc, fmt.Errorf("\"output\": %w", err)
			}
			tc.Stdout = text
		}
		return tc, nil
	}
	in, okIn := get("input", "stdin")
	out, okOut := get("output", "stdout", "expected_output")
	if !okOut {
		return tc, errors.New(`want "output" (or "stdout", "expected_output") or "assert"`)
	}
	var err error
	if okIn {
		if tc.Stdin, err = ioText(in); err != nil {
			return tc, fmt.Errorf("\"input\": %w", err)
		}
	}
	if tc.Stdout, err = ioText(out); err != nil {
		return tc, fmt.Errorf("\"output\": %w", err)
	}
	return tc, nil
}

// ioText turns a stdin/stdout value into text: strings as they are, lists of lines
// joined with newlines, numbers written plainly.
func ioText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []any:
		var lines []string
		for _, e := range x {
			s, err := ioText(e)
			if err != nil {
				return "", err
			}
			lines = append(lines, s)
		}
		return strings.Join(lines, "\n"), nil
	case float64, int, int64, bool, json.Number:
		return fmt.Sprint(x), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("want text, got %T", v)
}

func joinSetup(setup, asserts string) string {
	if setup == "" {
		return asserts
	}
	return setup + "\n" + asserts
}
