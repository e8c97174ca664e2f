package model

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// Weights binds a model's parameters (graph nodes, f32 masters) for one graph.
// Products run in Compute (bf16 on GPUs, f32 for exact CPU parity); softmax, norms' statistics
// and log-probabilities stay in f32.
type Weights struct {
	Config  *Config
	Compute dtypes.DType
	Embed   *Node // [V, D]
	Norm    *Node // [D]
	LMHead  *Node // [V, D]; the embedding when tied
	Layers  []LayerWeights
	// RecomputeAttention keeps only q, k, v and the output of each attention for the
	// backward pass and recomputes the probabilities there (see recompute.go), instead of
	// keeping the f32 scores and probabilities [B, H, T, S] of every layer.
	RecomputeAttention bool
	// ChunkTokens > 0 computes the LM head's log-probabilities this many tokens at a time,
	// forward and backward, so the f32 logits of the whole batch never exist (lmhead.go).
	ChunkTokens int
	// FusedAttention runs causal self-attention without a padding mask (Forward with keyValid
	// nil) as cuDNN's flash attention (fused.go); XLA on CUDA with bf16 or f16 products only.
	FusedAttention bool
	// NoGrad says the graph is never differentiated (generation, scoring): forward-only
	// formulations may be used, e.g. the rotary embedding by slices, whose gradient needs Pad,
	// which the pure Go backend lacks; on XLA it saves a small product and a transpose per
	// rotated tensor in each layer of every decode step.
	NoGrad bool
	// DecodeAttention, when set, replaces DecodeStep's attention: it maps q [B, 1, H, HD]
	// (rotated) and the layer's updated caches k, v [B, KV, S, HD] to [B, 1, H·HD], and knows
	// itself which slots each row may see (e.g. internal/triton's decode attention kernel).
	DecodeAttention func(q, k, v *Node) *Node
	// DecodeAttentionShared, when set, replaces DecodeStepShared's attention: q [R, 1, H, HD]
	// over its prompt's cache p and its own cache c (updated) → [R, 1, H·HD].
	DecodeAttentionShared func(q *Node, p, c KV) *Node
	// DecodeAttentionFused, when set, replaces the q/k/v biases, the rotary embedding, the cache
	// write and the attention of DecodeStep and DecodeStepShared: it maps the layer's
	// projections qkv [B, 1, (H + 2·KV)·HD] (the query heads, then the key heads, then the
	// value heads; not rotated), their stacked biases bias [(H + 2·KV)·HD] (nil when qkv holds
	// them already, or the model has none), cos and sin [B, 1, HD/2] (f32), the shared prompt
	// cache (nil outside DecodeStepShared) and the layer's cache to the attention [B, 1, H·HD]
	// and the cache with the new keys and values written at the step's slot, knowing itself the
	// slot and which slots each row may see (internal/triton's fused kernel, which reads the
	// stacked projections as one operand and adds the biases itself).
	DecodeAttentionFused func(qkv, bias, cos, sin *Node, prompt *KV, cache KV) (o *Node, updated KV)
}

// LayerWeights are one decoder layer's parameters; biases are nil when the model has none.
type LayerWeights struct {
	InputNorm, PostNorm     *Node // [D]
	Q, K, V, O              *Node // [out, in]
	QBias, KBias, VBias, OB *Node
	QKV, QKVBias            *Node // q, k, v stacked (BindFused; then Q, K, V and their biases are nil)
	Gate, Up, Down          *Node // [F, D], [F, D], [D, F]
}

// Bind assigns parameter nodes (in ParamSpecs order) to the model's structure.
func Bind(c *Config, params []*Node, compute dtypes.DType) *Weights {
	return bindSpecs(c, c.ParamSpecs(), params, compute)
}

// KV is one layer's attention keys and values, [B, KV heads, S, head dim], in Compute dtype:
// the batch and head axes lead, as the batched attention products want them (a KV cache in
// this layout is read in place, never transposed).
type KV struct{ K, V *Node }

