// Package hloedit reaches, through reflection, the StableHLO that GoMLX's XLA backend builds
// for a graph, to express what GoMLX 0.26 has no API for: input/output aliasing of donated
// parameters (internal/donate) and custom calls into XLA's own kernels (cuDNN flash
// attention, model/fused.go). Every function reports failure instead of panicking when
// GoMLX's internals do not look as expected (a different backend, a different version), so
// callers can fall back to plain graph operations.
//
// The change that would make this package unnecessary in GoMLX: a CustomCall operation in
// backends.Builder (go-xla's stablehlo package already knows the op type) and an aliasing hint
// on graph.Parameter passed to stablehlo.Function.NamedInputWithShardingAndAttributes.
package hloedit

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unsafe"

	"github.com/gomlx/go-xla/pkg/stablehlo"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Value returns the StableHLO value that an XLA backend built for node, or nil when the graph
// is not built by GoMLX's XLA backend (or GoMLX's internals changed).
func Value(node *graph.Node) (v *stablehlo.Value) {
	defer func() {
		if recover() != nil {
			v = nil
		}
	}()
	ops, ok := field(reflect.ValueOf(node).Elem(), "outputOps").Interface().([]backends.Op)
	if !ok || len(ops) != 1 {
		return nil
	}
	xn, ok := ops[0].(*xla.Node)
	if !ok {
		return nil
	}
	v, _ = field(reflect.ValueOf(xn).Elem(), "value").Interface().(*stablehlo.Value)
	return v
}

// field returns a struct field, exported or not, as a readable and settable value.
func field(v reflect.Value, name string) reflect.Value {
	f := v.FieldByName(name)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// Raw is an attribute value written into the StableHLO text as is.
type Raw string

// ToStableHLO implements go-xla's attribute rendering.
func (r Raw) ToStableHLO() string { return string(r) }

// Layout renders a minor-to-major layout as a custom call's operand or result layout.
func Layout(minorToMajor ...int) Raw {
	if len(minorToMajor) == 1 { // as JAX writes it
		return Raw(fmt.Sprintf("dense<%d> : tensor<1xindex>", minorToMajor[0]))
	}
	s := "["
	for i, d := range minorToMajor {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(d)
	}
	return Raw(fmt.Sprintf("dense<%s]> : tensor<%dxindex>", s, len(minorToMajor)))
}

// List renders attribute values as a list: [a, b, ...].
func List(items ...Raw) Raw {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = string(it)
	}
	return Raw("[" + strings.Join(s, ", ") + "]")
}

// DefaultLayout is the row-major layout of a rank-r array.
func DefaultLayout(rank int) Raw {
	d := make([]int, rank)
	for i := range d {
		d[i] = rank - 1 - i
	}
	return Layout(d...)
}

// ErrNotXLA means the graph is not built by GoMLX's XLA backend.
var ErrNotXLA = errors.New("hloedit: the graph is not built by GoMLX's XLA backend")

// CustomCall turns placeholders, nodes created (in this order, after every operand) only to
// stand for the call's results, into the results of one stablehlo.custom_call of the operands
// with the given attributes (call_target_name, backend_config, layouts...). The placeholders'
// nodes then carry the results: their shapes must be the results' shapes. Any op whose
// statement has a single output works as a placeholder, e.g. graph.Zeros; nothing else may use
// a placeholder's statement.
func CustomCall(operands, placeholders []*graph.Node, attributes map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("hloedit: GoMLX's StableHLO builder is not as expected: %v", r)
		}
	}()
	var ins, outs []*stablehlo.Value
	for _, n := range operands {
		v := Value(n)
		if v == nil {
			return ErrNotXLA
		}
		ins = append(ins, v)
	}
	for _, n := range placeholders {
		v := Value(n)
		if v == nil {
			return ErrNotXLA
		}
		outs = append(outs, v)
	}
	return customCall(ins, outs, attributes)
}

// customCall is CustomCall on StableHLO values.
func customCall(ins, outs []*stablehlo.Value, attributes map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("hloedit: GoMLX's StableHLO builder is not as expected: %v", r)
		}
	}()
	fn, ok := field(reflect.ValueOf(outs[0]).Elem(), "fn").Interface().(*stablehlo.Function)
	if !ok || fn == nil {
		return ErrNotXLA
	}
	// The statements that define the placeholders, in order.
	at := make([]int, len(outs))
	for i, v := range outs {
		at[i] = slices.IndexFunc(fn.Statements, func(s *stablehlo.Statement) bool {
			return len(s.Outputs) == 1 && s.Outputs[0] == v
		})
		if at[i] < 0 || (i > 0 && at[i] <= at[i-1]) {
			return fmt.Errorf("hloedit: placeholder %d is not defined by its own statement after the previous one", i)
		}
	}
	call := fn.Statements[at[0]]
	op := reflect.ValueOf(call).Elem().FieldByName("OpType")
	op.SetInt(customCallOp(op))
	if fmt.Sprint(call.OpType) != "CustomCall" {
		return errors.New("hloedit: go-xla has no CustomCall op type where expected")
	}
	call.Inputs, call.Outputs, call.Attributes = ins, outs, attributes
	call.FunctionParameters, call.FunctionParametersNames = nil, nil
	for i := len(at) - 1; i > 0; i-- {
		fn.Statements = slices.Delete(fn.Statements, at[i], at[i]+1)
	}
	return nil
}

// customCallOp finds the integer value of go-xla's CustomCall op type by its name.
func customCallOp(op reflect.Value) int64 {
	probe := reflect.New(op.Type()).Elem()
	for i := int64(0); i < 1000; i++ {
		probe.SetInt(i)
		if fmt.Sprint(probe.Interface()) == "CustomCall" {
			return i
		}
	}
	panic("no CustomCall op type")
}
