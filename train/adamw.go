package train

import (
	"fmt"
	"math"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// AdamW is the AdamW optimiser (Loshchilov & Hutter, decoupled weight decay) as PyTorch's
// torch.optim.AdamW computes it, with torch.nn.utils.clip_grad_norm_'s global-norm
// clipping in front of it.
type AdamW struct {
	Beta1, Beta2 float64 // moment decay rates, e.g. 0.9 and 0.999
	Eps          float64 // added to sqrt(v̂), e.g. 1e-8
	WeightDecay  float64 // decoupled decay λ: p ← p·(1 − lr·λ) where the decay mask says so
	ClipNorm     float64 // global L2 norm the gradients are scaled down to; <= 0: no clipping
}

// DefaultAdamW returns the settings TRL and verl use for RL fine-tuning: β = (0.9, 0.999),
// ε = 1e-8, no weight decay, gradients clipped to a global norm of 1.
func DefaultAdamW() AdamW {
	return AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0, ClipNorm: 1}
}

// Validate reports settings AdamW cannot run with, naming the field.
func (o AdamW) Validate() error {
	switch {
	case !(o.Beta1 >= 0 && o.Beta1 < 1):
		return fmt.Errorf("adam beta1 = %v: must be in [0, 1)", o.Beta1)
	case !(o.Beta2 >= 0 && o.Beta2 < 1):
		return fmt.Errorf("adam beta2 = %v: must be in [0, 1)", o.Beta2)
	case !(o.Eps > 0) || math.IsInf(o.Eps, 0):
		return fmt.Errorf("adam eps = %v: must be a positive number", o.Eps)
	case !(o.WeightDecay >= 0) || math.IsInf(o.WeightDecay, 0):
		return fmt.Errorf("weight decay = %v: must be >= 0", o.WeightDecay)
	case math.IsNaN(o.ClipNorm) || math.IsInf(o.ClipNorm, 0):
		return fmt.Errorf("gradient clip norm = %v: must be a number (<= 0 turns clipping off)", o.ClipNorm)
	}
	return nil
}

