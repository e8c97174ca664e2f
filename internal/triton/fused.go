package triton

import "strings"

// FusedKernel is Kernel that also does what runs before the attention in a decode step: it
// rotates the new token's query and key (rotary embedding, rotate-half form, as transformers),
// writes the rotated key and the value at slot at of the caches, and attends to slots pad[r] ..
// at. Each of those would otherwise be its own kernel, and a decode step's short kernels wait
// for the host to launch them (BENCHMARKS.md, generation: about 10 µs each).
//
// Operands: qkv [Rows, W], W = (KVHeads·Group + 2·KVHeads)·HeadDim (bf16, before the bias and
// the rotation: each row's query heads, then its key heads, then its value heads, as the
// stacked q/k/v product gives them, so XLA need not split them into separate buffers first),
// the stacked biases [W] (bf16; zeros for a model without), cos and sin [Rows, HeadDim/2] (f32,
// of each row's position), the caches k, v [Rows, KVHeads, Slots, HeadDim] (bf16), pad [Rows]
// and at [] (int32). Results: the attention [Rows, KVHeads·Group, HeadDim] and the two caches,
// written in place (results 1 and 2 alias operands 4 and 5). The bias is added in f32 before
// the rotation, so that the product's result goes to the kernel as XLA's GEMM leaves it (on an
// H200 XLA splits that product over K; its reduction, which also added the bias, stays a kernel
// of its own). The new slot is not read back from the cache: its score and value come from
// the program's registers, so no program reads what another writes.
func (a DecodeAttention) FusedKernel() (Kernel, error) {
	if err := a.Check(); err != nil {
		return Kernel{}, err
	}
	ir := header(qRoped) + newKV + attnRowPad + attnOwnCache + writeNew + attnLoop("", "%padv", "%atm1", "%kb", "%vb", "%lb", "%atv", "%m0", "%l0", "%acc0") +
		addNew("%res#0", "%res#1", "%res#2") + attnFooter("%lfin", "%accfin")
	k := a.kernel("decode_attention_fused", ir, attnArgs("qkv", "qkvb", "cos", "sin", "k", "v", "pad", "at", "o", "ko", "vo"), 0, 0)
	k.Aliases = [][2]int{{1, 4}, {2, 5}}
	return k, nil
}

// FusedSharedKernel is SharedKernel with FusedKernel's rotary embedding and cache write: the
// new token goes to slot at of the row's own cache. Operands: qkv, its biases, cos, sin (as
// FusedKernel's), the prompts' caches pk, pv [Rows/samples, KVHeads, promptSlots, HeadDim],
// their padding [Rows/samples], the rows' own caches k, v [Rows, KVHeads, Slots, HeadDim], at.
// Results: the attention and the own caches, in place (aliasing operands 7 and 8).
func (a DecodeAttention) FusedSharedKernel(samples, promptSlots int) (Kernel, error) {
	if err := a.checkShared(samples, promptSlots); err != nil {
		return Kernel{}, err
	}
	ir := header(qRoped) + newKV + attnPromptPass + attnOwnCache + writeNew + attnLoop("o", "%c_zero", "%atm1", "%kb", "%vb", "%c_zero", "%atv", "%resp#0", "%resp#1", "%resp#2") +
		addNew("%reso#0", "%reso#1", "%reso#2") + attnFooter("%lfin", "%accfin")
	k := a.kernel("decode_attention_fused_shared", ir, attnArgs("qkv", "qkvb", "cos", "sin", "pk", "pv", "ppad", "k", "v", "at", "o", "ko", "vo"), samples, promptSlots)
	k.Aliases = [][2]int{{1, 7}, {2, 8}}
	return k, nil
}

