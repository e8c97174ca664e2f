package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/r1go/r1go/data"
)

// TestSFTRejectionDistillCommands runs the three supervised commands end to end on the
// embedded tiny model, as a user would: sft teaches it two answers, rejection-sample keeps
// its verified samples, distill repeats both stages into a fresh student and skips them on
// a rerun; a student with another tokenizer is refused.
func TestSFTRejectionDistillCommands(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sftData := write("cold.jsonl", `{"messages":[{"role":"user","content":"2+2="},{"role":"assistant","content":"<think>two and two</think>\\boxed{4}"}]}
{"messages":[{"role":"user","content":"3*3="},{"role":"assistant","content":"<think>three threes</think>\\boxed{9}"}]}
`)
	prompts := write("prompts.jsonl", `{"id":"a","prompt":"2+2=","answer":"4"}
{"id":"b","prompt":"3*3=","answer":"9"}
`)
	run := func(args ...string) {
		t.Helper()
		if code := runMain(args); code != 0 {
			t.Fatalf("r1go %s: exit %d", strings.Join(args, " "), code)
		}
	}
	out := filepath.Join(dir, "sft")
	run("sft", "--data", sftData, "--out", out, "--steps", "40", "--lr", "1e-2", "--lr-floor", "1e-3", "--batch-size", "2",
		"--max-length", "64", "--eval-share", "0", "--backend", "cpu")
	teacher := filepath.Join(out, "checkpoint-40")
	rs := filepath.Join(dir, "rs.jsonl")
	run("rejection-sample", "--model", teacher, "--data", prompts, "--n", "4", "--max-new-tokens", "40", "--temperature", "0.3",
		"--out", rs, "--backend", "cpu")
	kept, err := data.LoadChat(rs)
	if err != nil || len(kept) == 0 {
		t.Fatalf("rejection-sample output: %d records, %v", len(kept), err)
	}
	dist := filepath.Join(dir, "distill")
	args := []string{"distill", "--teacher", teacher, "--student", filepath.Join(out, "base-model"), "--data", prompts, "--out", dist,
		"--n", "4", "--max-new-tokens", "40", "--temperature", "0.3", "--sft-steps", "10", "--sft-max-length", "64", "--sft-eval-share", "0", "--backend", "cpu"}
	run(args...)
	for _, f := range []string{"distill.json", "rejection.jsonl", "rejection.jsonl.stats.json", "sft/checkpoint-10/model.safetensors", "sft/metrics.jsonl"} {
		if _, err := os.Stat(filepath.Join(dist, f)); err != nil {
			t.Errorf("distill output: %v", err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dist, "sft", "metrics.jsonl"))
	run(args...)
	after, _ := os.ReadFile(filepath.Join(dist, "sft", "metrics.jsonl"))
	if string(before) != string(after) {
		t.Error("rerunning a finished distill trained again")
	}
	// A student whose tokenizer differs is refused before any work.
	other := filepath.Join(dir, "other")
	if err := os.MkdirAll(other, 0o755); err != nil {
		t.Fatal(err)
	}
	tj, _ := os.ReadFile(filepath.Join(teacher, "tokenizer.json"))
	write("other/tokenizer.json", strings.Replace(string(tj), `"<think>"`, `"<thinking>"`, 1))
	if code := runMain([]string{"distill", "--teacher", teacher, "--student", other, "--data", prompts, "--out", filepath.Join(dir, "d2"), "--backend", "cpu"}); code != 1 {
		t.Errorf("distill with a mismatched tokenizer: exit %d, want 1", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "d2")); err == nil {
		t.Error("distill with a mismatched tokenizer created its output directory")
	}
}
