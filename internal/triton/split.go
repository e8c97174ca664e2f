package triton

import (
	"fmt"
	"strings"
)

// Split decode attention (flash-decoding): with Tuning.Splits = P > 1 the fused kernel runs P
// programs per (row, KV head), each over its share of the row's valid cache blocks, and writes
// its online-softmax state to a parts buffer; CombineKernel merges the parts. At a few hundred
// rows the plain kernel's rows × KV heads programs leave the GPU's memory system half idle (one
// H200, 0.5B heads: 3.1 TB/s of valid keys and values at 256 rows against 4.0 TB/s at 1024,
// bench/triton_decode_attention.py --sweep); P times as many programs read the same bytes.

// PartsShape is the parts buffer's shape, [Rows, KVHeads, Splits, 16, HeadDim + 2] (f32): for
// each part, the padded query group's accumulated values [16, HeadDim], then its running
// maximum and sum.
func (a DecodeAttention) PartsShape() []int {
	return []int{a.Rows, a.KVHeads, a.Tuning.resolved().Splits, attnGroupRows, a.HeadDim + 2}
}

// FusedSplitKernel is FusedKernel in Tuning.Splits parts: program (r, h, p) reads the p-th
// share of row r's cache blocks below slot at, and the last part also the new token (from
// registers); every part writes the new key and value (the same values) into the caches.
// Operands as FusedKernel's; results the parts [PartsShape] (f32) and the two caches, in
// place (aliasing operands 4 and 5).
func (a DecodeAttention) FusedSplitKernel() (Kernel, error) {
	if err := a.Check(); err != nil {
		return Kernel{}, err
	}
	P := a.Tuning.resolved().Splits
	if P < 2 {
		return Kernel{}, fmt.Errorf("triton: split decode attention with %d parts (at least 2)", P)
	}
	ir := header(qRoped) + newKV + attnRowPad + attnOwnCache + writeNew + splitRange +
		attnLoop("", "%padv", "%atm1", "%kb", "%vb", "%start", "%end", "%m0", "%l0", "%acc0") +
		addNew("%res#0", "%res#1", "%res#2") + partsFooter
	k := a.kernel("decode_attention_fused_split", splitConstants(ir, a), attnArgs("qkv", "qkvb", "cos", "sin", "k", "v", "pad", "at", "parts", "ko", "vo"), 0, 0)
	k.Grid[2] = P
	k.Aliases = [][2]int{{1, 4}, {2, 5}}
	return k, nil
}

// CombineKernel merges FusedSplitKernel's parts into the attention [Rows, KVHeads·Group,
// HeadDim] (bf16): o = Σ_p acc_p·e^(m_p − M) / Σ_p l_p·e^(m_p − M), M the largest m_p (a part
// with no blocks has m = −1e30 and l = 0, acc = 0, and weighs nothing). One program per (row,
// KV head).
func (a DecodeAttention) CombineKernel() (Kernel, error) {
	if err := a.Check(); err != nil {
		return Kernel{}, err
	}
	k := a.kernel("decode_attention_combine", splitConstants(combineIR, a), attnArgs("parts", "o"), 0, 0)
	k.NumStages = 1
	return k, nil
}

// splitConstants writes the split kernels' own constants into ir: the parts P, P − 1, a
// part's floats per query row (HeadDim + 2) and per program (16 of them), and BLOCK − 1.
func splitConstants(ir string, a DecodeAttention) string {
	t := a.Tuning.resolved()
	return strings.NewReplacer("{{P}}", fmt.Sprint(t.Splits), "{{PM1}}", fmt.Sprint(t.Splits-1), "{{HD2}}", fmt.Sprint(a.HeadDim+2),
		"{{GPW}}", fmt.Sprint(attnGroupRows*(a.HeadDim+2)), "{{BLOCKM1}}", fmt.Sprint(t.Block-1)).Replace(ir)
}

// splitRange sets the program's part %part (the third program id) and its slots [%start, %end):
// the blocks from the row's first (%lb) up to slot at − 1, in P shares of equal whole blocks
// (the last ones may be short or empty).
const splitRange = `
    %part = tt.get_program_id z : i32
    %c_parts = arith.constant {{P}} : i32
    %c_partsm1 = arith.constant {{PM1}} : i32
    %c_blockm1 = arith.constant {{BLOCKM1}} : i32
    %span = arith.subi %atv, %lb : i32
    %span1 = arith.addi %span, %c_blockm1 : i32
    %nblk = arith.divsi %span1, %c_block : i32
    %nblk1 = arith.addi %nblk, %c_partsm1 : i32
    %per = arith.divsi %nblk1, %c_parts : i32
    %pers = arith.muli %per, %c_block : i32
    %poff = arith.muli %part, %pers : i32
    %start = arith.addi %lb, %poff : i32
    %end0 = arith.addi %start, %pers : i32
    %end = arith.minsi %end0, %atv : i32
`

