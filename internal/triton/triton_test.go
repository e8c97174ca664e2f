package triton

import (
	"errors"
	"github.com/gomlx/gomlx/backends"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/hloedit"
)

// The attributes are the ones JAX's Pallas lowering gives the call: typed FFI (api_version
// 4) and a dictionary backend_config holding the IR as an MLIR string.
func TestAttributes(t *testing.T) {
	k := Kernel{Name: "k", IR: "module {\n  \"q\\x\"\n}", Grid: [3]int{3}, NumWarps: 8, NumStages: 2}
	a := k.Attributes([]int{2, 0}, []int{1})
	want := map[string]any{
		"call_target_name": "__gpu$xla.gpu.triton",
		"api_version":      int32(4),
		"has_side_effect":  false,
		"backend_config": hloedit.Raw(`{debug = false, grid_x = 3 : i32, grid_y = 1 : i32, grid_z = 1 : i32, ` +
			`ir = "module {\0A  \"q\\x\"\0A}", name = "k", num_stages = 2 : i32, num_warps = 8 : i32}`),
		"operand_layouts": hloedit.Raw("[dense<[1, 0]> : tensor<2xindex>, dense<[]> : tensor<0xindex>]"),
		"result_layouts":  hloedit.Raw("[dense<0> : tensor<1xindex>]"),
	}
	for key, w := range want {
		if a[key] != w {
			t.Errorf("%s = %v, want %v", key, a[key], w)
		}
	}
	if len(a) != len(want) {
		t.Errorf("%d attributes, want %d", len(a), len(want))
	}
}

func TestAddOneIR(t *testing.T) {
	k := AddOne(300)
	if k.Grid != [3]int{3, 0, 0} {
		t.Errorf("grid %v: want 3 programs of 128 for 300 elements", k.Grid)
	}
	for _, want := range []string{"tt.func public @add_one(", "dense<300> : tensor<128xi32>", "tt.make_range {end = 128 : i32, start = 0 : i32}"} {
		if !strings.Contains(k.IR, want) {
			t.Errorf("IR lacks %q:\n%s", want, k.IR)
		}
	}
	if strings.Contains(k.IR, "{{") {
		t.Errorf("IR has unreplaced placeholders:\n%s", k.IR)
	}
}

func TestCallOffXLA(t *testing.T) {
	b, err := backend.New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	var callErr error
	MustExecOnce(b, func(x *Node) *Node {
		_, callErr = Call(AddOne(4), []*Node{x}, x.Shape())
		return x
	}, []float32{1, 2, 3, 4})
	if !errors.Is(callErr, hloedit.ErrNotXLA) {
		t.Errorf("Call on the pure Go backend: %v, want hloedit.ErrNotXLA", callErr)
	}
}

// TestAddOneOnGPU runs a Triton kernel written here through XLA on a CUDA GPU (skipped
// elsewhere): 1,000 elements, a partial last block.
func TestAddOneOnGPU(t *testing.T) {
	b := cudaBackend(t)
	const n = 1000
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i) / 4
	}
	got := MustExecOnce(b, func(x *Node) *Node {
		y, err := Call(AddOne(n), []*Node{x}, shapes.Make(dtypes.Float32, n))
		if err != nil {
			panic(err)
		}
		return y[0]
	}, tensors.FromValue(x)).Value().([]float32)
	for i := range x {
		if got[i] != x[i]+1 {
			t.Fatalf("y[%d] = %v, want %v", i, got[i], x[i]+1)
		}
	}
}

// cudaBackend is one CUDA backend for every GPU test of the package (each client would reserve
// most of the GPU's memory); the test is skipped without a CUDA GPU.
func cudaBackend(t *testing.T) backends.Backend {
	t.Helper()
	gpu.once.Do(func() { gpu.b, gpu.err = backend.New("cuda") })
	if gpu.err != nil || !backend.IsCUDA(gpu.b) {
		t.Skip("no CUDA GPU:", gpu.err)
	}
	return gpu.b
}

var gpu struct {
	once sync.Once
	b    backends.Backend
	err  error
}

// Aliased results render as XLA's output_operand_aliases, with tuple indices only when the
// call has several results (as JAX writes pallas_call's input_output_aliases).
func TestAliasAttributes(t *testing.T) {
	k := Kernel{Name: "k", IR: "module {}", Aliases: [][2]int{{1, 5}, {2, 6}}}
	got := k.Attributes([]int{3, 3}, []int{3, 4, 4})["output_operand_aliases"]
	want := hloedit.Raw("[#stablehlo.output_operand_alias<output_tuple_indices = [1], operand_index = 5, operand_tuple_indices = []>, " +
		"#stablehlo.output_operand_alias<output_tuple_indices = [2], operand_index = 6, operand_tuple_indices = []>]")
	if got != want {
		t.Errorf("aliases of three results:\n got %v\nwant %v", got, want)
	}
	k.Aliases = [][2]int{{0, 1}}
	if got := k.Attributes([]int{1, 1}, []int{1})["output_operand_aliases"]; got != hloedit.Raw("[#stablehlo.output_operand_alias<output_tuple_indices = [], operand_index = 1, operand_tuple_indices = []>]") {
		t.Errorf("alias of a single result: %v", got)
	}
	if _, ok := (Kernel{Name: "k"}).Attributes(nil, []int{1})["output_operand_aliases"]; ok {
		t.Error("a kernel without aliases has output_operand_aliases")
	}
}
