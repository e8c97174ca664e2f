package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/model/safetensors"
	"github.com/r1go/r1go/tokenizer"
)

// cmdInit is `r1go init`: write a random-initialised model directory.
func cmdInit() *command {
	return &command{
		name:    "init",
		summary: "write a random-initialised Qwen2/Llama model directory (config.json + model.safetensors)",
		usage:   "(--config config.json | --shape " + strings.Join(model.BuiltinShapes(), "|") + ") --out DIR [--seed N] [--dtype f32|bf16] [--tokenizer PATH] [--vocab-size N] [--force]",
		run:     runInit,
	}
}

func runInit(fs *flag.FlagSet, args []string) error {
	config := fs.String("config", "", "Hugging Face config.json (or a model directory holding one) describing the architecture; exclusive with --shape")
	shape := fs.String("shape", "", "built-in architecture instead of --config: "+strings.Join(model.BuiltinShapes(), ", ")+" (tiny trains on a laptop CPU in minutes; 0.5B and 1.5B are Qwen2.5's shapes)")
	out := fs.String("out", "", "output model directory; created if missing, refused if it holds anything unless --force")
	seed := fs.Uint64("seed", 0, "random seed: the same seed and architecture give bit-identical weights")
	dtype := fs.String("dtype", "f32", "element type of the saved weights: f32 or bf16")
	force := fs.Bool("force", false, "write into --out even if it is not empty (model files are replaced, other files are kept)")
	tok := fs.String("tokenizer", "", "tokenizer to ship with the model (tokenizer.json or a directory holding one, e.g. from `r1go tokenizer train`): saved into --out, its BOS/EOS/pad ids recorded in config.json; the vocabulary must hold its tokens")
	vocab := fs.Int("vocab-size", 0, "override the configuration's vocab_size (e.g. to fit --tokenizer)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	var c *model.Config
	var err error
	switch {
	case *config != "" && *shape != "":
		return errors.New("give --config or --shape, not both")
	case *config != "":
		c, err = model.LoadConfig(*config)
	case *shape != "":
		c, err = model.BuiltinConfig(*shape)
	default:
		return errors.New("--config or --shape is required")
	}
	if err != nil {
		return err
	}
	if *vocab < 0 {
		return fmt.Errorf("--vocab-size %d: must be positive", *vocab)
	}
	if *vocab > 0 {
		c.VocabSize = *vocab
		if err := c.Validate(); err != nil {
			return fmt.Errorf("--vocab-size %d: %w", *vocab, err)
		}
	}
	var tk *tokenizer.Tokenizer
	if *tok != "" {
		if tk, err = tokenizer.Load(*tok); err != nil {
			return err
		}
		ids := model.TokenizerIDs{VocabSize: tk.VocabSize(), EOS: tk.EOS()}
		if id, ok := tk.BOS(); ok {
			ids.BOS = &id
		}
		if id, ok := tk.Pad(); ok {
			ids.Pad = &id
		}
		if err := c.UseTokenizer(ids); err != nil {
			return fmt.Errorf("--tokenizer %s: %w (use --vocab-size %d or more)", *tok, err, tk.VocabSize())
		}
	}
	dt, err := initWeightsDType(*dtype)
	if err != nil {
		return err
	}
	_, err = model.InitDir(*out, c, *seed, dt, *force)
	if errors.Is(err, model.ErrDirNotEmpty) {
		return fmt.Errorf("%w (pass --force to write into it anyway)", err)
	}
	if err != nil {
		return err
	}
	if tk != nil {
		if err := tk.Save(*out); err != nil {
			return fmt.Errorf("saving the tokenizer into %s: %w", *out, err)
		}
	}
	fmt.Printf("wrote %s: %s, %d layers, hidden %d, vocab %d, %.2fM parameters (%s, seed %d)\n",
		*out, c.ModelType, c.NumHiddenLayers, c.HiddenSize, c.VocabSize, float64(c.NumParams())/1e6, dt, *seed)
	return nil
}

// initWeightsDType maps a --dtype value to the safetensors element type.
func initWeightsDType(s string) (safetensors.DType, error) {
	switch strings.ToLower(s) {
	case "f32", "float32", "fp32":
		return safetensors.F32, nil
	case "bf16", "bfloat16":
		return safetensors.BF16, nil
	}
	return "", fmt.Errorf("--dtype %q: must be f32 or bf16", s)
}