// Forward runs the decoder on tokens [B, T] (int32) at positions [B, T] (int32), attending
// causally among the T tokens. keyValid [B, T] (bool) marks real tokens; nil means all are real
// (right padding needs no mask: a causal model never looks right). It returns the final hidden
// states [B, T, D] (Compute dtype, after the final norm) and each layer's keys and values.
func (w *Weights) Forward(tokens, positions, keyValid *Node) (hidden *Node, kv []KV) {
	if w.FusedAttention && keyValid == nil {
		scale := 1 / math.Sqrt(float64(w.Config.HeadDim))
		return w.forward(tokens, positions, func(q, k, v *Node) *Node { return w.fusedAttention(q, k, v, scale, nil) })
	}
	g := tokens.Graph()
	T := tokens.Shape().Dimensions[1]
	causal := LowerTriangular(g, T) // [T, S] bool
	mask := InsertAxes(causal, 0)   // [1, T, S]
	if keyValid != nil {
		mask = LogicalAnd(BroadcastToDims(mask, keyValid.Shape().Dimensions[0], T, T), InsertAxes(keyValid, 1)) // [B, T, S]
	}
	return w.ForwardWithMask(tokens, positions, mask)
}

// ForwardWithMask is Forward with an explicit attention mask [B or 1, T, T] (bool, true where
// query t may see key s): e.g. block-diagonal and causal for sequences packed into one row,
// each with its own positions.
func (w *Weights) ForwardWithMask(tokens, positions, mask *Node) (hidden *Node, kv []KV) {
	return w.forward(tokens, positions, func(q, k, v *Node) *Node { return w.attend(q, k, v, mask) })
}

// forward runs the decoder with the given attention (see layer).
func (w *Weights) forward(tokens, positions *Node, attend func(q, k, v *Node) *Node) (hidden *Node, kv []KV) {
	x := w.embed(tokens)
	cos, sin := w.rope(positions)
	for l := range w.Layers {
		var k, v *Node
		x, k, v = w.layer(l, x, w.roped(cos, sin, attend))
		kv = append(kv, KV{k, v})
	}
	return w.finalNorm(x), kv
}

// DecodeStep runs one new token per row: tokens [B] at positions [B], with each layer's cache
// [B, KV, S, HD] (Compute dtype). The new keys and values are written at cache slot `slot`
// (scalar int32, the same for all rows: prompts are left-padded); keyValid [B, S] marks the
// slots each row may attend to, the new slot included. It returns the hidden states [B, D] and
// the updated caches. update writes [B, KV, 1, HD] into a cache at slot (DynamicUpdateSlice on
// XLA, a masked select on backends without it).
func (w *Weights) DecodeStep(tokens, positions *Node, cache []KV, slot, keyValid *Node, update func(cache, x, slot *Node) *Node) (hidden *Node, newCache []KV) {
	mask := InsertAxes(keyValid, 1) // [B, 1, S]
	return w.decodeLayers(tokens, positions, cache, slot, update, func(_ int, q *Node, c KV) *Node {
		if w.DecodeAttention != nil {
			return w.DecodeAttention(q, c.K, c.V)
		}
		return w.attend(q, c.K, c.V, mask)
	}, nil)
}

