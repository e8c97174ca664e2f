package generate

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/model"
)

func setup(t testing.TB) (backends.Backend, *model.Params) {
	t.Helper()
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	p, err := model.Load("../model/testdata/tiny-qwen2")
	if err != nil {
		t.Fatal(err)
	}
	return b, p
}

// greedyReference decodes greedily by recomputing the full forward pass for every token.
func greedyReference(t *testing.T, b backends.Backend, p *model.Params, prompt []int32, n int, eos []int32) []int32 {
	np := len(p.Tensors)
	ex := MustNewExec(b, func(in []*Node) *Node {
		w := model.Bind(p.Config, in[:np], dtypes.Float32)
		tok := in[np]
		T := tok.Shape().Dimensions[1]
		h, _ := w.Forward(tok, Iota(tok.Graph(), tok.Shape(), 1), nil)
		last := Reshape(Slice(h, AxisRange(), AxisElem(T-1)), 1, p.Config.HiddenSize)
		return ArgMax(w.Logits(last), -1, dtypes.Int32)
	})
	seq := slices.Clone(prompt)
	var out []int32
	for range n {
		args := []any{}
		for _, x := range p.Tensors {
			args = append(args, x)
		}
		args = append(args, tensors.FromFlatDataAndDimensions(seq, 1, len(seq)))
		id := ex.MustExec(args...)[0].Value().([]int32)[0]
		out = append(out, id)
		seq = append(seq, id)
		if slices.Contains(eos, id) {
			break
		}
	}
	return out
}

