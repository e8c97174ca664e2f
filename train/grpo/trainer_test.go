package grpo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/train"
)

// tinyModelDir writes a random-initialised tiny Qwen2 with its byte-level tokenizer.
func tinyModelDir(t testing.TB, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	if err := tiny.WriteModel(dir, seed); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestRewardRisesOnToyTask(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for 60 steps")
	}
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cfg := TinyConfig()
	cfg.Model, cfg.Out, cfg.SaveEvery = tinyModelDir(t, 1), t.TempDir(), 0
	tr, err := NewTrainer(cfg, b, dtypes.Float32, false)
	if err != nil {
		t.Fatal(err)
	}
	var rewards []float64
	tr.OnStep = func(step int, m map[string]any) {
		rewards = append(rewards, m["accuracy"].(float64)) // the integer reward alone: reward = accuracy
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	first, last := avg(rewards[:10]), avg(rewards[len(rewards)-10:])
	t.Logf("mean reward: first 10 steps %.3f, last 10 steps %.3f (%v)", first, last, rewards)
	if last < first+0.2 {
		t.Errorf("reward did not rise: first 10 steps %.3f, last 10 %.3f", first, last)
	}
}

// TestResumeReproducesRun: a run stopped after a checkpoint and resumed writes the same
// metrics (timings aside) as the run that never stopped.
func TestResumeReproducesRun(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	base := TinyConfig()
	base.Model, base.Steps, base.SaveEvery = tinyModelDir(t, 2), 4, 2
	base.PromptsPerStep, base.NumGenerations, base.Mu, base.MiniBatch = 2, 4, 2, 4 // μ = 2: old log-probs, minibatches
	run := func(out string, steps int, resume bool) {
		c := base
		c.Out, c.Steps = out, steps
		tr, err := NewTrainer(c, b, dtypes.Float32, resume)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Run(); err != nil {
			t.Fatal(err)
		}
	}
	whole, split := t.TempDir(), t.TempDir()
	run(whole, 4, false)
	run(split, 2, false)
	run(split, 4, true)
	if err := train.CompareLogs(filepath.Join(whole, "metrics.jsonl"), filepath.Join(split, "metrics.jsonl"), "time_*", "*_per_s"); err != nil {
		t.Fatal(err)
	}
	if _, step, err := train.Latest(split); err != nil || step != 4 {
		t.Fatalf("latest checkpoint of the resumed run: step %d, %v", step, err)
	}
	// Each checkpoint also draws the run: report.html charts every step's metrics.
	page, err := os.ReadFile(filepath.Join(split, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<figcaption>reward_mean", "<figcaption>kl", "Samples at step 4"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func avg(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// fused_attention is cuDNN's: on the CPU backend "on" is refused before any work, saying
// why, and "auto" (the default) quietly uses XLA attention.
func TestFusedAttentionOnCPU(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cfg := TinyConfig()
	cfg.Model, cfg.Out, cfg.FusedAttention = tinyModelDir(t, 1), t.TempDir(), "on"
	_, err = NewTrainer(cfg, b, dtypes.Float32, false)
	if err == nil || !strings.Contains(err.Error(), "fused_attention") || !strings.Contains(strings.ToLower(err.Error()), "cuda") {
		t.Fatalf("on: got %v, want a fused_attention error naming the cuda backend", err)
	}
	cfg.FusedAttention, cfg.Out = "auto", t.TempDir()
	tr, err := NewTrainer(cfg, b, dtypes.Float32, false)
	if err != nil || tr.Policy.FusedAttention {
		t.Fatalf("auto: err %v, fused %v; want XLA attention", err, tr != nil && tr.Policy.FusedAttention)
	}
	cfg.FusedAttention = "yes"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "fused_attention") {
		t.Errorf("fused_attention yes: err %v", err)
	}
}

// rollout_attention triton is r1go's Triton kernels: on the CPU backend it is refused before
// any work, naming the setting and the backend it needs.
func TestRolloutAttentionTritonOnCPU(t *testing.T) {
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cfg := TinyConfig()
	cfg.Model, cfg.Out, cfg.RolloutAttention = tinyModelDir(t, 1), t.TempDir(), "triton"
	_, err = NewTrainer(cfg, b, dtypes.Float32, false)
	if err == nil || !strings.Contains(err.Error(), "rollout_attention") || !strings.Contains(strings.ToLower(err.Error()), "cuda") {
		t.Fatalf("triton on the CPU: got %v, want a rollout_attention error naming the cuda backend", err)
	}
}
