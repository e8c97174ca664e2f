package model

import (
	"encoding/json"
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/r1go/r1go/internal/hloedit"
)

// Fused attention: cuDNN's flash attention, reached through the custom calls XLA's GPU
// compiler implements for JAX (__cudnn$fmhaSoftmax and __cudnn$fmhaSoftmaxBackward, the
// lowering of jax.nn.dot_product_attention(implementation="cudnn")). Measured on an H200 at
// 8 × 2048 tokens, 14 query and 2 key/value heads of 64: forward 0.19 ms and forward +
// backward 0.76 ms per layer, against 2.9 ms and 9.7 ms for attention written as XLA
// operations (bench/jax_cudnn_attention.py), which write the [B, H, T, S] scores to memory
// several times. GoMLX 0.26 has no custom-call op, so internal/hloedit rewrites placeholder
// nodes into the call; the gradient is carried as in recompute.go, the backward call
// consuming q, k, v, the output and the softmax statistics that the forward call saved.
//
// Only for causal self-attention without a padding mask (right padding is exact: a causal
// model never looks right), bf16 or f16 products, head dim ≤ 128 and a multiple of 8, on
// GoMLX's XLA backend with a CUDA device (cuDNN ≥ 8.9.4).

// FusedAttentionHint wraps an error of a program that ran with fused attention with what to try
// when the GPU's cuDNN cannot run it (cuDNN's flash attention needs an Ampere or newer GPU).
func FusedAttentionHint(err error, fused bool) error {
	if err == nil || !fused {
		return err
	}
	return fmt.Errorf("%w (the program used cuDNN's flash attention: if this GPU or its cuDNN cannot run it, rerun with --fused-attention=off)", err)
}

// FusedAttentionSupported reports whether the fused attention can run for this config and
// compute dtype (the backend is the caller's to check: XLA with CUDA).
func FusedAttentionSupported(c *Config, compute dtypes.DType) error {
	if compute != dtypes.BFloat16 && compute != dtypes.Float16 {
		return fmt.Errorf("fused attention needs bf16 or f16 products, not %s", compute)
	}
	if c.HeadDim > 128 || c.HeadDim%8 != 0 {
		return fmt.Errorf("fused attention needs a head dim ≤ 128 and a multiple of 8, not %d", c.HeadDim)
	}
	return nil
}

