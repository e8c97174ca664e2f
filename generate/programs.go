package generate

import (
	"fmt"
	"math"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	r1backend "github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/cuda"
	"github.com/r1go/r1go/internal/donate"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/internal/triton"
	"github.com/r1go/r1go/model"
)

// The programs of generation. Each is compiled per input-shape combination: batch buckets
// (powers of two) times cache lengths (grownSlots), a few dozen in a long run. The Execs'
// caches are unbounded (SetMaxCache(-1)): a cap would end a long run with an error; the decode
// programs are kept in Engine.decode, one per decodeShape.

// prefillExec: params..., tokens [Pc, Tp] (a chunk of prompts, left-padded), pad [Pc], rows
// [Rc] (the prompt in the chunk of each of the chunk's rows), rng, temperature, topP, topK →
// the prompts' keys and values (K, V per layer) [Pc, KV, Tp, HD], the first sampled token of
// each row [Rc], rng. The engine runs it once per chunk of prompts (PrefillPrompts), so that
// its temporaries (the attention scores [Pc, H, Tp, Tp] above all) stay bounded, and
// assembleExec makes the decode caches of the chunks' outputs.
func (e *Engine) prefillExec(mode Mode) *Exec {
	if ex := e.prefill[mode]; ex != nil {
		return ex
	}
	c := e.Params.Config
	np := len(c.FusedSpecs())
	ex := MustNewExec(e.Backend, func(in []*Node) []*Node {
		tokens, pad, rowsIdx := in[np], in[np+1], in[np+2]
		rng, temp, topP, topK := in[np+3], in[np+4], in[np+5], in[np+6]
		g := tokens.Graph()
		w := model.BindFused(c, in[:np], e.Compute)
		Pc, Tp := tokens.Shape().Dimensions[0], tokens.Shape().Dimensions[1]
		iota := Iota(g, shapes.Make(dtypes.Int32, Pc, Tp), 1)
		padCol := InsertAxes(pad, -1)
		positions := MaxScalar(Sub(iota, padCol), 0)
		valid := GreaterOrEqual(iota, padCol)
		hidden, kv := w.Forward(tokens, positions, valid)
		last := Reshape(Slice(hidden, AxisRange(), AxisElem(Tp-1)), Pc, c.HiddenSize)
		logits := Gather(w.Logits(last), InsertAxes(rowsIdx, -1)) // [Rc, V]
		var out []*Node
		for _, l := range kv {
			out = append(out, l.K, l.V)
		}
		rng, next := SampleTokens(mode, rng, logits, temp, topP, topK)
		return append(out, next, rng)
	})
	ex.SetMaxCache(-1)
	e.prefill[mode] = ex
	return ex
}

// assembleExec: the prefill chunks' keys and values (chunk-major, K, V per layer within a
// chunk) [Pc, KV, Tp, HD]..., their first tokens [Rc]..., rows [R] (the prompt of each row),
// slots [S] → the decode caches [R, KV, S, HD] (each row's prompt, then empty slots) and the
// first tokens [R]. Shared: the prompts' caches [Pb, KV, Tp, HD]..., then the rows' empty
// caches [R, KV, S, HD] for the tokens they will generate, then the first tokens.
func (e *Engine) assembleExec(shared bool) *Exec {
	if ex := e.assemble[shared]; ex != nil {
		return ex
	}
	c := e.Params.Config
	nc := 2 * c.NumHiddenLayers
	ex := MustNewExec(e.Backend, func(in []*Node) []*Node {
		rowsIdx, slots := in[len(in)-2], in[len(in)-1]
		chunks := (len(in) - 2) / (nc + 1)
		kv, nexts := in[:chunks*nc], in[chunks*nc:chunks*(nc+1)]
		R, S := rowsIdx.Shape().Dimensions[0], slots.Shape().Dimensions[0]
		empty := func(n int) *Node {
			return Zeros(rowsIdx.Graph(), shapes.Make(kv[0].DType(), R, c.NumKeyValueHeads, n, c.HeadDim))
		}
		var prompts, rows []*Node
		for i := range nc {
			parts := make([]*Node, chunks)
			for ch := range parts {
				parts[ch] = kv[ch*nc+i]
			}
			x := concat(parts, 0) // [Pb, KV, Tp, HD]
			if shared {
				prompts, rows = append(prompts, x), append(rows, empty(S))
				continue
			}
			x = Gather(x, InsertAxes(rowsIdx, -1)) // [R, KV, Tp, HD]
			if Tp := x.Shape().Dimensions[2]; S > Tp {
				x = Concatenate([]*Node{x, empty(S - Tp)}, 2)
			}
			rows = append(rows, x)
		}
		return append(append(prompts, rows...), concat(nexts, 0))
	})
	ex.SetMaxCache(-1)
	e.assemble[shared] = ex
	return ex
}

