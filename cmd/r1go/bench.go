package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/bench"
	"github.com/r1go/r1go/model"
)

// cmdBench is `r1go bench`: speed measurements comparable with the peers in bench/.
func cmdBench() *command {
	return &command{
		name:    "bench",
		summary: "measure speed: `bench train` times a full training step; `bench table` tabulates results side by side",
		usage:   "train (--shape " + strings.Join(model.BuiltinShapes(), "|") + " | --config FILE) [--batch 8] [--seq 2048] [--steps 5] [--backend cuda]  |  table FILE...",
		run:     runBench,
	}
}

func runBench(fs *flag.FlagSet, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return errors.New("which benchmark? `r1go bench train ...` or `r1go bench table FILE...`")
	}
	switch args[0] {
	case "train":
		return runBenchTrain(fs, args[1:])
	case "table":
		return runBenchTable(fs, args[1:])
	}
	return fmt.Errorf("unknown benchmark %q (train, table)", args[0])
}

func runBenchTrain(fs *flag.FlagSet, args []string) error {
	shape := fs.String("shape", "", "built-in model shape: "+strings.Join(model.BuiltinShapes(), ", ")+"; exclusive with --config")
	config := fs.String("config", "", "Hugging Face config.json (or a model directory holding one) to benchmark instead of --shape")
	batch := fs.Int("batch", 8, "sequences per training step")
	seq := fs.Int("seq", 2048, "tokens per sequence; every position is a training target")
	steps := fs.Int("steps", 5, "timed steps (after one compiling step and --warmup untimed ones)")
	warmup := fs.Int("warmup", 1, "untimed steps after the first")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "dtype of the matrix products: bf16 or f32 (master weights, Adam moments, softmax and loss stay f32); default bf16 on cuda, f32 on cpu")
	grad := fs.String("grad", "fast", "gradients of the matrix products: fast (as products, r1go's default) or default (GoMLX's own DotGeneral VJP, for comparison)")
	seed := fs.Uint64("seed", 0, "parameter initialisation seed")
	lr := fs.Float64("lr", 1e-5, "AdamW learning rate (weight decay 0.01, gradients clipped to norm 1)")
	peak := fs.Float64("peak-tflops", bench.H200PeakBF16/1e12, "the accelerator's dense bf16 peak in TFLOP/s, the denominator of MFU (989 for an H100 SXM/H200); MFU is not reported on cpu")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *grad != "fast" && *grad != "default" {
		return fmt.Errorf("--grad %q: must be fast or default", *grad)
	}
	var c *model.Config
	var err error
	name := *shape
	switch {
	case *shape != "" && *config != "":
		return errors.New("give --shape or --config, not both")
	case *shape != "":
		c, err = model.BuiltinConfig(*shape)
	case *config != "":
		c, err = model.LoadConfig(*config)
		name = *config
	default:
		return errors.New("--shape or --config is required")
	}
	if err != nil {
		return err
	}
	if !(*peak > 0) {
		return fmt.Errorf("--peak-tflops %v: must be positive", *peak)
	}
	compute, err := modelComputeDType(*dtype, onCPU(*backendFlag))
	if err != nil {
		return err
	}
	opt := bench.TrainOptions{Config: c, Shape: name, Batch: *batch, Seq: *seq, Steps: *steps, Warmup: *warmup,
		Compute: compute, Seed: *seed, LR: *lr, DefaultGradients: *grad == "default"}
	if err := opt.Validate(); err != nil {
		return err
	}
	var memBefore int64 = -1
	if !onCPU(*backendFlag) {
		if m, err := bench.DeviceMemoryUsed(); err == nil {
			memBefore = m
		}
	}
	b, noPrealloc, err := bench.NewBackend(*backendFlag)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go bench train: %s, shape %s (%s parameters), batch %d × seq %d, compute %s, %s gradients\n",
		backend.Describe(b), name, humanCount(c.NumParams()), *batch, *seq, compute, *grad)
	res, err := bench.Train(b, opt, os.Stderr)
	if err != nil {
		return err
	}
	res.Backend = backend.Describe(b)
	if !onCPU(*backendFlag) {
		res.PeakFLOPS = *peak * 1e12
	}
	if noPrealloc && memBefore >= 0 {
		if m, err := bench.DeviceMemoryUsed(); err == nil {
			res.PeakMemBytes = m - memBefore
		}
	}
	fmt.Println(res.Line())
	return nil
}

func runBenchTable(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("give the files holding bench= lines (from r1go bench train and bench/torch_train.py); \"-\" reads standard input")
	}
	var all []map[string]string
	for _, path := range fs.Args() {
		var r io.Reader = os.Stdin
		if path != "-" {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		lines, err := bench.ReadLines(r, path)
		if err != nil {
			return err
		}
		all = append(all, lines...)
	}
	t, err := bench.Table(all)
	if err != nil {
		return err
	}
	fmt.Print(t)
	return nil
}

// humanCount writes a parameter count as 107.1K, 494.0M or 1.54B.
func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
