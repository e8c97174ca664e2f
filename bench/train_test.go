package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model"
)

func tinyOptions(t *testing.T) TrainOptions {
	t.Helper()
	c, err := model.BuiltinConfig("tiny")
	if err != nil {
		t.Fatal(err)
	}
	return TrainOptions{Config: c, Shape: "tiny", Batch: 2, Seq: 32, Steps: 2, Warmup: 0, Compute: dtypes.Float32, Seed: 1, LR: 1e-5}
}

// TestTrainTiny runs the benchmark on the tiny shape with both gradient implementations: the
// first loss is ln(vocabulary) within 0.1 (initialisation std 0.02 makes the logits nearly
// uniform: logit std ≈ 0.02·√64 = 0.16, so ±0.1 is several standard errors over 64 tokens), both
// give the same losses and gradient norms step after step, and the report line carries them.
func TestTrainTiny(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	opt := tinyOptions(t)
	fast, err := Train(b, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt.DefaultGradients = true
	def, err := Train(b, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := 1 + opt.Warmup + opt.Steps; len(fast.Losses) != n || len(fast.StepSec) != opt.Steps {
		t.Fatalf("%d losses and %d timed steps, want %d and %d", len(fast.Losses), len(fast.StepSec), n, opt.Steps)
	}
	if want := math.Log(512); math.Abs(float64(fast.Losses[0])-want) > 0.1 {
		t.Errorf("first loss %.4f, want ≈ ln 512 = %.4f", fast.Losses[0], want)
	}
	for i := range fast.Losses {
		if d := math.Abs(float64(fast.Losses[i] - def.Losses[i])); d > 1e-5 {
			t.Errorf("step %d: loss %.7f with fast gradients, %.7f with GoMLX's", i, fast.Losses[i], def.Losses[i])
		}
		if d := math.Abs(float64(fast.GradNorms[i]-def.GradNorms[i])) / float64(def.GradNorms[i]); d > 1e-4 || fast.GradNorms[i] <= 0 {
			t.Errorf("step %d: gradient norm %.7f with fast gradients, %.7f with GoMLX's", i, fast.GradNorms[i], def.GradNorms[i])
		}
	}
	if fast.Params != 107_072 || fast.Tokens() != 64 || fast.MeanStepSec() <= 0 {
		t.Errorf("result %+v", fast)
	}
	kv, err := ParseLine(fast.Line())
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"bench": "train", "impl": "r1go", "grad": "fast", "shape": "tiny", "params": "107072",
		"batch": "2", "seq": "32", "dtype": "f32", "mfu": "n/a", "peak_mem_gib": "n/a"} {
		if kv[k] != want {
			t.Errorf("line field %s = %q, want %q (line %q)", k, kv[k], want, fast.Line())
		}
	}
	if kd, _ := ParseLine(def.Line()); kd["grad"] != "default" {
		t.Errorf("default-gradient line: %q", def.Line())
	}
}

// TestTrainLearns checks that the step really trains: on a fixed batch the loss falls.
func TestTrainLearns(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	opt := tinyOptions(t)
	opt.LR, opt.Steps = 1e-2, 6
	res, err := Train(b, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, last := res.Losses[0], res.Losses[len(res.Losses)-1]
	if !(last < first-0.5) {
		t.Errorf("loss %.4f → %.4f over %d steps at lr 1e-2: not learning", first, last, len(res.Losses))
	}
	for i := 1; i < len(res.Losses); i++ {
		if res.Losses[i] >= res.Losses[i-1] {
			t.Errorf("loss rose at step %d: %v", i, res.Losses)
		}
	}
}

func TestTrainOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		edit func(*TrainOptions)
		err  string
	}{
		{func(o *TrainOptions) { o.Batch = 0 }, "batch 0"},
		{func(o *TrainOptions) { o.Seq = 513 }, "seq 513 exceeds the model's max_position_embeddings 512"},
		{func(o *TrainOptions) { o.Steps = 0 }, "steps 0"},
		{func(o *TrainOptions) { o.Warmup = -1 }, "warmup -1"},
		{func(o *TrainOptions) { o.Compute = dtypes.Float16 }, "compute dtype"},
		{func(o *TrainOptions) { o.LR = math.NaN() }, "learning rate"},
		{func(o *TrainOptions) { o.Config = nil }, "no model configuration"},
	} {
		o := tinyOptions(t)
		tc.edit(&o)
		if _, err := Train(nil, o, nil); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("error %v, want one containing %q", err, tc.err)
		}
	}
}