// fusedAttention is causal softmax(q·kᵀ·scale)·v for q [B, T, H, HD] and k, v [B, KV, T, HD]
// (the cache layout): [B, T, H·HD]. With seg, rows hold several examples and attention stays
// inside each (cuDNN's packed form); tokens outside every example get a zero output and zero
// gradients.
func (w *Weights) fusedAttention(q, k, v *Node, scale float64, seg *segmentTables) *Node {
	d := q.Shape().Dimensions
	B, T, N, HD := d[0], d[1], d[2], d[3]
	KV := k.Shape().Dimensions[1]
	dt := q.DType()
	kt, vt := TransposeAllAxes(k, 0, 2, 1, 3), TransposeAllAxes(v, 0, 2, 1, 3) // [B, T, KV, HD]
	g := q.Graph()
	l4, l3, l2, l1 := hloedit.DefaultLayout(4), hloedit.DefaultLayout(3), hloedit.DefaultLayout(2), hloedit.DefaultLayout(1)
	bnth := hloedit.Layout(3, 1, 2, 0) // [B, N, T, HD] stored as [B, T, N, HD]

	M, statRows := 0, B // segments per row; rows of the softmax statistics
	var segOps []*Node  // the packed form's extra operands: lengths twice, starts twice
	var segLayouts []hloedit.Raw
	keep := func(x *Node) *Node { return x } // zeroes tokens outside every example
	if seg != nil {
		M, statRows = seg.M, B*seg.M
		segOps = []*Node{seg.Lengths, seg.Lengths, seg.Starts, seg.Starts}
		segLayouts = []hloedit.Raw{l2, l2, l2, l2}
		keep = func(x *Node) *Node { // x [B, T, ...]
			valid := seg.Valid
			for valid.Rank() < x.Rank() {
				valid = InsertAxes(valid, -1)
			}
			return Where(BroadcastToShape(valid, x.Shape()), x, ZerosLike(x))
		}
	}

	qs, ks, vs := StopGradient(q), StopGradient(kt), StopGradient(vt)
	outP := Zeros(g, shapes.Make(dt, B, N, T, HD)) // physically [B, T, N, HD]: layout {3, 1, 2, 0}
	statsP := Zeros(g, shapes.Make(dtypes.Float32, statRows, N, T))
	wsP := Zeros(g, shapes.Make(dtypes.Uint8, 0))
	attrs := fmhaAttributes(false, B, N, T, T, dt, scale, M,
		append([]hloedit.Raw{l4, l4, l4}, segLayouts...), []hloedit.Raw{bnth, l3, l1})
	if err := hloedit.CustomCall(append([]*Node{qs, ks, vs}, segOps...), []*Node{outP, statsP, wsP}, attrs); err != nil {
		panic(fmt.Errorf("fused attention: %w", err))
	}
	o := keep(TransposeAllAxes(outP, 0, 2, 1, 3)) // [B, T, N, HD]

	f32 := func(x *Node) *Node { return flatten(ConvertDType(x, dtypes.Float32)) }
	packed := Concatenate([]*Node{f32(o), f32(q), f32(kt), f32(vt), flatten(statsP)}, 0)
	no, nk := B*T*N*HD, B*T*KV*HD
	ns := statRows * N * T
	out := carrier(packed, no, func(packed, grad *Node) *Node {
		part := func(from, n int, dims ...int) *Node {
			return Reshape(Slice(packed, AxisRange(from, from+n)), dims...)
		}
		o := ConvertDType(part(0, no, B, T, N, HD), dt)
		q := ConvertDType(part(no, no, B, T, N, HD), dt)
		k := ConvertDType(part(2*no, nk, B, T, KV, HD), dt)
		v := ConvertDType(part(2*no+nk, nk, B, T, KV, HD), dt)
		stats := part(2*no+2*nk, ns, statRows, N, T)
		dO := ConvertDType(Reshape(grad, B, T, N, HD), dt)
		g := packed.Graph()
		dqP := Zeros(g, shapes.Make(dt, B, N, T, HD))
		dkP := Zeros(g, shapes.Make(dt, B, KV, T, HD))
		dvP := Zeros(g, shapes.Make(dt, B, KV, T, HD))
		wsP := Zeros(g, shapes.Make(dtypes.Uint8, 0))
		attrs := fmhaAttributes(true, B, N, T, T, dt, scale, M,
			append([]hloedit.Raw{l4, l4, l4, l3, l4, l4}, segLayouts...),
			[]hloedit.Raw{bnth, bnth, bnth, l1})
		if err := hloedit.CustomCall(append([]*Node{q, k, v, stats, dO, o}, segOps...), []*Node{dqP, dkP, dvP, wsP}, attrs); err != nil {
			panic(fmt.Errorf("fused attention backward: %w", err))
		}
		dq := keep(TransposeAllAxes(dqP, 0, 2, 1, 3)) // [B, T, N, HD]
		dk := keep(TransposeAllAxes(dkP, 0, 2, 1, 3)) // [B, T, KV, HD]
		dv := keep(TransposeAllAxes(dvP, 0, 2, 1, 3))
		zo := Zeros(g, shapes.Make(dtypes.Float32, no)) // o and the statistics were held out of the gradient
		zs := Zeros(g, shapes.Make(dtypes.Float32, ns))
		return Concatenate([]*Node{zo, f32(dq), f32(dk), f32(dv), zs}, 0)
	})
	return ConvertDType(Reshape(out, B, T, N*HD), dt)
}

