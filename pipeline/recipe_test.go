package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// writeRecipe writes a recipe file whose BASE, OUT and STUDENT placeholders are replaced.
func writeRecipe(t *testing.T, text string, repl ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "recipe.yaml")
	if err := os.WriteFile(path, []byte(strings.NewReplacer(repl...).Replace(text)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const tinyRecipe = `base: BASE
out: OUT
stages: [cold_start, reasoning_rl, rejection, sft, distill]
cold_start:
  data: ../train/sft/testdata/cold-start-tiny.jsonl
  max_length: 128
  eval_share: 0
  steps: 60
  lr: 1.0e-2
  lr_floor: 1.0e-3
  save_every: 0
reasoning_rl:
  data: ../rejection/testdata/prompts-tiny.jsonl
  template: none
  rewards:
    - name: accuracy
      weight: 1
  steps: 2
  prompts_per_step: 2
  num_generations: 4
  max_completion_tokens: 40
  temperature: 0.3
  lr: 1.0e-7
  save_every: 0
rejection:
  data: ../rejection/testdata/prompts-tiny.jsonl
  n: 4
  max_new_tokens: 64
sft:
  max_length: 64
  batch_size: 2
  eval_share: 0
  steps: 30
  lr: 1.0e-2
  lr_floor: 1.0e-3
  save_every: 0
distill:
  students: [STUDENT]
  sft:
    max_length: 64
    batch_size: 2
    eval_share: 0
    steps: 30
    lr: 1.0e-2
    lr_floor: 1.0e-3
    save_every: 0
`

// TestRecipeEndToEnd runs the R1 recipe on tiny models: cold start, reasoning RL, rejection
// sampling, SFT of the base on the kept samples, and distillation into a 1-layer student. Each
// stage starts from the model the one before made; a rerun skips every finished stage.
func TestRecipeEndToEnd(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	base, student, out := tinyDir(t, 3, 2), tinyDir(t, 4, 1), filepath.Join(t.TempDir(), "r1")
	cfg, err := ReadRecipe(writeRecipe(t, tinyRecipe, "BASE", base, "OUT", out, "STUDENT", student))
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	var starts []string // the model each trained stage started from
	r := &Recipe{Config: cfg, Log: func(f string, a ...any) { log = append(log, fmt.Sprintf(f, a...)) }}
	if err := r.Run(b, dtypes.Float32); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, strings.Join(log, "\n"))
	}
	for _, l := range log {
		if strings.Contains(l, " on ") {
			starts = append(starts, l)
		}
	}
	t.Logf("log:\n%s", strings.Join(log, "\n"))
	// Each stage read the previous one's output.
	cold, _, err := train.Latest(filepath.Join(out, StageColdStart))
	if err != nil {
		t.Fatal(err)
	}
	rl, _, err := train.Latest(filepath.Join(out, StageReasoningRL))
	if err != nil {
		t.Fatal(err)
	}
	if len(starts) != 5 || !strings.Contains(starts[0], base) || !strings.Contains(starts[1], cold) ||
		!strings.Contains(starts[2], rl) || !strings.Contains(starts[3], base) || !strings.Contains(starts[4], student) {
		t.Errorf("stage inputs:\n%s\nwant base, cold-start %s, RL %s, base, student", strings.Join(starts, "\n"), cold, rl)
	}
	kept, err := data.LoadChat(filepath.Join(out, StageRejection, SamplesFile))
	if err != nil || len(kept) == 0 {
		t.Fatalf("kept samples: %d, %v", len(kept), err)
	}
	for _, s := range []string{StageColdStart, StageReasoningRL, StageRejection, StageSFT, StageDistill} {
		if _, err := doneModel(filepath.Join(out, s)); err != nil {
			t.Errorf("stage %s: %v", s, err)
		}
	}
	ck, step, err := train.Latest(filepath.Join(out, StageDistill, filepath.Base(student)))
	if err != nil || step != 30 {
		t.Fatalf("student: step %d, %v", step, err)
	}
	if p, err := model.Load(ck); err != nil || p.Config.NumHiddenLayers != 1 {
		t.Errorf("the distilled checkpoint is not the 1-layer student (%v)", err)
	}

	// A rerun skips every stage and changes nothing.
	before, _ := os.ReadFile(filepath.Join(out, StageSFT, "metrics.jsonl"))
	log = nil
	if err := r.Run(b, dtypes.Float32); err != nil {
		t.Fatal(err)
	}
	if len(log) != 5 || strings.Count(strings.Join(log, "\n"), "skipped") != 5 {
		t.Errorf("rerun log:\n%s", strings.Join(log, "\n"))
	}
	if after, _ := os.ReadFile(filepath.Join(out, StageSFT, "metrics.jsonl")); string(after) != string(before) {
		t.Error("the rerun trained again")
	}
	// Another base model into the same directory is refused.
	other := cfg
	other.Base = student
	other.Stages = []string{StageColdStart}
	if err := (&Recipe{Config: other}).Run(b, dtypes.Float32); err == nil || !strings.Contains(err.Error(), "another out") {
		t.Errorf("rerun with another base: %v", err)
	}
}

// A recipe is checked whole before any work: typos inside a stage's section name the file and
// line, and every stage's problems are reported together.
func TestRecipeErrors(t *testing.T) {
	base, out := tinyDir(t, 1, 2), filepath.Join(t.TempDir(), "r")
	path := writeRecipe(t, "base: BASE\nout: OUT\ncold_start:\n  data: x.jsonl\n  lrr: 1\n", "BASE", base, "OUT", out)
	if _, err := ReadRecipe(path); err == nil || !strings.Contains(err.Error(), "recipe.yaml:5") || !strings.Contains(err.Error(), `"cold_start.lr"`) {
		t.Errorf("typo in a section: %v", err)
	}
	odd := tinyDir(t, 2, 1)
	editTokenizer(t, odd, func(m map[string]any) { m["model"].(map[string]any)["vocab"].(map[string]any)["<extra>"] = 999.0 })
	path = writeRecipe(t, `base: BASE
out: OUT
stages: [cold_start, reasoning_rl, sft, distill, final_rl]
cold_start:
  data: missing.jsonl
reasoning_rl:
  lr: -1
distill:
  students: [ODD]
`, "BASE", base, "OUT", out, "ODD", odd)
	cfg, err := ReadRecipe(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Plan()
	for _, want := range []string{
		"cold_start: data:", "missing.jsonl",
		"reasoning_rl: data or task required", "learning rate -1",
		"sft: trains on the rejection stage's samples", "different tokenizers",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("plan error lacks %q: %v", want, err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a refused recipe wrote its output directory")
	}
	cfg.Stages = []string{"cold_start", "warm_start"}
	if _, err := cfg.Plan(); err == nil || !strings.Contains(err.Error(), `unknown stage "warm_start"`) {
		t.Errorf("unknown stage: %v", err)
	}
	cfg.Base = ""
	if _, err := cfg.Plan(); err == nil || !strings.Contains(err.Error(), "base: required") {
		t.Errorf("no base: %v", err)
	}
}
