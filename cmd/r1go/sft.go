package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/progress"
	"github.com/r1go/r1go/internal/tiny"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/tokenizer"
	"github.com/r1go/r1go/train/sft"
)

// cmdSFT is `r1go sft`: supervised fine-tuning (cold start, rejection-sampled data, distillation).
func cmdSFT() *command {
	return &command{
		name:    "sft",
		summary: "supervised fine-tuning on chat or prompt/completion data (loss on assistant tokens, packing, resumable)",
		usage:   "--model DIR --data FILE [--config FILE.yaml] [--out DIR] [--epochs N] [flags]",
		run:     runSFT,
	}
}

func runSFT(fs *flag.FlagSet, args []string) error {
	configPath := fs.String("config", "", "YAML file of settings (keys as the flags below, with underscores); flags override it")
	resume := fs.Bool("resume", false, "continue from the latest complete checkpoint in --out (starts fresh when there is none)")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "compute precision of products: bf16 or f32; default bf16 on cuda, f32 on cpu (master weights are always f32)")
	initSeed := fs.Uint64("init-seed", 0, "without --model: seed of the embedded tiny model's random initialisation")
	preview := fs.Int("preview", 0, "print the first N training examples as the model sees them (the tokens that enter the loss between ⟦ and ⟧) and exit without training")
	sets := sftConfigFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := sft.DefaultConfig()
	if *configPath != "" {
		var err error
		if cfg, err = sft.ReadConfig(*configPath); err != nil {
			return err
		}
	}
	for _, s := range *sets {
		if err := cfg.Set(s[0], s[1]); err != nil {
			return fmt.Errorf("--%s: %w", strings.ReplaceAll(s[0], "_", "-"), err)
		}
	}
	if cfg.Model == "" && cfg.Data != "" {
		var err error
		if cfg.Model, err = tinyBaseModel("sft", cfg.Out, *initSeed); err != nil {
			return err
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *preview > 0 {
		return previewSFT(cfg, *preview)
	}
	b, compute, err := openBackend("sft", *backendFlag, *dtype)
	if err != nil {
		return err
	}
	return trainSFT("sft", cfg, b, compute, *resume)
}

// sftConfigFlags registers one flag per SFT config key; the returned list collects the
// (key, value) pairs given, in command-line order.
func sftConfigFlags(fs *flag.FlagSet) *[][2]string {
	var sets [][2]string
	for _, k := range sft.Keys() {
		k := k
		set := func(v string) error { sets = append(sets, [2]string{k.Name, v}); return nil }
		name := strings.ReplaceAll(k.Name, "_", "-")
		if k.Name == "model" {
			k.Help += "; default: the embedded tiny model (2 layers, byte-level tokenizer), initialised into OUT/base-model"
		}
		if k.Kind == reflect.Bool {
			fs.BoolFunc(name, withDefault(k)+"; --"+name+"=false turns it off", set)
		} else {
			fs.Func(name, withDefault(k), set)
		}
	}
	return &sets
}

// trainSFT runs an SFT trainer with a progress bar and reports what loading did to the data.
func trainSFT(name string, cfg sft.Config, b backends.Backend, compute dtypes.DType, resume bool) error {
	tr, err := sft.NewTrainer(cfg, b, compute, resume)
	if err != nil {
		return err
	}
	for _, part := range []struct {
		what string
		st   sft.LoadStats
	}{{"train", tr.TrainStats}, {"eval", tr.EvalStats}} {
		st := part.st
		if st.Records == 0 {
			continue
		}
		fmt.Fprintf(os.Stderr, "r1go %s: %s data: %d records, %d tokens (%d trained on)", name, part.what, st.Records, st.Tokens, st.LossTokens)
		if st.Truncated > 0 {
			fmt.Fprintf(os.Stderr, "; WARNING: %d truncated to %d tokens (overlong: truncate)", st.Truncated, tr.RowLength())
		}
		fmt.Fprintln(os.Stderr)
		for i, src := range st.DroppedSources {
			if i == 10 {
				fmt.Fprintf(os.Stderr, "  ... and %d more\n", len(st.DroppedSources)-10)
				break
			}
			fmt.Fprintf(os.Stderr, "  WARNING: %s dropped: no assistant token within max_length\n", src)
		}
	}
	trainRows, evalRows := tr.Rows()
	mode := "packed"
	if !cfg.Packing {
		mode = "bucketed"
	}
	fmt.Fprintf(os.Stderr, "r1go %s: template %s, %d %s train rows, %d eval rows of up to %d tokens; %d updates of %d x %d rows\n",
		name, tr.Template, trainRows, mode, evalRows, tr.RowLength(), tr.Steps, cfg.GradAccum, cfg.BatchSize)
	bar := progress.New(os.Stderr, name, tr.StartStep(), tr.Steps, progress.Options{Unit: "step"})
	tr.OnStep = func(step int, m map[string]any) {
		kvs := []progress.KV{}
		for _, k := range []string{"loss", "eval_loss", "lr", "grad_norm", "tokens_per_s"} {
			if v, ok := m[k].(float64); ok {
				kvs = append(kvs, progress.KV{Key: k, Value: v})
			}
		}
		bar.Set(step, kvs...)
	}
	if err := tr.Run(); err != nil {
		return err
	}
	bar.Finish()
	fmt.Fprintf(os.Stderr, "r1go %s: done; metrics in %s, model in %s\n", name, filepath.Join(cfg.Out, "metrics.jsonl"), filepath.Join(cfg.Out, fmt.Sprintf("checkpoint-%d", tr.Steps)))
	return nil
}

// tinyBaseModel writes the embedded tiny model into out/base-model (once) and returns the
// directory: the default model of a run without --model.
func tinyBaseModel(name, out string, seed uint64) (string, error) {
	dir := filepath.Join(out, "base-model")
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := tiny.WriteModel(dir, seed); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "r1go %s: no model given: wrote the embedded tiny model to %s\n", name, dir)
	return dir, nil
}

// withDefault is a config key's help text with its default value appended.
func withDefault(k sft.Key) string {
	v, err := sft.DefaultConfig().Get(k.Name)
	if err != nil || v == "" {
		return k.Help
	}
	return fmt.Sprintf("%s (default %s)", k.Help, v)
}

// previewSFT prints the first n encoded training examples with their loss spans marked.
func previewSFT(cfg sft.Config, n int) error {
	tok, err := tokenizer.Load(cfg.Model)
	if err != nil {
		return fmt.Errorf("tokenizer of %s: %w", cfg.Model, err)
	}
	mc, err := model.LoadConfig(filepath.Join(cfg.Model, "config.json"))
	if err != nil {
		return err
	}
	maxLen := cfg.MaxLength
	if maxLen == 0 || maxLen > mc.MaxPositionEmbeddings {
		maxLen = mc.MaxPositionEmbeddings
	}
	enc, err := sft.NewEncoder(cfg, tok, maxLen)
	if err != nil {
		return err
	}
	exs, st, err := enc.Load(cfg.Data, cfg.Mapping())
	if err != nil {
		return err
	}
	fmt.Printf("template %s, format %s: %d records, %d tokens, %d in the loss, %d truncated, %d dropped\n", enc.Template.Name(), cfg.Format, st.Records, st.Tokens, st.LossTokens, st.Truncated, st.Dropped)
	for _, ex := range exs[:min(n, len(exs))] {
		fmt.Printf("\n--- %s (%d tokens, %d in the loss) ---\n%s\n", ex.Source, len(ex.Tokens), ex.LossTokens(), sft.Preview(tok, ex))
	}
	return nil
}