// qRoped loads the group's query heads from qkv plus their biases from qkvb, rotated, as %qv
// [GP, HD] bf16: x·cos + rotate_half(x)·sin, rotate_half(x)[d] = −x[d + HD/2] for d < HD/2 and x[d − HD/2] above,
// with cos and sin of the row's position at d mod HD/2 (%cosv, %sinv [HD], the sign folded
// into %sinv). It also sets %dsh = (d + HD/2) mod HD and %rw, the row's offset in qkv, which
// newKV uses.
const qRoped = `    %c_half = arith.constant {{HALF}} : i32
    %halfv = arith.constant dense<{{HALF}}> : tensor<{{HD}}xi32>
    %hdv = arith.constant dense<{{HD}}> : tensor<{{HD}}xi32>
    %dsh0 = arith.addi %d, %halfv : tensor<{{HD}}xi32>
    %dsh = arith.remsi %dsh0, %hdv : tensor<{{HD}}xi32>
    %dmod = arith.remsi %d, %halfv : tensor<{{HD}}xi32>
    %lowhalf = arith.cmpi slt, %d, %halfv : tensor<{{HD}}xi32>
    %rhalf = arith.muli %r, %c_half : i32
    %cosr = tt.addptr %cos, %rhalf : !tt.ptr<f32>, i32
    %sinr = tt.addptr %sin, %rhalf : !tt.ptr<f32>, i32
    %coss = tt.splat %cosr : !tt.ptr<f32> -> tensor<{{HD}}x!tt.ptr<f32>>
    %sins = tt.splat %sinr : !tt.ptr<f32> -> tensor<{{HD}}x!tt.ptr<f32>>
    %cosp = tt.addptr %coss, %dmod : tensor<{{HD}}x!tt.ptr<f32>>, tensor<{{HD}}xi32>
    %sinp = tt.addptr %sins, %dmod : tensor<{{HD}}x!tt.ptr<f32>>, tensor<{{HD}}xi32>
    %cosv = tt.load %cosp : tensor<{{HD}}x!tt.ptr<f32>>
    %sin0 = tt.load %sinp : tensor<{{HD}}x!tt.ptr<f32>>
    %sinneg = arith.negf %sin0 : tensor<{{HD}}xf32>
    %sinv = arith.select %lowhalf, %sinneg, %sin0 : tensor<{{HD}}xi1>, tensor<{{HD}}xf32>
    %c_w = arith.constant {{W}} : i32
    %c_hd = arith.constant {{HD}} : i32
    %rw = arith.muli %r, %c_w : i32
    %hg = arith.muli %h, %c_g : i32
    %hghd = arith.muli %hg, %c_hd : i32
    %qin = arith.addi %rw, %hghd : i32
    %qinp = tt.addptr %qkv, %qin : !tt.ptr<bf16>, i32
    %gq = arith.muli %g, %hd_g : tensor<{{GP}}xi32>
    %gq2 = tt.expand_dims %gq {axis = 1 : i32} : tensor<{{GP}}xi32> -> tensor<{{GP}}x1xi32>
    %gqb = tt.broadcast %gq2 : tensor<{{GP}}x1xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %dsh2 = tt.expand_dims %dsh {axis = 0 : i32} : tensor<{{HD}}xi32> -> tensor<1x{{HD}}xi32>
    %dshq = tt.broadcast %dsh2 : tensor<1x{{HD}}xi32> -> tensor<{{GP}}x{{HD}}xi32>
    %qinoff = arith.addi %gqb, %dcolq : tensor<{{GP}}x{{HD}}xi32>
    %qinoffsh = arith.addi %gqb, %dshq : tensor<{{GP}}x{{HD}}xi32>
    %qs = tt.splat %qinp : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qp = tt.addptr %qs, %qinoff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    %qpsh = tt.addptr %qs, %qinoffsh : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    %qraw = tt.load %qp, %gmaskb, %zq : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qsw = tt.load %qpsh, %gmaskb, %zq : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qbr = tt.addptr %qkvb, %hghd : !tt.ptr<bf16>, i32
    %qbs = tt.splat %qbr : !tt.ptr<bf16> -> tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qbp = tt.addptr %qbs, %qinoff : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    %qbpsh = tt.addptr %qbs, %qinoffsh : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>, tensor<{{GP}}x{{HD}}xi32>
    %qbraw = tt.load %qbp, %gmaskb, %zq : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qbsw = tt.load %qbpsh, %gmaskb, %zq : tensor<{{GP}}x{{HD}}x!tt.ptr<bf16>>
    %qf0 = arith.extf %qraw : tensor<{{GP}}x{{HD}}xbf16> to tensor<{{GP}}x{{HD}}xf32>
    %qswf0 = arith.extf %qsw : tensor<{{GP}}x{{HD}}xbf16> to tensor<{{GP}}x{{HD}}xf32>
    %qbf = arith.extf %qbraw : tensor<{{GP}}x{{HD}}xbf16> to tensor<{{GP}}x{{HD}}xf32>
    %qbswf = arith.extf %qbsw : tensor<{{GP}}x{{HD}}xbf16> to tensor<{{GP}}x{{HD}}xf32>
    %qf = arith.addf %qf0, %qbf : tensor<{{GP}}x{{HD}}xf32>
    %qswf = arith.addf %qswf0, %qbswf : tensor<{{GP}}x{{HD}}xf32>
    %cos2 = tt.expand_dims %cosv {axis = 0 : i32} : tensor<{{HD}}xf32> -> tensor<1x{{HD}}xf32>
    %cosq = tt.broadcast %cos2 : tensor<1x{{HD}}xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %sin2 = tt.expand_dims %sinv {axis = 0 : i32} : tensor<{{HD}}xf32> -> tensor<1x{{HD}}xf32>
    %sinq = tt.broadcast %sin2 : tensor<1x{{HD}}xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %qa = arith.mulf %qf, %cosq : tensor<{{GP}}x{{HD}}xf32>
    %qb = arith.mulf %qswf, %sinq : tensor<{{GP}}x{{HD}}xf32>
    %qrot = arith.addf %qa, %qb : tensor<{{GP}}x{{HD}}xf32>
    %qv = arith.truncf %qrot : tensor<{{GP}}x{{HD}}xf32> to tensor<{{GP}}x{{HD}}xbf16>
`

