package triton

import (
	"fmt"
	"strings"
)

// addOneBlock is how many elements one program of AddOne handles.
const addOneBlock = 128

// AddOne is y = x + 1 for x, y f32[n]: the smallest kernel through this package's whole route
// (IR text, custom call, XLA's Triton, launch), to check that route on a GPU
// (TestAddOneOnGPU).
func AddOne(n int) Kernel {
	ir := `module {
  tt.func public @add_one(%x: !tt.ptr<f32> {tt.divisibility = 16 : i32}, %y: !tt.ptr<f32> {tt.divisibility = 16 : i32}) attributes {noinline = false} {
    %pid = tt.get_program_id x : i32
    %block = arith.constant {{BLOCK}} : i32
    %start = arith.muli %pid, %block : i32
    %range = tt.make_range {end = {{BLOCK}} : i32, start = 0 : i32} : tensor<{{BLOCK}}xi32>
    %starts = tt.splat %start : i32 -> tensor<{{BLOCK}}xi32>
    %offsets = arith.addi %starts, %range : tensor<{{BLOCK}}xi32>
    %n = arith.constant dense<{{N}}> : tensor<{{BLOCK}}xi32>
    %mask = arith.cmpi slt, %offsets, %n : tensor<{{BLOCK}}xi32>
    %xs = tt.splat %x : !tt.ptr<f32> -> tensor<{{BLOCK}}x!tt.ptr<f32>>
    %xp = tt.addptr %xs, %offsets : tensor<{{BLOCK}}x!tt.ptr<f32>>, tensor<{{BLOCK}}xi32>
    %v = tt.load %xp, %mask : tensor<{{BLOCK}}x!tt.ptr<f32>>
    %one = arith.constant dense<1.000000e+00> : tensor<{{BLOCK}}xf32>
    %w = arith.addf %v, %one : tensor<{{BLOCK}}xf32>
    %ys = tt.splat %y : !tt.ptr<f32> -> tensor<{{BLOCK}}x!tt.ptr<f32>>
    %yp = tt.addptr %ys, %offsets : tensor<{{BLOCK}}x!tt.ptr<f32>>, tensor<{{BLOCK}}xi32>
    tt.store %yp, %w, %mask : tensor<{{BLOCK}}x!tt.ptr<f32>>
    tt.return
  }
}
`
	ir = strings.NewReplacer("{{BLOCK}}", fmt.Sprint(addOneBlock), "{{N}}", fmt.Sprint(n)).Replace(ir)
	return Kernel{Name: "add_one", IR: ir, Grid: [3]int{(n + addOneBlock - 1) / addOneBlock}, NumWarps: 4, NumStages: 1}
}