func TestBenchTokens(t *testing.T) {
	in, tg := BenchTokens(512, 3, 10)
	iv, tv := in.Value().([][]int32), tg.Value().([][]int32)
	for r := range 3 {
		for j := range 10 {
			if iv[r][j] < 0 || iv[r][j] >= 512 {
				t.Fatalf("token %d out of the vocabulary", iv[r][j])
			}
			if j < 9 && tv[r][j] != iv[r][j+1] {
				t.Fatalf("row %d: targets are not the inputs shifted by one: %v / %v", r, iv[r], tv[r])
			}
		}
	}
	if iv[0][1] == iv[1][1] {
		t.Errorf("rows repeat: %v", iv)
	}
}

func TestTable(t *testing.T) {
	log := `step 0 (first): 1.2s
bench=train impl=torch mode=eager shape=0.5B params=494032768 batch=8 seq=2048 dtype=bf16 compile_s=0.00 step_s=0.2100 tokens_per_s=78019 mfu=0.2338 peak_mem_gib=40.10
bench=train impl=r1go grad=fast shape=0.5B params=494032768 batch=8 seq=2048 dtype=bf16 compile_s=41.20 step_s=0.4200 tokens_per_s=39010 mfu=0.1169 peak_mem_gib=52.00
bench=train impl=torch mode=compile shape=0.5B params=494032768 batch=8 seq=2048 dtype=bf16 compile_s=60.00 step_s=0.1400 tokens_per_s=117029 mfu=0.3508 peak_mem_gib=30.00
bench=train impl=r1go grad=fast shape=1.5B params=1543714304 batch=8 seq=2048 dtype=bf16 compile_s=50.00 step_s=1.0000 tokens_per_s=16384 mfu=0.1535 peak_mem_gib=n/a
bench=train impl=r1go grad=fast+recompute+lmchunk4096+fused shape=1.5B params=1543714304 batch=8 seq=2048 dtype=bf16 compile_s=30.00 step_s=0.5000 tokens_per_s=32768 mfu=0.3070 peak_mem_gib=90.00
`
	lines, err := ReadLines(strings.NewReader(log), "results.txt")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Table(lines)
	if err != nil {
		t.Fatal(err)
	}
	want := `| shape | batch×seq | implementation | step (s) | tokens/s | MFU | peak mem (GiB) | compile (s) | step ÷ r1go step |
|---|---|---|---|---|---|---|---|---|
| 0.5B | 8×2048 | r1go | 0.4200 | 39010 | 0.1169 | 52.00 | 41.20 | 1.00 |
| 0.5B | 8×2048 | torch eager | 0.2100 | 78019 | 0.2338 | 40.10 | 0.00 | 0.50 |
| 0.5B | 8×2048 | torch compile | 0.1400 | 117029 | 0.3508 | 30.00 | 60.00 | 0.33 |
| 1.5B | 8×2048 | r1go | 1.0000 | 16384 | 0.1535 | n/a | 50.00 | 1.00 |
| 1.5B | 8×2048 | r1go (recomputed attention, LM head in chunks of 4096, cuDNN attention) | 0.5000 | 32768 | 0.3070 | 90.00 | 30.00 | 0.50 |
`
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if _, err := ReadLines(strings.NewReader("x\nbench=train impl\n"), "r.txt"); err == nil || !strings.Contains(err.Error(), "r.txt: line 2") {
		t.Errorf("malformed line: %v", err)
	}
	if _, err := Table(nil); err == nil {
		t.Error("empty table accepted")
	}
	bad, _ := ReadLines(strings.NewReader("bench=train impl=r1go shape=x batch=1 seq=1 step_s=fast\n"), "r")
	if _, err := Table(bad); err == nil || !strings.Contains(err.Error(), "step_s") {
		t.Errorf("non-numeric step_s: %v", err)
	}
}