// decodeLayers runs one new token per row through every layer, writing its keys and values
// into each layer's cache at slot before attend(layer, q, updated cache) looks at them.
// With w.DecodeAttentionFused set, that hook does the rotary embedding, the cache write and the
// attention instead (prompt, when not nil, gives each layer's shared prompt cache).
func (w *Weights) decodeLayers(tokens, positions *Node, cache []KV, slot *Node, update func(cache, x, slot *Node) *Node, attend func(l int, q *Node, c KV) *Node, prompt []KV) (hidden *Node, newCache []KV) {
	x := w.embed(InsertAxes(tokens, 1))          // [B, 1, D]
	cos, sin := w.rope(InsertAxes(positions, 1)) // [B, 1, HD/2]
	for l := range w.Layers {
		var c KV
		x, _, _ = w.layer(l, x, func(q, k, v, qkv *Node) (o, _, _ *Node) {
			if w.DecodeAttentionFused != nil {
				var p *KV
				if prompt != nil {
					p = &prompt[l]
				}
				var bias *Node
				if qkv == nil { // separate projections (with their biases): stacked as BindFused's are
					B := q.Shape().Dimensions[0]
					flat := func(x *Node) *Node { return Reshape(x, B, 1, x.Shape().Size()/B) }
					qkv = Concatenate([]*Node{flat(q), flat(k), flat(v)}, 2)
				} else if b := w.Layers[l].QKVBias; b != nil {
					bias = w.cast(b)
				}
				o, c = w.DecodeAttentionFused(qkv, bias, cos, sin, p, cache[l])
				return o, nil, nil
			}
			return w.roped(cos, sin, func(q, k, v *Node) *Node {
				c = KV{update(cache[l].K, k, slot), update(cache[l].V, v, slot)}
				return attend(l, q, c)
			})(q, k, v, qkv)
		})
		newCache = append(newCache, c)
	}
	h := w.finalNorm(x)
	return Reshape(h, h.Shape().Dimensions[0], h.Shape().Dimensions[2]), newCache
}

func (w *Weights) cast(x *Node) *Node { return ConvertDType(x, w.Compute) }

func (w *Weights) embed(tokens *Node) *Node {
	return w.cast(Gather(w.Embed, InsertAxes(tokens, -1))) // [B, T, D]
}

// rope returns cos and sin [B, T, HD/2] (f32) for positions [B, T].
func (w *Weights) rope(positions *Node) (cos, sin *Node) {
	g := positions.Graph()
	inv := Const(g, w.Config.InvFreq())                                                  // [HD/2]
	ang := Mul(InsertAxes(ConvertDType(positions, dtypes.Float32), -1), leading(inv, 3)) // [B, T, HD/2]
	return Cos(ang), Sin(ang)
}

// applyRope rotates x [B, T, N, HD] as transformers does: x·cos + rotate_half(x)·sin, where
// rotate_half(x) = concat(-x2, x1) over the two halves. The halves are viewed as an axis of size
// 2 and rotated by a 2×2 product, because the gradient of Slice needs Pad, which the pure Go
// backend lacks.
func (w *Weights) applyRope(x, cos, sin *Node) *Node {
	d := x.Shape().Dimensions
	B, T, N, HD := d[0], d[1], d[2], d[3]
	if w.NoGrad { // out = [x1·cos − x2·sin, x2·cos + x1·sin] over the two halves
		all := AxisRange()
		x1, x2 := Slice(x, all, all, all, AxisRange(0, HD/2)), Slice(x, all, all, all, AxisRange(HD/2, HD))
		c := w.cast(Reshape(cos, B, T, 1, HD/2))
		s := w.cast(Reshape(sin, B, T, 1, HD/2))
		return Concatenate([]*Node{Sub(Mul(x1, c), Mul(x2, s)), Add(Mul(x2, c), Mul(x1, s))}, 3)
	}
	xr := Reshape(x, B, T, N, 2, HD/2)
	rot := Const(x.Graph(), [][]float32{{0, -1}, {1, 0}})        // rh[i] = Σ_j rot[i][j]·x[j]
	rh := Product(xr, []int{3}, nil, w.cast(rot), []int{1}, nil) // [B, T, N, HD/2, 2]
	rh = TransposeAllAxes(rh, 0, 1, 2, 4, 3)                     // [B, T, N, 2, HD/2]
	c := w.cast(Reshape(cos, B, T, 1, 1, HD/2))
	s := w.cast(Reshape(sin, B, T, 1, 1, HD/2))
	return Reshape(Add(Mul(xr, c), Mul(rh, s)), B, T, N, HD)
}

// rmsNorm normalises over the last axis with f32 statistics, then scales by weight.
func (w *Weights) rmsNorm(x, weight *Node) *Node {
	x32 := ConvertDType(x, dtypes.Float32)
	ms := ReduceAndKeep(Square(x32), ReduceMean, -1)
	r := Reciprocal(Sqrt(AddScalar(ms, w.Config.RMSNormEps))) // Rsqrt has no gradient in GoMLX 0.26
	return Mul(w.cast(Mul(x32, r)), w.cast(leading(weight, x.Rank())))
}