// concat is Concatenate that accepts a single part.
func concat(parts []*Node, axis int) *Node {
	if len(parts) == 1 {
		return parts[0]
	}
	return Concatenate(parts, axis)
}

// unshareExec: prompt caches [Pb, KV, Tp, HD]..., the rows' caches [R, KV, S, HD]..., keep
// [R'] (the rows to keep), ofPrompt [R'] (their prompts) → caches [R', KV, Tp + S, HD] of the
// kept rows, each its prompt's followed by its own: the form decodeGraph reads, in one copy.
func (e *Engine) unshareExec() *Exec {
	if e.unshare != nil {
		return e.unshare
	}
	nc := 2 * e.Params.Config.NumHiddenLayers
	e.unshare = MustNewExec(e.Backend, func(in []*Node) []*Node {
		keep, ofPrompt := InsertAxes(in[2*nc], -1), InsertAxes(in[2*nc+1], -1)
		out := make([]*Node, nc)
		for i := range out {
			out[i] = Concatenate([]*Node{Gather(in[i], ofPrompt), Gather(in[nc+i], keep)}, 2)
		}
		return out
	})
	e.unshare.SetMaxCache(-1)
	return e.unshare
}

// decodeKey is a decode program's kind (decodeShape adds its shapes): the sampler, the tokens it
// decodes per call, and whether the rows share their prompt's cache.
type decodeKey struct {
	Mode
	K      int
	Shared bool
}