// TestBenchTokensMatchPython checks BenchTokens against the tokens bench/torch_train.py feeds
// PyTorch (testdata/tokens.json, made by testdata/make_tokens.py).
func TestBenchTokensMatchPython(t *testing.T) {
	b, err := os.ReadFile("testdata/tokens.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Vocab, Batch, Seq int
		Inputs, Targets   [][]int32
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases in testdata/tokens.json")
	}
	for _, c := range cases {
		in, tg := BenchTokens(c.Vocab, c.Batch, c.Seq)
		if !reflect.DeepEqual(in.Value(), c.Inputs) || !reflect.DeepEqual(tg.Value(), c.Targets) {
			t.Errorf("vocab %d batch %d seq %d: BenchTokens differs from torch_train.py's tokens", c.Vocab, c.Batch, c.Seq)
		}
	}
}

// TestGenerateTiny runs the rollout benchmark on the tiny shape: every sample has exactly
// max-new tokens (no EOS), and the report line carries the workload.
func TestGenerateTiny(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := model.BuiltinConfig("tiny")
	opt := GenerateOptions{Config: c, Shape: "tiny", Prompts: 3, N: 2, PromptLen: 5, MaxNew: 7, Temperature: 1, Compute: dtypes.Float32, Runs: 1}
	res, err := Generate(b, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.NewTokens != 3*2*7 || len(res.RunSec) != 1 || res.TokensPerSec() <= 0 {
		t.Errorf("result %+v", res)
	}
	kv, err := ParseLine(res.Line())
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"bench": "generate", "impl": "r1go", "prompts": "3", "n": "2", "prompt_len": "5", "max_new": "7", "temperature": "1", "dtype": "f32"} {
		if kv[k] != want {
			t.Errorf("line field %s = %q, want %q", k, kv[k], want)
		}
	}
	if _, ok := kv["async"]; ok { // only asynchronous runs say so
		t.Errorf("a run on the CPU says async: %q", res.Line())
	}
	res.Async = true
	if kv, _ := ParseLine(res.Line()); kv["async"] != "true" || kv["attention"] != res.Attention {
		t.Errorf("an asynchronous run's line: %q", res.Line())
	}
	for _, tc := range []struct {
		edit func(*GenerateOptions)
		err  string
	}{
		{func(o *GenerateOptions) { o.N = 0 }, "n 0"},
		{func(o *GenerateOptions) { o.PromptLen, o.MaxNew = 500, 13 }, "exceed the model's max_position_embeddings 512"},
		{func(o *GenerateOptions) { o.Temperature = -1 }, "temperature"},
		{func(o *GenerateOptions) { o.Runs = 0 }, "runs 0"},
	} {
		o := opt
		tc.edit(&o)
		if _, err := Generate(b, o, nil); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("error %v, want one containing %q", err, tc.err)
		}
	}
	if p := BenchPrompts(512, 2, 4); len(p) != 2 || len(p[0]) != 4 {
		t.Errorf("BenchPrompts: %v", p)
	}
}

func TestTableGenerate(t *testing.T) {
	lines, err := ReadLines(strings.NewReader(`bench=generate impl=transformers mode=dynamic-cache shape=0.5B prompts=32 n=16 prompt_len=128 max_new=512 first_s=30.00 run_s=20.0000 tokens_per_s=13107 peak_mem_gib=9.00
bench=generate impl=r1go shape=0.5B prompts=32 n=16 prompt_len=128 max_new=512 first_s=60.00 run_s=5.0000 tokens_per_s=52429 peak_mem_gib=n/a
`), "g")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Table(lines)
	if err != nil {
		t.Fatal(err)
	}
	want := `| shape | prompts×samples | prompt + new tokens | implementation | run (s) | new tokens/s | peak mem (GiB) | first run (s) | run ÷ r1go run |
|---|---|---|---|---|---|---|---|---|
| 0.5B | 32×16 | 128 + 512 | r1go | 5.0000 | 52429 | n/a | 60.00 | 1.00 |
| 0.5B | 32×16 | 128 + 512 | transformers dynamic-cache | 20.0000 | 13107 | 9.00 | 30.00 | 4.00 |
`
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
}