func (w *Weights) finalNorm(x *Node) *Node { return w.rmsNorm(x, w.Norm) }

// linear applies a Hugging Face Linear layer (weight [out, in], optional bias [out]).
func (w *Weights) linear(x, weight, bias *Node) *Node {
	return w.addBias(Linear(x, w.cast(weight)), bias)
}

// addBias adds bias [out] (nil: none) along y's last axis.
func (w *Weights) addBias(y, bias *Node) *Node {
	if bias == nil {
		return y
	}
	return Add(y, w.cast(leading(bias, y.Rank())))
}

// layer is one pre-norm decoder block. attention maps the projections q [B, T, H, HD], k and v
// [B, T, KV, HD] (not rotated: see roped), and qkv, the three stacked [B, T, (H + 2·KV)·HD]
// before their biases when the layer's weights are (BindFused; else nil), to the attention
// output [B, T, H·HD] and the keys and values the block returns with its output.
func (w *Weights) layer(l int, x *Node, attention func(q, k, v, qkv *Node) (o, kOut, vOut *Node)) (out, k, v *Node) {
	c, lw := w.Config, w.Layers[l]
	d := x.Shape().Dimensions
	B, T := d[0], d[1]
	h := w.rmsNorm(x, lw.InputNorm)
	var q, qkv *Node
	if lw.QKV != nil {
		qkv = w.linear(h, lw.QKV, nil) // [B, T, (H + 2·KV)·HD]
		biased := w.addBias(qkv, lw.QKVBias)
		nq, nkv := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
		part := func(from, n int) *Node { return Slice(biased, AxisRange(), AxisRange(), AxisRange(from, from+n)) }
		q, k, v = part(0, nq), part(nq, nkv), part(nq+nkv, nkv)
	} else {
		q, k, v = w.linear(h, lw.Q, lw.QBias), w.linear(h, lw.K, lw.KBias), w.linear(h, lw.V, lw.VBias)
	}
	q = Reshape(q, B, T, c.NumAttentionHeads, c.HeadDim)
	k = Reshape(k, B, T, c.NumKeyValueHeads, c.HeadDim)
	v = Reshape(v, B, T, c.NumKeyValueHeads, c.HeadDim)
	o, k, v := attention(q, k, v, qkv)
	x = Add(x, w.linear(o, lw.O, lw.OB))
	h = w.rmsNorm(x, lw.PostNorm)
	gate := w.linear(h, lw.Gate, nil)
	up := w.linear(h, lw.Up, nil)
	x = Add(x, w.linear(Mul(Mul(gate, Sigmoid(gate)), up), lw.Down, nil))
	return x, k, v
}

// roped is a layer's attention as training and prefill compute it: q and k rotated, k and v
// moved to [B, KV, T, HD] (returned as the layer's cache), then attend(q, k, v) → [B, T, H·HD].
func (w *Weights) roped(cos, sin *Node, attend func(q, k, v *Node) *Node) func(q, k, v, qkv *Node) (o, k2, v2 *Node) {
	return func(q, k, v, _ *Node) (o, k2, v2 *Node) {
		q, k = w.applyRope(q, cos, sin), w.applyRope(k, cos, sin)
		k, v = TransposeAllAxes(k, 0, 2, 1, 3), TransposeAllAxes(v, 0, 2, 1, 3) // [B, KV, T, HD]
		return attend(q, k, v), k, v
	}
}

