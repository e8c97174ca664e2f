package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestResumeFrom: a fresh directory starts from the model; one holding a run refuses a new
// run without resume and resumes from its latest checkpoint with it.
func TestResumeFrom(t *testing.T) {
	out := t.TempDir()
	if from, step, resumed, err := ResumeFrom(out, "model", true); err != nil || from != "model" || step != 0 || resumed {
		t.Fatalf("empty dir, resume: %q %d %v %v", from, step, resumed, err)
	}
	if err := os.WriteFile(filepath.Join(out, "metrics.jsonl"), []byte(`{"step":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ResumeFrom(out, "model", false); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Fatalf("metrics but no checkpoint, no resume: %v", err)
	}
	ck := Checkpointer{}
	if err := ck.Save(out, 3, func(string) error { return nil }, TrainerState{Step: 3}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := ResumeFrom(out, "model", false); err == nil || !strings.Contains(err.Error(), "step 3") {
		t.Fatalf("checkpoint, no resume: %v", err)
	}
	from, step, resumed, err := ResumeFrom(out, "model", true)
	if err != nil || step != 3 || !resumed || filepath.Base(from) != "checkpoint-3" {
		t.Fatalf("checkpoint, resume: %q %d %v %v", from, step, resumed, err)
	}
}