// fmhaAttributes are the custom call's attributes as JAX's cuDNN lowering writes them
// (jax/_src/cudnn/fused_attention_stablehlo.py): BTNH operands, causal mask, no bias, no
// dropout.
//
// segments > 0 is the packed form: up to that many examples per row, given to the call as
// segment lengths and starts (see segmentTables), mask PADDING_CAUSAL.
func fmhaAttributes(backward bool, B, N, T, S int, dt dtypes.DType, scale float64, segments int, operandLayouts, resultLayouts []hloedit.Raw) map[string]any {
	elem := "BF16"
	if dt == dtypes.Float16 {
		elem = "F16"
	}
	dims := func(lc, rc int, lb, rb [2]int) map[string]any {
		s := func(xs ...int) []string {
			var out []string
			for _, x := range xs {
				out = append(out, fmt.Sprint(x))
			}
			return out
		}
		return map[string]any{
			"lhs_contracting_dimensions": s(lc), "rhs_contracting_dimensions": s(rc),
			"lhs_batch_dimensions": s(lb[0], lb[1]), "rhs_batch_dimensions": s(rb[0], rb[1]),
		}
	}
	cfg := map[string]any{
		"algorithm": map[string]any{
			"algo_id": "0", "math_type": "TENSOR_OP_MATH", "tuning_knobs": map[string]string{"17": "1", "24": "0"},
			"is_cudnn_frontend": true, "workspace_size": "0",
		},
		"fmha_scale":   scale,
		"dropout_rate": 0.0,
		"intermediate_tensor_shape": map[string]any{
			"element_type": elem,
			"dimensions":   []string{fmt.Sprint(B), fmt.Sprint(N), fmt.Sprint(T), fmt.Sprint(S)},
			"tuple_shapes": []any{},
			"layout": map[string]any{
				"dim_level_types": []any{}, "dim_unique": []any{}, "dim_ordered": []any{},
				"minor_to_major": []string{"3", "2", "1", "0"}, "tiles": []any{},
				"element_size_in_bits": "0", "memory_space": "0",
				"index_primitive_type": "PRIMITIVE_TYPE_INVALID", "pointer_primitive_type": "PRIMITIVE_TYPE_INVALID",
				"dynamic_shape_metadata_prefix_bytes": "0",
			},
			"is_dynamic_dimension": []bool{false, false, false, false},
		},
		"seed":                  42,
		"is_flash_attention":    true,
		"mask_type":             "CAUSAL",
		"sliding_window_length": 0,
		"max_seg_per_batch":     max(1, segments),
		"is_paged_attention":    false,
	}
	if segments > 0 {
		cfg["mask_type"] = "PADDING_CAUSAL"
	}
	target := "__cudnn$fmhaSoftmax"
	if backward {
		target = "__cudnn$fmhaSoftmaxBackward"
		// BTNH: BMM1_grad_1 BNTS,BTNH->BSNH; BMM1_grad_2 BNTS,BSNH->BTNH; BMM2_grad_1 BNTS,BTNH->BSNH; BMM2_grad_2 BTNH,BSNH->BNTS
		cfg["bmm1_grad_gemm1_dot_dimension_numbers"] = dims(2, 1, [2]int{0, 1}, [2]int{0, 2})
		cfg["bmm1_grad_gemm2_dot_dimension_numbers"] = dims(3, 1, [2]int{0, 1}, [2]int{0, 2})
		cfg["bmm2_grad_gemm1_dot_dimension_numbers"] = dims(2, 1, [2]int{0, 1}, [2]int{0, 2})
		cfg["bmm2_grad_gemm2_dot_dimension_numbers"] = dims(3, 3, [2]int{0, 2}, [2]int{0, 2})
	} else {
		// BTNH: BMM1 BTNH,BSNH->BNTS; BMM2 BNTS,BSNH->BTNH
		cfg["bmm1_dot_dimension_numbers"] = dims(3, 3, [2]int{0, 2}, [2]int{0, 2})
		cfg["bmm2_dot_dimension_numbers"] = dims(3, 1, [2]int{0, 1}, [2]int{0, 2})
	}
	bc, err := json.Marshal(map[string]any{"operation_queue_id": "0", "cudnn_fmha_backend_config": cfg})
	if err != nil {
		panic(err)
	}
	return map[string]any{
		"call_target_name": target,
		"api_version":      int32(2),
		"has_side_effect":  false,
		"backend_config":   string(bc),
		"operand_layouts":  hloedit.List(operandLayouts...),
		"result_layouts":   hloedit.List(resultLayouts...),
	}
}
