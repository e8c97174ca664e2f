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
	"github.com/r1go/r1go/internal/triton"
	"github.com/r1go/r1go/model"
)

// cmdBench is `r1go bench`: speed measurements comparable with the peers in bench/.
func cmdBench() *command {
	return &command{
		name:    "bench",
		summary: "measure speed: `bench train` times a training step, `bench generate` rollouts; `bench table` tabulates results side by side",
		usage:   "train|generate (--shape " + strings.Join(model.BuiltinShapes(), "|") + " | --config FILE) [flags]  |  table FILE...   (r1go bench train --help lists a benchmark's flags)",
		run:     runBench,
	}
}

func runBench(fs *flag.FlagSet, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return errors.New("which benchmark? `r1go bench train ...`, `r1go bench generate ...` or `r1go bench table FILE...`")
	}
	switch args[0] {
	case "train":
		return runBenchTrain(fs, args[1:])
	case "table":
		return runBenchTable(fs, args[1:])
	case "generate":
		return runBenchGenerate(fs, args[1:])
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
	recompute := fs.Bool("recompute-attention", false, "recompute the attention probabilities in the backward pass instead of keeping them (less memory, about one more attention forward of compute)")
	lmChunk := fs.Int("lm-head-chunk", 0, "compute the loss's logits this many tokens at a time, forward and backward (0: all at once); the f32 logits of the batch then never exist")
	fused := fs.Bool("fused-attention", false, "run attention as cuDNN's flash attention through XLA's custom call (cuda backend, bf16 only): no [B, heads, T, T] scores in memory")
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
	c, name, err := benchModel(*shape, *config)
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
		Compute: compute, Seed: *seed, LR: *lr, DefaultGradients: *grad == "default", RecomputeAttention: *recompute, LMHeadChunk: *lmChunk, FusedAttention: *fused}
	if err := opt.Validate(); err != nil {
		return err
	}
	mem := benchMemory(*backendFlag)
	b, noPrealloc, err := backend.NewWith(*backendFlag, false) // no preallocation: the pool's size after a run is its peak
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go bench train: %s, shape %s (%s parameters), batch %d × seq %d, compute %s, %s gradients\n",
		backend.Describe(b), name, humanCount(c.NumParams()), *batch, *seq, compute, *grad)
	res, err := bench.Train(b, opt, os.Stderr)
	if err != nil {
		return err
	}
	if !onCPU(*backendFlag) {
		res.PeakFLOPS = *peak * 1e12
	}
	res.PeakMemBytes = mem(noPrealloc)
	fmt.Println(res.Line())
	return nil
}

// benchModel reads the --shape / --config pair every benchmark takes: the configuration and the
// name the report uses for it.
func benchModel(shape, config string) (*model.Config, string, error) {
	switch {
	case shape != "" && config != "":
		return nil, "", errors.New("give --shape or --config, not both")
	case shape != "":
		c, err := model.BuiltinConfig(shape)
		return c, shape, err
	case config != "":
		c, err := model.LoadConfig(config)
		return c, config, err
	}
	return nil, "", errors.New("--shape or --config is required")
}

// benchMemory measures the device memory a benchmark adds: start it before creating the
// backend, call the returned function at the end (-1 when unknown: CPU, no nvidia-smi, or an
// allocator that preallocates).
func benchMemory(choice string) func(noPrealloc bool) int64 {
	if onCPU(choice) {
		return func(bool) int64 { return -1 }
	}
	before, err := bench.DeviceMemoryUsed()
	return func(noPrealloc bool) int64 {
		if err != nil || !noPrealloc {
			return -1
		}
		after, err := bench.DeviceMemoryUsed()
		if err != nil {
			return -1
		}
		return after - before
	}
}

