package generate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/donate"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/internal/triton"
	"github.com/r1go/r1go/model"
)

// Finish reasons.
const (
	FinishStop   = "stop"   // an EOS token or a stop string
	FinishLength = "length" // max_new_tokens reached
)

// Result is one sample.
type Result struct {
	Prompt, Sample int     // indices into the prompts and the N samples
	IDs            []int32 // generated tokens, the EOS or stop-string token included
	FinishReason   string
}

// Engine generates with one model on one backend. It keeps its compiled programs across calls;
// parameters can be replaced between calls (SetParams) without recompiling.
type Engine struct {
	Backend backends.Backend
	Params  *model.Params
	Compute dtypes.DType

	// Stats add up where the decode loop's time went, over every Generate call (for benchmarks).
	Stats Stats
	// Attention picks the decode steps' attention: AttentionAuto (the zero value) is
	// internal/triton's fused kernels wherever they can run (XLA on CUDA, bf16, a model whose
	// heads fit them), XLA's otherwise.
	Attention Attention
	// AttentionTuning is how internal/triton's decode attention kernels run (slots per loop
	// step, warps, pipelining stages; zero fields: triton.DefaultTuning). Set it before the
	// first Generate call: compiled decode programs keep the tuning they were built with.
	AttentionTuning triton.Tuning
	// NoCompileAhead compiles each decode program when it is first needed, instead of
	// compiling those of the cache lengths a wave will reach while the first ones run.
	NoCompileAhead bool
	// BeforeDecode, when set, is called before every decode program call with the number of
	// calls made so far (Stats.Calls): e.g. to profile a stretch of decoding (bench generate).
	BeforeDecode func(calls int)

	hasDUS   bool              // backend implements DynamicUpdateSlice
	used     Attention         // Attention resolved by the last Generate call (pickAttention)
	weights  []*tensors.Tensor // Params in Compute dtype, converted once per Generate call
	convert  *Exec
	prefill  map[Mode]*Exec
	assemble map[bool]*Exec
	decode   map[decodeShape]*program // decode programs (decodeProgram)
	// compileSlots bounds the programs compiling at once.
	compileSlots chan struct{}
	compact      *Exec
	grow         *Exec
	unshare      *Exec
	// attention, when set, gives the decode programs' model.Weights.DecodeAttention for rows
	// that see slots pad[r] .. at of caches of S slots (rows with their own caches only).
	attention func(pad, at *Node, S int) func(q, k, v *Node) *Node
	// sharedAttention is the same for rows that share their prompt's cache: the prompts'
	// padding padP and the new token's slot at in the rows' own caches.
	sharedAttention func(padP, at *Node) func(q *Node, p, c model.KV) *Node
	// fused, when set, gives the decode programs' model.Weights.DecodeAttentionFused (rotary
	// embedding, cache write and attention in one) for rows with padding pad (padP: their
	// prompts', when they share them; else nil) writing slot at.
	fused func(pad, padP, at *Node) func(qkv, bias, cos, sin *Node, p *model.KV, c model.KV) (*Node, model.KV)
}

// decodeShape names one decode program: its kind, rows and cache length (the rows' own
// caches) and, for rows sharing their prompt's cache, the prompts' rows and slots.
type decodeShape struct {
	decodeKey
	rows, slots             int
	promptRows, promptSlots int
}

// Stats split the decode loop's wall time: Dispatch is spent in the decode program calls (a
// waiting call returns when the device has finished, so this holds the device's work; an
// asynchronous one when its kernels are launched, so this holds the host's launching), Wait in
// waiting for their tokens (read back while the next call runs), Host in the host's own work
// between calls (stop checks, compaction and cache growth included). Calls counts decode
// program calls, Tokens the decode steps they ran (Calls × tokens per call). Compiled counts
// the calls that were the first of their program (a new rows bucket or cache length), Compile
// their time (that call and whatever of the program's compilation it waited for; in Dispatch
// too).
type Stats struct {
	Calls, Tokens, Compiled       int
	Dispatch, Wait, Host, Compile time.Duration
}

// NewEngine prepares an engine; programs compile when a Generate call first needs them.
func NewEngine(b backends.Backend, p *model.Params, compute dtypes.DType) *Engine {
	return &Engine{
		Backend: b, Params: p, Compute: compute,
		hasDUS:  b.Capabilities().Operations[backends.OpTypeDynamicUpdateSlice],
		prefill: map[Mode]*Exec{}, assemble: map[bool]*Exec{}, decode: map[decodeShape]*program{}, compileSlots: make(chan struct{}, 2),
	}
}