// newKV loads the program's new key (biased and rotated, as %knew [HD] bf16) and value (biased,
// %vnew) from qkv and qkvb: key head h of row r at r·W + (HQ + h)·HD, value head h at r·W +
// (HQ + KV + h)·HD; their biases at (HQ + h)·HD and (HQ + KV + h)·HD.
const newKV = `
    %c_hq = arith.constant {{HQ}} : i32
    %hk0 = arith.addi %c_hq, %h : i32
    %hk = arith.muli %hk0, %c_hd : i32
    %nkoff = arith.addi %rw, %hk : i32
    %kvhd = arith.muli %c_kv, %c_hd : i32
    %nvoff = arith.addi %nkoff, %kvhd : i32
    %knr = tt.addptr %qkv, %nkoff : !tt.ptr<bf16>, i32
    %vnr = tt.addptr %qkv, %nvoff : !tt.ptr<bf16>, i32
    %kns = tt.splat %knr : !tt.ptr<bf16> -> tensor<{{HD}}x!tt.ptr<bf16>>
    %vns = tt.splat %vnr : !tt.ptr<bf16> -> tensor<{{HD}}x!tt.ptr<bf16>>
    %knp = tt.addptr %kns, %d : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %knpsh = tt.addptr %kns, %dsh : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %vnp = tt.addptr %vns, %d : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %kraw = tt.load %knp : tensor<{{HD}}x!tt.ptr<bf16>>
    %ksw = tt.load %knpsh : tensor<{{HD}}x!tt.ptr<bf16>>
    %vraw = tt.load %vnp : tensor<{{HD}}x!tt.ptr<bf16>>
    %vboff = arith.addi %hk, %kvhd : i32
    %kbr = tt.addptr %qkvb, %hk : !tt.ptr<bf16>, i32
    %vbr = tt.addptr %qkvb, %vboff : !tt.ptr<bf16>, i32
    %kbis = tt.splat %kbr : !tt.ptr<bf16> -> tensor<{{HD}}x!tt.ptr<bf16>>
    %vbis = tt.splat %vbr : !tt.ptr<bf16> -> tensor<{{HD}}x!tt.ptr<bf16>>
    %kbp = tt.addptr %kbis, %d : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %kbpsh = tt.addptr %kbis, %dsh : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %vbp = tt.addptr %vbis, %d : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %kbraw = tt.load %kbp : tensor<{{HD}}x!tt.ptr<bf16>>
    %kbsw = tt.load %kbpsh : tensor<{{HD}}x!tt.ptr<bf16>>
    %vbraw = tt.load %vbp : tensor<{{HD}}x!tt.ptr<bf16>>
    %kf0 = arith.extf %kraw : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %kswf0 = arith.extf %ksw : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %vf0 = arith.extf %vraw : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %kbf = arith.extf %kbraw : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %kbswf = arith.extf %kbsw : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %vbf = arith.extf %vbraw : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %kf = arith.addf %kf0, %kbf : tensor<{{HD}}xf32>
    %kswf = arith.addf %kswf0, %kbswf : tensor<{{HD}}xf32>
    %vf = arith.addf %vf0, %vbf : tensor<{{HD}}xf32>
    %vnew = arith.truncf %vf : tensor<{{HD}}xf32> to tensor<{{HD}}xbf16>
    %ka = arith.mulf %kf, %cosv : tensor<{{HD}}xf32>
    %kb0 = arith.mulf %kswf, %sinv : tensor<{{HD}}xf32>
    %krot = arith.addf %ka, %kb0 : tensor<{{HD}}xf32>
    %knew = arith.truncf %krot : tensor<{{HD}}xf32> to tensor<{{HD}}xbf16>
    %atm1 = arith.subi %atv, %c_one : i32
`

