package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/data"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/pipeline"
	"github.com/r1go/r1go/rejection"
	"github.com/r1go/r1go/train/grpo"
	"github.com/r1go/r1go/train/sft"
)

// cmdRecipe is `r1go recipe`: the DeepSeek-R1 recipe as stages from one YAML file.
func cmdRecipe() *command {
	return &command{
		name:    "recipe",
		summary: "run the DeepSeek-R1 recipe from one YAML file: cold-start SFT → reasoning RL → rejection sampling → SFT → final RL → distillation (and R1-Zero), each stage from the model the one before made; checked whole before any work, resumable",
		usage:   "--config FILE.yaml [--out DIR] [--stages a,b,...] [--dry-run]",
		run:     runRecipe,
	}
}

func runRecipe(fs *flag.FlagSet, args []string) error {
	configPath := fs.String("config", "", "recipe file: base, out, stages and one section per stage with the keys of r1go grpo, sft and rejection-sample (see pipeline/testdata/recipe-tiny.yaml)")
	out := fs.String("out", "", "output directory (overrides the file's out): recipe.json and one directory per stage, each with a DONE file once finished")
	stages := fs.String("stages", "", "comma-separated stages to run (overrides the file's stages): "+strings.Join(pipeline.StageNames, ", "))
	dryRun := fs.Bool("dry-run", false, "check the recipe and print its plan (each stage's model, data and output) without running it")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision of products: bf16 or f32; default bf16 on cuda, f32 on cpu")
	initSeed := fs.Uint64("init-seed", 0, "without base in the recipe: seed of the embedded tiny model's random initialisation")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *configPath == "" {
		return errors.New("--config FILE.yaml is required (an example: pipeline/testdata/recipe-tiny.yaml)")
	}
	cfg, err := pipeline.ReadRecipe(*configPath)
	if err != nil {
		return err
	}
	if *out != "" {
		cfg.Out = *out
	}
	if *stages != "" {
		cfg.Stages = strings.Split(*stages, ",")
	}
	tinyShown := "" // a dry run without base checks against a temporary copy of the tiny model
	if cfg.Base == "" && cfg.Out != "" {
		dir := cfg.Out
		if *dryRun {
			if dir, err = os.MkdirTemp("", "r1go-recipe-"); err != nil {
				return err
			}
			defer os.RemoveAll(dir)
		}
		if *dryRun { // nothing is written where the recipe would run
			cfg.Base, tinyShown = filepath.Join(dir, "base-model"), filepath.Join(dir, "base-model")
			if err := os.MkdirAll(cfg.Base, 0o755); err != nil {
				return err
			}
			if err := tiny.WriteModel(cfg.Base, *initSeed); err != nil {
				return err
			}
		} else if cfg.Base, err = tinyBaseModel("recipe", dir, *initSeed); err != nil {
			return err
		}
	}
	steps, err := cfg.Plan()
	if err != nil {
		return fmt.Errorf("%s: %w", *configPath, err)
	}
	for i, st := range steps {
		model := st.Model
		if tinyShown != "" {
			model = strings.ReplaceAll(model, tinyShown, filepath.Join(cfg.Out, "base-model")+" (the embedded tiny model)")
		}
		fmt.Fprintf(os.Stderr, "r1go recipe: stage %d/%d %-12s from %s on %s → %s\n", i+1, len(steps), st.Stage, model, st.Data, st.Out)
	}
	if *dryRun {
		return nil
	}
	b, compute, err := openBackend("recipe", *backendFlag, *dtype)
	if err != nil {
		return err
	}
	r := &pipeline.Recipe{
		Config: cfg,
		GRPO: func(stage string, c grpo.Config, b backends.Backend, compute dtypes.DType) error {
			return trainGRPO(stage, c, b, compute, true)
		},
		SFT: func(stage string, c sft.Config, b backends.Backend, compute dtypes.DType) error {
			return trainSFT(stage, c, b, compute, true)
		},
		Sample: func(stage string, c rejection.Config, b backends.Backend, compute dtypes.DType, dir string, exs []data.Example, out string) (rejection.Stats, error) {
			return sampleWithProgress(stage, c, b, compute, dir, exs, out)
		},
		Log: func(format string, args ...any) { fmt.Fprintf(os.Stderr, "r1go recipe: "+format+"\n", args...) },
	}
	if err := r.Run(b, compute); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go recipe: done; each stage's output is recorded in %s/<stage>/DONE\n", cfg.Out)
	return nil
}