// SetParams replaces the weights (same config), e.g. after a training step.
func (e *Engine) SetParams(p *model.Params) { e.Params = p }

// Progress is called after every decode step with the number of new tokens produced by
// still-active rows.
type Progress func(newTokens int)

// Generate samples opts.N completions for each prompt. Results come in (prompt, sample) order.
func (e *Engine) Generate(prompts [][]int32, opts Options, progress Progress) ([]Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	c := e.Params.Config
	for i, p := range prompts {
		if len(p) == 0 {
			return nil, fmt.Errorf("prompt %d is empty", i)
		}
		if len(p)+opts.MaxNewTokens > c.MaxPositionEmbeddings {
			return nil, fmt.Errorf("prompt %d: %d prompt tokens + max_new_tokens %d exceed the model's context (max_position_embeddings %d)", i, len(p), opts.MaxNewTokens, c.MaxPositionEmbeddings)
		}
		for _, id := range p {
			if id < 0 || int(id) >= c.VocabSize {
				return nil, fmt.Errorf("prompt %d: token id %d outside the vocabulary [0, %d)", i, id, c.VocabSize)
			}
		}
	}
	if err := e.pickAttention(); err != nil {
		return nil, err
	}
	if opts.SyncEvery == 0 {
		opts.SyncEvery = e.defaultTokensPerCall()
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		longest := 0
		for _, p := range prompts {
			longest = max(longest, len(p))
		}
		maxRows = AutoRows(c, e.Compute, r1backend.IsCPU(e.Backend), longest, opts)
	}
	perWave := max(1, maxRows/opts.N)
	// Sort prompts by length so that a wave pads little; results are put back in order.
	order := make([]int, len(prompts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(prompts[a]) - len(prompts[b]) })
	if err := guard.Run(e.convertWeights); err != nil {
		return nil, fmt.Errorf("generation: %w", err)
	}
	defer func() { e.weights = nil }()
	results := make([]Result, len(prompts)*opts.N)
	for w := 0; w*perWave < len(order); w++ {
		idx := order[w*perWave : min(len(order), (w+1)*perWave)]
		wave := make([][]int32, len(idx))
		for i, j := range idx {
			wave[i] = prompts[j]
		}
		o := opts
		o.Seed = opts.Seed + uint64(w)*0x9E3779B97F4A7C15
		var res []Result
		err := guard.Run(func() { res = e.wave(wave, o, progress) })
		if err != nil {
			return nil, fmt.Errorf("generation: %w", err)
		}
		for _, r := range res {
			r.Prompt = idx[r.Prompt]
			results[r.Prompt*opts.N+r.Sample] = r
		}
	}
	return results, nil
}

// Defaults of AutoRows.
const (
	gpuRowCap, cpuRowCap         = 1024, 64
	gpuCacheBytes, cpuCacheBytes = 32 << 30, 2 << 30
)

// AutoRows is how many sequences decode together when Options.MaxRows is 0: as many as the
// KV-cache budget (Options.CacheBytes; 0: 32 GiB on a GPU, 2 GiB on the CPU) holds at their
// full length (the longest prompt's bucket + max_new_tokens), rounded down to a power of two,
// at most 1024 on a GPU and 64 on the CPU, at least 1. More rows per decode step is faster
// on a GPU, where a step is bound by fixed per-kernel costs (one H200, 0.5B, 512 + 1024
// tokens: 99.6k tokens/s at 1024 rows against 59.1k at 256), until the cache no longer fits.
func AutoRows(c *model.Config, compute dtypes.DType, cpu bool, longestPrompt int, o Options) int {
	rowCap, budget := gpuRowCap, int64(gpuCacheBytes)
	if cpu {
		rowCap, budget = cpuRowCap, cpuCacheBytes
	}
	if o.CacheBytes > 0 {
		budget = o.CacheBytes
	}
	S, _ := cacheSlots(model.BucketLength(longestPrompt, c.MaxPositionEmbeddings), o)
	perRow := int64(c.NumHiddenLayers) * 2 * int64(c.NumKeyValueHeads*c.HeadDim) * int64(compute.Size()) * int64(S)
	rows := 1
	for rows*2 <= rowCap && int64(rows*2)*perRow <= budget {
		rows *= 2
	}
	return rows
}

