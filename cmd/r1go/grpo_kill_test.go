package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/r1go/r1go/train"
)

// grpoArgs is a short GRPO run of the embedded tiny model with a checkpoint every step.
func grpoArgs(out string) []string {
	return []string{"grpo", "--out", out, "--steps", "6", "--save-every", "1", "--keep-checkpoints", "2",
		"--prompts-per-step", "4", "--num-generations", "4", "--backend", "cpu"}
}

// TestGRPOProcess is not a test: TestGRPOKillResume runs the r1go command in a child process
// through it, so that the child can be killed with SIGKILL.
func TestGRPOProcess(t *testing.T) {
	args := os.Getenv("R1GO_CHILD_ARGS_OUT")
	if args == "" {
		t.Skip("child process of TestGRPOKillResume")
	}
	extra := []string{}
	if os.Getenv("R1GO_CHILD_RESUME") != "" {
		extra = append(extra, "--resume")
	}
	os.Exit(runMain(append(grpoArgs(args), extra...)))
}

// TestGRPOKillResume: `r1go grpo` killed with SIGKILL at several moments and resumed with
// --resume leaves a complete latest checkpoint and writes the same metrics (timings aside) as
// the run that was never interrupted (issue 6, reliability).
func TestGRPOKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("runs GRPO several times")
	}
	child := func(out string, resume bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGRPOProcess$")
		cmd.Env = append(os.Environ(), "R1GO_CHILD_ARGS_OUT="+out, "GOMLX_NO_AUTO_INSTALL=1")
		if resume {
			cmd.Env = append(cmd.Env, "R1GO_CHILD_RESUME=1")
		}
		return cmd
	}
	whole := filepath.Join(t.TempDir(), "whole")
	t0 := time.Now()
	if out, err := child(whole, false).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	took := time.Since(t0)
	killed := filepath.Join(t.TempDir(), "killed")
	interrupted := 0
	for i, frac := range []float64{0.35, 0.5, 0.6} { // each run resumes, so later kills land later in the run
		delay := time.Duration(frac * float64(took))
		cmd := child(killed, i > 0)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		dir, step, err := train.Latest(killed)
		if err == nil {
			if _, err := train.ReadState(dir); err != nil {
				t.Fatalf("after kill %d: latest checkpoint %s (step %d) unreadable: %v", i, dir, step, err)
			}
		}
		t.Logf("kill %d after %v: latest complete checkpoint at step %d", i, delay, step)
		if step < 6 {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Fatalf("no kill interrupted the run (the uninterrupted run took %v)", took)
	}
	if out, err := child(killed, true).CombinedOutput(); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, out)
	}
	if err := train.CompareLogs(filepath.Join(whole, "metrics.jsonl"), filepath.Join(killed, "metrics.jsonl"), "time_*", "*_per_s"); err != nil {
		t.Fatal(err)
	}
	if _, step, err := train.Latest(killed); err != nil || step != 6 {
		t.Fatalf("latest checkpoint after resuming: step %d, %v", step, err)
	}
}
