package model

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
)

// Decoding G samples of each prompt (GRPO's groups, pass@k) with one copy of the prompt's keys
// and values per prompt instead of one per sample: each decode step reads a prompt's cache
// once for its N samples, where per-row caches read it N times. Rows are laid out prompt-major
// (row r = p·N + sample), the prompt caches are [P, KV, Tp, HD] and the rows' own caches hold
// only their generated tokens, [P·N, KV, S, HD]; the softmax runs over both parts together.

// DecodeStepShared is DecodeStep for rows that share their prompt's cache: tokens and
// positions [R] (R = P·N), prompt [P, KV, Tp, HD] per layer with promptValid [P, Tp] (left
// padding), cache [R, KV, S, HD] per layer for the generated tokens, written at slot, with
// keyValid [R, S].
func (w *Weights) DecodeStepShared(tokens, positions *Node, prompt []KV, promptValid *Node, cache []KV, slot, keyValid *Node, update func(cache, x, slot *Node) *Node) (hidden *Node, newCache []KV) {
	return w.decodeLayers(tokens, positions, cache, slot, update, func(l int, q *Node, c KV) *Node {
		if w.DecodeAttentionShared != nil {
			return w.DecodeAttentionShared(q, prompt[l], c)
		}
		return w.attendShared(q, prompt[l], promptValid, c, keyValid)
	}, prompt)
}

// attendShared is grouped-query attention of one new token per row, q [R, 1, H, HD], over its
// prompt's cache p [P, KV, Tp, HD] (promptValid [P, Tp]) and its own cache c [R, KV, S, HD]
// (valid [R, S]), R = P·N: [R, 1, H·HD].
func (w *Weights) attendShared(q *Node, p KV, promptValid *Node, c KV, valid *Node) *Node {
	cfg := w.Config
	R, H, HD := q.Shape().Dimensions[0], q.Shape().Dimensions[2], q.Shape().Dimensions[3]
	P, KVh, Tp := p.K.Shape().Dimensions[0], p.K.Shape().Dimensions[1], p.K.Shape().Dimensions[2]
	N, G, S := R/P, H/cfg.NumKeyValueHeads, c.K.Shape().Dimensions[2]
	g := q.Graph()
	scale := 1 / math.Sqrt(float64(HD))
	bias := func(ok *Node) *Node { // true → 0, false → −∞
		return Where(ok, ScalarZero(g, dtypes.Float32), Scalar(g, dtypes.Float32, -1e30))
	}
	q4 := Reshape(q, R, KVh, G, HD) // head h = kv·G + g, as repeat_kv
	// byPrompt and byRow move [R, KV, G, X] to [P, KV, N·G, X] and back.
	byPrompt := func(x *Node) *Node {
		X := x.Shape().Dimensions[3]
		return Reshape(TransposeAllAxes(Reshape(x, P, N, KVh, G, X), 0, 2, 1, 3, 4), P, KVh, N*G, X)
	}
	byRow := func(x *Node) *Node {
		X := x.Shape().Dimensions[3]
		return Reshape(TransposeAllAxes(Reshape(x, P, KVh, N, G, X), 0, 2, 1, 3, 4), R, KVh, G, X)
	}
	sp := Product(byPrompt(q4), []int{3}, []int{0, 1}, p.K, []int{3}, []int{0, 1}) // [P, KV, N·G, Tp]
	sp = Add(MulScalar(ConvertDType(sp, dtypes.Float32), scale), Reshape(bias(promptValid), P, 1, 1, Tp))
	sc := Product(q4, []int{3}, []int{0, 1}, c.K, []int{3}, []int{0, 1}) // [R, KV, G, S]
	sc = Add(MulScalar(ConvertDType(sc, dtypes.Float32), scale), Reshape(bias(valid), R, 1, 1, S))
	probs := ConvertDType(Softmax(Concatenate([]*Node{byRow(sp), sc}, 3), -1), w.Compute) // [R, KV, G, Tp+S]
	pp := Slice(probs, AxisRange(), AxisRange(), AxisRange(), AxisRange(0, Tp))
	pc := Slice(probs, AxisRange(), AxisRange(), AxisRange(), AxisRange(Tp, Tp+S))
	op := byRow(Product(byPrompt(pp), []int{3}, []int{0, 1}, p.V, []int{2}, []int{0, 1})) // [R, KV, G, HD]
	oc := Product(pc, []int{3}, []int{0, 1}, c.V, []int{2}, []int{0, 1})                  // [R, KV, G, HD]
	return Reshape(Add(op, oc), R, 1, H*HD)
}