func runBenchGenerate(fs *flag.FlagSet, args []string) error {
	shape := fs.String("shape", "", "built-in model shape: "+strings.Join(model.BuiltinShapes(), ", ")+"; exclusive with --config")
	config := fs.String("config", "", "Hugging Face config.json (or a model directory holding one) to benchmark instead of --shape")
	prompts := fs.Int("prompts", 32, "distinct prompts per run (R1: 32 questions per step)")
	n := fs.Int("n", 16, "samples per prompt, GRPO's group size (R1: 16)")
	promptLen := fs.Int("prompt-len", 128, "tokens per prompt")
	maxNew := fs.Int("max-new", 512, "new tokens per sample; no EOS is set, so every sample has exactly this many")
	temperature := fs.Float64("temperature", 1, "sampling temperature (0: greedy); R1 rollouts use 1")
	runs := fs.Int("runs", 2, "timed runs, after one untimed run that compiles")
	backendFlag := fs.String("backend", "", backend.Flag)
	dtype := fs.String("dtype", "", "dtype of the weights and products while decoding: bf16 or f32; default bf16 on cuda, f32 on cpu")
	seed := fs.Uint64("seed", 0, "parameter initialisation and sampling seed")
	perCall := tokensPerCallFlag(fs)
	growth := fs.Int("cache-growth", 0, "KV-cache slots added each time the sequences reach its end (0: the engine's default, 256)")
	noShare := fs.Bool("no-prompt-sharing", false, "give each of the n samples of a prompt its own copy of the prompt's keys and values from the start (by default they read one shared copy until the first compaction)")
	noAhead := fs.Bool("no-compile-ahead", false, "compile each decode program when it is first needed (by default the programs of every cache length a run will reach start compiling when it starts)")
	attention := attentionFlag(fs)
	tuning := fs.String("attention-tuning", "", "block,warps,stages: how r1go's Triton decode attention kernels run: cache slots per loop step (a power of two, 16-256), warps per program, software-pipelining stages of the loop's loads (default 64,4,2)")
	profile := fs.Int("cuda-profile-calls", 0, "start the CUDA profiler API before this many decode calls in the middle of the last timed run and stop it after them, for `ncu --profile-from-start off` (bench/profile.sh PROFILE_CALLS=N); needs an NVIDIA GPU")
	bandwidth := fs.Float64("bandwidth-tbs", -1, "the device's memory bandwidth in TB/s, for the bandwidth bound the result reports (bytes of weights and valid KV cache each decode step reads); -1: 4.8 (an H200) on cuda, none on cpu; 0: none")
	trace := fs.Int("kernel-trace-calls", 0, "record the GPU kernels of this many decode calls in the middle of the last timed run with CUPTI (about 1 µs per kernel, unlike ncu) and print the time per kernel family and the first kernels with the idle gaps between them; needs an NVIDIA GPU and libcupti (found in the CUDA toolkit or PyTorch's wheels, or set R1GO_CUPTI)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, name, err := benchModel(*shape, *config)
	if err != nil {
		return err
	}
	compute, err := modelComputeDType(*dtype, onCPU(*backendFlag))
	if err != nil {
		return err
	}
	attn, err := parseAttention(*attention)
	if err != nil {
		return err
	}
	tune, err := triton.ParseTuning(*tuning)
	if err != nil {
		return fmt.Errorf("--attention-tuning: %w", err)
	}
	if *bandwidth == -1 {
		*bandwidth = 0
		if !onCPU(*backendFlag) {
			*bandwidth = 4.8
		}
	}
	opt := bench.GenerateOptions{Config: c, Shape: name, Prompts: *prompts, N: *n, PromptLen: *promptLen, MaxNew: *maxNew,
		Temperature: *temperature, Compute: compute, Seed: *seed, Runs: *runs, TokensPerCall: *perCall, CacheGrowth: *growth, NoPromptSharing: *noShare, NoCompileAhead: *noAhead, Attention: attn, AttentionTuning: tune, ProfileCalls: *profile, KernelTraceCalls: *trace, BandwidthTBs: *bandwidth}
	if err := opt.Validate(); err != nil {
		return err
	}
	if backend.AsyncIgnored() {
		fmt.Fprintf(os.Stderr, "r1go bench generate: %s=1 is ignored: this build's go-xla waits for every program call (build with bash scripts/gpu-build.sh)\n", backend.AsyncEnv)
	}
	mem := benchMemory(*backendFlag)
	b, noPrealloc, err := backend.NewWith(*backendFlag, false) // no preallocation: the pool's size after a run is its peak
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "r1go bench generate: %s, shape %s (%s parameters), %d prompts × %d samples, %d + %d tokens, compute %s\n",
		backend.Describe(b), name, humanCount(c.NumParams()), *prompts, *n, *promptLen, *maxNew, compute)
	res, err := bench.Generate(b, opt, os.Stderr)
	if err != nil {
		return err
	}
	res.PeakMemBytes = mem(noPrealloc)
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