// writeNew stores the new key and value at slot at of the program's row and head in the
// result caches ko, vo (the operand caches' buffers: Kernel.Aliases), %base being the row and
// head's offset there (attnOwnCache).
const writeNew = `
    %atoff = arith.muli %atv, %c_hd : i32
    %kob = tt.addptr %ko, %base : !tt.ptr<bf16>, i64
    %vob = tt.addptr %vo, %base : !tt.ptr<bf16>, i64
    %kos = tt.addptr %kob, %atoff : !tt.ptr<bf16>, i32
    %vos = tt.addptr %vob, %atoff : !tt.ptr<bf16>, i32
    %koss = tt.splat %kos : !tt.ptr<bf16> -> tensor<{{HD}}x!tt.ptr<bf16>>
    %voss = tt.splat %vos : !tt.ptr<bf16> -> tensor<{{HD}}x!tt.ptr<bf16>>
    %kop = tt.addptr %koss, %d : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    %vop = tt.addptr %voss, %d : tensor<{{HD}}x!tt.ptr<bf16>>, tensor<{{HD}}xi32>
    tt.store %kop, %knew : tensor<{{HD}}x!tt.ptr<bf16>>
    tt.store %vop, %vnew : tensor<{{HD}}x!tt.ptr<bf16>>
`

// addNew folds the new token into the online softmax (m, l, acc): its score q·k·scale per
// query head and its value, from registers. Results %lfin and %accfin.
func addNew(m, l, acc string) string {
	return strings.NewReplacer("{{M}}", m, "{{L}}", l, "{{ACC}}", acc).Replace(`
    %knf = arith.extf %knew : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %kn2 = tt.expand_dims %knf {axis = 0 : i32} : tensor<{{HD}}xf32> -> tensor<1x{{HD}}xf32>
    %knq = tt.broadcast %kn2 : tensor<1x{{HD}}xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %qvf = arith.extf %qv : tensor<{{GP}}x{{HD}}xbf16> to tensor<{{GP}}x{{HD}}xf32>
    %qkn = arith.mulf %qvf, %knq : tensor<{{GP}}x{{HD}}xf32>
    %snew0 = "tt.reduce"(%qkn) <{axis = 1 : i32}> ({
    ^bb0(%na: f32, %nb: f32):
      %ns = arith.addf %na, %nb : f32
      tt.reduce.return %ns : f32
    }) : (tensor<{{GP}}x{{HD}}xf32>) -> tensor<{{GP}}xf32>
    %scaleg = arith.constant dense<{{SCALE}}> : tensor<{{GP}}xf32>
    %snew = arith.mulf %snew0, %scaleg : tensor<{{GP}}xf32>
    %mfin = arith.maxnumf {{M}}, %snew : tensor<{{GP}}xf32>
    %dold = arith.subf {{M}}, %mfin : tensor<{{GP}}xf32>
    %aold = math.exp %dold : tensor<{{GP}}xf32>
    %dnew = arith.subf %snew, %mfin : tensor<{{GP}}xf32>
    %anew = math.exp %dnew : tensor<{{GP}}xf32>
    %lold = arith.mulf {{L}}, %aold : tensor<{{GP}}xf32>
    %lfin = arith.addf %lold, %anew : tensor<{{GP}}xf32>
    %aold2 = tt.expand_dims %aold {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
    %aoldb = tt.broadcast %aold2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %anew2 = tt.expand_dims %anew {axis = 1 : i32} : tensor<{{GP}}xf32> -> tensor<{{GP}}x1xf32>
    %anewb = tt.broadcast %anew2 : tensor<{{GP}}x1xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %vnf = arith.extf %vnew : tensor<{{HD}}xbf16> to tensor<{{HD}}xf32>
    %vn2 = tt.expand_dims %vnf {axis = 0 : i32} : tensor<{{HD}}xf32> -> tensor<1x{{HD}}xf32>
    %vnq = tt.broadcast %vn2 : tensor<1x{{HD}}xf32> -> tensor<{{GP}}x{{HD}}xf32>
    %accold = arith.mulf {{ACC}}, %aoldb : tensor<{{GP}}x{{HD}}xf32>
    %accnew = arith.mulf %vnq, %anewb : tensor<{{GP}}x{{HD}}xf32>
    %accfin = arith.addf %accold, %accnew : tensor<{{GP}}x{{HD}}xf32>
`)
}
