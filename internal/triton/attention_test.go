package triton

import (
	"fmt"
	"github.com/gomlx/gomlx/backends"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestDecodeAttentionIR(t *testing.T) {
	k, err := DecodeAttention{Rows: 256, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 1536, Scale: 0.125}.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	if k.Grid != [3]int{256, 2, 1} {
		t.Errorf("grid %v, want one program per (row, KV head)", k.Grid)
	}
	for _, want := range []string{
		"arith.constant 98304 : i64",                                // a row's cache: 1,536 slots × 64
		"arith.constant dense<7> : tensor<16xi32>",                  // the group, padded to 16 rows
		"arith.constant dense<1.250000000e-01> : tensor<16x64xf32>", // the scale
		"tt.dot %qv, %kt, %zs : tensor<16x64xbf16> * tensor<64x64xbf16> -> tensor<16x64xf32>",
	} {
		if !strings.Contains(k.IR, want) {
			t.Errorf("IR lacks %q", want)
		}
	}
	if strings.Contains(k.IR, "{{") {
		t.Error("IR has unreplaced placeholders")
	}
	sk, err := DecodeAttention{Rows: 512, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 256, Scale: 0.125}.SharedKernel(16, 512)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"tt.func public @decode_attention_shared(",
		"%c_n = arith.constant 16 : i32",                           // samples per prompt: the row's prompt is r / 16
		"arith.constant 32768 : i64",                               // a prompt's cache: 512 slots × 64
		"arith.constant 16384 : i64",                               // a row's own cache: 256 slots × 64
		"iter_args(%mo = %resp#0, %lo = %resp#1, %acco = %resp#2)", // the second pass goes on from the first
	} {
		if !strings.Contains(sk.IR, want) {
			t.Errorf("shared IR lacks %q", want)
		}
	}
	if strings.Contains(sk.IR, "{{") {
		t.Error("shared IR has unreplaced placeholders")
	}
	if _, err := (DecodeAttention{Rows: 10, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 8}).SharedKernel(4, 16); err == nil {
		t.Error("10 rows in groups of 4 accepted")
	}
	for _, bad := range []DecodeAttention{
		{Rows: 1, KVHeads: 1, Group: 17, HeadDim: 64, Slots: 8},
		{Rows: 1, KVHeads: 1, Group: 7, HeadDim: 80, Slots: 8},
		{Rows: 0, KVHeads: 1, Group: 7, HeadDim: 64, Slots: 8},
	} {
		if _, err := bad.Kernel(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// TestDecodeAttentionOnGPU compares the kernel with the same attention written as XLA
// operations (what model.Weights.DecodeStep does), on a CUDA GPU; skipped elsewhere.
func TestDecodeAttentionOnGPU(t *testing.T) {
	b := cudaBackend(t)
	for _, c := range []struct{ KV, G, HD int }{{2, 7, 64}, {2, 6, 128}} { // Qwen2.5's 0.5B and 1.5B heads
		t.Run(fmt.Sprintf("group%d_dim%d", c.G, c.HD), func(t *testing.T) { decodeAttentionOnGPU(t, b, c.KV, c.G, c.HD) })
	}
}

func decodeAttentionOnGPU(t *testing.T, b backends.Backend, KV, G, HD int) {
	const R, S, at = 8, 320, 250
	H := KV * G
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 { return normals(r, n) }
	pad := make([]int32, R)
	for i := range pad {
		pad[i] = int32(r.IntN(200))
	}
	q := tensors.FromFlatDataAndDimensions(fill(R*H*HD), R, H, HD)
	kc := tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD)
	vc := tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD)
	padT, atT := tensors.FromFlatDataAndDimensions(pad, R), tensors.FromScalar(int32(at))
	scale := 1 / math.Sqrt(float64(HD))
	kernel, err := DecodeAttention{Rows: R, KVHeads: KV, Group: G, HeadDim: HD, Slots: S, Scale: scale}.Kernel()
	if err != nil {
		t.Fatal(err)
	}
	bf := func(x *Node) *Node { return ConvertDType(x, dtypes.BFloat16) }
	got := MustExecOnce(b, func(q, k, v, pad, at *Node) *Node {
		o, err := Call(kernel, []*Node{bf(q), bf(k), bf(v), pad, at}, shapes.Make(dtypes.BFloat16, R, H, HD))
		if err != nil {
			panic(err)
		}
		return ConvertDType(o[0], dtypes.Float32)
	}, q, kc, vc, padT, atT).Value().([][][]float32)
	want := MustExecOnce(b, func(q, k, v, pad, at *Node) *Node {
		q, k, v = bf(q), bf(k), bf(v)
		qg := Reshape(q, R, KV, G, HD)
		scores := MulScalar(ConvertDType(DotGeneral(qg, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}), dtypes.Float32), scale) // [R, KV, G, S]
		s := Iota(q.Graph(), shapes.Make(dtypes.Int32, R, S), 1)
		valid := LogicalAnd(GreaterOrEqual(s, InsertAxes(pad, -1)), LessOrEqual(s, at)) // [R, S]
		valid = BroadcastToDims(Reshape(valid, R, 1, 1, S), R, KV, G, S)
		scores = Where(valid, scores, BroadcastToShape(Scalar(q.Graph(), dtypes.Float32, -1e30), scores.Shape()))
		p := bf(Softmax(scores, -1))
		o := DotGeneral(p, []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1}) // [R, KV, G, HD]
		return ConvertDType(Reshape(o, R, H, HD), dtypes.Float32)
	}, q, kc, vc, padT, atT).Value().([][][]float32)
	worst := maxAbsDiff(got, want)
	t.Logf("max |kernel - XLA| = %.4f", worst)
	if worst > 0.05 {
		t.Errorf("max |kernel - XLA| = %.4f, want ≤ 0.05 (bf16 products)", worst)
	}
}