// decodeGraph builds the decode program: params..., caches..., tokens [R], pad [R], slot
// (scalar), slots [S], rng, temperature, topP, topK → caches, the K tokens decoded [R, K], the
// last of them [R], rng, slot + K (the next call's slot, kept on the device so that no call
// uploads one).
// It decodes K tokens in one call, the first from tokens at cache slot `slot`, each next one
// from the one before at the next slot, without the host in between: one program call, one
// argument list and one read of the results per K tokens instead of per token. The caches are
// donated by the caller and updated in place on XLA.
//
// Shared (rows that share their prompt's cache, model.DecodeStepShared): the prompts' caches
// [Pb, KV, Tp, HD]... come before the rows' caches, which hold only generated tokens (their
// slot j is slot Tp + j), and the prompts' padding [Pb] after pad.
func (e *Engine) decodeGraph(mode Mode, K int, shared bool) func(in []*Node) []*Node {
	c := e.Params.Config
	np, nc := len(c.FusedSpecs()), 2*c.NumHiddenLayers
	// The graph is built on a compile goroutine, possibly while the engine is in its next
	// Generate call (pickAttention, SetParams): the hooks are read here, not there.
	attention, sharedAttention, fused := e.attention, e.sharedAttention, e.fused
	return func(in []*Node) []*Node {
		w := model.BindFused(c, in[:np], e.Compute)
		args := in[np:]
		var promptCaches []*Node
		var padP *Node
		if shared {
			promptCaches, args = args[:nc], args[nc:]
		}
		caches, args := args[:nc], args[nc:]
		for i, c := range caches {
			donate.Alias(c, i) // the updated cache i is output i: updated in place on XLA
		}
		tokens, pad, args := args[0], args[1], args[2:]
		if shared {
			padP, args = args[0], args[1:]
		}
		slot, slots, rng, temp, topP, topK := args[0], args[1], args[2], args[3], args[4], args[5]
		// The state a call hands the next (its last tokens, the random state, the next slot) is
		// updated in place too, so that these buffers keep their addresses from call to call
		// (written for XLA's command buffers, which re-record each command whose buffers moved;
		// r1go turns them off, backend.NoCommandBuffers, as slower when measured).
		donate.Alias(tokens, nc+1)
		donate.Alias(rng, nc+2)
		donate.Alias(slot, nc+3)
		g := tokens.Graph()
		R, S := tokens.Shape().Dimensions[0], slots.Shape().Dimensions[0]
		kv := make([]model.KV, c.NumHiddenLayers)
		for l := range kv {
			kv[l] = model.KV{K: caches[2*l], V: caches[2*l+1]}
		}
		var pkv []model.KV
		var promptValid *Node
		Tp := 0 // shared: the rows' caches hold generated tokens only, their slot j is slot Tp + j
		if shared {
			Pb := promptCaches[0].Shape().Dimensions[0]
			Tp = promptCaches[0].Shape().Dimensions[2]
			promptValid = GreaterOrEqual(Iota(g, shapes.Make(dtypes.Int32, Pb, Tp), 1), InsertAxes(padP, -1))
			for l := range kv {
				pkv = append(pkv, model.KV{K: promptCaches[2*l], V: promptCaches[2*l+1]})
			}
		}
		sl := InsertAxes(slots, 0)              // [1, S]
		step := func(at *Node) (hidden *Node) { // one decode step of every layer
			valid := BroadcastToDims(LessOrEqual(sl, at), R, S) // [R, S]
			if fused != nil {
				w.DecodeAttentionFused = fused(pad, padP, at)
			}
			if shared {
				if sharedAttention != nil {
					w.DecodeAttentionShared = sharedAttention(padP, at)
				}
				hidden, kv = w.DecodeStepShared(tokens, Sub(AddScalar(at, float64(Tp)), pad), pkv, promptValid, kv, at, valid, e.writeSlot)
				return hidden
			}
			valid = LogicalAnd(valid, GreaterOrEqual(sl, InsertAxes(pad, -1)))
			if attention != nil {
				w.DecodeAttention = attention(pad, at, S)
			}
			hidden, kv = w.DecodeStep(tokens, Sub(at, pad), kv, at, valid, e.writeSlot)
			return hidden
		}
		var decoded []*Node
		for j := range K {
			rng, tokens = SampleTokens(mode, rng, w.Logits(step(AddScalar(slot, float64(j)))), temp, topP, topK)
			decoded = append(decoded, tokens)
		}
		var out []*Node
		for _, l := range kv {
			out = append(out, l.K, l.V)
		}
		return append(out, Stack(decoded, 1), tokens, rng, AddScalar(slot, float64(K)))
	}
}

// decodeProgram returns decode program s, starting its compilation on another goroutine the
// first time it is asked for: the engine asks for the programs of the cache lengths a wave
// will reach when it starts (compileAhead), so that they compile while the first ones run.
func (e *Engine) decodeProgram(s decodeShape) *program {
	if p := e.decode[s]; p != nil {
		return p
	}
	name := fmt.Sprintf("decode_greedy%v_topp%v_topk%v_K%d_shared%v", s.Greedy, s.TopP, s.TopK, s.K, s.Shared)
	p := compileProgram(e.Backend, e.compileSlots, name, e.decodeArgShapes(s), e.decodeGraph(s.Mode, s.K, s.Shared))
	e.decode[s] = p
	return p
}

// program is one graph compiled for one combination of argument shapes; compileProgram
// compiles it on a goroutine and run waits for it.
type program struct {
	done   chan struct{} // closed when compiled (or failed)
	needed chan struct{} // closed by the first run: compile now, without waiting for a slot
	once   sync.Once
	g      *Graph
	err    error
	ran    bool // the engine has run it (Stats.Compiled counts first runs)
}