// attend is grouped-query attention: q [B, T, H, HD], k and v [B, KV, S, HD], mask [B or 1, T, S]
// (true where query t may see key s). Scores and softmax in f32. Returns [B, T, H·HD].
func (w *Weights) attend(q, k, v, mask *Node) *Node {
	c := w.Config
	d := q.Shape().Dimensions
	B, T, H, HD := d[0], d[1], d[2], d[3]
	KV, G, S := c.NumKeyValueHeads, H/c.NumKeyValueHeads, k.Shape().Dimensions[2]
	q = TransposeAllAxes(Reshape(q, B, T, KV, G, HD), 0, 2, 3, 1, 4) // [B, KV, G, T, HD]; head h = kv·G + g, as repeat_kv
	mb := mask.Shape().Dimensions[0]
	bias := Where(mask, ScalarZero(q.Graph(), dtypes.Float32), Scalar(q.Graph(), dtypes.Float32, -1e30)) // [mb, T, S]
	bias = Reshape(bias, mb, 1, 1, T, S)
	scale := 1 / math.Sqrt(float64(HD))
	var o *Node
	if w.RecomputeAttention {
		o = recomputedAttention(q, k, v, bias, scale) // [B, KV, G, T, HD]
	} else {
		o = Product(attentionProbs(q, k, bias, scale, w.Compute), []int{4}, []int{0, 1}, v, []int{2}, []int{0, 1}) // [B, KV, G, T, HD]
	}
	o = TransposeAllAxes(o, 0, 3, 1, 2, 4) // [B, T, KV, G, HD]
	return Reshape(o, B, T, H*HD)
}

// attentionProbs is softmax(q·kᵀ·scale + bias) for q [B, KV, G, T, HD], k [B, KV, S, HD] and
// bias [mb, 1, 1, T, S]: [B, KV, G, T, S] in the compute dtype, softmax in f32.
func attentionProbs(q, k, bias *Node, scale float64, compute dtypes.DType) *Node {
	scores := Product(q, []int{4}, []int{0, 1}, k, []int{3}, []int{0, 1}) // [B, KV, G, T, S]
	scores = Add(MulScalar(ConvertDType(scores, dtypes.Float32), scale), bias)
	return ConvertDType(Softmax(scores, -1), compute)
}

// Logits maps hidden states [..., D] to f32 logits [..., V].
func (w *Weights) Logits(hidden *Node) *Node {
	return ConvertDType(Linear(hidden, w.cast(w.LMHead)), dtypes.Float32)
}

// TokenLogProbs returns log p(target) [B, T] (f32) for hidden states [B, T, D] and targets
// [B, T] (int32): the target's logit minus the log-sum-exp over the vocabulary.
func (w *Weights) TokenLogProbs(hidden, targets *Node) *Node {
	if w.ChunkTokens > 0 {
		logp, _ := w.chunkedLogProbs(hidden, targets, w.ChunkTokens)
		return logp
	}
	logits := w.Logits(hidden) // [B, T, V]
	return Sub(pick(logits, targets), logSumExp(logits))
}

// logSumExp over the last axis, the max held out of the gradient.
func logSumExp(x *Node) *Node {
	mx := StopGradient(ReduceMax(x, -1))
	return Add(mx, Log(ReduceSum(Exp(Sub(x, InsertAxes(mx, -1))), -1)))
}

// pick returns x[..., idx] for x [..., V] and idx [...] (int32), as a fused one-hot reduction.
func pick(x, idx *Node) *Node {
	V := x.Shape().Dimensions[x.Rank()-1]
	return ReduceSum(Mul(x, OneHot(idx, V, x.DType())), -1)
}

// leading prepends axes of size 1 to x until it has the given rank (GoMLX broadcasts only
// between equal ranks).
func leading(x *Node, rank int) *Node {
	for x.Rank() < rank {
		x = InsertAxes(x, 0)
	}
	return x
}

// TokenLogProbsAndEntropy is TokenLogProbs plus the entropy of the next-token distribution at
// each position [B, T] (f32, held out of the gradient: a diagnostic).
func (w *Weights) TokenLogProbsAndEntropy(hidden, targets *Node) (logp, entropy *Node) {
	if w.ChunkTokens > 0 {
		return w.chunkedLogProbs(hidden, targets, w.ChunkTokens)
	}
	logits := w.Logits(hidden) // [B, T, V]
	lse := logSumExp(logits)
	logp = Sub(pick(logits, targets), lse)
	sl := StopGradient(logits)
	probs := Exp(Sub(sl, InsertAxes(StopGradient(lse), -1)))
	entropy = Sub(StopGradient(lse), ReduceSum(Mul(probs, sl), -1))
	return logp, entropy
}
