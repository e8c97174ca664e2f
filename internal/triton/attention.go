package triton

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// DecodeAttention is attention for one new token per row over its KV cache, as one kernel:
// one program per (row, KV head), whose group of query heads (padded to 16 rows for the
// tensor cores) reads that head's cache slots pad[row] .. at once, in blocks of Tuning.Block
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
	Tuning                               Tuning
}

// Tuning is how the decode attention kernels run: Block cache slots per step of the loop,
// Warps per program, Stages of software pipelining of the loop's loads. Zero fields take the
// defaults, DefaultTuning.
type Tuning struct{ Block, Warps, Stages int }

// DefaultTuning is the kernels' tuning where Tuning leaves a field zero.
var DefaultTuning = Tuning{Block: 64, Warps: 4, Stages: 2}

// ParseTuning reads "block,warps,stages" (e.g. "64,4,2"; "" is the defaults).
func ParseTuning(s string) (Tuning, error) {
	var t Tuning
	if s == "" {
		return t, nil
	}
	bad := fmt.Errorf("decode attention tuning %q: want block,warps,stages (e.g. 64,4,2)", s)
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Tuning{}, bad
	}
	vals := []*int{&t.Block, &t.Warps, &t.Stages}
	for i, f := range fields {
		v, err := strconv.Atoi(f)
		if err != nil || v < 1 || strconv.Itoa(v) != f {
			return Tuning{}, bad
		}
		*vals[i] = v
	}
	return t, t.check()
}

// resolved is t with DefaultTuning's values in its zero fields.
func (t Tuning) resolved() Tuning {
	d := DefaultTuning
	return Tuning{cmp.Or(t.Block, d.Block), cmp.Or(t.Warps, d.Warps), cmp.Or(t.Stages, d.Stages)}
}

func (t Tuning) check() error {
	r := t.resolved()
	pow2 := func(x int) bool { return x > 0 && x&(x-1) == 0 }
	if !pow2(r.Block) || r.Block < 16 || r.Block > 256 || !pow2(r.Warps) || r.Warps > 16 || r.Stages < 1 || r.Stages > 8 {
		return fmt.Errorf("decode attention tuning %d,%d,%d: want a block of 16 to 256 slots and warps both powers of two, at most 16 warps, 1 to 8 stages", t.Block, t.Warps, t.Stages)
	}
	return nil
}

// attnGroupRows is the query rows a program computes (the group, padded: tl.dot needs at
// least 16).
const attnGroupRows = 16

// Kernel returns the kernel for these shapes. The group must fit attnGroupRows and the head
// dimension be a power of two of at least 16.
func (a DecodeAttention) Kernel() (Kernel, error) {
	if err := a.Check(); err != nil {
		return Kernel{}, err
	}
	ir := header(qLoad) + attnRowPad + attnOwnCache + attnLoop("", "%padv", "%atv", "%kb", "%vb", "%lb", "%ub", "%m0", "%l0", "%acc0") + attnFooter("%res#1", "%res#2")
	return a.kernel("decode_attention", ir, attnArgs("q", "k", "v", "pad", "at", "o"), 0, 0), nil
}

// SharedKernel is the kernel for rows that share their prompt's cache (model.DecodeStepShared):
// row r = p·Samples + sample reads prompt p's cache [Rows/Samples, KVHeads, PromptSlots,
// HeadDim] from its padding on, then its own cache [Rows, KVHeads, Slots, HeadDim] (generated
// tokens only) up to slot at, with one softmax over both. Operands: q, the prompts' k and v,
// their padding [Rows/Samples] (int32), the rows' own k and v, at; result as Kernel's.
func (a DecodeAttention) SharedKernel(samples, promptSlots int) (Kernel, error) {
	if err := a.checkShared(samples, promptSlots); err != nil {
		return Kernel{}, err
	}
	ir := header(qLoad) + attnPromptPass + attnOwnCache + attnLoop("o", "%c_zero", "%atv", "%kb", "%vb", "%c_zero", "%ub", "%resp#0", "%resp#1", "%resp#2") + attnFooter("%reso#1", "%reso#2")
	return a.kernel("decode_attention_shared", ir, attnArgs("q", "pk", "pv", "ppad", "k", "v", "at", "o"), samples, promptSlots), nil
}

