package train

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogFormatAndOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	l, err := OpenLog(path, -1)
	if err != nil {
		t.Fatal(err)
	}
	l.First = []string{"reward_mean", "loss"}
	recs := []map[string]any{
		{"loss": 0.5, "reward_mean": 0.25, "kl": 1e-3, "accuracy": 1.0, "step": 99},
		{"loss": math.NaN(), "reward_mean": 0.5, "grad_norm": math.Inf(1), "skipped": true, "rewards": map[string]float64{"b": 1, "a": math.NaN()}},
		{"samples": []any{map[string]any{"prompt": "2+2", "reward": 1.0}}, "v": []float32{1, float32(math.Inf(-1))}},
	}
	for i, r := range recs {
		if err := l.Write(i+1, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := `{"step":1,"reward_mean":0.25,"loss":0.5,"accuracy":1,"kl":0.001}
{"step":2,"reward_mean":0.5,"loss":null,"grad_norm":null,"rewards":{"a":null,"b":1},"skipped":true}
{"step":3,"samples":[{"prompt":"2+2","reward":1}],"v":[1,null]}
`
	if string(got) != want {
		t.Errorf("metrics file:\n%s\nwant:\n%s", got, want)
	}
}

// TestLogResumeReproduces: a run killed after step 5 (having logged steps up to 7 and a
// torn line) and resumed from the checkpoint of step 5 produces exactly the file of the
// uninterrupted run.
func TestLogResumeReproduces(t *testing.T) {
	dir := t.TempDir()
	record := func(step int) map[string]any {
		return map[string]any{"loss": 1 / float64(step), "reward_mean": float64(step) / 10}
	}
	full := filepath.Join(dir, "full.jsonl")
	l, err := OpenLog(full, -1)
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= 10; s++ {
		l.Write(s, record(s))
	}
	l.Close()

	killed := filepath.Join(dir, "killed.jsonl")
	l, _ = OpenLog(killed, -1)
	for s := 1; s <= 7; s++ {
		l.Write(s, record(s))
	}
	l.Close()
	f, _ := os.OpenFile(killed, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"step":8,"loss":0.12`) // torn by kill -9
	f.Close()

	l, err = OpenLog(killed, 5)
	if err != nil {
		t.Fatal(err)
	}
	for s := 6; s <= 10; s++ {
		l.Write(s, record(s))
	}
	l.Close()
	a, _ := os.ReadFile(full)
	b, _ := os.ReadFile(killed)
	if string(a) != string(b) {
		t.Errorf("resumed log differs from the uninterrupted one:\n%s\nvs\n%s", b, a)
	}
	// Samples logs have several lines per step: all lines of the resumed step stay.
	samples := filepath.Join(dir, "samples.jsonl")
	os.WriteFile(samples, []byte("{\"step\":1,\"i\":0}\n{\"step\":1,\"i\":1}\n{\"step\":2,\"i\":0}\n"), 0o644)
	l, err = OpenLog(samples, 1)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if got, _ := os.ReadFile(samples); string(got) != "{\"step\":1,\"i\":0}\n{\"step\":1,\"i\":1}\n" {
		t.Errorf("samples log after resume at step 1: %q", got)
	}
	// Resuming with no log yet creates it.
	if l, err := OpenLog(filepath.Join(dir, "new", "m.jsonl"), 3); err != nil {
		t.Errorf("resume with no log: %v", err)
	} else {
		l.Close()
	}
}

func TestLogResumeRejectsCorruptLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	os.WriteFile(path, []byte("{\"step\":1}\nnot json\n{\"step\":3}\n"), 0o644)
	_, err := OpenLog(path, 2)
	if err == nil || !strings.Contains(err.Error(), "metrics.jsonl:2") {
		t.Errorf("OpenLog on a corrupt line: %v, want an error naming metrics.jsonl:2", err)
	}
	os.WriteFile(path, []byte("{\"loss\":1}\n"), 0o644)
	if _, err := OpenLog(path, 2); err == nil || !strings.Contains(err.Error(), `no "step"`) {
		t.Errorf("OpenLog on a line without step: %v", err)
	}
}