// TestTrainBF16Gradients checks the gradient of a bf16-product step against the f32 step: the
// fast product gradients accumulate in the product (f32 inside), so the gradient norm stays
// within 5% of f32's (1.907 vs 1.937). GoMLX 0.26's own DotGeneral VJP, which broadcasts,
// multiplies and reduces in bf16, gives 1.234 on this very step (`r1go bench train --shape tiny
// --batch 2 --seq 32 --steps 1 --warmup 0 --backend cpu --dtype bf16 --grad default --seed 1`).
func TestTrainBF16Gradients(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	opt := tinyOptions(t)
	opt.Steps = 1
	f32, err := Train(b, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	opt.Compute = dtypes.BFloat16
	bf16, err := Train(b, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := math.Abs(float64(bf16.Losses[0] - f32.Losses[0])); d > 0.02 {
		t.Errorf("first loss %.4f with bf16 products, %.4f with f32", bf16.Losses[0], f32.Losses[0])
	}
	if e := math.Abs(float64(bf16.GradNorms[0]/f32.GradNorms[0]) - 1); e > 0.05 {
		t.Errorf("gradient norm %.4f with bf16 products, %.4f with f32: %.1f%% apart", bf16.GradNorms[0], f32.GradNorms[0], 100*e)
	}
}

// TestProfileStretch: the profiler (or the kernel trace) starts before the decode call in the
// middle of the run and stops n calls later.
func TestProfileStretch(t *testing.T) {
	for _, tc := range []struct{ runCalls, calls, want int }{
		{1023, 3, 510}, // 1,023 decode calls: the 3 around the middle start at 510
		{256, 2, 127},  // 256 calls of 4 tokens
		{3, 10, 0},     // more calls asked than the run has: from the start
	} {
		var err error
		var events []string
		cur := 0 // the decode call about to run
		at := func(what string) func() error {
			return func() error { events = append(events, fmt.Sprint(what, " ", cur)); return nil }
		}
		hook := stretch(tc.runCalls, tc.calls, at("start"), at("stop"), &err)
		for cur = range tc.want + tc.calls + 5 {
			hook(cur)
		}
		want := []string{fmt.Sprint("start ", tc.want), fmt.Sprint("stop ", tc.want+tc.calls)}
		if !slices.Equal(events, want) || err != nil {
			t.Errorf("%+v: events %q, want %q (err %v)", tc, events, want, err)
		}
	}
	var err error
	stretch(7, 2, func() error { return errors.New("no GPU") }, nil, &err)(2)
	if err == nil || err.Error() != "no GPU" {
		t.Errorf("the start's error was not kept: %v", err)
	}
}

// The bandwidth bound of the shapes on an H200 (4.8 TB/s), by hand: the 0.5B shape
// reads 988,065,536 bytes of bf16 weights and 12,288 bytes of cache per token; at 256 rows
// of 512 + 1,024 tokens each step reads 512 + 512.5 tokens per row on average. With 16
// samples sharing each prompt's cache the prompt is read once per prompt.
func TestBoundTokensPerSec(t *testing.T) {
	for _, tc := range []struct {
		shape      string
		prompts, n int
		noShare    bool
		want       float64
	}{
		{"0.5B", 256, 1, false, 291816.6}, // 256 × 4.8e12 / (988,065,536 + 12,288 × 256 × (512 + 512.5))
		{"0.5B", 32, 16, false, 556803.8}, // 512 × 4.8e12 / (988,065,536 + 12,288 × (32 × 512 + 512 × 512.5))
		{"0.5B", 32, 16, true, 330604.2},  // 512 rows reading their own prompts: 512 × 4.8e12 / (988,065,536 + 12,288 × 512 × 1,024.5)
		{"1.5B", 1024, 1, false, 148196.0},
	} {
		c, err := model.BuiltinConfig(tc.shape)
		if err != nil {
			t.Fatal(err)
		}
		o := GenerateOptions{Config: c, Prompts: tc.prompts, N: tc.n, PromptLen: 512, MaxNew: 1024, Compute: dtypes.BFloat16, NoPromptSharing: tc.noShare}
		got := o.BoundTokensPerSec(4.8e12)
		if math.Abs(got-tc.want) > 0.1 {
			t.Errorf("%s, %d × %d (sharing %v): %.1f tokens/s, want %.1f", tc.shape, tc.prompts, tc.n, !tc.noShare, got, tc.want)
		}
	}
}