// Defaults of PrefillPrompts: the bytes a prefill call's largest temporaries may take.
const gpuPrefillBytes, cpuPrefillBytes = 8 << 30, 512 << 20

// PrefillPrompts is how many prompts of Tp tokens (their bucket) one prefill call runs when
// Options.PrefillPrompts is 0: the largest power of two whose f32 attention scores and
// probabilities [prompts, heads, Tp, Tp] and MLP activations (gate, up and their product,
// [prompts, Tp, intermediate]) fit 8 GiB on a GPU, 512 MiB on the CPU; at least 1. Without
// it the prefill of 1024 prompts of 512 tokens (1.5B) did not fit beside its 42 GiB cache on
// an H200.
func PrefillPrompts(c *model.Config, Tp int, cpu bool) int {
	budget := int64(gpuPrefillBytes)
	if cpu {
		budget = cpuPrefillBytes
	}
	per := int64(Tp) * 4 * (2*int64(c.NumAttentionHeads)*int64(Tp) + 3*int64(c.IntermediateSize))
	n := 1
	for int64(2*n)*per <= budget {
		n *= 2
	}
	return n
}

// cacheGrowth is how many slots the KV cache grows by when the sequences reach its end, by
// default (Options.CacheGrowth).
const cacheGrowth = 256

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// grownSlots is the KV cache's next length when a call needs `need` slots and the cache has
// cur: at least cur + growth and at least 5/4 of cur, in multiples of growth, at most limit.
// Every length is one more decode program to compile (about 11 s on an H200 for 0.5B), so
// past a few growth steps the cache grows geometrically: R1's 32,768-token completions take
// 17 lengths instead of 126, for at most a quarter more slots read than needed. Prompts of 512
// tokens and 1,024 new tokens keep 768, 1,024, 1,280 and 1,536.
func grownSlots(cur, need, growth, limit int) int {
	return min(limit, roundUp(max(need, cur+growth, cur+cur/4), growth))
}

// slotIndices is the tensor 0, 1, …, n-1: the decode programs' cache slots (its length is
// the cache length).
func slotIndices(n int) *tensors.Tensor {
	slots := make([]int32, n)
	for i := range slots {
		slots[i] = int32(i)
	}
	return tensors.FromFlatDataAndDimensions(slots, n)
}

// growCache extends every cache [R, KV, S, HD] with empty slots to n slots (one copy).
func (e *Engine) growCache(cache []*tensors.Tensor, n int) []*tensors.Tensor {
	args := donate.Append(make([]any, 0, len(cache)+1), e.Backend, cache)
	return e.growExec().MustExec(append(args, slotIndices(n))...)
}

// defaultTokensPerCall is how many tokens one decode program call decodes when
// Options.SyncEvery is 0: 4 when calls wait for the device (a plain build's go-xla) and the
// decode attention is Triton's (on a GPU), 1 otherwise. A waiting call costs about 0.7 ms
// beyond its kernels (one H200, 0.5B, 256 rows, fused kernel: 85.5k tokens/s at 4 tokens per
// call against 71.3k at 1), which 4 tokens per call pay once. Asynchronous calls
// (backend.AsyncExecute, scripts/gpu-build.sh) hide that cost: 91.8k at 1 against 92.3k at 4
// (session 7), and the one-token program compiles faster (the first run took 20.3 s instead of
// 31.8; at 1024 rows the 4-token program compiled in 62-65 s). With XLA's attention a step's
// own work was long enough that 4 per call gained 1.4%, and the CPU decodes too slowly for the
// call's cost to matter.
func (e *Engine) defaultTokensPerCall() int {
	if e.used == AttentionXLA || r1backend.AsyncExecute() {
		return 1
	}
	return 4
}

// cacheSlots is the KV-cache length a wave needs at the end, for prompts bucketed to Tp
// tokens: every decode call writes K = tokensPerCall tokens, the last call too (its tokens
// past max_new_tokens are dropped), so there is room for K − 1 more.
func cacheSlots(Tp int, o Options) (slots, K int) {
	K = max(o.SyncEvery, 1)
	return roundUp(Tp+o.MaxNewTokens-1+K-1, 128), K
}

