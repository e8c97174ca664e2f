package triton

import (
	"fmt"
	"strings"
)

// DecodeAttention is attention for one new token per row over its KV cache, as one kernel:
// one program per (row, KV head), whose group of query heads (padded to 16 rows for the
// tensor cores) reads that head's cache slots pad[row] .. at once, in blocks of attnBlock
// slots, with an online softmax; blocks outside that range are not read at all. It replaces
// the two products and the softmax XLA makes of it, and reads only the valid slots, however
// long the cache (bench/triton_decode_attention.py holds the same kernel in Triton's Python,
// with a reference check and timings).
//
// Operands: q [Rows, KVHeads·Group, HeadDim] (bf16; head kv·Group + g, as model.Weights
// lays them out), the caches k and v [Rows, KVHeads, Slots, HeadDim] (bf16), pad [Rows] and at
// [] (int32: row r attends to slots pad[r] .. at). Result: [Rows, KVHeads·Group, HeadDim] bf16.
type DecodeAttention struct {
	Rows, KVHeads, Group, HeadDim, Slots int
	Scale                                float64
}

// attnBlock is how many cache slots one step of the kernel's loop reads; attnGroupRows is
// the query rows a program computes (the group, padded: tl.dot needs at least 16).
const attnBlock, attnGroupRows = 64, 16

// Kernel returns the kernel for these shapes. The group must fit attnGroupRows and the head
// dimension be a power of two of at least 16.
func (a DecodeAttention) Kernel() (Kernel, error) {
	if a.Group < 1 || a.Group > attnGroupRows {
		return Kernel{}, fmt.Errorf("triton: decode attention with %d query heads per KV head (at most %d)", a.Group, attnGroupRows)
	}
	if a.HeadDim < 16 || a.HeadDim&(a.HeadDim-1) != 0 {
		return Kernel{}, fmt.Errorf("triton: decode attention with head dimension %d (a power of two ≥ 16)", a.HeadDim)
	}
	if a.Rows < 1 || a.KVHeads < 1 || a.Slots < 1 {
		return Kernel{}, fmt.Errorf("triton: decode attention with %d rows, %d KV heads, %d slots", a.Rows, a.KVHeads, a.Slots)
	}
	ir := strings.NewReplacer(
		"{{GP}}", fmt.Sprint(attnGroupRows), "{{G}}", fmt.Sprint(a.Group), "{{HD}}", fmt.Sprint(a.HeadDim),
		"{{KV}}", fmt.Sprint(a.KVHeads), "{{BLOCK}}", fmt.Sprint(attnBlock), "{{SHD}}", fmt.Sprint(a.Slots*a.HeadDim),
		"{{SCALE}}", fmt.Sprintf("%.9e", a.Scale),
	).Replace(decodeAttentionIR)
	return Kernel{Name: "decode_attention", IR: ir, Grid: [3]int{a.Rows, a.KVHeads, 1}, NumWarps: 4, NumStages: 2}, nil
}

