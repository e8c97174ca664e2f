package main

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/r1go/r1go/eval"
	"github.com/r1go/r1go/internal/tiny"
)

// runEvalArgs runs `r1go eval` through its run function, as runCommand does.
func runEvalArgs(args ...string) error {
	return runEval(flag.NewFlagSet("r1go eval", flag.ContinueOnError), args)
}

// TestEvalModelTinyCopyDigit evaluates the embedded tiny model on the copy-digit test
// set end to end on the CPU backend and checks the outputs against each other: the
// summary's counts and keys, pass@1 as the mean of the per-problem results, and the
// same summary again when samples.jsonl is scored by --samples.
func TestEvalModelTinyCopyDigit(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	dir := t.TempDir()
	modelDir := filepath.Join(dir, "model")
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tiny.WriteModel(modelDir, 1); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "eval")
	if err := runEvalArgs("--model", modelDir, "--task", "copy-digit", "--limit", "8", "--k", "4", "--max-new-tokens", "4",
		"--pass-k", "1,2,4", "--backend", "cpu", "--out", out); err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	readJSON(t, filepath.Join(out, "summary.json"), &sum)
	for _, key := range []string{"problems", "samples", "pass@1", "pass@2", "pass@4", "cons@4", "mean_length_chars", "mean_length_tokens",
		"truncated_rate", "pass@1_stderr", "pass@1_ci_low", "pass@1_ci_high", "answer_rate", "score_errors", "task"} {
		if _, ok := sum[key]; !ok {
			t.Errorf("summary.json lacks %q: %v", key, sum)
		}
	}
	if sum["problems"] != 8.0 || sum["samples"] != 32.0 || sum["task"] != "copy-digit" {
		t.Errorf("summary: problems %v, samples %v, task %v; want 8, 32, copy-digit", sum["problems"], sum["samples"], sum["task"])
	}
	pass1 := sum["pass@1"].(float64)
	if pass1 < 0 || pass1 > 1 {
		t.Errorf("pass@1 = %v outside [0, 1]", pass1)
	}
	// At most 4 new tokens per response.
	if n := sum["mean_length_tokens"].(float64); n < 1 || n > 4 {
		t.Errorf("mean_length_tokens = %v, want within [1, 4]", n)
	}

	// results.jsonl: one line per problem; pass@1 is the mean of their correct/n.
	lines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(out, "results.jsonl"))), "\n")
	if len(lines) != 8 {
		t.Fatalf("results.jsonl has %d lines, want 8", len(lines))
	}
	mean, correct := 0.0, 0
	for _, l := range lines {
		var p struct {
			N        int    `json:"n"`
			Correct  int    `json:"correct"`
			Verdicts []bool `json:"verdicts"`
		}
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatal(err)
		}
		if p.N != 4 || len(p.Verdicts) != 4 {
			t.Errorf("problem with n %d and %d verdicts, want 4", p.N, len(p.Verdicts))
		}
		c := 0
		for _, v := range p.Verdicts {
			if v {
				c++
			}
		}
		if c != p.Correct {
			t.Errorf("problem has %d correct verdicts but correct = %d", c, p.Correct)
		}
		correct += c
		mean += float64(p.Correct) / float64(p.N) / 8
	}
	if math.Abs(mean-pass1) > 1e-12 {
		t.Errorf("pass@1 = %v, but the mean of results.jsonl's per-problem correctness is %v", pass1, mean)
	}

	// samples.jsonl: 32 responses in the --samples format; scoring them again with the
	// same verifier gives the same summary.
	samples, err := eval.LoadSamples(filepath.Join(out, "samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 32 {
		t.Fatalf("samples.jsonl has %d samples, want 32", len(samples))
	}
	for _, s := range samples {
		if s.Tokens < 1 || s.Tokens > 4 || (s.Finish != "stop" && s.Finish != "length") || s.Gold == "" || !strings.HasPrefix(s.Prompt, "Copy the last digit") {
			t.Errorf("sample %+v: want 1-4 tokens, a finish reason, the gold answer and the question", s)
		}
	}
	rescored := filepath.Join(dir, "rescored")
	if err := runEvalArgs("--samples", filepath.Join(out, "samples.jsonl"), "--task", "copy-digit", "--pass-k", "1,2,4", "--out", rescored); err != nil {
		t.Fatal(err)
	}
	if a, b := readFile(t, filepath.Join(out, "summary.json")), readFile(t, filepath.Join(rescored, "summary.json")); a != b {
		t.Errorf("scoring samples.jsonl again gives another summary:\n%s\nwant\n%s", b, a)
	}
	var settings map[string]any
	readJSON(t, filepath.Join(out, "eval.json"), &settings)
	if settings["k"] != 4.0 || settings["max_new_tokens"] != 4.0 || settings["temperature"] != 0.6 || settings["top_p"] != 0.95 {
		t.Errorf("eval.json: %v", settings)
	}
	if correct == 0 {
		t.Log("no response was correct (the tiny model is random)")
	}

	// A template that opens <think> in the prompt: the verifier and samples.jsonl get
	// the completion with the tag put back.
	out = filepath.Join(dir, "eval-r1zero")
	if err := runEvalArgs("--model", modelDir, "--task", "copy-digit", "--limit", "2", "--k", "2", "--max-new-tokens", "3",
		"--template", "chatml-think", "--backend", "cpu", "--out", out); err != nil {
		t.Fatal(err)
	}
	samples, err = eval.LoadSamples(filepath.Join(out, "samples.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if !strings.HasPrefix(s.Completion, "<think>\n") {
			t.Errorf("chatml-think completion %q does not start with the template's <think>", s.Completion)
		}
	}
}