// attnRowPad loads row r's padding as %padv and sets the first block %lb of its pass.
const attnRowPad = `
    %padp = tt.addptr %pad, %r : !tt.ptr<i32>, i32
    %padv = tt.load %padp : !tt.ptr<i32>
    %lb0 = arith.divsi %padv, %c_block : i32
    %lb = arith.muli %lb0, %c_block : i32
`

// attnPromptCache points %pkb and %pvb at the program's prompt (row r / N) and KV head in the
// prompts' caches pk and pv [Rows/N, KVHeads, TP, HeadDim], loads its padding as %ppadv and
// sets the first block %plb and the last slot %tplast of the prompt pass.
const attnPromptCache = `
    %c_n = arith.constant {{N}} : i32
    %pr = arith.divsi %r, %c_n : i32
    %ppadp = tt.addptr %ppad, %pr : !tt.ptr<i32>, i32
    %ppadv = tt.load %ppadp : !tt.ptr<i32>
    %prkv0 = arith.muli %pr, %c_kv : i32
    %prkv = arith.addi %prkv0, %h : i32
    %prkv64 = arith.extsi %prkv : i32 to i64
    %pshd = arith.constant {{PSHD}} : i64
    %pbase = arith.muli %prkv64, %pshd : i64
    %pkb = tt.addptr %pk, %pbase : !tt.ptr<bf16>, i64
    %pvb = tt.addptr %pv, %pbase : !tt.ptr<bf16>, i64
    %plb0 = arith.divsi %ppadv, %c_block : i32
    %plb = arith.muli %plb0, %c_block : i32
    %c_tp = arith.constant {{TP}} : i32
    %tplast = arith.subi %c_tp, %c_one : i32
`

// attnPromptPass is the shared kernels' first pass: the online softmax over the prompt's cache
// from its padding on (results %resp), then %c_zero for the pass over the rows' own caches.
var attnPromptPass = attnPromptCache + attnLoop("p", "%ppadv", "%tplast", "%pkb", "%pvb", "%plb", "%c_tp", "%m0", "%l0", "%acc0") + `
    %c_zero = arith.constant 0 : i32
`

// attnOwnCache points %kb and %vb at the program's row and KV head in the caches k and v
// [Rows, KVHeads, Slots, HeadDim] (the offset in int64: the caches may pass 2³¹ elements),
// and sets the loop's end %ub past slot at.
const attnOwnCache = `
    %rkv64 = arith.extsi %rkv : i32 to i64
    %shd = arith.constant {{SHD}} : i64
    %base = arith.muli %rkv64, %shd : i64
    %kb = tt.addptr %k, %base : !tt.ptr<bf16>, i64
    %vb = tt.addptr %v, %base : !tt.ptr<bf16>, i64
    %ub = arith.addi %atv, %c_one : i32
`

// attnArgs declares the kernel's pointer arguments: the int32 ones (pad, ppad, at), loaded one
// at a time, promise no alignment; cos and sin are f32; the bf16 tensors promise 16-byte
// alignment.
func attnArgs(names ...string) string {
	var args []string
	for _, n := range names {
		switch n {
		case "pad", "ppad", "at":
			args = append(args, "%"+n+": !tt.ptr<i32>")
		case "cos", "sin":
			args = append(args, "%"+n+": !tt.ptr<f32>")
		default:
			args = append(args, "%"+n+": !tt.ptr<bf16> {tt.divisibility = 16 : i32}")
		}
	}
	return strings.Join(args, ", ")
}

// kernel is the Kernel of IR with this kernel's constants written in: one program per (row,
// KV head).
func (a DecodeAttention) kernel(name, ir, args string, samples, promptSlots int) Kernel {
	t := a.Tuning.resolved()
	ir = strings.NewReplacer(
		"{{ARGS}}", args, "{{NAME}}", name,
		"{{GP}}", fmt.Sprint(attnGroupRows), "{{G}}", fmt.Sprint(a.Group), "{{HD}}", fmt.Sprint(a.HeadDim),
		"{{KV}}", fmt.Sprint(a.KVHeads), "{{BLOCK}}", fmt.Sprint(t.Block), "{{SHD}}", fmt.Sprint(a.Slots*a.HeadDim),
		"{{N}}", fmt.Sprint(samples), "{{TP}}", fmt.Sprint(promptSlots), "{{PSHD}}", fmt.Sprint(promptSlots*a.HeadDim),
		"{{SCALE}}", fmt.Sprintf("%.9e", a.Scale), "{{HALF}}", fmt.Sprint(a.HeadDim/2),
		"{{W}}", fmt.Sprint((a.Group+2)*a.KVHeads*a.HeadDim), "{{HQ}}", fmt.Sprint(a.Group*a.KVHeads),
	).Replace(ir)
	return Kernel{Name: name, IR: ir, Grid: [3]int{a.Rows, a.KVHeads, 1}, NumWarps: t.Warps, NumStages: t.Stages}
}