// decodeAttentionIR is the kernel of bench/triton_decode_attention.py written out as Triton IR.
// Offsets within a row's cache are int32 (Slots·HeadDim < 2³¹); the row's base is int64.
const decodeAttentionIR = `module {
  tt.func public @decode_attention(%q: !tt.ptr<bf16> {tt.divisibility = 16 : i32}, %k: !tt.ptr<bf16> {tt.divisibility = 16 : i32}, %v: !tt.ptr<bf16> {tt.divisibility = 16 : i32}, %pad: !tt.ptr<i32> {tt.divisibility = 16 : i32}, %at: !tt.ptr<i32> {tt.divisibility = 16 : i32}, %o: !tt.ptr<bf16> {tt.divisibility = 16 : i32}) attributes {noinline = false} {
    %r = tt.get_program_id x : i32
    %h = tt.get_program_id y : i32
    %c_kv = arith.constant {{KV}} : i32
    %c_g = arith.constant {{G}} : i32
    %c_block = arith.constant {{BLOCK}} : i32
    %c_one = arith.constant 1 : i32
    %rkv0 = arith.muli %r, %c_kv : i32
    %rkv = arith.addi %rkv0, %h : i32
    %head0 = arith.muli %rkv, %c_g : i32
    %g = tt.make_range {end = {{GP}} : i32, start = 0 : i32} : tensor<{{GP}}xi32>
    %head0s = tt.splat %head0 : i32 -> tensor<{{GP}}xi32>
    %heads = arith.addi %head0s, %g : tensor<{{GP}}xi32>
    %gs = arith.constant dense<{{G}}> : tensor<{{GP}}xi32>
    %gmask = arith.cmpi slt, %g, %gs : tensor<{{GP}}xi32>
    %d = tt.make_range {end = {{HD}} : i32, start = 0 : i32} : tensor<{{HD}}xi32>
    %hd_g = arith.constant dense<{{HD}}> : tensor<{{GP}}xi32>
    %hrow = arith.muli %heads, %hd_g : tensor<{{GP}}xi32>
    %hrow2 = tt.expand_dims %hrow {axis = 1 : i32} : tensor<{{GP}}xi32> -> tensor<{{GP}}x1xi32>
    %hrowb = tt.broadcast %hrow2 : tensor<{{GP}}x1xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %dcol = tt.expand_dims %d {axis = 0 : i32} : tensor<{{HD}}xi32> -> tensor<1x{{HD}}xi32>
    %dcolq = tt.broadcast %dcol : tensor<1x{{HD}}xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %qoff = arith.addi %hrowb, %dcolq : tensor<{{GP}}x{{HD}}xi32>
    %gmask2 = tt.expand_dims %gmask {axis = 1 : i32} : tensor<{{GP}}xi1> -> tensor<{{GP}}x1xi1>
    %gmaskb = tt.broadcast %gmask2 : tensor<{{GP}}x1xi1> -> tensor<{{GP}}x{{HD}}xi1>
    %qs = tt.splat %q : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qp = tt.addptr %qs, %qoff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    %zq = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{HD}}xbf16>
    %qv = tt.load %qp, %gmaskb, %zq : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %padp = tt.addptr %pad, %r : !tt.ptr<i32>, i32
    %padv = tt.load %padp : !tt.ptr<i32>
    %atv = tt.load %at : !tt.ptr<i32>
    %rkv64 = arith.extsi %rkv : i32 to i64
    %shd = arith.constant {{SHD}} : i64
    %base = arith.muli %rkv64, %shd : i64
    %kb = tt.addptr %k, %base : !tt.ptr<bf16>, i64
    %vb = tt.addptr %v, %base : !tt.ptr<bf16>, i64
    %lb0 = arith.divsi %padv, %c_block : i32
    %lb = arith.muli %lb0, %c_block : i32
    %ub = arith.addi %atv, %c_one : i32
    %m0 = arith.constant dense<-1.000000e+30> : tensor<{{GP}}xf32>
    %l0 = arith.constant dense<0.000000e+00> : tensor<{{GP}}xf32>
    %acc0 = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{HD}}xf32>
    %sr = tt.make_range {end = {{BLOCK}} : i32, start = 0 : i32} : tensor<{{BLOCK}}xi32>
    %pads = tt.splat %padv : i32 -> tensor<{{BLOCK}}xi32>
    %ats = tt.splat %atv : i32 -> tensor<{{BLOCK}}xi32>
    %hd_s = arith.constant dense<{{HD}}> : tensor<{{BLOCK}}xi32>
    %dcolk = tt.broadcast %dcol : tensor<1x{{HD}}xi32> -> tensor<{{BLOCK}}x{{HD}}xi32>
    %zkv = arith.constant dense<0.000000e+00> : tensor<{{BLOCK}}x{{HD}}xbf16>
    %kbs = tt.splat %kb : !tt.ptr<bf16> -> tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
    %vbs = tt.splat %vb : !tt.ptr<bf16> -> tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
    %zs = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{BLOCK}}xf32>
    %scale = arith.constant dense<{{SCALE}}> : tensor<{{GP}}x{{BLOCK}}xf32>
    %neg = arith.constant dense<-1.000000e+30> : tensor<{{GP}}x{{BLOCK}}xf32>
    %res:3 = scf.for %s0 = %lb to %ub step %c_block iter_args(%m = %m0, %l = %l0, %acc = %acc0) -> (tensor<{{GP}}xf32>, tensor<{{GP}}xf32>, tensor<{{GP}}x{{HD}}xf32>)  : i32 {
      %s0s = tt.splat %s0 : i32 -> tensor<{{BLOCK}}xi32>
      %s = arith.addi %s0s, %sr : tensor<{{BLOCK}}xi32>
      %after = arith.cmpi sge, %s, %pads : tensor<{{BLOCK}}xi32>
      %upto = arith.cmpi sle, %s, %ats : tensor<{{BLOCK}}xi32>
      %valid = arith.andi %after, %upto : tensor<{{BLOCK}}xi1>
      %srow = arith.muli %s, %hd_s : tensor<{{BLOCK}}xi32>
      %srow2 = tt.expand_dims %srow {axis = 1 : i32} : tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x1xi32>
      %srowb = tt.broadcast %srow2 : tensor<{{BLOCK}}x1xi32> -> tensor<{{BLOCK}}x{{HD}}xi32>
      %kvoff = arith.addi %srowb, %dcolk : tensor<{{BLOCK}}x{{HD}}xi32>
      %valid2 = tt.expand_dims %valid {axis = 1 : i32} : tensor<{{BLOCK}}xi1> -> tensor<{{BLOCK}}x1xi1>
      %validkv = tt.broadcast %valid2 : tensor<{{BLOCK}}x1xi1> -> tensor<{{BLOCK}}x{{HD}}xi1>
      %kp = tt.addptr %kbs, %kvoff : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{BLOCK}}x{{HD}}xi32>
      %kblk = tt.load %kp, %validkv, %zkv : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
      %kt = tt.trans %kblk {order = array<i32: 1, 0>} : tensor<{{BLOCK}}x{{HD}}xbf16> -> tensor<{{HD}}x{{BLOCK}}xbf16>
      %qk0 = tt.dot %qv, %kt, %zs : tensor<{{GP}}x{{HD}}xbf16> * tensor<{{HD}}x{{BLOCK}}xbf16> -> tensor<{{GP}}x{{BLOCK}}xf32>
      %qk1 = arith.mulf %qk0, %scale : tensor<{{GP}}x{{BLOCK}}xf32>
      %validr = tt.expand_dims %valid {axis = 0 : i32} : tensor<{{BLOCK}}xi1> -> tensor<1x{{BLOCK}}xi1>
      %validq = tt.broadcast %validr : tensor<1x{{BLOCK}}xi1> -> tensor<{{GP}}x{{BLOCK}}xi1>
      %qk = arith.select %validq, %qk1, %neg : tensor<{{GP}}x{{BLOCK}}xi1>, tensor<{{GP}}x{{BLOCK}}xf32>
      %rowmax = "tt.reduce"(%qk) <{axis = 1 : i32}> ({
      ^bb0(%ma: f32, %mb: f32):
        %mx = arith.maxnumf %ma, %mb : f32
        tt.reduce.return %mx : f32
      }) : (tensor<{{GP}}x{{BLOCK}}xf32>) -> tensor<{{GP}}xf32>
      %mnew = arith.maxnumf %m, %rowmax : tensor<{{GP}}xf32>
      %mnew2 = tt.expand_dims %mnew {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
      %mnewb = tt.broadcast %mnew2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{BLOCK}}xf32>
      %qkm = arith.subf %qk, %mnewb : tensor<{{GP}}x{{BLOCK}}xf32>
      %e = math.exp %qkm : tensor<{{GP}}x{{BLOCK}}xf32>
      %p = arith.select %validq, %e, %zs : tensor<{{GP}}x{{BLOCK}}xi1>, tensor<{{GP}}x{{BLOCK}}xf32>
      %dm = arith.subf %m, %mnew : tensor<{{GP}}xf32>
      %alpha = math.exp %dm : tensor<{{GP}}xf32>
      %psum = "tt.reduce"(%p) <{axis = 1 : i32}> ({
      ^bb0(%sa: f32, %sb: f32):
        %sm = arith.addf %sa, %sb : f32
        tt.reduce.return %sm : f32
      }) : (tensor<{{GP}}x{{BLOCK}}xf32>) -> tensor<{{GP}}xf32>
      %la = arith.mulf %l, %alpha : tensor<{{GP}}xf32>
      %lnew = arith.addf %la, %psum : tensor<{{GP}}xf32>
      %vp = tt.addptr %vbs, %kvoff : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{BLOCK}}x{{HD}}xi32>
      %vblk = tt.load %vp, %validkv, %zkv : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
      %pb = arith.truncf %p : tensor<{{GP}}x{{BLOCK}}xf32> to tensor<{{GP}}x{{BLOCK}}xbf16>
      %alpha2 = tt.expand_dims %alpha {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
      %alphab = tt.broadcast %alpha2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
      %acca = arith.mulf %acc, %alphab : tensor<{{GP}}x{{HD}}xf32>
      %accn = tt.dot %pb, %vblk, %acca : tensor<{{GP}}x{{BLOCK}}xbf16> * tensor<{{BLOCK}}x{{HD}}xbf16> -> tensor<{{GP}}x{{HD}}xf32>
      scf.yield %mnew, %lnew, %accn : tensor<{{GP}}xf32>, tensor<{{GP}}xf32>, tensor<{{GP}}x{{HD}}xf32>
    }
    %lfin2 = tt.expand_dims %res#1 {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
    %lfinb = tt.broadcast %lfin2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %out = arith.divf %res#2, %lfinb : tensor<{{GP}}x{{HD}}xf32>
    %outb = arith.truncf %out : tensor<{{GP}}x{{HD}}xf32> to tensor<{{GP}}x{{HD}}xbf16>
    %os = tt.splat %o : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %op = tt.addptr %os, %qoff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    tt.store %op, %outb, %gmaskb : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    tt.return
  }
}
`