// convertWeights makes the weights decoding reads, in model.FusedSpecs order (each layer's q,
// k and v projections stacked into one product) and the Compute dtype (bf16 weights are half
// the bytes of the f32 masters, and decoding is bound by reading them). In f32 only the
// stacked projections are new tensors; the others are the masters themselves.
func (e *Engine) convertWeights() {
	c := e.Params.Config
	f32 := e.Compute == dtypes.Float32
	if e.convert == nil {
		e.convert = MustNewExec(e.Backend, func(in []*Node) []*Node {
			all := model.FuseQKV(c, in, func(x *Node) *Node { return ConvertDType(x, e.Compute) })
			if !f32 {
				return all
			}
			var stacked []*Node
			for i, s := range c.FusedSpecs() {
				if model.IsStacked(s.Name) {
					stacked = append(stacked, all[i])
				}
			}
			return stacked
		})
	}
	args := make([]any, len(e.Params.Tensors))
	for i, t := range e.Params.Tensors {
		args[i] = t
	}
	out := e.convert.MustExec(args...)
	if !f32 {
		e.weights = out
		return
	}
	e.weights = e.weights[:0]
	for _, s := range c.FusedSpecs() {
		if model.IsStacked(s.Name) {
			e.weights, out = append(e.weights, out[0]), out[1:]
		} else {
			e.weights = append(e.weights, e.Params.Tensors[e.Params.Index(s.Name)])
		}
	}
}

// row is the host's view of one sample being decoded.
type row struct {
	prompt, sample int
	ids            []int32
	done           bool
	reason         string
}