func TestGreedyCacheMatchesRecompute(t *testing.T) {
	b, p := setup(t)
	prompts := [][]int32{{5, 17, 200, 3}, {9}, {44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61}}
	o := DefaultOptions()
	o.Temperature, o.N, o.MaxNewTokens = 0, 2, 10
	e := NewEngine(b, p, dtypes.Float32)
	got, err := e.Generate(prompts, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(prompts)*o.N {
		t.Fatalf("%d results, want %d", len(got), len(prompts)*o.N)
	}
	for i, r := range got {
		if r.Prompt != i/o.N || r.Sample != i%o.N {
			t.Fatalf("result %d is (%d, %d): not in (prompt, sample) order", i, r.Prompt, r.Sample)
		}
		want := greedyReference(t, b, p, prompts[r.Prompt], o.MaxNewTokens, nil)
		if !slices.Equal(r.IDs, want) || r.FinishReason != FinishLength {
			t.Errorf("prompt %d sample %d: cached %v (%s), recomputed %v", r.Prompt, r.Sample, r.IDs, r.FinishReason, want)
		}
	}
	// An EOS that some rows hit early: they stop there, and compaction leaves the others intact.
	eos := got[0].IDs[3]
	o.EOS = []int32{eos}
	// N = 2 samples per prompt share their prompt's cache until the first compaction
	// (noShare: each has its own copy from the start).
	// prefill: prompts per prefill call (the 3 prompts are a bucket of 4: chunks of 1, and 3 + 1).
	for _, c := range []struct {
		compaction   bool
		sync, growth int
		noShare      bool
		prefill      int
	}{{true, 1, 0, false, 0}, {false, 1, 0, false, 0}, {true, 3, 0, false, 0}, {false, 4, 0, false, 0}, {true, 1, 3, false, 0}, {true, 2, 5, false, 0},
		{true, 1, 0, true, 0}, {false, 2, 3, true, 0}, {true, 1, 0, false, 1}, {true, 2, 3, true, 1}, {false, 1, 0, false, 3}, {true, 1, 0, true, 3}} {
		compaction := c.compaction
		o.NoCompaction, o.SyncEvery, o.CacheGrowth, o.NoPromptSharing, o.PrefillPrompts = !compaction, c.sync, c.growth, c.noShare, c.prefill
		res, err := e.Generate(prompts, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			want := greedyReference(t, b, p, prompts[r.Prompt], o.MaxNewTokens, o.EOS)
			reason := FinishLength
			if want[len(want)-1] == eos {
				reason = FinishStop
			}
			if !slices.Equal(r.IDs, want) || r.FinishReason != reason {
				t.Errorf("%+v, prompt %d: got %v (%s), want %v (%s)", c, r.Prompt, r.IDs, r.FinishReason, want, reason)
			}
		}
	}
}

func TestSeededSamplingIsReproducible(t *testing.T) {
	b, p := setup(t)
	o := DefaultOptions()
	o.N, o.MaxNewTokens, o.Seed = 3, 8, 7
	e := NewEngine(b, p, dtypes.Float32)
	a, err := e.Generate([][]int32{{1, 2, 3}, {4}}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Generate([][]int32{{1, 2, 3}, {4}}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for i := range a {
		if !slices.Equal(a[i].IDs, c[i].IDs) {
			t.Fatalf("sample %d differs between two runs with the same seed: %v vs %v", i, a[i].IDs, c[i].IDs)
		}
		distinct[string(rune(a[i].Prompt))+fmtIDs(a[i].IDs)] = true
	}
	if len(distinct) < 4 {
		t.Errorf("only %d distinct samples out of %d at temperature 1: the noise is not per row", len(distinct), len(a))
	}
}

func fmtIDs(ids []int32) string {
	s := ""
	for _, x := range ids {
		s += string(rune(x + 1000))
	}
	return s
}

// sampleMany draws one token per row of logits [R, V] with the given sampler settings.
func sampleMany(t *testing.T, b backends.Backend, mode Mode, logits [][]float32, temp, topP float32, topK int32, seed int64) []int32 {
	ex := MustNewExec(b, func(rng, l, tp, pp, kk *Node) *Node {
		_, tok := SampleTokens(mode, rng, l, tp, pp, kk)
		return tok
	})
	rng, _ := RNGStateFromSeed(seed)
	return ex.MustExec(rng, tensors.FromValue(logits), tensors.FromScalar(temp), tensors.FromScalar(topP), tensors.FromScalar(topK))[0].Value().([]int32)
}

// TestSamplingFrequencies: token frequencies follow softmax(logits / T) (chi-square, 7 degrees
// of freedom, critical value 24.32 at p = 0.001, fixed seed).
func TestSamplingFrequencies(t *testing.T) {
	b, _ := setup(t)
	base := []float32{1.0, 0.5, -0.3, 2.0, 0.0, -1.5, 1.2, 0.7}
	const R, T = 20000, 0.7
	logits := make([][]float32, R)
	for i := range logits {
		logits[i] = base
	}
	toks := sampleMany(t, b, Mode{}, logits, T, 1, 0, 3)
	counts := make([]float64, len(base))
	for _, x := range toks {
		counts[x]++
	}
	chi := chiSquare(t, counts, base, T)
	if chi > 24.32 {
		t.Errorf("chi-square %.2f > 24.32: frequencies do not follow softmax(logits/T)", chi)
	}
}

// chiSquare is Pearson's statistic of the token counts against softmax(logits / T).
func chiSquare(t *testing.T, counts []float64, logits []float32, T float64) float64 {
	n, z := 0.0, 0.0
	for i, l := range logits {
		n += counts[i]
		z += math.Exp(float64(l) / T)
	}
	chi := 0.0
	for i, l := range logits {
		exp := n * math.Exp(float64(l)/T) / z
		chi += (counts[i] - exp) * (counts[i] - exp) / exp
	}
	t.Logf("chi-square = %.2f (counts %v)", chi, counts)
	return chi
}

// TestTopPAndTopK: samples never fall outside the nucleus or the top k (sets computed by sorting).
func TestTopPAndTopK(t *testing.T) {
	b, _ := setup(t)
	r := rand.New(rand.NewPCG(1, 2))
	const R, V = 512, 50
	logits := make([][]float32, R)
	for i := range logits {
		logits[i] = make([]float32, V)
		for j := range logits[i] {
			logits[i][j] = float32(r.NormFloat64() * 2)
		}
	}
	for _, c := range []struct {
		mode Mode
		topP float32
		topK int32
	}{{Mode{TopP: true}, 0.7, 0}, {Mode{TopP: true}, 0.05, 0}, {Mode{TopK: true}, 1, 5}, {Mode{TopK: true}, 1, 1}, {Mode{TopP: true, TopK: true}, 0.9, 10}} {
		toks := sampleMany(t, b, c.mode, logits, 1, c.topP, c.topK, 5)
		for i, tok := range toks {
			allowed := allowedSet(logits[i], c.topP, int(c.topK))
			if !allowed[tok] {
				t.Fatalf("%+v row %d: sampled %d outside the allowed set %v", c, i, tok, allowed)
			}
		}
	}
}

// allowedSet is the top-k set then the nucleus of the renormalised rest, by sorting.
func allowedSet(l []float32, topP float32, topK int) map[int32]bool {
	idx := make([]int, len(l))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return l[idx[a]] > l[idx[b]] })
	if topK > 0 {
		idx = idx[:topK]
	}
	z := 0.0
	for _, i := range idx {
		z += math.Exp(float64(l[i]))
	}
	out := map[int32]bool{}
	mass := 0.0
	for _, i := range idx {
		out[int32(i)] = true
		mass += math.Exp(float64(l[i])) / z
		if mass >= float64(topP)-1e-6 {
			break
		}
	}
	return out
}

// TestStopStringAcrossTokens: a stop string made of the end of one token's text and the start
// of the next stops the sample right after the second token.
func TestStopStringAcrossTokens(t *testing.T) {
	b, p := setup(t)
	decode := func(ids []int32) string { // every token decodes to two letters
		s := ""
		for _, id := range ids {
			s += string(rune('a'+id%26)) + string(rune('a'+(id/26)%26))
		}
		return s
	}
	o := DefaultOptions()
	o.Temperature, o.MaxNewTokens = 0, 12
	e := NewEngine(b, p, dtypes.Float32)
	full, err := e.Generate([][]int32{{3, 1, 4}}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := decode(full[0].IDs)
	// Find a boundary j where the last letter of token j-1 and the first of token j first occur there.
	j := -1
	for k := 1; k < len(full[0].IDs); k++ {
		if stringsIndex(text, text[2*k-1:2*k+1]) == 2*k-1 {
			j = k
			break
		}
	}
	if j < 0 {
		t.Fatalf("greedy text %q has no unique boundary pair", text)
	}
	stop := text[2*j-1 : 2*j+1]
	o.StopStrings, o.Decode = []string{stop}, decode
	got, err := e.Generate([][]int32{{3, 1, 4}}, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0].IDs, full[0].IDs[:j+1]) || got[0].FinishReason != FinishStop {
		t.Errorf("stop %q: got %v (%s), want %v (stop)", stop, got[0].IDs, got[0].FinishReason, full[0].IDs[:j+1])
	}
}

func stringsIndex(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestBadOptions(t *testing.T) {
	b, p := setup(t)
	e := NewEngine(b, p, dtypes.Float32)
	for _, o := range []Options{
		{N: 0, MaxNewTokens: 4, Temperature: 1, TopP: 1},
		{N: 1, MaxNewTokens: 4, Temperature: -1, TopP: 1},
		{N: 1, MaxNewTokens: 4, Temperature: 1, TopP: 0},
		{N: 1, MaxNewTokens: 4, Temperature: 1, TopP: 1.5},
		{N: 1, MaxNewTokens: 600, Temperature: 1, TopP: 1}, // prompt + 600 > 512 positions
	} {
		if _, err := e.Generate([][]int32{{1, 2}}, o, nil); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

// TestArgMaxRows: the two-stage argmax equals ArgMax on long rows (padded and not), ties
// included (the first index wins).
func TestArgMaxRows(t *testing.T) {
	b, _ := setup(t)
	r := rand.New(rand.NewPCG(3, 4))
	for _, V := range []int{4096, 5000, 9001} {
		x := make([][]float32, 6)
		for i := range x {
			x[i] = make([]float32, V)
			for j := range x[i] {
				x[i][j] = float32(r.IntN(50)) // many ties
			}
		}
		x[1][V-1] = 1000 // in the last (padded) chunk
		x[2][0] = 1000
		for j := range x[3] { // a whole row of ties: index 0
			x[3][j] = -7
		}
		x[4][V/2], x[4][V/2+300] = 1000, 1000 // a tie across chunks: the first
		got := MustExecOnce(b, ArgMaxRows, tensors.FromValue(x)).Value().([]int32)
		want := MustExecOnce(b, func(x *Node) *Node { return ArgMax(x, -1, dtypes.Int32) }, tensors.FromValue(x)).Value().([]int32)
		if !slices.Equal(got, want) {
			t.Errorf("V = %d: two-stage argmax %v, ArgMax %v", V, got, want)
		}
		if got[1] != int32(V-1) || got[2] != 0 || got[3] != 0 || got[4] != int32(V/2) {
			t.Errorf("V = %d: %v: want rows 1–4 at %d, 0, 0, %d", V, got, V-1, V/2)
		}
	}
}

// TestSamplingFrequenciesLongRows: over a vocabulary long enough for the two-stage argmax, with
// the allowed tokens spread over several chunks and the padded tail, the counter-based Gumbel
// noise still samples softmax(logits / T) (chi-square, 5 degrees of freedom, critical value
// 20.52 at p = 0.001), and rows with the same logits draw independent noise.
func TestSamplingFrequenciesLongRows(t *testing.T) {
	b, _ := setup(t)
	const R, V, T = 4000, 5000, 1.3
	at := []int{0, 17, 1200, 2500, 4999, 4998}
	base := []float32{0.2, 1.0, -0.5, 0.8, 1.5, 0.0}
	row := make([]float32, V)
	for j := range row {
		row[j] = -1e30
	}
	for i, j := range at {
		row[j] = base[i]
	}
	logits := make([][]float32, R)
	for i := range logits {
		logits[i] = row
	}
	toks := sampleMany(t, b, Mode{}, logits, T, 1, 0, 11)
	counts := make([]float64, len(base))
	for _, x := range toks {
		i := slices.Index(at, int(x))
		if i < 0 {
			t.Fatalf("sampled token %d, which has probability 0", x)
		}
		counts[i]++
	}
	chi := chiSquare(t, counts, base, T)
	if chi > 20.52 {
		t.Errorf("chi-square %.2f > 20.52: frequencies do not follow softmax(logits/T)", chi)
	}
}

// TestAutoRows: the rows decoded together by default are the largest power of two whose KV
// cache at full length fits the budget, capped at 1024 on a GPU and 64 on the CPU.
func TestAutoRows(t *testing.T) {
	c05, err := model.BuiltinConfig("0.5B") // 24 layers, 2 KV heads of 64
	if err != nil {
		t.Fatal(err)
	}
	c15, err := model.BuiltinConfig("1.5B") // 28 layers, 2 KV heads of 128
	if err != nil {
		t.Fatal(err)
	}
	opts := func(maxNew int, cacheBytes int64) Options {
		o := DefaultOptions()
		o.MaxNewTokens, o.CacheBytes = maxNew, cacheBytes
		return o
	}
	for _, tc := range []struct {
		name   string
		c      *model.Config
		cpu    bool
		prompt int
		o      Options
		want   int
	}{
		// 1,536 slots × 24 layers × 2 × 128 × 2 bytes = 18.9 MB a row: 1,820 rows fit 32 GiB, capped.
		{"0.5B, 512 + 1024, GPU", c05, false, 512, opts(1024, 0), 1024},
		{"0.5B, 512 + 1024, CPU", c05, true, 512, opts(1024, 0), 64},
		// 1 GiB ÷ 18.9 MB = 56.9 rows.
		{"0.5B, 1 GiB budget", c05, false, 512, opts(1024, 1<<30), 32},
		// 32,768 slots: 403 MB a row, 85.3 rows fit.
		{"0.5B, R1's 32k tokens", c05, false, 512, opts(32768-512, 0), 64},
		// 8,704 slots × 28 × 2 × 256 × 2 bytes = 250 MB a row: 137.7 rows.
		{"1.5B, 512 + 8192", c15, false, 512, opts(8192, 0), 128},
		{"budget below one row", c15, false, 512, opts(8192, 1<<20), 1},
	} {
		if got := AutoRows(tc.c, dtypes.BFloat16, tc.cpu, tc.prompt, tc.o); got != tc.want {
			t.Errorf("%s: %d rows, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPrefillPrompts(t *testing.T) {
	c05, err := model.BuiltinConfig("0.5B") // 14 heads, intermediate 4,864
	if err != nil {
		t.Fatal(err)
	}
	c15, err := model.BuiltinConfig("1.5B") // 12 heads, intermediate 8,960
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    *model.Config
		Tp   int
		cpu  bool
		want int
	}{
		// 512 · 4 · (2 · 14 · 512 + 3 · 4,864) = 59.2 MB a prompt: 145 fit 8 GiB.
		{"0.5B, 512 tokens, GPU", c05, 512, false, 128},
		// 512 MiB ÷ 59.2 MB = 9.1.
		{"0.5B, 512 tokens, CPU", c05, 512, true, 8},
		// 512 · 4 · (2 · 12 · 512 + 3 · 8,960) = 80.2 MB: 107 fit.
		{"1.5B, 512 tokens, GPU", c15, 512, false, 64},
		// 4,096 tokens: 16 KiB · (2 · 12 · 4,096 + 26,880) = 2.05 GB: 4 fit.
		{"1.5B, 4096 tokens, GPU", c15, 4096, false, 4},
		// one prompt of 32k tokens takes more than the budget: still one at a time.
		{"0.5B, 32k tokens", c05, 32768, false, 1},
	} {
		if got := PrefillPrompts(tc.c, tc.Tp, tc.cpu); got != tc.want {
			t.Errorf("%s: %d prompts, want %d", tc.name, got, tc.want)
		}
	}
}

// TestGrownSlots: the cache lengths a wave compiles decode programs for, prompts of 512 tokens
// (first length 768), growth 256.
func TestGrownSlots(t *testing.T) {
	lengths := func(limit int) []int {
		l := []int{768}
		for c := 768; c < limit; {
			c = grownSlots(c, c+1, 256, limit)
			l = append(l, c)
		}
		return l
	}
	// 1,024 new tokens: 256 slots at a time, as before geometric growth.
	if got, want := lengths(1536), []int{768, 1024, 1280, 1536}; !slices.Equal(got, want) {
		t.Errorf("512 + 1024 tokens: lengths %v, want %v", got, want)
	}
	// R1's 32k completions: 17 lengths instead of 126 at 256 slots a time; none more than a
	// quarter (plus one growth step) above the length it grew from.
	got := lengths(32768)
	if len(got) != 17 || got[len(got)-1] != 32768 {
		t.Errorf("32k tokens: %d lengths %v, want 17 ending at 32768", len(got), got)
	}
	for i := 1; i < len(got)-1; i++ {
		if got[i] > got[i-1]+got[i-1]/4+256 {
			t.Errorf("32k tokens: %d after %d grows by more than a quarter", got[i], got[i-1])
		}
	}
	if n := grownSlots(1024, 1500, 256, 4096); n != 1536 { // what a call needs comes first
		t.Errorf("grownSlots(1024, need 1500) = %d, want 1536", n)
	}
}

// TestCompiledCount: Stats.Compiled counts the decode programs a run compiled, one per cache
// length it reached, and a second run with the same shapes compiles none.
func TestCompiledCount(t *testing.T) {
	b, p := setup(t)
	e := NewEngine(b, p, dtypes.Float32)
	o := DefaultOptions()
	o.MaxNewTokens, o.CacheGrowth = 40, 16
	// Prompts bucket to 16 tokens; the last token is written at slot 16 + 39 = 55: cache lengths
	// 32, 48 and 64 (grownSlots: 32 → max(33, 48, 40) → 48 → max(49, 64, 60) → 64).
	for run, want := range []int{3, 0} {
		e.Stats = Stats{}
		if _, err := e.Generate([][]int32{{1, 2, 3}, {4, 5}}, o, nil); err != nil {
			t.Fatal(err)
		}
		if e.Stats.Compiled != want {
			t.Errorf("run %d: %d decode programs compiled, want %d", run, e.Stats.Compiled, want)
		}
	}
}

// TestProgramNeededNow: a program a call waits for compiles at once, even while every slot for
// compiling ahead is taken.
func TestProgramNeededNow(t *testing.T) {
	b, _ := setup(t)
	slots := make(chan struct{}, 1)
	slots <- struct{}{} // a compilation ahead holds the only slot
	p := compileProgram(b, slots, "plus1", []shapes.Shape{shapes.Make(dtypes.Float32, 2)},
		func(in []*Node) []*Node { return []*Node{AddScalar(in[0], 1)} })
	done := make(chan []float32)
	go func() { done <- p.run(tensors.FromValue([]float32{1, 2}))[0].Value().([]float32) }()
	select {
	case got := <-done:
		if !slices.Equal(got, []float32{2, 3}) {
			t.Errorf("plus1([1 2]) = %v", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a program needed now waited for a compilation slot")
	}
}

// TestDecodeAttentionHook: decode programs hand model.Weights.DecodeAttention the rows'
// padding, the new token's slot and the cache length (what internal/triton's kernel needs);
// with an attention built from exactly those, greedy decoding still equals the recomputing
// reference, with compaction and cache growth.
func TestDecodeAttentionHook(t *testing.T) {
	b, p := setup(t)
	c := p.Config
	e := NewEngine(b, p, dtypes.Float32)
	ref := func(pad, at *Node, S int) func(q, k, v *Node) *Node {
		return func(q, k, v *Node) *Node {
			d := q.Shape().Dimensions // [R, 1, H, HD]
			R, H, HD := d[0], d[2], d[3]
			KV, G := c.NumKeyValueHeads, H/c.NumKeyValueHeads
			qg := Reshape(q, R, KV, G, HD)
			scores := MulScalar(DotGeneral(qg, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}), 1/math.Sqrt(float64(HD))) // [R, KV, G, S]
			s := Iota(q.Graph(), shapes.Make(dtypes.Int32, R, S), 1)
			valid := LogicalAnd(GreaterOrEqual(s, InsertAxes(pad, -1)), LessOrEqual(s, at))
			valid = BroadcastToDims(Reshape(valid, R, 1, 1, S), R, KV, G, S)
			scores = Where(valid, scores, BroadcastToShape(Scalar(q.Graph(), dtypes.Float32, -1e30), scores.Shape()))
			o := DotGeneral(Softmax(scores, -1), []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1}) // [R, KV, G, HD]
			return Reshape(o, R, 1, H*HD)
		}
	}
	var calls, sharedCalls atomic.Int32 // the programs are built on goroutines
	e.attention = func(pad, at *Node, S int) func(q, k, v *Node) *Node {
		calls.Add(1)
		return ref(pad, at, S)
	}
	e.sharedAttention = func(padP, at *Node) func(q *Node, pr, c model.KV) *Node {
		sharedCalls.Add(1)
		return func(q *Node, pr, c model.KV) *Node { // each row's prompt cache, then its own, as one cache
			R, Pb := q.Shape().Dimensions[0], pr.K.Shape().Dimensions[0]
			Tp, S := pr.K.Shape().Dimensions[2], c.K.Shape().Dimensions[2]
			g := q.Graph()
			ofRow := InsertAxes(Div(Iota(g, shapes.Make(dtypes.Int32, R), 0), Scalar(g, dtypes.Int32, R/Pb)), -1)
			k := Concatenate([]*Node{Gather(pr.K, ofRow), c.K}, 2)
			v := Concatenate([]*Node{Gather(pr.V, ofRow), c.V}, 2)
			return ref(Gather(padP, ofRow), AddScalar(at, float64(Tp)), Tp+S)(q, k, v)
		}
	}
	greedyWithHooks(t, e, b, p)
	if calls.Load() == 0 || sharedCalls.Load() == 0 {
		t.Fatalf("the decode programs asked for the attention hooks %d and %d times", calls.Load(), sharedCalls.Load())
	}
}

// greedyWithHooks checks that e's greedy decoding of prompts of several lengths, two samples
// each, equals the recomputing reference, with and without shared prompt caches, with
// compaction (an EOS that some rows reach), cache growth, and three tokens per program call:
// the engine's attention hooks are what is under test.
func greedyWithHooks(t *testing.T, e *Engine, b backends.Backend, p *model.Params) {
	t.Helper()
	prompts := [][]int32{{5, 17, 200, 3}, {9}, {44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61}}
	o := DefaultOptions()
	o.Temperature, o.N, o.MaxNewTokens, o.CacheGrowth = 0, 2, 10, 5
	full, err := e.Generate(prompts, o, nil)
	if err != nil {
		t.Fatal(err)
	}
	o.EOS = []int32{full[0].IDs[3]} // some rows stop early: compaction
	for _, c := range []struct {
		noShare   bool
		syncEvery int // tokens per program call: the hooks see consecutive slots within one call
	}{{false, 1}, {true, 1}, {false, 3}} {
		o.NoPromptSharing, o.SyncEvery = c.noShare, c.syncEvery
		res, err := e.Generate(prompts, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			want := greedyReference(t, b, p, prompts[r.Prompt], o.MaxNewTokens, o.EOS)
			if !slices.Equal(r.IDs, want) {
				t.Errorf("sharing %v, %d tokens per call, prompt %d sample %d: %v, want %v", !c.noShare, c.syncEvery, r.Prompt, r.Sample, r.IDs, want)
			}
		}
	}
}

// TestDecodeAttentionFusedHook: with model.Weights.DecodeAttentionFused the decode programs
// hand the hook the stacked projections before their biases and the rotary embedding, the
// biases, cos and sin of each row's position, the caches and the slot, and use the caches it
// returns. A hook that rotates,
// writes and attends with ordinary operations from exactly those keeps greedy decoding equal
// to the recomputing reference, with and without shared prompt caches, compaction and growth.
func TestDecodeAttentionFusedHook(t *testing.T) {
	b, p := setup(t)
	c := p.Config
	// The fixture's biases are zeros (transformers' initialisation): give them values, so that
	// a hook that dropped or misplaced them would decode other tokens.
	r := rand.New(rand.NewPCG(3, 4))
	for i, s := range p.Specs {
		if strings.HasSuffix(s.Name, "_proj.bias") {
			v := make([]float32, p.Tensors[i].Shape().Size())
			for j := range v {
				v[j] = float32(r.NormFloat64())
			}
			p.Tensors[i] = tensors.FromFlatDataAndDimensions(v, len(v))
		}
	}
	e := NewEngine(b, p, dtypes.Float32)
	rope := func(x, cos, sin *Node) *Node { // x [R, 1, N, HD]; cos, sin [R, 1, HD/2]
		HD := x.Shape().Dimensions[3]
		all := AxisRange()
		x1, x2 := Slice(x, all, all, all, AxisRange(0, HD/2)), Slice(x, all, all, all, AxisRange(HD/2, HD))
		cs, sn := InsertAxes(cos, 2), InsertAxes(sin, 2)
		return Concatenate([]*Node{Sub(Mul(x1, cs), Mul(x2, sn)), Add(Mul(x2, cs), Mul(x1, sn))}, 3)
	}
	attend := func(q, k, v, valid *Node) *Node { // valid [R, S]
		d := q.Shape().Dimensions
		R, H, HD, S := d[0], d[2], d[3], k.Shape().Dimensions[2]
		KV, G := c.NumKeyValueHeads, H/c.NumKeyValueHeads
		scores := MulScalar(DotGeneral(Reshape(q, R, KV, G, HD), []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}), 1/math.Sqrt(float64(HD)))
		valid = BroadcastToDims(Reshape(valid, R, 1, 1, S), R, KV, G, S)
		scores = Where(valid, scores, BroadcastToShape(Scalar(q.Graph(), dtypes.Float32, -1e30), scores.Shape()))
		return Reshape(DotGeneral(Softmax(scores, -1), []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1}), R, 1, H*HD)
	}
	var calls, sharedCalls atomic.Int32
	var biased atomic.Int32
	e.fused = func(pad, padP, at *Node) func(qkv, bias, cos, sin *Node, pr *model.KV, cc model.KV) (*Node, model.KV) {
		return func(qkv, bias, cos, sin *Node, pr *model.KV, cc model.KV) (*Node, model.KV) {
			g := qkv.Graph()
			if bias != nil {
				biased.Add(1)
				qkv = Add(qkv, Reshape(bias, 1, 1, bias.Shape().Size()))
			}
			R, H, KV, HD := qkv.Shape().Dimensions[0], c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
			part := func(from, heads int) *Node { // heads from..from+heads of qkv, [R, 1, heads, HD]
				return Reshape(Slice(qkv, AxisRange(), AxisRange(), AxisRange(from*HD, (from+heads)*HD)), R, 1, heads, HD)
			}
			q, k, v := rope(part(0, H), cos, sin), rope(part(H, KV), cos, sin), part(H+KV, KV)
			cc = model.KV{K: e.writeSlot(cc.K, TransposeAllAxes(k, 0, 2, 1, 3), at), V: e.writeSlot(cc.V, TransposeAllAxes(v, 0, 2, 1, 3), at)}
			S := cc.K.Shape().Dimensions[2]
			slots := Iota(g, shapes.Make(dtypes.Int32, R, S), 1)
			if pr == nil {
				calls.Add(1)
				return attend(q, cc.K, cc.V, LogicalAnd(GreaterOrEqual(slots, InsertAxes(pad, -1)), LessOrEqual(slots, at))), cc
			}
			sharedCalls.Add(1)
			Pb, Tp := pr.K.Shape().Dimensions[0], pr.K.Shape().Dimensions[2]
			ofRow := InsertAxes(Div(Iota(g, shapes.Make(dtypes.Int32, R), 0), Scalar(g, dtypes.Int32, R/Pb)), -1)
			k2 := Concatenate([]*Node{Gather(pr.K, ofRow), cc.K}, 2)
			v2 := Concatenate([]*Node{Gather(pr.V, ofRow), cc.V}, 2)
			all := Iota(g, shapes.Make(dtypes.Int32, R, Tp+S), 1)
			valid := LogicalAnd(GreaterOrEqual(all, InsertAxes(Gather(padP, ofRow), -1)), LessOrEqual(all, AddScalar(at, float64(Tp))))
			return attend(q, k2, v2, valid), cc
		}
	}
	greedyWithHooks(t, e, b, p)
	if calls.Load() == 0 || sharedCalls.Load() == 0 || biased.Load() != calls.Load()+sharedCalls.Load() {
		t.Fatalf("the decode programs asked for the fused hook %d and %d times (own, shared caches), %d times with the biases apart; want them apart every time (Qwen2)", calls.Load(), sharedCalls.Load(), biased.Load())
	}
}

// Triton attention asked for on the pure Go backend is refused, naming what it needs; auto
// falls back to XLA's there.
func TestTritonAttentionNeedsCUDA(t *testing.T) {
	b, p := setup(t)
	e := NewEngine(b, p, dtypes.Float32)
	e.Attention = AttentionTriton
	if _, err := e.Generate([][]int32{{1, 2}}, DefaultOptions(), nil); err == nil || !strings.Contains(err.Error(), "CUDA") {
		t.Errorf("Triton attention on the pure Go backend: got %v, want an error naming CUDA", err)
	}
	e.Attention = AttentionAuto
	o := DefaultOptions()
	o.MaxNewTokens = 2
	if _, err := e.Generate([][]int32{{1, 2}}, o, nil); err != nil {
		t.Fatal(err)
	}
	if got := e.AttentionUsed(); got != AttentionXLA {
		t.Errorf("auto on the pure Go backend used %q, want xla", got)
	}
	// Switching attention drops the previous one's hooks and programs (a Triton hook left in
	// place would still be called by XLA's programs).
	e.used, e.attention = AttentionTriton, func(pad, at *Node, S int) func(q, k, v *Node) *Node { panic("stale Triton hook called") }
	e.Attention = AttentionXLA
	if _, err := e.Generate([][]int32{{1, 2}}, o, nil); err != nil {
		t.Fatalf("after switching to XLA's attention: %v", err)
	}
	if e.attention != nil || e.AttentionUsed() != AttentionXLA {
		t.Errorf("after switching to XLA's attention: hook kept %v, used %q", e.attention != nil, e.AttentionUsed())
	}
	for in, want := range map[string]Attention{"auto": AttentionAuto, "": AttentionAuto, "xla": AttentionXLA, "triton": AttentionTriton} {
		if got, err := ParseAttention(in); err != nil || got != want {
			t.Errorf("ParseAttention(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseAttention("flash"); err == nil {
		t.Error(`ParseAttention("flash") accepted`)
	}
}
