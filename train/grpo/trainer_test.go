package grpo

import (
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/tiny"
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

func tinyConfig(t testing.TB, modelDir string) Config {
	c := DefaultConfig()
	c.Model, c.Task, c.Template, c.Out = modelDir, "copy-digit", "none", t.TempDir()
	c.Steps, c.PromptsPerStep, c.NumGenerations, c.MiniBatch = 30, 8, 8, 64
	c.MaxPromptTokens, c.MaxCompletionTokens = 64, 4
	c.LR, c.Beta, c.SaveEvery, c.LogSamples = 2e-2, 0, 0, 1
	return c
}

func TestRewardRisesOnToyTask(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for 30 steps")
	}
	b, err := r1backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(t, tinyModelDir(t, 1))
	tr, err := NewTrainer(cfg, b, dtypes.Float32, false)
	if err != nil {
		t.Fatal(err)
	}
	var rewards []float64
	tr.OnStep = func(step int, m map[string]any) {
		rewards = append(rewards, m["reward_mean"].(float64))
		t.Logf("step %d reward %.3f acc %.3f len %.1f loss %.4f grad %.3f ent %.3f gen %.2fs upd %.2fs", step, m["reward_mean"], m["accuracy"], m["response_length_mean"], m["loss"], m["grad_norm"], m["entropy"], m["time_generate_s"], m["time_update_s"])
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	first, last := avg(rewards[:5]), avg(rewards[len(rewards)-5:])
	t.Logf("mean reward: first 5 steps %.3f, last 5 steps %.3f", first, last)
	if last < first+0.2 {
		t.Errorf("reward did not rise: first 5 steps %.3f, last 5 %.3f", first, last)
	}
}

func avg(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}