// wave decodes one batch of prompts to the end. It panics on graph errors (caught by Generate).
func (e *Engine) wave(prompts [][]int32, o Options, progress Progress) []Result {
	c := e.Params.Config
	mode := o.mode()
	P, N := len(prompts), o.N
	Pb := model.BucketBatch(P)
	longest := 0
	for _, p := range prompts {
		longest = max(longest, len(p))
	}
	Tp := model.BucketLength(longest, c.MaxPositionEmbeddings)
	// The cache grows with the sequences, cacheGrowth slots at a time, up to S: each decode step
	// attends to every slot of the cache it is given, so a cache as long as the longest
	// sequence at the end would cost the early steps reads of empty slots.
	growth := o.CacheGrowth
	if growth == 0 {
		growth = cacheGrowth
	}
	S, K := cacheSlots(Tp, o)
	if e.used != AttentionXLA && o.CacheGrowth == 0 {
		// The Triton kernels read only the valid slots, however long the cache: one cache
		// length, so one decode program per rows bucket.
		growth = S
	}
	Sc := min(S, roundUp(Tp+1, growth))
	// With several samples per prompt the rows share their prompt's cache (model.
	// DecodeStepShared) until the first compaction, which gives each row its own copy: then
	// the rows' caches hold only generated tokens, Sg of them (slot j there is slot Tp + j).
	shared := o.N > 1 && !o.NoPromptSharing
	Sg := min(S-Tp, growth)

	tokens := make([]int32, Pb*Tp)
	padP := make([]int32, Pb)
	for i := 0; i < Pb; i++ {
		p := prompts[min(i, P-1)] // bucket filler rows repeat the last prompt and are discarded
		padP[i] = int32(Tp - len(p))
		copy(tokens[i*Tp+Tp-len(p):], p)
	}
	R := Pb * N
	rows := make([]*row, R)
	rowPrompt := make([]int32, R)
	pad := make([]int32, R)
	for r := range rows {
		rows[r] = &row{prompt: r / N, sample: r % N, done: r/N >= P}
		rowPrompt[r] = int32(r / N)
		pad[r] = padP[r/N]
	}
	rng, err := RNGStateFromSeed(int64(o.Seed))
	if err != nil {
		panic(err)
	}
	temp := tensors.FromScalar(float32(max(o.Temperature, 1e-6)))
	topP := tensors.FromScalar(float32(o.TopP))
	topK := tensors.FromScalar(int32(o.TopK))
	slotsT := slotIndices(Sc)
	if shared {
		slotsT = slotIndices(Sg)
	}
	params := make([]any, len(e.weights))
	for i, t := range e.weights {
		params[i] = t
	}

	padPT, rowPromptT := tensors.FromFlatDataAndDimensions(padP, Pb), tensors.FromFlatDataAndDimensions(rowPrompt, R)
	nc := 2 * c.NumHiddenLayers
	// The decode programs' shapes are known before the prefill: they compile while it does
	// and runs (on an H200 a 0.5B decode program compiles in 7-17 s).
	if shared {
		e.compileAhead(decodeShape{decodeKey{mode, K, true}, R, Sg, Pb, Tp}, S-Tp, growth)
	} else {
		e.compileAhead(decodeShape{decodeKey{mode, K, false}, R, Sc, 0, 0}, S, growth)
	}
	promptCache, cache, next, rng := e.prefillWave(mode, shared, params, tokens, padP, Tp, N, o.PrefillPrompts, rng, temp, topP, topK, rowPromptT, slotsT)
	active := make([]int, R) // device row → rows index
	for r := range active {
		active[r] = r
	}
	maxStop := 0
	for _, s := range o.StopStrings {
		maxStop = max(maxStop, len(s))
	}
	record := func(ids []int32, active []int) (produced int) {
		for dr, ri := range active {
			if ri < 0 || rows[ri].done {
				continue
			}
			r := rows[ri]
			produced++
			r.ids = append(r.ids, ids[dr])
			switch {
			case slices.Contains(o.EOS, ids[dr]):
				r.done, r.reason = true, FinishStop
			case maxStop > 0 && containsAny(o.Decode(r.ids[max(0, len(r.ids)-maxStop-4):]), o.StopStrings):
				r.done, r.reason = true, FinishStop
			case len(r.ids) >= o.MaxNewTokens:
				r.done, r.reason = true, FinishLength
			}
		}
		return produced
	}
	n := record(next.Value().([]int32), active)
	if progress != nil {
		progress(n)
	}
	// The tokens of a call are read back while the next call runs (a waiting program call
	// returns when the device has finished, and the read costs about 0.35 ms on an H200; an
	// asynchronous one returns at once, and its tokens are read after the next call is
	// launched, so the device always has a call queued), so the host learns which rows stopped
	// one call late: rows that finish in a call run on through the next (their extra tokens are
	// dropped), and compaction, which keeps the rows not known to have finished, happens one
	// call later. Each call decodes K tokens without the host in between.
	var pending *tokenRead // the previous call's tokens, being read
	collect := func() {
		if pending == nil {
			return
		}
		t0 := time.Now()
		if err := <-pending.done; err != nil {
			panic(err)
		}
		h := pending.ids // [R][K]
		e.Stats.Wait += time.Since(t0)
		col := make([]int32, len(h))
		produced := 0
		for j := range min(K, o.MaxNewTokens-pending.step) {
			for r := range h {
				col[r] = h[r][j]
			}
			produced += record(col, pending.active)
		}
		if progress != nil {
			progress(produced)
		}
		pending = nil
	}
	padT := tensors.FromFlatDataAndDimensions(pad, len(pad))
	var slotT *tensors.Tensor // the next call's slot on the device (an output of the call before)
	slotOn := -1              // its value
	for step := 1; step < o.MaxNewTokens; {
		t0 := time.Now()
		live := 0
		for _, ri := range active {
			if ri >= 0 && !rows[ri].done {
				live++
			}
		}
		if live == 0 {
			break
		}
		if nb := model.BucketBatch(live); !o.NoCompaction && nb < len(active) {
			cache, next, pad, active = e.compactRows(cache, next, rows, active, pad, nb, promptCache, N)
			if shared { // the rows now have their own caches: prompt, then generated tokens
				promptCache, shared, Sc, slotsT = nil, false, Tp+Sg, slotIndices(Tp+Sg)
			}
			e.compileAhead(decodeShape{decodeKey{mode, K, false}, nb, Sc, 0, 0}, S, growth)
			padT = tensors.FromFlatDataAndDimensions(pad, len(pad))
		}
		slot := Tp + step - 1 // where the call writes its first token, in the rows' caches
		if shared {
			slot = step - 1
			if need := slot + K; need > Sg {
				Sg = grownSlots(Sg, need, growth, S-Tp)
				cache = e.growCache(cache, Sg)
				slotsT = slotIndices(Sg)
			}
		} else if need := slot + K; need > Sc { // the call writes slots up to need-1
			Sc = grownSlots(Sc, need, growth, S)
			cache = e.growCache(cache, Sc)
			slotsT = slotIndices(Sc)
		}
		if slotOn != slot {
			slotT, slotOn = tensors.FromScalar(int32(slot)), slot
		}
		args := append([]any{}, params...)
		if shared {
			for _, t := range promptCache {
				args = append(args, t)
			}
		}
		args = append(donate.Append(args, e.Backend, cache), donate.Append(nil, e.Backend, []*tensors.Tensor{next})[0], padT)
		if shared {
			args = append(args, padPT)
		}
		state := donate.Append(nil, e.Backend, []*tensors.Tensor{slotT, rng}) // aliased to the outputs (decodeGraph)
		args = append(args, state[0], slotsT, state[1], temp, topP, topK)
		if e.BeforeDecode != nil {
			e.BeforeDecode(e.Stats.Calls)
		}
		shape := decodeShape{decodeKey{mode, K, shared}, len(active), Sc, 0, 0}
		if shared {
			shape.slots, shape.promptRows, shape.promptSlots = Sg, Pb, Tp
		}
		prog := e.decodeProgram(shape)
		t1 := time.Now()
		out := prog.run(args...)
		t2 := time.Now()
		if !prog.ran {
			prog.ran = true
			e.Stats.Compiled++
			e.Stats.Compile += t2.Sub(t1)
		}
		cache, next, rng, slotT, slotOn = out[:nc], out[nc+1], out[nc+2], out[nc+3], slot+K
		collect()
		t3 := time.Now()
		pending = readTokens(out[nc], active, step)
		step += K
		e.Stats.Calls++
		e.Stats.Tokens += K
		e.Stats.Dispatch += t2.Sub(t1)
		e.Stats.Host += t1.Sub(t0) + time.Since(t3)
	}
	collect()
	for _, t := range append(cache, promptCache...) {
		t.FinalizeAll()
	}
	var res []Result
	for _, r := range rows {
		if r.prompt >= P {
			continue
		}
		if !r.done { // unreachable: the loop runs until every row has max_new_tokens
			r.reason = FinishLength
		}
		res = append(res, Result{Prompt: r.prompt, Sample: r.sample, IDs: r.ids, FinishReason: r.reason})
	}
	return res
}

