package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed example recipe plans cleanly (a dry run writes nothing), and a recipe with a
// typo inside a stage's section is refused with its file and line.
func TestRecipeCommand(t *testing.T) {
	t.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	out := filepath.Join(t.TempDir(), "r")
	example, err := filepath.Abs("../../pipeline/testdata/recipe-tiny.yaml")
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	t.Chdir(root) // the example's data paths are relative to the repository root
	if code := runMain([]string{"recipe", "--config", example, "--out", out, "--dry-run"}); code != 0 {
		t.Fatalf("dry run of %s: exit %d", example, code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("the dry run wrote its output directory")
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("out: x\nsft:\n  stepz: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, _ := os.Pipe()
	stderr := os.Stderr
	os.Stderr = w
	code := runMain([]string{"recipe", "--config", bad, "--dry-run"})
	w.Close()
	os.Stderr = stderr
	msg := make([]byte, 4096)
	n, _ := r.Read(msg)
	if code != 1 || !strings.Contains(string(msg[:n]), "bad.yaml:3") || !strings.Contains(string(msg[:n]), `"sft.steps"`) {
		t.Errorf("typo: exit %d, %q", code, msg[:n])
	}
}
