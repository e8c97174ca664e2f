package train

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := backends.NewWithConfig("go:ops_sequential")
	if err != nil {
		t.Fatalf("creating the pure Go backend: %v", err)
	}
	return b
}

// refAdamW is torch.optim.AdamW + clip_grad_norm_ in float64, written from the formulas.
type refAdamW struct {
	o    AdamW
	m, v [][]float64
}

func (r *refAdamW) step(p, g [][]float64, decay []bool, lr float64, t int) (norm float64) {
	if r.m == nil {
		for _, pi := range p {
			r.m = append(r.m, make([]float64, len(pi)))
			r.v = append(r.v, make([]float64, len(pi)))
		}
	}
	for _, gi := range g {
		for _, x := range gi {
			norm += x * x
		}
	}
	norm = math.Sqrt(norm)
	scale := 1.0
	if r.o.ClipNorm > 0 {
		scale = math.Min(1, r.o.ClipNorm/(norm+1e-6))
	}
	bc1 := 1 - math.Pow(r.o.Beta1, float64(t))
	bc2 := 1 - math.Pow(r.o.Beta2, float64(t))
	for i := range p {
		for j := range p[i] {
			gij := g[i][j] * scale
			if decay[i] {
				p[i][j] *= 1 - lr*r.o.WeightDecay
			}
			r.m[i][j] = r.o.Beta1*r.m[i][j] + (1-r.o.Beta1)*gij
			r.v[i][j] = r.o.Beta2*r.v[i][j] + (1-r.o.Beta2)*gij*gij
			mhat := r.m[i][j] / bc1
			vhat := r.v[i][j] / bc2
			p[i][j] -= lr * mhat / (math.Sqrt(vhat) + r.o.Eps)
		}
	}
	return norm
}

func toF32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

