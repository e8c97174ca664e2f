package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ParseTests reads test cases from JSON in the layouts code datasets use:
//
//   - a list of objects {"stdin"|"input": "...", "stdout"|"output"|"expected_output": "...",
//     "assert": "..."} (also with "type": "stdin_stdout", as open-r1's verifiable coding
//     problems write them);
//   - a list of strings, each an assert statement (MBPP's test_list);
//   - an object {"inputs": [...], "outputs": [...]} of stdin/stdout pairs (APPS, TACO);
//     call-based problems (with "fn_name") are refused with an error;
//   - an object {"test_list": [...]} or {"tests": [...]} or {"test_cases": [...]} holding
//     one of the lists above.
//
// Errors name the element or field at fault.
func ParseTests(data []byte) ([]TestCase, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, errors.New("tests: empty")
	}
	switch data[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil {
			return nil, fmt.Errorf("tests: %w", err)
		}
		return parseTestList(items)
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("tests: %w", err)
		}
		if fn, ok := obj["fn_name"]; ok && string(fn) != "null" && string(fn) != `""` {
			return nil, fmt.Errorf("tests: call-based tests (fn_name %s) are not supported; give stdin/stdout pairs or asserts", fn)
		}
		if in, ok := obj["inputs"]; ok {
			var ins, outs []string
			if err := json.Unmarshal(in, &ins); err != nil {
				return nil, fmt.Errorf("tests: field inputs: want a list of strings: %w", err)
			}
			if err := json.Unmarshal(obj["outputs"], &outs); err != nil {
				return nil, fmt.Errorf("tests: field outputs: want a list of strings: %w", err)
			}
			if len(ins) != len(outs) {
				return nil, fmt.Errorf("tests: %d inputs but %d outputs", len(ins), len(outs))
			}
			tests := make([]TestCase, len(ins))
			for i := range ins {
				tests[i] = TestCase{Stdin: ins[i], Stdout: outs[i]}
			}
			return nonEmpty(tests)
		}
		for _, key := range []string{"test_cases", "tests", "test_list"} {
			if raw, ok := obj[key]; ok {
				var items []json.RawMessage
				if err := json.Unmarshal(raw, &items); err != nil {
					return nil, fmt.Errorf("tests: field %s: want a list: %w", key, err)
				}
				tests, err := parseTestList(items)
				if err != nil {
					return nil, fmt.Errorf("%w (in field %s)", err, key)
				}
				return tests, nil
			}
		}
		return nil, errors.New(`tests: object has none of the fields "inputs"/"outputs", "test_cases", "tests", "test_list"`)
	}
	return nil, fmt.Errorf("tests: want a JSON list or object, got %.20q", data)
}

// testJSON is one test case object; the pointers tell absent fields from empty ones.
type testJSON struct {
	Type           string  `json:"type"`
	Stdin          *string `json:"stdin"`
	Input          *string `json:"input"`
	Stdout         *string `json:"stdout"`
	Output         *string `json:"output"`
	ExpectedOutput *string `json:"expected_output"`
	Assert         *string `json:"assert"`
}

func parseTestList(items []json.RawMessage) ([]TestCase, error) {
	tests := make([]TestCase, 0, len(items))
	for i, raw := range items {
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '"' {
			var a string
			if err := json.Unmarshal(raw, &a); err != nil {
				return nil, fmt.Errorf("tests: element %d: %w", i, err)
			}
			tests = append(tests, TestCase{Assert: a})
			continue
		}
		var tj testJSON
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&tj); err != nil {
			return nil, fmt.Errorf("tests: element %d: %w", i, err)
		}
		if tj.Type != "" && tj.Type != "stdin_stdout" && tj.Type != "assert" {
			return nil, fmt.Errorf("tests: element %d: type %q not supported (want stdin_stdout or assert)", i, tj.Type)
		}
		var tc TestCase
		tc.Stdin = first(tj.Stdin, tj.Input)
		tc.Stdout = first(tj.Stdout, tj.Output, tj.ExpectedOutput)
		if tj.Assert != nil {
			tc.Assert = *tj.Assert
		}
		hasOut := tj.Stdout != nil || tj.Output != nil || tj.ExpectedOutput != nil
		if !hasOut && tc.Assert == "" {
			return nil, fmt.Errorf("tests: element %d: needs an expected output (stdout, output or expected_output) or an assert", i)
		}
		tests = append(tests, tc)
	}
	return nonEmpty(tests)
}

func first(ps ...*string) string {
	for _, p := range ps {
		if p != nil {
			return *p
		}
	}
	return ""
}

func nonEmpty(tests []TestCase) ([]TestCase, error) {
	if len(tests) == 0 {
		return nil, errors.New("tests: no test cases")
	}
	return tests, nil
}
