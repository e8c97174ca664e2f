package triton

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/backend"
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
	b, err := backend.New("cuda")
	if err != nil || !backend.IsCUDA(b) {
		t.Skip("no CUDA GPU:", err)
	}
	const R, KV, G, HD, S, at = 8, 2, 7, 64, 320, 250
	H := KV * G
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	pad := make([]int32, R)
	for i := range pad {
		pad[i] = int32(r.IntN(200))
	}
	q := tensors.FromFlatDataAndDimensions(fill(R*H*HD), R, H, HD)
	kc := tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD)
	vc := tensors.FromFlatDataAndDimensions(fill(R*KV*S*HD), R, KV, S, HD)
	padT, atT := tensors.FromFlatDataAndDimensions(pad, R), tensors.FromScalar(int32(at))
	scale := 1 / math.Sqrt(HD)
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
	worst := 0.0
	for i := range got {
		for h := range got[i] {
			for d := range got[i][h] {
				worst = math.Max(worst, math.Abs(float64(got[i][h][d]-want[i][h][d])))
			}
		}
	}
	t.Logf("max |kernel - XLA| = %.4f", worst)
	if worst > 0.05 {
		t.Errorf("max |kernel - XLA| = %.4f, want ≤ 0.05 (bf16 products)", worst)
	}
}