func TestAdamWMatchesReference(t *testing.T) {
	backend := testBackend(t)
	dims := [][]int{{2, 3}, {3}, {3, 2}}
	names := []string{"model.layers.0.mlp.up_proj.weight", "model.layers.0.input_layernorm.weight", "lm_head.weight"}
	var shp []shapes.Shape
	for _, d := range dims {
		shp = append(shp, shapes.Make(dtypes.Float32, d...))
	}
	decay := DecayMask(names, shp)
	if want := []bool{true, false, true}; !slices.Equal(decay, want) {
		t.Fatalf("DecayMask = %v, want %v", decay, want)
	}
	// gradScale makes the gradient norm ≈ 0.25·gradScale·‖base‖ so that the clip is or is not active.
	cases := []struct {
		name      string
		o         AdamW
		gradScale float64
		wantClip  bool
	}{
		{"no clipping, no decay", AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, 3, false},
		{"clipping active, decay on matrices", AdamW{Beta1: 0.9, Beta2: 0.95, Eps: 1e-6, WeightDecay: 0.1, ClipNorm: 0.5}, 3, true},
		{"clip norm above the gradient norm", AdamW{Beta1: 0.8, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.05, ClipNorm: 100}, 1, false},
		{"beta1 = 0 (RMSProp-like)", AdamW{Beta1: 0, Beta2: 0.9, Eps: 1e-3, ClipNorm: 1}, 2, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			exec, err := graph.NewExec(backend, func(in []*graph.Node) []*graph.Node {
				n := len(dims)
				p, gr, m, v := in[:n], in[n:2*n], in[2*n:3*n], in[3*n:4*n]
				lr, step := in[4*n], in[4*n+1]
				np, nm, nv, norm := tc.o.Update(p, gr, m, v, decay, lr, step)
				return append(append(append(np, nm...), nv...), norm)
			})
			if err != nil {
				t.Fatal(err)
			}
			// Initial parameters.
			var p [][]float64
			for i, d := range dims {
				size := 1
				for _, x := range d {
					size *= x
				}
				pi := make([]float64, size)
				for j := range pi {
					pi[j] = math.Sin(float64(3*i + j + 1)) // deterministic, mixed signs
				}
				p = append(p, pi)
			}
			ref := &refAdamW{o: tc.o}
			refP := clone(p)
			state := make([]*tensors.Tensor, 0, 3*len(dims))
			for i, d := range dims {
				state = append(state, tensors.FromFlatDataAndDimensions(toF32(p[i]), d...))
			}
			for _, d := range dims {
				state = append(state, tensors.FromShape(shapes.Make(dtypes.Float32, d...)))
			}
			for _, d := range dims {
				state = append(state, tensors.FromShape(shapes.Make(dtypes.Float32, d...)))
			}
			lrs := []float64{1e-2, 2e-2, 5e-3, 1e-2, 3e-2}
			for s, lr := range lrs {
				// Gradients change sign and size from step to step.
				var gr [][]float64
				for i := range refP {
					gi := make([]float64, len(refP[i]))
					for j := range gi {
						gi[j] = tc.gradScale * math.Cos(float64(7*s+5*i+j)) * 0.25
					}
					gr = append(gr, gi)
				}
				wantNorm := ref.step(refP, gr, decay, lr, s+1)
				if clipped := tc.o.ClipNorm > 0 && wantNorm > tc.o.ClipNorm; clipped != tc.wantClip {
					t.Fatalf("step %d: test setup: gradient norm %.3f vs clip %.3f does not exercise the intended case", s, wantNorm, tc.o.ClipNorm)
				}
				n := len(dims)
				args := make([]any, 0, 4*n+2)
				for i := range dims {
					args = append(args, state[i])
				}
				for i, d := range dims {
					args = append(args, tensors.FromFlatDataAndDimensions(toF32(gr[i]), d...))
				}
				for _, x := range state[n:] {
					args = append(args, x) // m..., then v...
				}
				args = append(args, float32(lr), int32(s+1))
				out, err := exec.Exec(args...)
				if err != nil {
					t.Fatal(err)
				}
				state = out[:3*len(dims)]
				gotNorm := float64(out[3*len(dims)].Value().(float32))
				if !close(gotNorm, wantNorm, 1e-5) {
					t.Errorf("step %d: grad norm %.7g, want %.7g", s, gotNorm, wantNorm)
				}
				for i := range dims {
					got := tensors.MustCopyFlatData[float32](state[i])
					for j := range got {
						if !close(float64(got[j]), refP[i][j], 2e-5) {
							t.Fatalf("step %d param %d[%d]: %.7g, want %.7g", s, i, j, got[j], refP[i][j])
						}
					}
					gm := tensors.MustCopyFlatData[float32](state[len(dims)+i])
					gv := tensors.MustCopyFlatData[float32](state[2*len(dims)+i])
					for j := range gm {
						if !close(float64(gm[j]), ref.m[i][j], 1e-5) || !close(float64(gv[j]), ref.v[i][j], 1e-5) {
							t.Fatalf("step %d moments %d[%d]: m %.7g v %.7g, want %.7g %.7g", s, i, j, gm[j], gv[j], ref.m[i][j], ref.v[i][j])
						}
					}
				}
			}
		})
	}
}