// Update builds one AdamW step into the graph of params.
//
// params, grads, m and v are parallel lists (one entry per model parameter); the
// parameters and moments are f32 (master copies), gradients of another dtype are
// converted to f32. decay[i] turns weight decay on for parameter i (see DecayMask). lr is
// a scalar f32 node and step a scalar node of any numeric dtype holding t, the 1-based
// number of this update (t = 1 for the first), used for bias correction; both are graph
// inputs so that they change from step to step without recompiling.
//
// The gradients are first scaled by min(1, ClipNorm / (‖g‖ + 1e-6)) where ‖g‖ is the L2
// norm of all gradients together, exactly as clip_grad_norm_ does. Then, per parameter:
//
//	p ← p · (1 − lr·λ)            (only where decay[i])
//	m ← β1·m + (1 − β1)·g
//	v ← β2·v + (1 − β2)·g²
//	p ← p − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
//
// gradNorm is ‖g‖ before clipping (f32 scalar), what trainers log as grad_norm.
//
// When gradNorm is not finite (a NaN or Inf anywhere in the gradients), Update returns
// params, m and v unchanged, so a caller that donated their buffers loses nothing: it
// can skip the step (see NaNGuard) without keeping a copy.
//
// Like every graph builder, Update panics on malformed input (mismatched lists or
// shapes); callers recover at their boundary (internal/guard).
func (o AdamW) Update(params, grads, m, v []*graph.Node, decay []bool, lr, step *graph.Node) (newParams, newM, newV []*graph.Node, gradNorm *graph.Node) {
	n := len(params)
	if len(grads) != n || len(m) != n || len(v) != n || len(decay) != n {
		panic(fmt.Errorf("AdamW.Update: %d params, %d grads, %d first moments, %d second moments, %d decay flags: the lists must be parallel",
			n, len(grads), len(m), len(v), len(decay)))
	}
	if n == 0 {
		panic(fmt.Errorf("AdamW.Update: no parameters"))
	}
	if err := o.Validate(); err != nil {
		panic(fmt.Errorf("AdamW.Update: %w", err))
	}
	g := params[0].Graph()
	f32 := dtypes.Float32
	gs := make([]*graph.Node, n)
	for i := range grads {
		if grads[i] == nil {
			panic(fmt.Errorf("AdamW.Update: gradient %d is nil", i))
		}
		if !shapesEqualDims(grads[i].Shape(), params[i].Shape()) {
			panic(fmt.Errorf("AdamW.Update: parameter %d has shape %s but its gradient %s", i, params[i].Shape(), grads[i].Shape()))
		}
		gs[i] = graph.ConvertDType(grads[i], f32)
	}

	// Global norm over all gradients, in f32.
	sumSq := graph.ReduceAllSum(graph.Square(gs[0]))
	for _, gi := range gs[1:] {
		sumSq = graph.Add(sumSq, graph.ReduceAllSum(graph.Square(gi)))
	}
	gradNorm = graph.Sqrt(sumSq)
	finite := graph.IsFinite(gradNorm) // scalar bool
	one, zero := graph.Scalar(g, f32, 1.0), graph.Scalar(g, f32, 0.0)
	coef := one
	if o.ClipNorm > 0 {
		// clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to 1.
		coef = graph.MinScalar(graph.Div(graph.Scalar(g, f32, o.ClipNorm), graph.AddScalar(gradNorm, 1e-6)), 1.0)
	}

	lr = graph.ConvertDType(lr, f32)
	t := graph.ConvertDType(step, f32)
	// Bias corrections 1 − βᵗ, computed as 1 − exp(t·ln β) (β = 0 gives 1).
	biasCorrection := func(beta float64) *graph.Node {
		if beta == 0 {
			return one
		}
		return graph.OneMinus(graph.Exp(graph.MulScalar(t, math.Log(beta))))
	}
	bc1, bc2 := biasCorrection(o.Beta1), biasCorrection(o.Beta2)

	// The skip of a non-finite step is folded into scalar coefficients, so that it costs one
	// element-wise select per parameter (zeroing the gradient) instead of three: when the
	// norm is not finite, m ← 1·m + 0·0, v likewise, p ← 1·p − 0·(…), all exact.
	pick := func(onFinite, onSkip *graph.Node) *graph.Node { return graph.Where(finite, onFinite, onSkip) }
	keepM := pick(graph.Scalar(g, f32, o.Beta1), one)                            // β1, or 1
	keepV := pick(graph.Scalar(g, f32, o.Beta2), one)                            // β2, or 1
	gainM := pick(graph.MulScalar(coef, 1-o.Beta1), zero)                        // (1 − β1)·coef, or 0
	gainV := pick(graph.MulScalar(graph.Square(coef), 1-o.Beta2), zero)          // (1 − β2)·coef², or 0
	stepSize := pick(graph.Div(lr, bc1), zero)                                   // lr / (1 − β1ᵗ), or 0
	invSqrtBC2 := graph.Reciprocal(graph.Sqrt(bc2))                              // 1 / sqrt(1 − β2ᵗ)
	decayFactor := pick(graph.OneMinus(graph.MulScalar(lr, o.WeightDecay)), one) // 1 − lr·λ, or 1

	newParams, newM, newV = make([]*graph.Node, n), make([]*graph.Node, n), make([]*graph.Node, n)
	for i := range params {
		gi := graph.Where(finite, gs[i], zero) // NaN·0 would be NaN: select instead
		newM[i] = graph.Add(graph.Mul(m[i], keepM), graph.Mul(gi, gainM))
		newV[i] = graph.Add(graph.Mul(v[i], keepV), graph.Mul(graph.Square(gi), gainV))
		p := params[i]
		if decay[i] && o.WeightDecay != 0 {
			p = graph.Mul(p, decayFactor)
		}
		denom := graph.AddScalar(graph.Mul(graph.Sqrt(newV[i]), invSqrtBC2), o.Eps)
		newParams[i] = graph.Sub(p, graph.Mul(graph.Div(newM[i], denom), stepSize))
	}
	return newParams, newM, newV, gradNorm
}

// DecayMask says which parameters get weight decay: matrices (rank >= 2), as nanoGPT
// and most LLM trainers do. Norm gains and biases (rank 1) are not decayed, and neither
// is any parameter whose name marks it as a norm or a bias whatever its rank. Embedding
// and output (lm_head) matrices are decayed, as in nanoGPT.
func DecayMask(names []string, shapes []shapes.Shape) []bool {
	mask := make([]bool, len(shapes))
	for i, s := range shapes {
		mask[i] = s.Rank() >= 2
		if i < len(names) {
			lower := strings.ToLower(names[i])
			if strings.HasSuffix(lower, ".bias") || strings.HasSuffix(lower, "norm.weight") {
				mask[i] = false
			}
		}
	}
	return mask
}

// shapesEqualDims reports whether a and b have the same dimensions (dtypes aside).
func shapesEqualDims(a, b shapes.Shape) bool {
	if a.Rank() != b.Rank() {
		return false
	}
	for i := range a.Dimensions {
		if a.Dimensions[i] != b.Dimensions[i] {
			return false
		}
	}
	return true
}
