// Package donate marks graph parameters whose buffer XLA may reuse for an output, so that a
// state updated every call (a KV cache, weights and optimizer moments) is updated in place.
//
// GoMLX 0.26 donates buffers at execution time but never declares input/output aliasing when
// it compiles, so XLA writes every output to a fresh buffer: a donated 25 GB KV cache is
// copied on each decode step. XLA honours the StableHLO argument attribute
// `tf.aliasing_output = k : i32` (as JAX's donate_argnums does); GoMLX has no API to set it, so
// Alias reaches the StableHLO value of the parameter through reflection (internal/hloedit). The change that would
// make this unnecessary in GoMLX: let graph.Parameter (or Exec) take a donation/aliasing hint
// and pass it to stablehlo.Function.NamedInputWithShardingAndAttributes in
// backends/xla/builder.go's Parameter.
package donate

import (
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/internal/hloedit"
)

// Alias declares that output number `output` of the graph being built (in the order the graph
// function returns its outputs) may reuse the buffer of parameter param, which must have the
// same shape and dtype and be donated at execution (graph.DonateTensorBuffer); when it is not
// donated, XLA copies it first. It reports whether the backend took the hint: only XLA
// backends do; elsewhere it does nothing.
func Alias(param *graph.Node, output int) bool {
	v := hloedit.Value(param)
	if v == nil {
		return false
	}
	if v.Attributes == nil {
		v.Attributes = map[string]any{}
	}
	v.Attributes["tf.aliasing_output"] = int32(output)
	return true
}

// Append appends the buffers of ts to args, donated (graph.DonateTensorBuffer: the tensors are
// spent, and a parameter declared with Alias is updated in place). It panics on a failure, as
// graph.Exec.MustExec does; callers run under guard.Run.
func Append(args []any, b backends.Backend, ts []*tensors.Tensor) []any {
	for _, t := range ts {
		buf, err := graph.DonateTensorBuffer(t, b, 0)
		if err != nil {
			panic(err)
		}
		args = append(args, buf)
	}
	return args
}