// TestAdamWFirstStepClosedForm checks the closed form of the first update: with zero
// moments, m̂ = g and v̂ = g², so p₁ = p₀·(1 − lr·λ) − lr·g/(|g| + ε).
func TestAdamWFirstStepClosedForm(t *testing.T) {
	backend := testBackend(t)
	o := AdamW{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.5}
	p0 := []float32{1, -2, 3, 0.5}
	g := []float32{0.1, -4, 0, 2}
	const lr = 0.1
	out, err := graph.NewExec(backend, func(p, gr, m, v, lrN, step *graph.Node) []*graph.Node {
		np, _, _, norm := o.Update([]*graph.Node{p}, []*graph.Node{gr}, []*graph.Node{m}, []*graph.Node{v}, []bool{true}, lrN, step)
		return []*graph.Node{np[0], norm}
	})
	if err != nil {
		t.Fatal(err)
	}
	z := tensors.FromShape(shapes.Make(dtypes.Float32, 2, 2))
	res, err := out.Exec(tensors.FromFlatDataAndDimensions(p0, 2, 2), tensors.FromFlatDataAndDimensions(g, 2, 2), z, tensors.FromShape(z.Shape()), float32(lr), int64(1))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](res[0])
	want := []float64{1*0.95 - 0.1, -2*0.95 + 0.1, 3 * 0.95, 0.5*0.95 - 0.1}
	for i := range want {
		if !close(float64(got[i]), want[i], 1e-6) {
			t.Errorf("p[%d] = %.8g, want %.8g", i, got[i], want[i])
		}
	}
	if n := res[1].Value().(float32); !close(float64(n), math.Sqrt(0.01+16+4), 1e-6) {
		t.Errorf("grad norm %v, want %v", n, math.Sqrt(20.01))
	}
}

// TestAdamWSkipsNonFinite checks that a NaN or Inf gradient leaves parameters and moments
// untouched and reports a non-finite norm.
func TestAdamWSkipsNonFinite(t *testing.T) {
	backend := testBackend(t)
	o := DefaultAdamW()
	exec, err := graph.NewExec(backend, func(p, gr, m, v, lrN, step *graph.Node) []*graph.Node {
		np, nm, nv, norm := o.Update([]*graph.Node{p}, []*graph.Node{gr}, []*graph.Node{m}, []*graph.Node{v}, []bool{false}, lrN, step)
		return []*graph.Node{np[0], nm[0], nv[0], norm}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1))} {
		p := []float32{1, 2, 3}
		m := []float32{0.1, 0.2, 0.3}
		v := []float32{0.01, 0.02, 0.03}
		res, err := exec.Exec(tensors.FromValue(p), tensors.FromValue([]float32{0.5, bad, 1}), tensors.FromValue(m), tensors.FromValue(v), float32(0.1), int32(3))
		if err != nil {
			t.Fatal(err)
		}
		for k, want := range [][]float32{p, m, v} {
			got := tensors.MustCopyFlatData[float32](res[k])
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("gradient with %v: output %d[%d] = %v, want unchanged %v", bad, k, i, got[i], want[i])
				}
			}
		}
		if n := float64(res[3].Value().(float32)); !math.IsNaN(n) && !math.IsInf(n, 0) {
			t.Errorf("gradient with %v: grad norm %v, want non-finite", bad, n)
		}
	}
}

func TestDecayMask(t *testing.T) {
	f := dtypes.Float32
	tests := []struct {
		name  string
		shape shapes.Shape
		want  bool
	}{
		{"model.embed_tokens.weight", shapes.Make(f, 10, 4), true},
		{"model.layers.0.self_attn.q_proj.weight", shapes.Make(f, 4, 4), true},
		{"model.layers.0.self_attn.q_proj.bias", shapes.Make(f, 4), false},
		{"model.layers.0.input_layernorm.weight", shapes.Make(f, 4), false},
		{"model.layers.0.post_attention_layernorm.weight", shapes.Make(f, 4), false},
		{"model.norm.weight", shapes.Make(f, 4), false},
		{"lm_head.weight", shapes.Make(f, 10, 4), true},
		{"weird.norm.weight", shapes.Make(f, 2, 4), false}, // a norm is never decayed, whatever its rank
	}
	var names []string
	var shp []shapes.Shape
	for _, tc := range tests {
		names = append(names, tc.name)
		shp = append(shp, tc.shape)
	}
	got := DecayMask(names, shp)
	for i, tc := range tests {
		if got[i] != tc.want {
			t.Errorf("DecayMask(%s %s) = %v, want %v", tc.name, tc.shape, got[i], tc.want)
		}
	}
}