// prefillWave runs the prefill programs on the Pb prompts (tokens [Pb·Tp], left-padded by padP),
// Pc at a time (Options.PrefillPrompts, else PrefillPrompts), and assembles the decode caches
// of their outputs (assembleExec): the prompts' caches when shared, the rows' caches, the rows'
// first tokens and the random state after them.
func (e *Engine) prefillWave(mode Mode, shared bool, params []any, tokens, padP []int32, Tp, N, Pc int, rng, temp, topP, topK, rowPrompt, slots *tensors.Tensor) (promptCache, cache []*tensors.Tensor, next, newRNG *tensors.Tensor) {
	c := e.Params.Config
	nc := 2 * c.NumHiddenLayers
	Pb := len(padP)
	if Pc <= 0 {
		Pc = PrefillPrompts(c, Tp, r1backend.IsCPU(e.Backend))
	}
	Pc = min(Pc, Pb)
	rc := make([]int32, Pc*N) // the prompt in the chunk of each of the chunk's rows
	for r := range rc {
		rc[r] = int32(r / N)
	}
	rowsInChunk := tensors.FromFlatDataAndDimensions(rc, len(rc))
	var kvs, firsts []any
	for p0 := 0; p0 < Pb; p0 += Pc {
		p1 := min(Pb, p0+Pc)
		if p1-p0 < Pc { // a last, partial chunk: its rows only
			rowsInChunk = tensors.FromFlatDataAndDimensions(rc[:(p1-p0)*N], (p1-p0)*N)
		}
		out := e.prefillExec(mode).MustExec(append(params, tensors.FromFlatDataAndDimensions(tokens[p0*Tp:p1*Tp], p1-p0, Tp),
			tensors.FromFlatDataAndDimensions(padP[p0:p1], p1-p0), rowsInChunk, rng, temp, topP, topK)...)
		for _, t := range out[:nc] {
			kvs = append(kvs, t)
		}
		firsts, rng = append(firsts, out[nc]), out[nc+1]
	}
	out := e.assembleExec(shared).MustExec(append(append(kvs, firsts...), rowPrompt, slots)...)
	for _, t := range kvs {
		t.(*tensors.Tensor).FinalizeAll()
	}
	if shared {
		promptCache, out = out[:nc], out[nc:]
	}
	return promptCache, out[:nc], out[nc], rng
}

