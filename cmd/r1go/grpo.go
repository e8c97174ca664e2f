package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"os"
	"path/filepath"
	"strings"

	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/progress"
	"github.com/r1go/r1go/train/grpo"
)

// cmdGRPO is `r1go grpo`: R1-Zero reinforcement learning.
func cmdGRPO() *command {
	return &command{
		name:    "grpo",
		summary: "train with GRPO and rule-based rewards (R1-Zero); resumable, checkpoints in Hugging Face layout",
		usage:   "[--config FILE.yaml] [--model DIR] (--data FILE | --task NAME) [--out DIR] [--steps N] [flags]",
		run:     runGRPO,
	}
}

func runGRPO(fs *flag.FlagSet, args []string) error {
	configPath := fs.String("config", "", "YAML file of settings (keys as the flags below, with underscores); flags override it")
	resume := fs.Bool("resume", false, "continue from the latest complete checkpoint in --out (starts fresh when there is none)")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision of products: bf16 or f32; default bf16 on cuda, f32 on cpu (master weights are always f32)")
	initSeed := fs.Uint64("init-seed", 0, "without --model: seed of the embedded tiny model's random initialisation")
	type setting struct{ key, value string }
	var sets []setting
	defaults := grpo.DefaultConfig()
	for _, k := range grpo.Keys() {
		k := k
		set := func(v string) error { sets = append(sets, setting{k.Name, v}); return nil }
		help := k.Help
		if k.Name == "model" {
			help += "; default: the embedded tiny model (2 layers, byte-level tokenizer), initialised into OUT/base-model, with the tiny preset (grpo.TinyConfig) as defaults"
		} else if d, err := defaults.Get(k.Name); err == nil && d != "" && d != "[]" {
			help += " (default " + d + ")"
		}
		fs.Func(strings.ReplaceAll(k.Name, "_", "-"), help, set)
		if k.Name == "rewards" {
			fs.Func("reward", "alias of --rewards: name=weight,... e.g. accuracy=1,format=1", set)
		}
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := grpo.DefaultConfig()
	if !flagGiven(fs, "model") && *configPath == "" {
		cfg = grpo.TinyConfig() // settings under which the embedded tiny model learns in minutes
	}
	if *configPath != "" {
		var err error
		if cfg, err = grpo.ReadConfig(*configPath); err != nil {
			return err
		}
	}
	for _, s := range sets {
		if err := cfg.Set(s.key, s.value); err != nil {
			return fmt.Errorf("--%s: %w", strings.ReplaceAll(s.key, "_", "-"), err)
		}
	}
	if cfg.Model == "" {
		if cfg.Task == "" && cfg.Data == "" {
			return errors.New("give --model DIR with --data FILE or --task NAME (without --model, the embedded tiny model trains on a --task)")
		}
		var err error
		if cfg.Model, err = tinyBaseModel("grpo", cfg.Out, *initSeed); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	b, compute, err := openBackend("grpo", *backendFlag, *dtype)
	if err != nil {
		return err
	}
	if err := trainGRPO("grpo", cfg, b, compute, *resume); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go grpo: done; metrics in %s, checkpoints and report.html in %s\n", filepath.Join(cfg.Out, "metrics.jsonl"), cfg.Out)
	return nil
}

// trainGRPO runs a GRPO trainer with a progress bar of its key metrics.
func trainGRPO(name string, cfg grpo.Config, b backends.Backend, compute dtypes.DType, resume bool) error {
	tr, err := grpo.NewTrainer(cfg, b, compute, resume)
	if err != nil {
		return err
	}
	bar := progress.New(os.Stderr, name, tr.StartStep(), cfg.Steps, progress.Options{Unit: "step"})
	tr.OnStep = func(step int, m map[string]any) {
		kv := func(k string) progress.KV { v, _ := m[k].(float64); return progress.KV{Key: k, Value: v} }
		bar.Set(step, kv("reward_mean"), kv("accuracy"), kv("response_length_mean"), kv("kl"), kv("entropy"), kv("time_step_s"))
	}
	if err := tr.Run(); err != nil {
		return err
	}
	bar.Finish()
	return nil
}

// flagGiven reports whether the command line set the named flag.
func flagGiven(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}