func TestAdamWValidate(t *testing.T) {
	tests := []struct {
		o    AdamW
		want string
	}{
		{AdamW{Beta1: 1, Beta2: 0.9, Eps: 1e-8}, "beta1"},
		{AdamW{Beta1: 0.9, Beta2: -0.1, Eps: 1e-8}, "beta2"},
		{AdamW{Beta1: 0.9, Beta2: 0.9, Eps: 0}, "eps"},
		{AdamW{Beta1: 0.9, Beta2: 0.9, Eps: 1e-8, WeightDecay: -1}, "weight decay"},
		{AdamW{Beta1: 0.9, Beta2: 0.9, Eps: 1e-8, ClipNorm: math.NaN()}, "clip"},
	}
	for _, tc := range tests {
		err := tc.o.Validate()
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error about %q", tc.o, err, tc.want)
		}
	}
	if err := DefaultAdamW().Validate(); err != nil {
		t.Errorf("DefaultAdamW().Validate() = %v", err)
	}
}

func clone(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = append([]float64(nil), x[i]...)
	}
	return out
}

// close reports |a − b| <= tol·max(1, |b|).
func close(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b))
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestAdamWTrainsLeastSquares runs a functional training step (loss, graph.Gradient,
// Update, donated buffers) on a least-squares problem whose solution is known in closed
// form: y = X·w* exactly, so AdamW must drive w to w* and the loss to 0.
func TestAdamWTrainsLeastSquares(t *testing.T) {
	backend := testBackend(t)
	wStar := []float32{1.5, -2, 0.25}
	const rows = 8
	x := make([]float32, rows*3)
	y := make([]float32, rows)
	for i := 0; i < rows; i++ {
		for j := 0; j < 3; j++ {
			x[i*3+j] = float32(math.Sin(float64((i + 1) * (j + 2)))) // a different frequency per column: full rank
			y[i] += x[i*3+j] * wStar[j]
		}
	}
	o := AdamW{Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, ClipNorm: 5}
	step, err := graph.NewExec(backend, func(in []*graph.Node) []*graph.Node {
		w, m, v, xs, ys, lr, tt := in[0], in[1], in[2], in[3], in[4], in[5], in[6]
		pred := graph.ReduceSum(graph.Mul(xs, graph.InsertAxes(w, 0)), 1) // [rows]
		loss := graph.ReduceAllMean(graph.Square(graph.Sub(pred, ys)))
		grads := graph.Gradient(loss, w)
		nw, nm, nv, _ := o.Update([]*graph.Node{w}, grads, []*graph.Node{m}, []*graph.Node{v}, []bool{false}, lr, tt)
		return []*graph.Node{nw[0], nm[0], nv[0], loss}
	})
	if err != nil {
		t.Fatal(err)
	}
	xt, yt := tensors.FromFlatDataAndDimensions(x, rows, 3), tensors.FromValue(y)
	state := []*tensors.Tensor{tensors.FromValue([]float32{0, 0, 0}), tensors.FromValue([]float32{0, 0, 0}), tensors.FromValue([]float32{0, 0, 0})}
	sched := Schedule{Kind: "cosine", Peak: 0.1, Floor: 0.001, Warmup: 10, Total: 600}
	var loss float32
	for s := 0; s < 600; s++ {
		args := []any{}
		for _, st := range state {
			buf, err := graph.DonateTensorBuffer(st, backend, 0)
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, buf)
		}
		args = append(args, xt, yt, float32(sched.LR(s)), int32(s+1))
		out, err := step.Exec(args...)
		if err != nil {
			t.Fatal(err)
		}
		state, loss = out[:3], out[3].Value().(float32)
	}
	w := tensors.MustCopyFlatData[float32](state[0])
	for j := range wStar {
		if math.Abs(float64(w[j]-wStar[j])) > 1e-3 {
			t.Errorf("w = %v, want %v (loss %g)", w, wStar, loss)
			break
		}
	}
	if loss > 1e-6 {
		t.Errorf("final loss %g, want ~0", loss)
	}
}
