package sandbox

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseTests(t *testing.T) {
	cases := []struct {
		name string
		json string
		want []TestCase
	}{
		{"stdin-stdout-objects", `[{"stdin":"1 2\n","stdout":"3\n"},{"input":"5","output":"5"}]`,
			[]TestCase{{Stdin: "1 2\n", Stdout: "3\n"}, {Stdin: "5", Stdout: "5"}}},
		{"open-r1-layout", `{"test_cases":[{"type":"stdin_stdout","input":"2","output":"4"}]}`,
			[]TestCase{{Stdin: "2", Stdout: "4"}}},
		{"expected-output", `[{"input":"x","expected_output":"y"}]`, []TestCase{{Stdin: "x", Stdout: "y"}}},
		{"empty-expected-output", `[{"input":"x","output":""}]`, []TestCase{{Stdin: "x"}}},
		{"assert-strings", `["assert f(1) == 2", "assert f(2) == 3"]`,
			[]TestCase{{Assert: "assert f(1) == 2"}, {Assert: "assert f(2) == 3"}}},
		{"mbpp-test-list", `{"test_list":["assert f(0) == 0"]}`, []TestCase{{Assert: "assert f(0) == 0"}}},
		{"apps-inputs-outputs", `{"inputs":["1\n","2\n"],"outputs":["1\n","4\n"]}`,
			[]TestCase{{Stdin: "1\n", Stdout: "1\n"}, {Stdin: "2\n", Stdout: "4\n"}}},
		{"apps-null-fn-name", `{"inputs":["1"],"outputs":["1"],"fn_name":null}`, []TestCase{{Stdin: "1", Stdout: "1"}}},
		{"assert-object", `{"tests":[{"assert":"assert g() is None"}]}`, []TestCase{{Assert: "assert g() is None"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTests([]byte(c.json))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseTestsErrors(t *testing.T) {
	cases := []struct{ name, json, want string }{
		{"empty", ``, "empty"},
		{"not-json", `nope`, "want a JSON list or object"},
		{"bad-json", `[{"stdin":1}]`, "element 0"},
		{"unknown-field", `[{"stdin":"1","stdot":"2"}]`, `element 0: json: unknown field "stdot"`},
		{"no-expectation", `[{"stdin":"1","stdout":"1"},{"stdin":"2"}]`, "element 1: needs an expected output"},
		{"bad-type", `[{"type":"function_call","input":"1","output":"1"}]`, `type "function_call" not supported`},
		{"length-mismatch", `{"inputs":["1","2"],"outputs":["1"]}`, "2 inputs but 1 outputs"},
		{"call-based", `{"inputs":[[1]],"outputs":[[1]],"fn_name":"f"}`, "call-based tests"},
		{"no-known-field", `{"cases":[]}`, "none of the fields"},
		{"empty-list", `[]`, "no test cases"},
		{"inner-list-error", `{"test_list":[3]}`, "element 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTests([]byte(c.json))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want one containing %q", err, c.want)
			}
		})
	}
}