// checkShared is Check for the shared-prompt kernels: also samples rows per prompt, prompts
// of promptSlots slots.
func (a DecodeAttention) checkShared(samples, promptSlots int) error {
	if err := a.Check(); err != nil {
		return err
	}
	if samples < 1 || a.Rows%samples != 0 || promptSlots < 1 {
		return fmt.Errorf("triton: shared decode attention with %d rows, %d samples per prompt, %d prompt slots", a.Rows, samples, promptSlots)
	}
	return nil
}

// Check says why these shapes do not fit the kernels, or nil.
func (a DecodeAttention) Check() error {
	if a.Group < 1 || a.Group > attnGroupRows {
		return fmt.Errorf("triton: decode attention with %d query heads per KV head (at most %d)", a.Group, attnGroupRows)
	}
	if a.HeadDim < 16 || a.HeadDim&(a.HeadDim-1) != 0 {
		return fmt.Errorf("triton: decode attention with head dimension %d (a power of two ≥ 16)", a.HeadDim)
	}
	if a.Rows < 1 || a.KVHeads < 1 || a.Slots < 1 {
		return fmt.Errorf("triton: decode attention with %d rows, %d KV heads, %d slots", a.Rows, a.KVHeads, a.Slots)
	}
	return a.Tuning.check()
}

// qLoad loads the group's query heads as they are.
const qLoad = `    %qs = tt.splat %q : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qp = tt.addptr %qs, %qoff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    %qv = tt.load %qp, %gmaskb, %zq : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
`

// header is attnHeader with the query heads loaded by qload.
func header(qload string) string { return strings.Replace(attnHeader, "{{QLOAD}}", qload, 1) }

// attnHeader opens the kernel (the Triton IR of bench/triton_decode_attention.py): the program's
// row %r and KV head %h, its group's query heads loaded as %qv [GP, HD] by {{QLOAD}} (qLoad or
// qRoped; %qoff their offsets, %gmaskb the real heads), at loaded as %atv, the online softmax's
// start %m0, %l0, %acc0, and the constants the loops share.
const attnHeader = `module {
  tt.func public @{{NAME}}({{ARGS}}) attributes {noinline = false} {
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
    %zq = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{HD}}xbf16>
{{QLOAD}}    %atv = tt.load %at : !tt.ptr<i32>
    %m0 = arith.constant dense<-1.000000e+30> : tensor<{{GP}}xf32>
    %l0 = arith.constant dense<0.000000e+00> : tensor<{{GP}}xf32>
    %acc0 = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{HD}}xf32>
    %sr = tt.make_range {end = {{BLOCK}} : i32, start = 0 : i32} : tensor<{{BLOCK}}xi32>
    %hd_s = arith.constant dense<{{HD}}> : tensor<{{BLOCK}}xi32>
    %dcolk = tt.broadcast %dcol : tensor<1x{{HD}}xi32> -> tensor<{{BLOCK}}x{{HD}}xi32>
    %zkv = arith.constant dense<0.000000e+00> : tensor<{{BLOCK}}x{{HD}}xbf16>
    %zs = arith.constant dense<0.000000e+00> : tensor<{{GP}}x{{BLOCK}}xf32>
    %scale = arith.constant dense<{{SCALE}}> : tensor<{{GP}}x{{BLOCK}}xf32>
    %neg = arith.constant dense<-1.000000e+30> : tensor<{{GP}}x{{BLOCK}}xf32>`

