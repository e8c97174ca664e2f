package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/model/safetensors"
	"github.com/r1go/r1go/rejection"
	"github.com/r1go/r1go/train"
	"github.com/r1go/r1go/train/sft"
)

func tinyDir(t testing.TB, seed uint64, layers int) string {
	t.Helper()
	dir := t.TempDir()
	c, err := tiny.Config()
	if err != nil {
		t.Fatal(err)
	}
	c.NumHiddenLayers = layers
	if err := model.InitParams(c, seed).Save(dir, safetensors.F32, 0); err != nil {
		t.Fatal(err)
	}
	if err := tiny.WriteTokenizer(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// editTokenizer rewrites dir/tokenizer.json through edit.
func editTokenizer(t *testing.T, dir string, edit func(m map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "tokenizer.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, _ := json.MarshalIndent(m, "", "    ") // other formatting than the original
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSameTokenizer(t *testing.T) {
	a := tinyDir(t, 1, 2)
	cases := []struct {
		name string
		edit func(m map[string]any)
		want string // "" = same tokenizer
	}{
		{"identical", nil, ""},
		{"reformatted", func(map[string]any) {}, ""},
		{"vocab id", func(m map[string]any) {
			v := m["model"].(map[string]any)["vocab"].(map[string]any)
			v["a"], v["b"] = v["b"], v["a"]
		}, `token "a" has id`},
		{"extra token", func(m map[string]any) {
			m["model"].(map[string]any)["vocab"].(map[string]any)["<extra>"] = 999.0
		}, "vocabulary of"},
		{"added tokens", func(m map[string]any) {
			m["added_tokens"] = m["added_tokens"].([]any)[:1]
		}, "added tokens"},
		{"pre-tokenizer", func(m map[string]any) { m["pre_tokenizer"] = nil }, "pre_tokenizer differs"},
	}
	for _, c := range cases {
		b := tinyDir(t, 2, 1)
		if c.edit != nil {
			editTokenizer(t, b, c.edit)
		}
		err := SameTokenizer(a, b)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: err %v, want one with %q", c.name, err, c.want)
		}
	}
	if err := SameTokenizer(a, t.TempDir()); err == nil || !strings.Contains(err.Error(), "student tokenizer") {
		t.Errorf("missing student tokenizer: %v", err)
	}
}

func TestDistillRefusesMismatchedTokenizers(t *testing.T) {
	teacher, student := tinyDir(t, 1, 2), tinyDir(t, 2, 1)
	editTokenizer(t, student, func(m map[string]any) {
		m["model"].(map[string]any)["vocab"].(map[string]any)["<extra>"] = 999.0
	})
	out := t.TempDir()
	d := &Distill{Teacher: teacher, Student: student, Out: out, Prompts: []data.Example{{ID: "1", Prompt: "2+2=", Answer: "4"}},
		Rejection: rejection.DefaultConfig(), SFT: sft.DefaultConfig()}
	err := d.Run(nil, dtypes.Float32) // fails before touching a backend
	if err == nil || !strings.Contains(err.Error(), "different tokenizers") || !strings.Contains(err.Error(), teacher) {
		t.Fatalf("err %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %d files before refusing", len(entries))
	}
}

// TestDistillEndToEnd: a tiny teacher fine-tuned on two answers is distilled into a
// smaller student (1 layer instead of 2); a rerun skips both finished stages, and a rerun
// with another student is refused.
func TestDistillEndToEnd(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	sftData := filepath.Join(work, "cold.jsonl")
	if err := os.WriteFile(sftData, []byte(`{"prompt":"2+2=","completion":"<think>two and two</think>\\boxed{4}"}
{"prompt":"3*3=","completion":"<think>three threes</think>\\boxed{9}"}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	base := sft.DefaultConfig()
	base.MaxLength, base.BatchSize, base.EvalShare, base.Steps, base.LR, base.LRFloor, base.SaveEvery = 64, 2, 0, 40, 1e-2, 1e-3, 0
	tc := base
	tc.Model, tc.Data, tc.Out = tinyDir(t, 3, 2), sftData, filepath.Join(work, "teacher")
	tr, err := sft.NewTrainer(tc, b, dtypes.Float32, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	teacher, _, err := train.Latest(tc.Out)
	if err != nil {
		t.Fatal(err)
	}
	student := tinyDir(t, 4, 1)
	rc := rejection.DefaultConfig()
	rc.Template, rc.N, rc.MaxNewTokens, rc.Temperature, rc.TopP, rc.MaxRows = "none", 4, 40, 0.3, 1, 16
	sc := base
	sc.Steps = 30
	out := filepath.Join(work, "distill")
	var log []string
	newDistill := func(student string) *Distill {
		return &Distill{Teacher: teacher, Student: student, Out: out,
			Prompts:   []data.Example{{ID: "a", Prompt: "2+2=", Answer: "4"}, {ID: "b", Prompt: "3*3=", Answer: "9"}},
			Rejection: rc, SFT: sc, Log: func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }}
	}
	if err := newDistill(student).Run(b, dtypes.Float32); err != nil {
		t.Fatal(err)
	}
	kept, err := data.LoadChat(filepath.Join(out, RejectionFile))
	if err != nil || len(kept) == 0 {
		t.Fatalf("rejection.jsonl: %d records, %v", len(kept), err)
	}
	ckpt, step, err := train.Latest(filepath.Join(out, SFTDir))
	if err != nil || step != 30 {
		t.Fatalf("student checkpoint: step %d, %v", step, err)
	}
	p, err := model.Load(ckpt)
	if err != nil || p.Config.NumHiddenLayers != 1 {
		t.Fatalf("student checkpoint is not the 1-layer student: %v", err)
	}
	metrics, _ := os.ReadFile(filepath.Join(out, SFTDir, "metrics.jsonl"))
	var first, last map[string]any
	lines := strings.Split(strings.TrimSpace(string(metrics)), "\n")
	json.Unmarshal([]byte(lines[0]), &first)
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if first["loss"].(float64) < 3 || last["loss"].(float64) > 0.5 {
		t.Errorf("student loss %v → %v: want it to learn the teacher's samples", first["loss"], last["loss"])
	}

	// Rerun: both stages are done.
	log = nil
	if err := newDistill(student).Run(b, dtypes.Float32); err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || !strings.Contains(log[0], "skipped") || !strings.Contains(log[1], "resuming") {
		t.Errorf("rerun log %q", log)
	}
	again, _ := os.ReadFile(filepath.Join(out, SFTDir, "metrics.jsonl"))
	if string(again) != string(metrics) {
		t.Error("the rerun trained again")
	}
	if err := newDistill(tinyDir(t, 5, 1)).Run(b, dtypes.Float32); err == nil || !strings.Contains(err.Error(), "another --out") {
		t.Errorf("rerun with another student: %v", err)
	}
}