// TestDecodeAttentionSharedOnGPU compares the shared-prompt kernel with XLA's attention over
// each row's prompt cache followed by its own, on a CUDA GPU; skipped elsewhere.
func TestDecodeAttentionSharedOnGPU(t *testing.T) {
	b := cudaBackend(t)
	const P, N, KV, G, HD, TP, S, at = 3, 4, 2, 7, 64, 192, 128, 70
	R, H := P*N, KV*G
	r := rand.New(rand.NewPCG(3, 4))
	fill := func(n int) []float32 { return normals(r, n) }
	ppad := []int32{0, 37, 150}
	q := tensors.FromFlatDataAndDimensions(fill(R*H*HD), R, H, HD)
	pk := tensors.FromFlatDataAndDimensions(fill(P*KV*TP*HD), P, KV, TP, HD)
	pv := tensors.FromFlatDataAndDimensions(fill(P*KV*TP*HD), P, KV, TP, HD)
	kc := tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD)
	vc := tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD)
	ppadT, atT := tensors.FromFlatDataAndDimensions(ppad, P), tensors.FromScalar(int32(at))
	scale := 1 / math.Sqrt(HD)
	kernel, err := DecodeAttention{Rows: R, KVHeads: KV, Group: G, HeadDim: HD, Slots: S, Scale: scale}.SharedKernel(N, TP)
	if err != nil {
		t.Fatal(err)
	}
	bf := func(x *Node) *Node { return ConvertDType(x, dtypes.BFloat16) }
	got := MustExecOnce(b, func(in []*Node) *Node {
		o, err := Call(kernel, []*Node{bf(in[0]), bf(in[1]), bf(in[2]), in[3], bf(in[4]), bf(in[5]), in[6]}, shapes.Make(dtypes.BFloat16, R, H, HD))
		if err != nil {
			panic(err)
		}
		return ConvertDType(o[0], dtypes.Float32)
	}, q, pk, pv, ppadT, kc, vc, atT).Value().([][][]float32)
	want := MustExecOnce(b, func(in []*Node) *Node {
		g := in[0].Graph()
		ofRow := Iota(g, shapes.Make(dtypes.Int32, R), 0)
		ofRow = Div(ofRow, Scalar(g, dtypes.Int32, N))                                    // each row's prompt
		k := Concatenate([]*Node{Gather(bf(in[1]), InsertAxes(ofRow, -1)), bf(in[4])}, 2) // [R, KV, TP+S, HD]
		v := Concatenate([]*Node{Gather(bf(in[2]), InsertAxes(ofRow, -1)), bf(in[5])}, 2)
		pad := Gather(in[3], InsertAxes(ofRow, -1))
		qg := Reshape(bf(in[0]), R, KV, G, HD)
		scores := MulScalar(ConvertDType(DotGeneral(qg, []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1}), dtypes.Float32), scale)
		s := Iota(g, shapes.Make(dtypes.Int32, R, TP+S), 1)
		valid := LogicalAnd(GreaterOrEqual(s, InsertAxes(pad, -1)), LessOrEqual(s, AddScalar(in[6], TP)))
		valid = BroadcastToDims(Reshape(valid, R, 1, 1, TP+S), R, KV, G, TP+S)
		scores = Where(valid, scores, BroadcastToShape(Scalar(g, dtypes.Float32, -1e30), scores.Shape()))
		o := DotGeneral(bf(Softmax(scores, -1)), []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
		return ConvertDType(Reshape(o, R, H, HD), dtypes.Float32)
	}, q, pk, pv, ppadT, kc, vc, atT).Value().([][][]float32)
	worst := maxAbsDiff(got, want)
	t.Logf("max |shared kernel - XLA| = %.4f", worst)
	if worst > 0.05 {
		t.Errorf("max |shared kernel - XLA| = %.4f, want ≤ 0.05 (bf16 products)", worst)
	}
}