// decodeArgShapes lists the shapes of the arguments of decode program s, in decodeGraph's
// order.
func (e *Engine) decodeArgShapes(s decodeShape) []shapes.Shape {
	c := e.Params.Config
	var out []shapes.Shape
	for _, t := range e.weights {
		out = append(out, t.Shape())
	}
	kv := func(rows, slots int) shapes.Shape {
		return shapes.Make(e.Compute, rows, c.NumKeyValueHeads, slots, c.HeadDim)
	}
	nc := 2 * c.NumHiddenLayers
	if s.Shared { // the prompts' caches come first
		out = append(out, slices.Repeat([]shapes.Shape{kv(s.promptRows, s.promptSlots)}, nc)...)
	}
	out = append(out, slices.Repeat([]shapes.Shape{kv(s.rows, s.slots)}, nc)...)
	i32 := func(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }
	out = append(out, i32(s.rows), i32(s.rows))
	if s.Shared {
		out = append(out, i32(s.promptRows))
	}
	f32 := shapes.Make(dtypes.Float32)
	return append(out, i32(), i32(s.slots), RNGStateShape, f32, f32, i32())
}

// compileAhead starts compiling the decode programs of every cache length from program s's
// that its rows will reach (grownSlots, up to limit), so that later lengths compile while the
// first run: one program for 0.5B took about 11 s on an H200 (session 4, call 20: 4 of them
// were most of the first run's 72 s). Engine.NoCompileAhead turns it off.
func (e *Engine) compileAhead(s decodeShape, limit, growth int) {
	if e.NoCompileAhead || growth < s.K { // with growth < K the lengths depend on the calls' slots
		return
	}
	for ; ; s.slots = grownSlots(s.slots, s.slots+1, growth, limit) {
		e.decodeProgram(s)
		if s.slots >= limit {
			return
		}
	}
}

// tokenRead is one decode call's tokens [R][K] being read back from the device, with the row
// mapping (device row → rows index) and the first step of that call.
type tokenRead struct {
	done   chan error
	ids    [][]int32
	active []int
	step   int
}

// readTokens starts reading t ([R, K] int32) on another goroutine.
func readTokens(t *tensors.Tensor, active []int, step int) *tokenRead {
	r := &tokenRead{done: make(chan error, 1), active: active, step: step}
	go func() {
		r.done <- guard.Run(func() { r.ids = t.Value().([][]int32) })
	}()
	return r
}

// compactRows moves the live rows into a smaller batch bucket of nb rows, so that finished
// rows stop costing work. Filler rows (active −1) repeat a live row and are ignored. With
// prompt caches (the rows still share them: no compaction has happened, device row r is of
// prompt r / n), every kept row gets its own cache, its prompt's followed by its own tokens',
// in the same copy, and the prompt caches are freed.
func (e *Engine) compactRows(cache []*tensors.Tensor, next *tensors.Tensor, rows []*row, active []int, pad []int32, nb int, prompt []*tensors.Tensor, n int) ([]*tensors.Tensor, *tensors.Tensor, []int32, []int) {
	ids := next.Value().([]int32)
	keep := make([]int32, 0, nb) // device rows to keep
	newActive := make([]int, 0, nb)
	for dr, ri := range active {
		if ri >= 0 && !rows[ri].done {
			keep = append(keep, int32(dr))
			newActive = append(newActive, ri)
		}
	}
	for len(keep) < nb {
		keep = append(keep, keep[0])
		newActive = append(newActive, -1)
	}
	newPad := make([]int32, nb)
	newNext := make([]int32, nb)
	for i, dr := range keep {
		newPad[i], newNext[i] = pad[dr], ids[dr]
	}
	args := make([]any, 0, len(prompt)+len(cache)+2)
	for _, t := range prompt {
		args = append(args, t)
	}
	args = append(donate.Append(args, e.Backend, cache), tensors.FromFlatDataAndDimensions(keep, nb))
	var out []*tensors.Tensor
	if prompt == nil {
		out = e.compactExec().MustExec(args...)
	} else {
		ofPrompt := make([]int32, nb)
		for i, dr := range keep {
			ofPrompt[i] = dr / int32(n)
		}
		out = e.unshareExec().MustExec(append(args, tensors.FromFlatDataAndDimensions(ofPrompt, nb))...)
		for _, t := range prompt {
			t.FinalizeAll()
		}
	}
	return out, tensors.FromFlatDataAndDimensions(newNext, nb), newPad, newActive
}

// containsAny reports whether a stop string occurs in text.
func containsAny(text string, stops []string) bool {
	for _, s := range stops {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}