// TestEvalModelBadInput checks that impossible settings fail with a message naming the
// setting, before any weights are read: the model directory given does not exist.
func TestEvalModelBadInput(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-model")
	out := filepath.Join(dir, "out")
	base := []string{"--model", missing, "--out", out, "--backend", "cpu"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"k zero", []string{"--task", "copy-digit", "--k", "0"}, "k = 0"},
		{"pass-k above k", []string{"--task", "copy-digit", "--k", "4", "--pass-k", "1,8"}, "pass@8"},
		{"top-p zero", []string{"--task", "copy-digit", "--top-p", "0"}, "top_p"},
		{"top-p above one", []string{"--task", "copy-digit", "--top-p", "1.5"}, "top_p"},
		{"negative temperature", []string{"--task", "copy-digit", "--temperature", "-1"}, "temperature"},
		{"unknown task", []string{"--task", "no-such-task"}, "no-such-task"},
		{"unknown verifier for data", []string{"--data", filepath.Join(dir, "x.jsonl"), "--task", "no-such-verifier"}, "no-such-verifier"},
		{"no data nor task", nil, "--data"},
		{"negative limit", []string{"--task", "copy-digit", "--limit", "-1"}, "--limit"},
		{"bad dtype", []string{"--task", "copy-digit", "--dtype", "f16"}, "--dtype"},
		{"unknown attention", []string{"--task", "copy-digit", "--attention", "flash"}, "--attention"},
		{"missing data file", []string{"--data", filepath.Join(dir, "x.jsonl")}, "x.jsonl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := runEvalArgs(append(append([]string{}, base...), tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "no-such-model") {
				t.Errorf("error %v: the model was read before the settings were checked", err)
			}
		})
	}
	samples := filepath.Join("..", "..", "eval", "testdata", "samples_math.jsonl") // a valid samples file
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", missing, "--task", "copy-digit", "--backend", "cpu"}, "--out is required"},
		{[]string{"--samples", samples, "--model", missing, "--out", out}, "not both"},
		{[]string{"--samples", samples, "--data", "d.jsonl"}, "--data: only with --model"},
		{[]string{"--samples", samples, "--k", "4", "--temperature", "1"}, "--k, --temperature: only with --model"},
		{[]string{"--k", "4"}, "give --model DIR"},
	} {
		err := runEvalArgs(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("r1go eval %s: error %v, want one containing %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	// The same samples file without the model-only flags is scored.
	if err := runEvalArgs("--samples", samples); err != nil {
		t.Errorf("r1go eval --samples %s: %v", samples, err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(readFile(t, path)), v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestEvalModelData evaluates the tiny model on a MATH-500-layout file: the layout is
// detected, problem ids come from unique_id, --limit cuts the file and --group-by
// breaks the summary down by level.
func TestEvalModelData(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	dir := t.TempDir()
	modelDir := filepath.Join(dir, "model")
	if err := os.MkdirAll(modelDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tiny.WriteModel(modelDir, 2); err != nil {
		t.Fatal(err)
	}
	dataPath := filepath.Join(dir, "math500.jsonl")
	if err := os.WriteFile(dataPath, []byte(`{"problem":"What is 1+1?","answer":"2","unique_id":"test/a/1.json","level":1,"subject":"Algebra"}
{"problem":"What is $\\frac{1}{2}$ of 4?","answer":"2","unique_id":"test/b/2.json","level":2,"subject":"Prealgebra"}
{"problem":"Compute 3*3.","answer":"9","unique_id":"test/c/3.json","level":2,"subject":"Algebra"}
{"problem":"Not evaluated.","answer":"0","unique_id":"test/d/4.json","level":5,"subject":"Algebra"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "eval")
	if err := runEvalArgs("--model", modelDir, "--data", dataPath, "--limit", "3", "--k", "2", "--max-new-tokens", "3",
		"--group-by", "level", "--backend", "cpu", "--out", out); err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	readJSON(t, filepath.Join(out, "summary.json"), &sum)
	if sum["problems"] != 3.0 || sum["samples"] != 6.0 || sum["task"] != "math" {
		t.Errorf("summary: %v; want 3 problems, 6 samples, task math", sum)
	}
	byLevel, ok := sum["by_level"].(map[string]any)
	if !ok || len(byLevel) != 2 || byLevel["1"] == nil || byLevel["2"] == nil {
		t.Errorf("by_level = %v, want levels 1 and 2", sum["by_level"])
	}
	results := readFile(t, filepath.Join(out, "results.jsonl"))
	for _, id := range []string{"test/a/1.json", "test/b/2.json", "test/c/3.json"} {
		if !strings.Contains(results, `"id":"`+id+`"`) {
			t.Errorf("results.jsonl lacks problem %s:\n%s", id, results)
		}
	}
	if strings.Contains(results, "test/d/4.json") {
		t.Error("--limit 3 evaluated the fourth problem")
	}
}