// normals is n standard normal numbers.
func normals(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// maxAbsDiff is the largest |a - b| over arrays of one shape.
func maxAbsDiff(a, b [][][]float32) float64 {
	worst := 0.0
	for i := range a {
		for j := range a[i] {
			for k := range a[i][j] {
				worst = math.Max(worst, math.Abs(float64(a[i][j][k]-b[i][j][k])))
			}
		}
	}
	return worst
}

// TestDecodeAttentionFusedOnGPU compares the fused kernels (bias, rotary embedding, cache
// write, attention, reading q, k and v from one stacked operand) with the same steps as XLA
// operations, on a CUDA GPU (skipped elsewhere): the attention and both caches after the
// write, for rows with their own caches and for rows sharing their prompt's.
func TestDecodeAttentionFusedOnGPU(t *testing.T) {
	b := cudaBackend(t)
	for _, shared := range []bool{false, true} {
		for _, c := range []struct{ KV, G, HD int }{{2, 7, 64}, {2, 6, 128}} {
			t.Run(fmt.Sprintf("shared%v_group%d_dim%d", shared, c.G, c.HD), func(t *testing.T) {
				fusedOnGPU(t, b, shared, c.KV, c.G, c.HD)
			})
		}
	}
}

func fusedOnGPU(t *testing.T, b backends.Backend, shared bool, KV, G, HD int) {
	const P, N, TP, S, at = 2, 4, 192, 320, 250
	R, H := P*N, KV*G
	r := rand.New(rand.NewPCG(5, 6))
	fill := func(n int) []float32 { return normals(r, n) }
	pad := make([]int32, R) // rows with their own caches; prompts' padding when shared
	for i := range pad {
		pad[i] = int32(r.IntN(TP))
	}
	// cos and sin of each row's position (at − pad, or at + TP − the prompt's padding).
	cos, sin := make([]float32, R*HD/2), make([]float32, R*HD/2)
	for i := range R {
		pos := float64(at - pad[i])
		if shared {
			pos = float64(at + TP - pad[i/N])
		}
		for j := range HD / 2 {
			a := pos * math.Pow(1e6, -2*float64(j)/float64(HD))
			cos[i*HD/2+j], sin[i*HD/2+j] = float32(math.Cos(a)), float32(math.Sin(a))
		}
	}
	args := []any{
		tensors.FromFlatDataAndDimensions(fill(R*H*HD), R, H, HD),
		tensors.FromFlatDataAndDimensions(fill(R*KV*HD), R, KV, HD),
		tensors.FromFlatDataAndDimensions(fill(R*KV*HD), R, KV, HD),
		tensors.FromFlatDataAndDimensions(cos, R, HD/2),
		tensors.FromFlatDataAndDimensions(sin, R, HD/2),
		tensors.FromFlatDataAndDimensions(fill(P*KV*TP*HD), P, KV, TP, HD),
		tensors.FromFlatDataAndDimensions(fill(P*KV*TP*HD), P, KV, TP, HD),
		tensors.FromFlatDataAndDimensions(pad[:P], P),
		tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD),
		tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD),
		tensors.FromFlatDataAndDimensions(pad, R),
		tensors.FromScalar(int32(at)),
		tensors.FromFlatDataAndDimensions(fill((H+2*KV)*HD), (H+2*KV)*HD), // the stacked biases
	}
	scale := 1 / math.Sqrt(float64(HD))
	a := DecodeAttention{Rows: R, KVHeads: KV, Group: G, HeadDim: HD, Slots: S, Scale: scale}
	kernel, err := a.FusedKernel()
	if shared {
		kernel, err = a.FusedSharedKernel(N, TP)
	}
	if err != nil {
		t.Fatal(err)
	}
	bf := func(x *Node) *Node { return ConvertDType(x, dtypes.BFloat16) }
	f32 := func(x *Node) *Node { return ConvertDType(x, dtypes.Float32) }
	got := MustExecOnceN(b, func(in []*Node) []*Node {
		qkv := Concatenate([]*Node{Reshape(in[0], R, H*HD), Reshape(in[1], R, KV*HD), Reshape(in[2], R, KV*HD)}, 1) // as the stacked product gives them
		ops := []*Node{bf(qkv), bf(in[12]), in[3], in[4]}
		if shared {
			ops = append(ops, bf(in[5]), bf(in[6]), in[7], bf(in[8]), bf(in[9]), in[11])
		} else {
			ops = append(ops, bf(in[8]), bf(in[9]), in[10], in[11])
		}
		o, err := Call(kernel, ops, shapes.Make(dtypes.BFloat16, R, H, HD), shapes.Make(dtypes.BFloat16, R, KV, S, HD), shapes.Make(dtypes.BFloat16, R, KV, S, HD))
		if err != nil {
			panic(err)
		}
		return []*Node{f32(o[0]), f32(o[1]), f32(o[2])}
	}, args...)
	want := MustExecOnceN(b, func(in []*Node) []*Node {
		g := in[0].Graph()
		rope := func(x *Node) *Node { // x [R, N, HD] f32 → bf16
			n := x.Shape().Dimensions[1]
			x1, x2 := Slice(x, AxisRange(), AxisRange(), AxisRange(0, HD/2)), Slice(x, AxisRange(), AxisRange(), AxisRange(HD/2, HD))
			c, s := InsertAxes(in[3], 1), InsertAxes(in[4], 1)
			c, s = BroadcastToDims(c, R, n, HD/2), BroadcastToDims(s, R, n, HD/2)
			return bf(Concatenate([]*Node{Sub(Mul(x1, c), Mul(x2, s)), Add(Mul(x2, c), Mul(x1, s))}, 2))
		}
		biased := func(x *Node, from int) *Node { // bf16 x [R, n, HD] plus its bf16 biases, in f32
			n := x.Shape().Dimensions[1]
			b := Reshape(Slice(in[12], AxisRange(from*HD, (from+n)*HD)), 1, n, HD)
			return Add(f32(bf(x)), BroadcastToDims(f32(bf(b)), R, n, HD))
		}
		q := rope(biased(in[0], 0))
		kn, vn := rope(biased(in[1], H)), bf(biased(in[2], H+KV))
		zero := ScalarZero(g, dtypes.Int32)
		write := func(cache, x *Node) *Node {
			return DynamicUpdateSlice(bf(cache), Reshape(x, R, KV, 1, HD), []*Node{zero, zero, in[11], zero})
		}
		kc, vc := write(in[8], kn), write(in[9], vn)
		k, v, lo, hi, T := kc, vc, in[10], in[11], S
		if shared {
			ofRow := InsertAxes(Div(Iota(g, shapes.Make(dtypes.Int32, R), 0), Scalar(g, dtypes.Int32, N)), -1)
			k = Concatenate([]*Node{Gather(bf(in[5]), ofRow), kc}, 2)
			v = Concatenate([]*Node{Gather(bf(in[6]), ofRow), vc}, 2)
			lo, hi, T = Gather(in[7], ofRow), AddScalar(in[11], TP), TP+S
		}
		scores := MulScalar(f32(DotGeneral(Reshape(q, R, KV, G, HD), []int{3}, []int{0, 1}, k, []int{3}, []int{0, 1})), scale)
		s := Iota(g, shapes.Make(dtypes.Int32, R, T), 1)
		valid := LogicalAnd(GreaterOrEqual(s, InsertAxes(lo, -1)), LessOrEqual(s, hi))
		valid = BroadcastToDims(Reshape(valid, R, 1, 1, T), R, KV, G, T)
		scores = Where(valid, scores, BroadcastToShape(Scalar(g, dtypes.Float32, -1e30), scores.Shape()))
		o := DotGeneral(bf(Softmax(scores, -1)), []int{3}, []int{0, 1}, v, []int{2}, []int{0, 1})
		return []*Node{f32(Reshape(o, R, H, HD)), f32(kc), f32(vc)}
	}, args...)
	worst := maxAbsDiff(got[0].Value().([][][]float32), want[0].Value().([][][]float32))
	t.Logf("max |fused kernel - XLA| = %.4f", worst)
	if worst > 0.05 {
		t.Errorf("attention: max |fused kernel - XLA| = %.4f, want ≤ 0.05 (bf16 products)", worst)
	}
	for i, name := range []string{"keys", "values"} {
		g, w := got[1+i].Value().([][][][]float32), want[1+i].Value().([][][][]float32)
		var worst float64
		for r := range g {
			worst = math.Max(worst, maxAbsDiff(g[r], w[r]))
		}
		t.Logf("max |cache of %s - XLA's| = %.4f", name, worst)
		if worst > 0.0625 { // a bf16 step of the rotated key (|x| < 8) at most; the other slots unchanged
			t.Errorf("cache of %s after the write: max |kernel - XLA| = %.4f", name, worst)
		}
	}
}

