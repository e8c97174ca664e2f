package grpo

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDefaultConfigIsR1AndValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	// DeepSeek-R1 values (DESIGN.md §3).
	if c.NumGenerations != 16 || c.PromptsPerStep != 32 || c.LR != 3e-6 || c.Beta != 0.001 ||
		c.Temperature != 1 || c.RefRefresh != 400 || c.MaxCompletionTokens != 32768 {
		t.Errorf("DefaultConfig departs from the R1 values: %+v", c)
	}
	if c.UpdatesPerStep() != 1 {
		t.Errorf("default updates per step = %d, want 1", c.UpdatesPerStep())
	}
}

func TestLoadConfigComplete(t *testing.T) {
	c, err := LoadConfig(filepath.Join("testdata", "r1zero.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Model: "runs/tiny-model", Task: "countdown", Template: "r1-zero", // prompt/answer fields: detected
		Out: "runs/grpo-countdown", Seed: 7,
		Steps: 60, PromptsPerStep: 8, NumGenerations: 8, Mu: 2, MiniBatch: 16,
		MaxPromptTokens: 128, MaxCompletionTokens: 256, Temperature: 1, TopP: 0.95, TopK: 50,
		Rewards: []RewardSpec{{Name: "accuracy", Weight: 1}, {Name: "format", Weight: 0.5},
			{Name: "language", Weight: 0.1, Params: map[string]string{"language": "en"}}},
		ScaleRewards: "batch", AdvantageEps: 1e-6, DynamicSampling: "resample", MaxResample: 2,
		Truncated: "penalty", OverlongBuffer: 64, OverlongPenalty: 0.5,
		LossType: "dapo", Beta: 0, EpsLow: 0.2, EpsHigh: 0.28, DualClip: 3, RefRefresh: 0,
		LR: 1e-5, LRSchedule: "cosine", LRFloor: 1e-6, WarmupSteps: 10, AdamBeta1: 0.9, AdamBeta2: 0.95, AdamEps: 1e-8,
		WeightDecay: 0.01, MaxGradNorm: 0.5, MaxNaNInARow: 5,
		SaveEvery: 20, KeepCheckpoints: 3, LogSamples: 1, ReflectionPhrases: []string{"wait", "hmm"},
		FusedAttention: "auto", RolloutAttention: "auto", // the defaults: the file does not set them
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("LoadConfig:\n got %+v\nwant %+v", c, want)
	}
	// 8 prompts × 8 = 64 completions in minibatches of 16, twice: 8 updates per step.
	if got := c.UpdatesPerStep(); got != 8 {
		t.Errorf("UpdatesPerStep = %d, want 8", got)
	}
	if s := c.Schedule(); s.Total != 480 || s.Warmup != 10 || s.Kind != "cosine" {
		t.Errorf("Schedule = %+v, want 480 total updates", s)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown_key.yaml", []string{"unknown_key.yaml:2", `unknown key "num_generation"`, `did you mean "num_generations"`}},
		{"unknown_reward_key.yaml", []string{"unknown_reward_key.yaml:5", `"rewards[1].wieght"`, `"rewards[1].weight"`}},
		{"bad_type.yaml", []string{"bad_type.yaml:1: cannot unmarshal", "ten"}},
		{"impossible.yaml", []string{"impossible.yaml", "num_generations: 1", "mini_batch: 8"}},
		{"not_mapping.yaml", []string{"not_mapping.yaml:1", "mapping"}},
		{"missing.yaml", []string{"missing.yaml"}},
	}
	for _, tc := range tests {
		_, err := LoadConfig(filepath.Join("testdata", tc.file))
		if err == nil {
			t.Errorf("%s: no error", tc.file)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", tc.file, err, w)
			}
		}
	}
}