// compileProgram builds build's graph for arguments of the given shapes and compiles it on a
// goroutine: at most cap(slots) programs compiled ahead at a time, and any program a call is
// waiting for at once (so that one needed now never queues behind ones needed later, or never:
// after a compaction, the programs of the old rows bucket).
func compileProgram(b backends.Backend, slots chan struct{}, name string, args []shapes.Shape, build func([]*Node) []*Node) *program {
	p := &program{done: make(chan struct{}), needed: make(chan struct{})}
	go func() {
		defer close(p.done)
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
		case <-p.needed:
		}
		p.err = guard.Run(func() {
			g := NewGraph(b, name)
			in := make([]*Node, len(args))
			for i, s := range args {
				in[i] = Parameter(g, fmt.Sprintf("arg%d", i), s)
			}
			g.Compile(build(in)...)
			p.g = g
		})
	}()
	return p
}

// run waits for the program to be compiled, then runs it (arguments as graph.Graph.Run takes
// them: tensors, or buffers given with graph.DonateTensorBuffer).
func (p *program) run(args ...any) []*tensors.Tensor {
	p.once.Do(func() { close(p.needed) })
	<-p.done
	if p.err != nil {
		panic(p.err)
	}
	return p.g.Run(args...)
}

// Attention is the decode steps' attention (Engine.Attention).
type Attention string

const (
	AttentionAuto   Attention = ""       // Triton's fused kernels where they can run, else XLA's
	AttentionXLA    Attention = "xla"    // XLA's: two products and a softmax over every cache slot
	AttentionTriton Attention = "triton" // internal/triton's kernels, which read only the valid slots
	// AttentionTritonFused is internal/triton's kernels that also add the q/k/v biases, apply
	// the rotary embedding and write the new keys and values (three kernels fewer per layer:
	// the two cache writes and the rotation; the bias add was already part of XLA's split-K
	// reduction of the q/k/v product, which stays. One H200, 0.5B, 256 rows, 512 + 256 tokens:
	// 56.0k tokens/s against 51.0k for triton).
	AttentionTritonFused Attention = "triton-fused"
)

// ParseAttention reads auto, xla, triton or triton-fused (flags and config files).
func ParseAttention(s string) (Attention, error) {
	switch s {
	case "auto", "":
		return AttentionAuto, nil
	case "xla", "triton", "triton-fused":
		return Attention(s), nil
	}
	return "", fmt.Errorf("attention %q: want auto, xla, triton or triton-fused", s)
}

// pickAttention resolves e.Attention for this call: the Triton kinds are refused with the
// reason where the kernels cannot run; AttentionAuto is the fused kernels, or XLA's attention
// where they cannot run.
func (e *Engine) pickAttention() error {
	why := TritonUnusable(e.Backend, e.Params.Config, e.Compute)
	used := AttentionTritonFused
	switch {
	case (e.Attention == AttentionTriton || e.Attention == AttentionTritonFused) && why != nil:
		return fmt.Errorf("generation: Triton attention: %w", why)
	case e.Attention == AttentionXLA || why != nil:
		used = AttentionXLA
	case e.Attention == AttentionTriton:
		used = AttentionTriton
	}
	if e.used != "" && e.used != used {
		// Another attention than the last call's: its hooks and the decode programs built
		// with them go.
		e.attention, e.sharedAttention, e.fused = nil, nil, nil
		e.decode = map[decodeShape]*program{}
	}
	base := tritonShapes(e.Params.Config, 0, 0)
	base.Tuning = e.AttentionTuning
	switch e.used = used; used {
	case AttentionTritonFused:
		e.fused = tritonFused(base)
	case AttentionTriton:
		e.attention, e.sharedAttention = tritonAttention(base), tritonSharedAttention(base)
	}
	return nil
}

// AttentionUsed is the decode attention the last Generate call used: xla, triton or
// triton-fused.
func (e *Engine) AttentionUsed() Attention { return e.used }