// attnLoop is one pass of the online softmax over cache blocks lb, lb + BLOCK, ... < ub of the
// cache at kb, vb (a row's [slots, HD], bf16), slot s counting when lo ≤ s ≤ hi, carrying
// (m, l, acc) from the given start; its results are %res<x>#0..2. x keeps the names of two
// passes apart.
func attnLoop(x, lo, hi, kb, vb, lb, ub, m, l, acc string) string {
	return strings.NewReplacer("{{X}}", x, "{{LO}}", lo, "{{HI}}", hi, "{{KB}}", kb, "{{VB}}", vb,
		"{{LB}}", lb, "{{UB}}", ub, "{{M}}", m, "{{L}}", l, "{{ACC}}", acc).Replace(`
    %los{{X}} = tt.splat {{LO}} : i32 -> tensor<{{BLOCK}}xi32>
    %his{{X}} = tt.splat {{HI}} : i32 -> tensor<{{BLOCK}}xi32>
    %kbs{{X}} = tt.splat {{KB}} : !tt.ptr<bf16> -> tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
    %vbs{{X}} = tt.splat {{VB}} : !tt.ptr<bf16> -> tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
    %res{{X}}:3 = scf.for %s0{{X}} = {{LB}} to {{UB}} step %c_block iter_args(%m{{X}} = {{M}}, %l{{X}} = {{L}}, %acc{{X}} = {{ACC}}) -> (tensor<{{GP}}xf32>, tensor<{{GP}}xf32>, tensor<{{GP}}x{{HD}}xf32>)  : i32 {
      %s0s{{X}} = tt.splat %s0{{X}} : i32 -> tensor<{{BLOCK}}xi32>
      %s{{X}} = arith.addi %s0s{{X}}, %sr : tensor<{{BLOCK}}xi32>
      %after{{X}} = arith.cmpi sge, %s{{X}}, %los{{X}} : tensor<{{BLOCK}}xi32>
      %upto{{X}} = arith.cmpi sle, %s{{X}}, %his{{X}} : tensor<{{BLOCK}}xi32>
      %valid{{X}} = arith.andi %after{{X}}, %upto{{X}} : tensor<{{BLOCK}}xi1>
      %srow{{X}} = arith.muli %s{{X}}, %hd_s : tensor<{{BLOCK}}xi32>
      %srow2{{X}} = tt.expand_dims %srow{{X}} {axis = 1 : i32} : tensor<{{BLOCK}}xi32> -> tensor<{{BLOCK}}x1xi32>
      %srowb{{X}} = tt.broadcast %srow2{{X}} : tensor<{{BLOCK}}x1xi32> -> tensor<{{BLOCK}}x{{HD}}xi32>
      %kvoff{{X}} = arith.addi %srowb{{X}}, %dcolk : tensor<{{BLOCK}}x{{HD}}xi32>
      %valid2{{X}} = tt.expand_dims %valid{{X}} {axis = 1 : i32} : tensor<{{BLOCK}}xi1> -> tensor<{{BLOCK}}x1xi1>
      %validkv{{X}} = tt.broadcast %valid2{{X}} : tensor<{{BLOCK}}x1xi1> -> tensor<{{BLOCK}}x{{HD}}xi1>
      %kp{{X}} = tt.addptr %kbs{{X}}, %kvoff{{X}} : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{BLOCK}}x{{HD}}xi32>
      %kblk{{X}} = tt.load %kp{{X}}, %validkv{{X}}, %zkv : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
      %kt{{X}} = tt.trans %kblk{{X}} {order = array<i32: 1, 0>} : tensor<{{BLOCK}}x{{HD}}xbf16> -> tensor<{{HD}}x{{BLOCK}}xbf16>
      %qk0{{X}} = tt.dot %qv, %kt{{X}}, %zs : tensor<{{GP}}x{{HD}}xbf16> * tensor<{{HD}}x{{BLOCK}}xbf16> -> tensor<{{GP}}x{{BLOCK}}xf32>
      %qk1{{X}} = arith.mulf %qk0{{X}}, %scale : tensor<{{GP}}x{{BLOCK}}xf32>
      %validr{{X}} = tt.expand_dims %valid{{X}} {axis = 0 : i32} : tensor<{{BLOCK}}xi1> -> tensor<1x{{BLOCK}}xi1>
      %validq{{X}} = tt.broadcast %validr{{X}} : tensor<1x{{BLOCK}}xi1> -> tensor<{{GP}}x{{BLOCK}}xi1>
      %qk{{X}} = arith.select %validq{{X}}, %qk1{{X}}, %neg : tensor<{{GP}}x{{BLOCK}}xi1>, tensor<{{GP}}x{{BLOCK}}xf32>
      %rowmax{{X}} = "tt.reduce"(%qk{{X}}) <{axis = 1 : i32}> ({
      ^bb0(%ma{{X}}: f32, %mb{{X}}: f32):
        %mx{{X}} = arith.maxnumf %ma{{X}}, %mb{{X}} : f32
        tt.reduce.return %mx{{X}} : f32
      }) : (tensor<{{GP}}x{{BLOCK}}xf32>) -> tensor<{{GP}}xf32>
      %mnew{{X}} = arith.maxnumf %m{{X}}, %rowmax{{X}} : tensor<{{GP}}xf32>
      %mnew2{{X}} = tt.expand_dims %mnew{{X}} {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
      %mnewb{{X}} = tt.broadcast %mnew2{{X}} : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{BLOCK}}xf32>
      %qkm{{X}} = arith.subf %qk{{X}}, %mnewb{{X}} : tensor<{{GP}}x{{BLOCK}}xf32>
      %e{{X}} = math.exp %qkm{{X}} : tensor<{{GP}}x{{BLOCK}}xf32>
      %p{{X}} = arith.select %validq{{X}}, %e{{X}}, %zs : tensor<{{GP}}x{{BLOCK}}xi1>, tensor<{{GP}}x{{BLOCK}}xf32>
      %dm{{X}} = arith.subf %m{{X}}, %mnew{{X}} : tensor<{{GP}}xf32>
      %alpha{{X}} = math.exp %dm{{X}} : tensor<{{GP}}xf32>
      %psum{{X}} = "tt.reduce"(%p{{X}}) <{axis = 1 : i32}> ({
      ^bb0(%sa{{X}}: f32, %sb{{X}}: f32):
        %sm{{X}} = arith.addf %sa{{X}}, %sb{{X}} : f32
        tt.reduce.return %sm{{X}} : f32
      }) : (tensor<{{GP}}x{{BLOCK}}xf32>) -> tensor<{{GP}}xf32>
      %la{{X}} = arith.mulf %l{{X}}, %alpha{{X}} : tensor<{{GP}}xf32>
      %lnew{{X}} = arith.addf %la{{X}}, %psum{{X}} : tensor<{{GP}}xf32>
      %vp{{X}} = tt.addptr %vbs{{X}}, %kvoff{{X}} : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{BLOCK}}x{{HD}}xi32>
      %vblk{{X}} = tt.load %vp{{X}}, %validkv{{X}}, %zkv : tensor<{{BLOCK}}x{{HD}}x!tt.ptr<bf16>>
      %pb{{X}} = arith.truncf %p{{X}} : tensor<{{GP}}x{{BLOCK}}xf32> to tensor<{{GP}}x{{BLOCK}}xbf16>
      %alpha2{{X}} = tt.expand_dims %alpha{{X}} {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
      %alphab{{X}} = tt.broadcast %alpha2{{X}} : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
      %acca{{X}} = arith.mulf %acc{{X}}, %alphab{{X}} : tensor<{{GP}}x{{HD}}xf32>
      %accn{{X}} = tt.dot %pb{{X}}, %vblk{{X}}, %acca{{X}} : tensor<{{GP}}x{{BLOCK}}xbf16> * tensor<{{BLOCK}}x{{HD}}xbf16> -> tensor<{{GP}}x{{HD}}xf32>
      scf.yield %mnew{{X}}, %lnew{{X}}, %accn{{X}} : tensor<{{GP}}xf32>, tensor<{{GP}}xf32>, tensor<{{GP}}x{{HD}}xf32>
    }`)
}

// attnFooter divides the accumulated values acc by the softmax's sum l and stores the real
// heads' rows.
func attnFooter(l, acc string) string {
	return strings.NewReplacer("{{L}}", l, "{{ACC}}", acc).Replace(`
    %lfin2 = tt.expand_dims {{L}} {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
    %lfinb = tt.broadcast %lfin2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %out = arith.divf {{ACC}}, %lfinb : tensor<{{GP}}x{{HD}}xf32>
    %outb = arith.truncf %out : tensor<{{GP}}x{{HD}}xf32> to tensor<{{GP}}x{{HD}}xbf16>
    %os = tt.splat %o : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %op = tt.addptr %os, %qoff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    tt.store %op, %outb, %gmaskb : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    tt.return
  }
}
`)
}
