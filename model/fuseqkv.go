package model

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Inference graphs (generation) can take each layer's q, k and v projections as one product:
// the three weights stacked along the output axis, [(H + 2·KV)·HD, D], and their biases
// likewise. At a few hundred rows per decode step a projection is a small GEMM bound by its
// fixed cost (on an H200 the q, k and v products of the 0.5B shape took 7.9, 2.4 and 4.3 µs
// at 256 rows for 2 MB of weights), so one kernel instead of three saves most of two.

// The stacked parameters' name suffixes, and the projections each stacks.
var fusedParts = map[string][3]string{
	"self_attn.qkv_proj.weight": {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight"},
	"self_attn.qkv_proj.bias":   {"self_attn.q_proj.bias", "self_attn.k_proj.bias", "self_attn.v_proj.bias"},
}

// fusedAt: for the name of a q projection's weight or bias, the stacked parameter's name and
// the three names it stacks; dropped for a k or v projection's (they are in the stack).
func fusedAt(name string) (stacked string, parts [3]string, dropped bool) {
	for f, ps := range fusedParts {
		if prefix, ok := strings.CutSuffix(name, ps[0]); ok {
			return prefix + f, [3]string{prefix + ps[0], prefix + ps[1], prefix + ps[2]}, false
		}
		if strings.HasSuffix(name, ps[1]) || strings.HasSuffix(name, ps[2]) {
			return "", parts, true
		}
	}
	return "", parts, false
}

// FusedSpecs is ParamSpecs with each layer's q, k and v weights replaced by one
// "self_attn.qkv_proj.weight" (and their biases by one "self_attn.qkv_proj.bias", where the
// model has them), at the place of the q projection: the parameters BindFused takes.
func (c *Config) FusedSpecs() []ParamSpec {
	var out []ParamSpec
	for _, s := range c.ParamSpecs() {
		stacked, _, dropped := fusedAt(s.Name)
		switch {
		case stacked != "":
			shape := append([]int{(c.NumAttentionHeads + 2*c.NumKeyValueHeads) * c.HeadDim}, s.Shape[1:]...)
			out = append(out, ParamSpec{stacked, shape, s.Init})
		case !dropped:
			out = append(out, s)
		}
	}
	return out
}

// IsStacked reports whether a FusedSpecs name is a stacked q, k, v parameter (one the model's
// checkpoints do not have).
func IsStacked(name string) bool {
	for f := range fusedParts {
		if strings.HasSuffix(name, f) {
			return true
		}
	}
	return false
}

// FuseQKV maps parameter nodes in ParamSpecs order to FusedSpecs order, stacking each layer's
// q, k and v weights (and biases); convert is applied to every parameter first (e.g. a cast to
// the compute dtype).
func FuseQKV(c *Config, params []*Node, convert func(*Node) *Node) []*Node {
	specs := c.ParamSpecs()
	byName := make(map[string]*Node, len(specs))
	for i, s := range specs {
		byName[s.Name] = params[i]
	}
	var out []*Node
	for _, s := range specs {
		stacked, parts, dropped := fusedAt(s.Name)
		switch {
		case stacked != "":
			nodes := make([]*Node, len(parts))
			for i, p := range parts {
				nodes[i] = convert(byName[p])
			}
			out = append(out, Concatenate(nodes, 0))
		case !dropped:
			out = append(out, convert(byName[s.Name]))
		}
	}
	return out
}

// BindFused is Bind for parameters in FusedSpecs order (FuseQKV's output, in any dtype). The
// weights it returns are for graphs that are never differentiated (NoGrad is set).
func BindFused(c *Config, params []*Node, compute dtypes.DType) *Weights {
	w := bindSpecs(c, c.FusedSpecs(), params, compute)
	w.NoGrad = true
	return w
}

// bindSpecs checks params against specs (same count, same shapes) and binds them by name.
func bindSpecs(c *Config, specs []ParamSpec, params []*Node, compute dtypes.DType) *Weights {
	if len(params) != len(specs) {
		panic(fmt.Errorf("model.Bind: %d parameters given, the config has %d", len(params), len(specs)))
	}
	byName := make(map[string]*Node, len(specs))
	for i, s := range specs {
		if !params[i].Shape().Equal(shapes.Make(params[i].DType(), s.Shape...)) {
			panic(fmt.Errorf("model.Bind: parameter %s has shape %s, want %v", s.Name, params[i].Shape(), s.Shape))
		}
		byName[s.Name] = params[i]
	}
	w := &Weights{Config: c, Compute: compute, Embed: byName[nameEmbed], Norm: byName[nameNorm], LMHead: byName[nameLMHead]}
	if c.TieWordEmbeddings {
		w.LMHead = w.Embed
	}
	for i := 0; i < c.NumHiddenLayers; i++ {
		p := func(s string) *Node { return byName[layerName(i, s)] }
		w.Layers = append(w.Layers, LayerWeights{
			InputNorm: p("input_layernorm.weight"), PostNorm: p("post_attention_layernorm.weight"),
			Q: p("self_attn.q_proj.weight"), K: p("self_attn.k_proj.weight"), V: p("self_attn.v_proj.weight"), O: p("self_attn.o_proj.weight"),
			QBias: p("self_attn.q_proj.bias"), KBias: p("self_attn.k_proj.bias"), VBias: p("self_attn.v_proj.bias"), OB: p("self_attn.o_proj.bias"),
			QKV: p("self_attn.qkv_proj.weight"), QKVBias: p("self_attn.qkv_proj.bias"),
			Gate: p("mlp.gate_proj.weight"), Up: p("mlp.up_proj.weight"), Down: p("mlp.down_proj.weight"),
		})
	}
	return w
}