// partsFooter stores the part's state: with the new token (addNew's %mfin, %lfin, %accfin) in
// the last part, without it (the loop's) in the others.
const partsFooter = `
    %lastp = arith.cmpi eq, %part, %c_partsm1 : i32
    %lastg = tt.splat %lastp : i1 -> tensor<{{GP}}xi1>
    %lastgd = tt.splat %lastp : i1 -> tensor<{{GP}}x{{HD}}xi1>
    %mout = arith.select %lastg, %mfin, %res#0 : tensor<{{GP}}xi1>, tensor<{{GP}}xf32>
    %lout = arith.select %lastg, %lfin, %res#1 : tensor<{{GP}}xi1>, tensor<{{GP}}xf32>
    %accout = arith.select %lastgd, %accfin, %res#2 : tensor<{{GP}}x{{HD}}xi1>, tensor<{{GP}}x{{HD}}xf32>
    %c_gpw = arith.constant {{GPW}} : i32
    %rkvp0 = arith.muli %rkv, %c_parts : i32
    %rkvp = arith.addi %rkvp0, %part : i32
    %pbase = arith.muli %rkvp, %c_gpw : i32
    %partp = tt.addptr %parts, %pbase : !tt.ptr<f32>, i32
    %w2g = arith.constant dense<{{HD2}}> : tensor<{{GP}}xi32>
    %grow = arith.muli %g, %w2g : tensor<{{GP}}xi32>
    %partss = tt.splat %partp : !tt.ptr<f32> -> tensor<{{GP}}x!tt.ptr<f32>>
    %prow = tt.addptr %partss, %grow : tensor<{{GP}}x!tt.ptr<f32>>, tensor<{{GP}}xi32>
    %mp = tt.addptr %prow, %hd_g : tensor<{{GP}}x!tt.ptr<f32>>, tensor<{{GP}}xi32>
    %onesg = arith.constant dense<1> : tensor<{{GP}}xi32>
    %lp = tt.addptr %mp, %onesg : tensor<{{GP}}x!tt.ptr<f32>>, tensor<{{GP}}xi32>
    tt.store %mp, %mout : tensor<{{GP}}x!tt.ptr<f32>>
    tt.store %lp, %lout : tensor<{{GP}}x!tt.ptr<f32>>
    %prow2 = tt.expand_dims %prow {axis = 1 : i32} : tensor<{{GP}}x!tt.ptr<f32>> -> tensor<{{GP}}x1x!tt.ptr<f32>>
    %prowb = tt.broadcast %prow2 : tensor<{{GP}}x1x!tt.ptr<f32>> -> tensor<{{GP}}x{{HD}}x!tt.ptr<f32>>
    %accp = tt.addptr %prowb, %dcolq : tensor<{{GP}}x{{HD}}x!tt.ptr<f32>>, tensor<{{GP}}x{{HD}}xi32>
    tt.store %accp, %accout : tensor<{{GP}}x{{HD}}x!tt.ptr<f32>>
    tt.return
  }
}
`