// TestReadConfigThenOverride: a file that is invalid on its own (dr_grpo with the default
// std scaling) is read by ReadConfig, fixed by a flag-style Set, then validates.
func TestReadConfigThenOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drgrpo.yaml")
	if err := os.WriteFile(path, []byte("loss_type: dr_grpo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), "scale_rewards") {
		t.Fatalf("LoadConfig = %v, want the dr_grpo/scale_rewards error", err)
	}
	c, err := ReadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set("scale_rewards", "none"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.LossType != "dr_grpo" {
		t.Errorf("after the override: %v (loss_type %q)", err, c.LossType)
	}
	if _, err := ReadConfig(filepath.Join("testdata", "unknown_key.yaml")); err == nil {
		t.Errorf("ReadConfig accepted an unknown key")
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"G = 1 with std scaling", map[string]string{"num_generations": "1"}, "num_generations: 1"},
		{"minibatch larger than the batch", map[string]string{"prompts_per_step": "2", "num_generations": "4", "mini_batch": "16"}, "mini_batch: 16"},
		{"minibatch not dividing the batch", map[string]string{"prompts_per_step": "2", "num_generations": "4", "mini_batch": "3"}, "mini_batch: 3"},
		{"eps_low >= 1", map[string]string{"eps_low": "1"}, "eps_low"},
		{"eps_high <= 0", map[string]string{"eps_high": "0"}, "eps_high"},
		{"negative beta", map[string]string{"beta": "-0.1"}, "beta"},
		{"unknown loss type", map[string]string{"loss_type": "ppo"}, `loss_type: "ppo" is not one of grpo, dapo, dr_grpo`},
		{"dr_grpo with std scaling", map[string]string{"loss_type": "dr_grpo"}, "set scale_rewards: none"},
		{"unknown scaling", map[string]string{"scale_rewards": "global"}, "scale_rewards"},
		{"unknown dynamic sampling", map[string]string{"dynamic_sampling": "yes"}, "dynamic_sampling"},
		{"unknown truncation", map[string]string{"truncated": "drop"}, "truncated"},
		{"overlong buffer beyond the limit", map[string]string{"truncated": "penalty", "max_completion_tokens": "64", "overlong_buffer": "64"}, "overlong_buffer"},
		{"data and task", map[string]string{"data": "a.jsonl", "task": "countdown"}, "either data"},
		{"zero temperature", map[string]string{"temperature": "0"}, "temperature"},
		{"top_p above 1", map[string]string{"top_p": "1.5"}, "top_p"},
		{"dual clip too small", map[string]string{"dual_clip": "1.1"}, "dual_clip"},
		{"no rewards", map[string]string{"rewards": ""}, "rewards"},
		{"cosine without room to decay", map[string]string{"lr_schedule": "cosine", "steps": "5", "warmup_steps": "5"}, "warmup"},
		{"bad adam beta", map[string]string{"adam_beta2": "1"}, "beta2"},
		{"negative log samples", map[string]string{"log_samples": "-1"}, "log_samples"},
		{"negative rollout cache budget", map[string]string{"rollout_kv_cache_gib": "-2"}, "rollout_kv_cache_gib: -2"},
		{"unknown rollout attention", map[string]string{"rollout_attention": "flash"}, "rollout_attention"},
	}
	for _, tc := range tests {
		c := DefaultConfig()
		for k, v := range tc.set {
			if k == "rewards" && v == "" {
				c.Rewards = nil
				continue
			}
			if err := c.Set(k, v); err != nil {
				t.Fatalf("%s: Set(%s, %s): %v", tc.name, k, v, err)
			}
		}
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	// All problems are reported at once.
	c := DefaultConfig()
	c.NumGenerations, c.EpsLow, c.LossType = 1, 2, "x"
	err := c.Validate()
	for _, w := range []string{"num_generations", "eps_low", "loss_type"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate() = %v, want it to list %s", err, w)
		}
	}
}

func TestSetGetEveryKey(t *testing.T) {
	c := DefaultConfig()
	keys := Keys()
	if len(keys) != reflect.TypeOf(Config{}).NumField() {
		t.Fatalf("Keys() lists %d keys for %d fields", len(keys), reflect.TypeOf(Config{}).NumField())
	}
	for _, k := range keys {
		if k.Help == "" {
			t.Errorf("key %s has no help text", k.Name)
		}
		// Get then Set of the default must leave the config unchanged.
		v, err := c.Get(k.Name)
		if err != nil {
			t.Fatalf("Get(%s): %v", k.Name, err)
		}
		before := DefaultConfig()
		if err := c.Set(k.Name, v); err != nil {
			t.Fatalf("Set(%s, %q): %v", k.Name, v, err)
		}
		if !reflect.DeepEqual(c, before) {
			t.Errorf("Set(%s, Get(%s) = %q) changed the config", k.Name, k.Name, v)
		}
	}
	if err := c.Set("lr", "1e-5"); err != nil || c.LR != 1e-5 {
		t.Errorf("Set(lr, 1e-5): %v, lr %v", err, c.LR)
	}
	if err := c.Set("steps", "1.5"); err == nil || !strings.Contains(err.Error(), "steps") {
		t.Errorf("Set(steps, 1.5) = %v, want an error naming steps", err)
	}
	if err := c.Set("num_generation", "4"); err == nil || !strings.Contains(err.Error(), `did you mean "num_generations"`) {
		t.Errorf("Set(num_generation) = %v, want a suggestion", err)
	}
	if err := c.Set("rewards", "accuracy=2, format"); err != nil ||
		!reflect.DeepEqual(c.Rewards, []RewardSpec{{Name: "accuracy", Weight: 2}, {Name: "format", Weight: 1}}) {
		t.Errorf("Set(rewards): %v, %+v", err, c.Rewards)
	}
	if err := c.Set("reflection_phrases", "wait, hmm"); err != nil || !reflect.DeepEqual(c.ReflectionPhrases, []string{"wait", "hmm"}) {
		t.Errorf("Set(reflection_phrases, comma list): %v, %q", err, c.ReflectionPhrases)
	}
	if err := c.Set("reflection_phrases", `["however, this", wait]`); err != nil || !reflect.DeepEqual(c.ReflectionPhrases, []string{"however, this", "wait"}) {
		t.Errorf("Set(reflection_phrases, list): %v, %q", err, c.ReflectionPhrases)
	}
	for _, bad := range []string{"accuracy=x", "=1", "accuracy=NaN", ""} {
		if _, err := ParseRewards(bad); err == nil {
			t.Errorf("ParseRewards(%q) accepted it", bad)
		}
	}
	if got := FormatRewards([]RewardSpec{{Name: "a", Weight: 0.5}, {Name: "b", Weight: math.Pow(2, 10)}}); got != "a=0.5,b=1024" {
		t.Errorf("FormatRewards = %q", got)
	}
}
