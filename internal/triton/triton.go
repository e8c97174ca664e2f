// Package triton calls Triton kernels from GoMLX graphs on XLA's CUDA backend. A kernel is
// Triton IR text (TTIR: the tt, arith and scf dialects) that r1go writes itself, so nothing
// but the r1go binary is needed at run time: XLA compiles a stablehlo.custom_call
// "__gpu$xla.gpu.triton" whose backend_config carries the kernel's IR, name, grid and launch
// parameters, with its bundled Triton, the form JAX's Pallas lowering writes
// (jax/_src/pallas/triton/pallas_call_registration.py). The kernel's arguments are pointers
// to the call's operands, then to its results, all row-major; sizes are constants in the IR.
//
// This is the route to kernels XLA does not make of a decode step (fused attention over the
// KV cache, a norm fused into the product after it): see BENCHMARKS.md, generation.
package triton

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/r1go/r1go/internal/hloedit"
)

// Target is the custom call XLA's GPU backend compiles Triton IR for.
const Target = "__gpu$xla.gpu.triton"

// Kernel is one Triton kernel launch: IR is a module holding a public tt.func named Name whose
// arguments are the pointers described in the package comment; Grid is the number of
// programs along x, y and z.
type Kernel struct {
	Name                string
	IR                  string
	Grid                [3]int
	NumWarps, NumStages int
	// Aliases pairs {result, operand}: the result is written in the operand's buffer (XLA's
	// output_operand_aliases), so a kernel can update a large operand in place, e.g. a KV
	// cache; it reads the operand through the operand's pointer and writes through the
	// result's, which are the same buffer.
	Aliases [][2]int
}

// Attributes are the custom call's attributes for k with operands and results of the given
// ranks (row-major layouts).
func (k Kernel) Attributes(operandRanks, resultRanks []int) map[string]any {
	grid := k.Grid
	for i := range grid {
		grid[i] = max(1, grid[i])
	}
	config := fmt.Sprintf("{debug = false, grid_x = %d : i32, grid_y = %d : i32, grid_z = %d : i32, ir = %s, name = %s, num_stages = %d : i32, num_warps = %d : i32}",
		grid[0], grid[1], grid[2], mlirString(k.IR), mlirString(k.Name), max(1, k.NumStages), max(1, k.NumWarps))
	attrs := map[string]any{
		"call_target_name": Target,
		"api_version":      int32(4),
		"has_side_effect":  false,
		"backend_config":   hloedit.Raw(config),
		"operand_layouts":  layouts(operandRanks),
		"result_layouts":   layouts(resultRanks),
	}
	if len(k.Aliases) > 0 {
		var parts []hloedit.Raw
		for _, a := range k.Aliases {
			tuple := "[]" // a single result is not a tuple
			if len(resultRanks) > 1 {
				tuple = fmt.Sprintf("[%d]", a[0])
			}
			parts = append(parts, hloedit.Raw(fmt.Sprintf("#stablehlo.output_operand_alias<output_tuple_indices = %s, operand_index = %d, operand_tuple_indices = []>", tuple, a[1])))
		}
		attrs["output_operand_aliases"] = hloedit.List(parts...)
	}
	return attrs
}

// Call runs k on the operands and returns its results, of the given shapes. It fails with
// hloedit.ErrNotXLA off GoMLX's XLA backend.
func Call(k Kernel, operands []*graph.Node, results ...shapes.Shape) ([]*graph.Node, error) {
	if len(operands) == 0 || len(results) == 0 {
		return nil, fmt.Errorf("triton: kernel %s needs operands and results", k.Name)
	}
	g := operands[0].Graph()
	var ins, outs []int
	for _, o := range operands {
		ins = append(ins, o.Rank())
	}
	placeholders := make([]*graph.Node, len(results))
	for i, s := range results {
		placeholders[i] = graph.Zeros(g, s)
		outs = append(outs, s.Rank())
	}
	if err := hloedit.CustomCall(operands, placeholders, k.Attributes(ins, outs)); err != nil {
		return nil, err
	}
	return placeholders, nil
}

func layouts(ranks []int) hloedit.Raw {
	var parts []hloedit.Raw
	for _, r := range ranks {
		parts = append(parts, hloedit.DefaultLayout(r))
	}
	return hloedit.List(parts...)
}

// mlirString quotes s as an MLIR string literal: quotes and backslashes escaped, every byte
// outside printable ASCII as two hex digits.
func mlirString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