// TritonUnusable says why internal/triton's decode attention cannot run for model c on
// backend b with products in compute, or nil. The kernels' bf16 tensor-core products need an
// Ampere GPU or newer (compute capability 8.0); when the driver cannot be asked, the GPU is
// assumed to have them.
func TritonUnusable(b backends.Backend, c *model.Config, compute dtypes.DType) error {
	if !r1backend.IsCUDA(b) || compute != dtypes.BFloat16 {
		return fmt.Errorf("needs XLA on a CUDA GPU and bf16 products (backend %s, %s)", b.Name(), compute)
	}
	if major, minor, err := cuda.ComputeCapability(0); err == nil && major < 8 {
		return fmt.Errorf("needs a GPU of compute capability 8.0 or newer for bf16 tensor-core products (this one: %d.%d)", major, minor)
	}
	return tritonShapes(c, 1, 1).Check()
}

// tritonShapes is internal/triton's description of model c's decode attention for rows rows
// over caches of slots slots.
func tritonShapes(c *model.Config, rows, slots int) triton.DecodeAttention {
	return triton.DecodeAttention{Rows: rows, KVHeads: c.NumKeyValueHeads, Group: c.NumAttentionHeads / c.NumKeyValueHeads,
		HeadDim: c.HeadDim, Slots: slots, Scale: 1 / math.Sqrt(float64(c.HeadDim))}
}

// tritonAttention is model.Weights.DecodeAttention as internal/triton's kernel for the model
// and tuning of base: row r attends to its cache slots pad[r] .. at (the new token's), reading
// only those.
func tritonAttention(base triton.DecodeAttention) func(pad, at *Node, S int) func(q, k, v *Node) *Node {
	return func(pad, at *Node, S int) func(q, k, v *Node) *Node {
		return func(q, k, v *Node) *Node {
			return tritonCall(base, q, func(a triton.DecodeAttention) (triton.Kernel, error) {
				a.Slots = S
				return a.Kernel()
			}, k, v, pad, at)
		}
	}
}

// tritonSharedAttention is model.Weights.DecodeAttentionShared as internal/triton's kernel for
// the model and tuning of base: row r attends to its prompt's cache from padP[r / N] on, then
// to its own slots 0 .. at.
func tritonSharedAttention(base triton.DecodeAttention) func(padP, at *Node) func(q *Node, p, c model.KV) *Node {
	return func(padP, at *Node) func(q *Node, p, c model.KV) *Node {
		return func(q *Node, p, c model.KV) *Node {
			return tritonCall(base, q, func(a triton.DecodeAttention) (triton.Kernel, error) {
				a.Slots = c.K.Shape().Dimensions[2]
				return a.SharedKernel(a.Rows/p.K.Shape().Dimensions[0], p.K.Shape().Dimensions[2])
			}, p.K, p.V, padP, c.K, c.V, at)
		}
	}
}

// tritonFused is model.Weights.DecodeAttentionFused as internal/triton's fused kernels for the
// model and tuning of base: rows with their own caches see slots pad[r] .. at; rows sharing
// their prompt's cache (padP not nil) see it from padP[r / N] on, then their own slots 0 .. at.
func tritonFused(base triton.DecodeAttention) func(pad, padP, at *Node) func(qkv, bias, cos, sin *Node, p *model.KV, c model.KV) (*Node, model.KV) {
	return func(pad, padP, at *Node) func(qkv, bias, cos, sin *Node, p *model.KV, c model.KV) (*Node, model.KV) {
		return func(qkv, bias, cos, sin *Node, p *model.KV, c model.KV) (*Node, model.KV) {
			R, KV, HD, H := qkv.Shape().Dimensions[0], base.KVHeads, base.HeadDim, base.KVHeads*base.Group
			W := (H + 2*KV) * HD
			if bias == nil { // the kernel always adds one
				bias = Zeros(qkv.Graph(), shapes.Make(qkv.DType(), W))
			}
			a := base
			a.Rows, a.Slots = R, c.K.Shape().Dimensions[2]
			ops := []*Node{Reshape(qkv, R, W), bias, Reshape(cos, R, HD/2), Reshape(sin, R, HD/2)}
			var kernel triton.Kernel
			var err error
			if p == nil {
				kernel, err = a.FusedKernel()
				ops = append(ops, c.K, c.V, pad)
			} else {
				kernel, err = a.FusedSharedKernel(R/p.K.Shape().Dimensions[0], p.K.Shape().Dimensions[2])
				ops = append(ops, p.K, p.V, padP, c.K, c.V)
			}
			if err != nil {
				panic(err)
			}
			res, err := triton.Call(kernel, append(ops, ConvertDType(at, dtypes.Int32)), shapes.Make(qkv.DType(), R, H, HD), c.K.Shape(), c.V.Shape())
			if err != nil {
				panic(err)
			}
			return Reshape(res[0], R, 1, H*HD), model.KV{K: res[1], V: res[2]}
		}
	}
}