// Tuning: "block,warps,stages" or nothing; its values reach the kernel (the block into the
// IR, warps and stages into the launch); impossible ones are refused (among them a fourth
// field, the removed split attention's parts).
func TestTuning(t *testing.T) {
	a := DecodeAttention{Rows: 8, KVHeads: 2, Group: 7, HeadDim: 64, Slots: 256, Scale: 0.125}
	k, err := a.Kernel()
	if err != nil || k.NumWarps != 4 || k.NumStages != 2 || !strings.Contains(k.IR, "arith.constant 64 : i32") {
		t.Fatalf("default tuning: warps %d, stages %d, err %v", k.NumWarps, k.NumStages, err)
	}
	if a.Tuning, err = ParseTuning("128,8,3"); err != nil {
		t.Fatal(err)
	}
	k, err = a.Kernel()
	if err != nil || k.NumWarps != 8 || k.NumStages != 3 || !strings.Contains(k.IR, "%c_block = arith.constant 128 : i32") {
		t.Errorf("tuning 128,8,3: warps %d, stages %d, err %v", k.NumWarps, k.NumStages, err)
	}
	if tu, err := ParseTuning(""); err != nil || tu != (Tuning{}) {
		t.Errorf(`ParseTuning("") = %v, %v`, tu, err)
	}
	for _, bad := range []string{"48,4,2", "64,3,2", "64,4,0", "512,4,2", "64,4", "64,4,2,1", "64,4,2,4", "64,4,2,1,1", "a,b,c", "64,4,2x", "64,,2"} {
		if _, err := ParseTuning(bad); err == nil {
			t.Errorf("ParseTuning(%q) accepted", bad)
		}
	}
	a.Tuning = Tuning{Block: 8}
	if _, err := a.Kernel(); err == nil {
		t.Error("a block of 8 slots accepted")
	}
}