// combineIR is CombineKernel's module: the largest m over the parts, then the weighted sums.
const combineIR = `module {
  tt.func public @{{NAME}}({{ARGS}}) attributes {noinline = false} {
    %r = tt.get_program_id x : i32
    %h = tt.get_program_id y : i32
    %c_kv = arith.constant {{KV}} : i32
    %c_g = arith.constant {{G}} : i32
    %c_parts = arith.constant {{P}} : i32
    %c_gpw = arith.constant {{GPW}} : i32
    %c_zero = arith.constant 0 : i32
    %c_one = arith.constant 1 : i32
    %rkv0 = arith.muli %r, %c_kv : i32
    %rkv = arith.addi %rkv0, %h : i32
    %rkvp = arith.muli %rkv, %c_parts : i32
    %rbase = arith.muli %rkvp, %c_gpw : i32
    %rowp = tt.addptr %parts, %rbase : !tt.ptr<f32>, i32
    %g = tt.make_range {end = {{GP}} : i32, start = 0 : i32} : tensor<{{GP}}xi32>
    %d = tt.make_range {end = {{HD}} : i32, start = 0 : i32} : tensor<{{HD}}xi32>
    %w2g = arith.constant dense<{{HD2}}> : tensor<{{GP}}xi32>
    %grow = arith.muli %g, %w2g : tensor<{{GP}}xi32>
    %hd_g = arith.constant dense<{{HD}}> : tensor<{{GP}}xi32>
    %moff = arith.addi %grow, %hd_g : tensor<{{GP}}xi32>
    %onesg = arith.constant dense<1> : tensor<{{GP}}xi32>
    %loff = arith.addi %moff, %onesg : tensor<{{GP}}xi32>
    %grow2 = tt.expand_dims %grow {axis = 1 : i32} : tensor<{{GP}}xi32> -> tensor<{{GP}}x1xi32>
    %growb = tt.broadcast %grow2 : tensor<{{GP}}x1xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %dcol = tt.expand_dims %d {axis = 0 : i32} : tensor<{{HD}}xi32> -> tensor<1x{{HD}}xi32>
    %dcolq = tt.broadcast %dcol : tensor<1x{{HD}}xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %accoff = arith.addi %growb, %dcolq : tensor<{{GP}}x{{HD}}xi32>
    %m0 = arith.constant dense<-1.000000e+30> : tensor<{{GP}}xf32>
    %l0 = arith.constant dense<0.000000e+00> : tensor<{{GP}}xf32>
    %acc0 = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{HD}}xf32>
    %mx:1 = scf.for %pm = %c_zero to %c_parts step %c_one iter_args(%mc = %m0) -> (tensor<{{GP}}xf32>)  : i32 {
      %pmofs = arith.muli %pm, %c_gpw : i32
      %pmp = tt.addptr %rowp, %pmofs : !tt.ptr<f32>, i32
      %pmps = tt.splat %pmp : !tt.ptr<f32> -> tensor<{{GP}}x!tt.ptr<f32>>
      %mptr = tt.addptr %pmps, %moff : tensor<{{GP}}x!tt.ptr<f32>>, tensor<{{GP}}xi32>
      %mv = tt.load %mptr : tensor<{{GP}}x!tt.ptr<f32>>
      %mn = arith.maxnumf %mc, %mv : tensor<{{GP}}xf32>
      scf.yield %mn : tensor<{{GP}}xf32>
    }
    %sum:2 = scf.for %q = %c_zero to %c_parts step %c_one iter_args(%lc = %l0, %ac = %acc0) -> (tensor<{{GP}}xf32>, tensor<{{GP}}x{{HD}}xf32>)  : i32 {
      %qofs = arith.muli %q, %c_gpw : i32
      %qp = tt.addptr %rowp, %qofs : !tt.ptr<f32>, i32
      %qps = tt.splat %qp : !tt.ptr<f32> -> tensor<{{GP}}x!tt.ptr<f32>>
      %qm = tt.addptr %qps, %moff : tensor<{{GP}}x!tt.ptr<f32>>, tensor<{{GP}}xi32>
      %ql = tt.addptr %qps, %loff : tensor<{{GP}}x!tt.ptr<f32>>, tensor<{{GP}}xi32>
      %mq = tt.load %qm : tensor<{{GP}}x!tt.ptr<f32>>
      %lq = tt.load %ql : tensor<{{GP}}x!tt.ptr<f32>>
      %dm = arith.subf %mq, %mx#0 : tensor<{{GP}}xf32>
      %wq = math.exp %dm : tensor<{{GP}}xf32>
      %lw = arith.mulf %lq, %wq : tensor<{{GP}}xf32>
      %ln = arith.addf %lc, %lw : tensor<{{GP}}xf32>
      %qpa = tt.splat %qp : !tt.ptr<f32> -> tensor<{{GP}}x{{HD}}x!tt.ptr<f32>>
      %qa = tt.addptr %qpa, %accoff : tensor<{{GP}}x{{HD}}x!tt.ptr<f32>>, tensor<{{GP}}x{{HD}}xi32>
      %aq = tt.load %qa : tensor<{{GP}}x{{HD}}x!tt.ptr<f32>>
      %wq2 = tt.expand_dims %wq {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
      %wqb = tt.broadcast %wq2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
      %aw = arith.mulf %aq, %wqb : tensor<{{GP}}x{{HD}}xf32>
      %an = arith.addf %ac, %aw : tensor<{{GP}}x{{HD}}xf32>
      scf.yield %ln, %an : tensor<{{GP}}xf32>, tensor<{{GP}}x{{HD}}xf32>
    }
    %head0 = arith.muli %rkv, %c_g : i32
    %head0s = tt.splat %head0 : i32 -> tensor<{{GP}}xi32>
    %heads = arith.addi %head0s, %g : tensor<{{GP}}xi32>
    %hrow = arith.muli %heads, %hd_g : tensor<{{GP}}xi32>
    %hrow2 = tt.expand_dims %hrow {axis = 1 : i32} : tensor<{{GP}}xi32> -> tensor<{{GP}}x1xi32>
    %hrowb = tt.broadcast %hrow2 : tensor<{{GP}}x1xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %ooff = arith.addi %hrowb, %dcolq : tensor<{{GP}}x{{HD}}xi32>
    %gs = arith.constant dense<{{G}}> : tensor<{{GP}}xi32>
    %gmask = arith.cmpi slt, %g, %gs : tensor<{{GP}}xi32>
    %gmask2 = tt.expand_dims %gmask {axis = 1 : i32} : tensor<{{GP}}xi1> -> tensor<{{GP}}x1xi1>
    %gmaskb = tt.broadcast %gmask2 : tensor<{{GP}}x1xi1> -> tensor<{{GP}}x{{HD}}xi1>
    %lsum2 = tt.expand_dims %sum#0 {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
    %lsumb = tt.broadcast %lsum2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %outv = arith.divf %sum#1, %lsumb : tensor<{{GP}}x{{HD}}xf32>
    %outb = arith.truncf %outv : tensor<{{GP}}x{{HD}}xf32> to tensor<{{GP}}x{{HD}}xbf16>
    %os = tt.splat %o : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %op = tt.addptr %os, %ooff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    tt.store %op, %outb, %gmaskb : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    tt.return
  }
}
`