// tritonCall runs a decode attention kernel (made by kernel from base with q's rows) on q [R,
// 1, H, HD] and the operands after it (the last one the slot at, as int32): [R, 1, H·HD].
func tritonCall(base triton.DecodeAttention, q *Node, kernel func(triton.DecodeAttention) (triton.Kernel, error), operands ...*Node) *Node {
	d := q.Shape().Dimensions
	R, H, HD := d[0], d[2], d[3]
	base.Rows = R
	k, err := kernel(base)
	if err != nil {
		panic(err)
	}
	last := len(operands) - 1
	operands[last] = ConvertDType(operands[last], dtypes.Int32)
	o, err := triton.Call(k, append([]*Node{Reshape(q, R, H, HD)}, operands...), shapes.Make(q.DType(), R, H, HD))
	if err != nil {
		panic(err)
	}
	return Reshape(o[0], R, 1, H*HD)
}

// writeSlot writes x [R, KV, 1, HD] into cache [R, KV, S, HD] at slot: DynamicUpdateSlice
// where the backend has it (in place, the cache being donated), else a ScatterSum of x into the
// slot. The sum is the write: a slot is written once, and until then it holds zeros (the
// caches are made with zeros past the prompt, grow with zeros, and the slots are written in
// order). The pure Go backend has no DynamicUpdateSlice; there the scatter halved the time of
// a decode step (tiny shape, 32 rows, 16 + 480 tokens: 15 ms against 28 ms for a select over
// the slot axis, which broadcast the slot mask and x to the whole cache).
func (e *Engine) writeSlot(cache, x, slot *Node) *Node {
	x = ConvertDType(x, cache.DType())
	if e.hasDUS {
		zero := ScalarZero(cache.Graph(), dtypes.Int32)
		return DynamicUpdateSlice(cache, x, []*Node{zero, zero, slot, zero})
	}
	g := cache.Graph()
	d := cache.Shape().Dimensions
	R, KV, HD := d[0], d[1], d[3]
	rk := shapes.Make(dtypes.Int32, R, KV)
	at := Stack([]*Node{Iota(g, rk, 0), Iota(g, rk, 1), BroadcastToShape(ConvertDType(slot, dtypes.Int32), rk)}, -1) // [R, KV, 3]: (row, head, slot)
	return ScatterSum(cache, at, Reshape(x, R, KV, HD), true, true)
}

// growExec: caches [R, KV, S, HD]..., slots [S'] → caches extended with zeros to S' slots.
func (e *Engine) growExec() *Exec {
	if e.grow != nil {
		return e.grow
	}
	e.grow = MustNewExec(e.Backend, func(in []*Node) []*Node {
		n := in[len(in)-1].Shape().Dimensions[0]
		out := make([]*Node, len(in)-1)
		for i, c := range in[:len(in)-1] {
			d := c.Shape().Dimensions
			out[i] = Concatenate([]*Node{c, Zeros(c.Graph(), shapes.Make(c.DType(), d[0], d[1], n-d[2], d[3]))}, 2)
		}
		return out
	})
	e.grow.SetMaxCache(-1)
	return e.grow
}

// compactExec: caches..., rows [R'] → caches gathered to R' rows.
func (e *Engine) compactExec() *Exec {
	if e.compact != nil {
		return e.compact
	}
	e.compact = MustNewExec(e.Backend, func(in []*Node) []*Node {
		idx := InsertAxes(in[len(in)-1], -1)
		out := make([]*Node, len(in)-1)
		for i, c := range in[:len(in)-1] {
			out[i] = Gather(c, idx)
		}
		return out
	})
	e.compact.SetMaxCache(-1)
	return e.compact
}
