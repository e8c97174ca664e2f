package model

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// dotCase is one DotGeneral configuration: operand shapes and axes as Product takes them.
type dotCase struct {
	name                  string
	lhs, rhs              []int
	lhsContract, lhsBatch []int
	rhsContract, rhsBatch []int
	wantOutDims           []int
}

// The products the model builds (Linear, attention scores and output, the rotary 2×2) and
// configurations that exercise every branch of dotVJP's axis bookkeeping.
var dotCases = []dotCase{
	{name: "linear [M,K]·[N,K]ᵀ", lhs: []int{6, 5}, rhs: []int{4, 5},
		lhsContract: []int{1}, rhsContract: []int{1}, wantOutDims: []int{6, 4}},
	{name: "matmul with negative axes [M,K]·[K,N]", lhs: []int{4, 5}, rhs: []int{5, 3},
		lhsContract: []int{-1}, rhsContract: []int{-2}, wantOutDims: []int{4, 3}},
	{name: "attention scores q[B,T,KV,G,HD]·k[B,S,KV,HD]", lhs: []int{2, 3, 2, 2, 4}, rhs: []int{2, 5, 2, 4},
		lhsContract: []int{4}, lhsBatch: []int{0, 2}, rhsContract: []int{3}, rhsBatch: []int{0, 2},
		wantOutDims: []int{2, 2, 3, 2, 5}},
	{name: "attention output p[B,KV,T,G,S]·v[B,S,KV,HD]", lhs: []int{2, 2, 3, 2, 5}, rhs: []int{2, 5, 2, 4},
		lhsContract: []int{4}, lhsBatch: []int{0, 1}, rhsContract: []int{1}, rhsBatch: []int{0, 2},
		wantOutDims: []int{2, 2, 3, 2, 4}},
	{name: "rope x[B,T,N,2,HD/2]·rot[2,2]", lhs: []int{2, 3, 2, 2, 4}, rhs: []int{2, 2},
		lhsContract: []int{3}, rhsContract: []int{1}, wantOutDims: []int{2, 3, 2, 4, 2}},
	{name: "3-D two contracting axes, pairs in reverse order", lhs: []int{3, 4, 5}, rhs: []int{5, 6, 3},
		lhsContract: []int{2, 0}, rhsContract: []int{0, 2}, wantOutDims: []int{4, 6}},
	{name: "4-D batch in the middle, contractions unsorted", lhs: []int{3, 4, 5, 2}, rhs: []int{3, 6, 2, 4},
		lhsContract: []int{3, 0}, lhsBatch: []int{1}, rhsContract: []int{2, 0}, rhsBatch: []int{3},
		wantOutDims: []int{4, 5, 6}},
	{name: "two batch axes paired out of order", lhs: []int{5, 2, 3}, rhs: []int{3, 2, 5, 4},
		lhsContract: []int{0}, lhsBatch: []int{2, 1}, rhsContract: []int{2}, rhsBatch: []int{0, 1},
		wantOutDims: []int{3, 2, 4}},
}

func randTensor(r *rand.Rand, dims []int) (*tensors.Tensor, []float32) {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...), v
}

func countDots(g *Graph) int {
	n := 0
	for _, node := range g.Nodes() {
		if node.Type() == NodeTypeDotGeneral {
			n++
		}
	}
	return n
}

// productGrads differentiates L = Σ DotGeneral(lhs, rhs)·w with Product (fast) or with
// graph.DotGeneral (GoMLX's VJP). It returns the gradients and the number of DotGeneral nodes
// in the graph.
func productGrads(t *testing.T, b backends.Backend, c dotCase, fast bool, lhs, rhs, w *tensors.Tensor) (dl, dr []float32, dots int) {
	t.Helper()
	g := NewGraph(b, "grad")
	defer g.Finalize()
	l := Parameter(g, "lhs", shapes.Make(dtypes.Float32, c.lhs...))
	r := Parameter(g, "rhs", shapes.Make(dtypes.Float32, c.rhs...))
	var y *Node
	if fast {
		y = Product(l, c.lhsContract, c.lhsBatch, r, c.rhsContract, c.rhsBatch)
	} else {
		y = DotGeneral(l, c.lhsContract, c.lhsBatch, r, c.rhsContract, c.rhsBatch)
	}
	if !slices.Equal(y.Shape().Dimensions, c.wantOutDims) {
		t.Fatalf("product has shape %v, want %v", y.Shape().Dimensions, c.wantOutDims)
	}
	loss := ReduceAllSum(Mul(y, Parameter(g, "w", y.Shape())))
	grads := Gradient(loss, l, r)
	dots = countDots(g)
	g.Compile(grads...)
	out := g.Run(lhs, rhs, w)
	return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1]), dots
}

// relErr is max|got − want| / max|want|.
func relErr[T float32 | float64](got []float32, want []T) float64 {
	var num, den float64
	for i := range got {
		num = math.Max(num, math.Abs(float64(got[i])-float64(want[i])))
		den = math.Max(den, math.Abs(float64(want[i])))
	}
	if den == 0 {
		return num
	}
	return num / den
}

// hostDot is DotGeneral in float64 on the host: output axes are batch, lhs free, rhs free.
func hostDot(c dotCase, lhs, rhs []float64) []float64 {
	norm := func(axes []int, rank int) []int { return normAxes(axes, rank) }
	lc, lb := norm(c.lhsContract, len(c.lhs)), norm(c.lhsBatch, len(c.lhs))
	rc, rb := norm(c.rhsContract, len(c.rhs)), norm(c.rhsBatch, len(c.rhs))
	lf, rf := freeAxes(len(c.lhs), lc, lb), freeAxes(len(c.rhs), rc, rb)
	strides := func(dims []int) []int {
		s := make([]int, len(dims))
		acc := 1
		for i := len(dims) - 1; i >= 0; i-- {
			s[i] = acc
			acc *= dims[i]
		}
		return s
	}
	ls, rs := strides(c.lhs), strides(c.rhs)
	pick := func(dims, axes []int) []int {
		out := make([]int, len(axes))
		for i, a := range axes {
			out[i] = dims[a]
		}
		return out
	}
	outDims := append(append(pick(c.lhs, lb), pick(c.lhs, lf)...), pick(c.rhs, rf)...)
	conDims := pick(c.lhs, lc)
	size := func(d []int) int {
		n := 1
		for _, x := range d {
			n *= x
		}
		return n
	}
	unravel := func(i int, dims []int) []int {
		idx := make([]int, len(dims))
		for k := len(dims) - 1; k >= 0; k-- {
			idx[k] = i % dims[k]
			i /= dims[k]
		}
		return idx
	}
	out := make([]float64, size(outDims))
	for o := range out {
		oi := unravel(o, outDims)
		base := func(strd []int, batch, free []int, off int) int {
			p := 0
			for i, a := range batch {
				p += oi[i] * strd[a]
			}
			for i, a := range free {
				p += oi[off+i] * strd[a]
			}
			return p
		}
		lBase := base(ls, lb, lf, len(lb))
		rBase := base(rs, rb, rf, len(lb)+len(lf))
		var sum float64
		for k := range size(conDims) {
			ki := unravel(k, conDims)
			lp, rp := lBase, rBase
			for i := range ki {
				lp += ki[i] * ls[lc[i]]
				rp += ki[i] * rs[rc[i]]
			}
			sum += lhs[lp] * rhs[rp]
		}
		out[o] = sum
	}
	return out
}

// hostGrads returns the exact gradients of L = Σ DotGeneral(lhs, rhs)·w in float64: L is linear
// in each operand, so ∂L/∂lhs[i] is L evaluated with lhs = e_i.
func hostGrads(c dotCase, lhs, rhs, w []float32) (dl, dr []float64) {
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	l, r, wv := f64(lhs), f64(rhs), f64(w)
	loss := func(l, r []float64) float64 {
		y := hostDot(c, l, r)
		var s float64
		for i := range y {
			s += y[i] * wv[i]
		}
		return s
	}
	dl = make([]float64, len(l))
	for i := range dl {
		e := make([]float64, len(l))
		e[i] = 1
		dl[i] = loss(e, r)
	}
	dr = make([]float64, len(r))
	for i := range dr {
		e := make([]float64, len(r))
		e[i] = 1
		dr[i] = loss(l, e)
	}
	return dl, dr
}

// TestProductGradients checks Product's gradients against GoMLX's DotGeneral VJP and against
// exact float64 gradients, for the products the model builds and for unusual axis layouts, and
// that they are computed as two products rather than GoMLX's broadcast-and-reduce.
func TestProductGradients(t *testing.T) {
	b := cpuBackend(t)
	for i, c := range dotCases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			lhs, lv := randTensor(r, c.lhs)
			rhs, rv := randTensor(r, c.rhs)
			w, wv := randTensor(r, c.wantOutDims)
			fl, fr, fastDots := productGrads(t, b, c, true, lhs, rhs, w)
			dl, dr, defaultDots := productGrads(t, b, c, false, lhs, rhs, w)
			hl, hr := hostGrads(c, lv, rv, wv)
			for _, chk := range []struct {
				what string
				err  float64
			}{
				{"d lhs: fast vs GoMLX", relErr(fl, dl)},
				{"d rhs: fast vs GoMLX", relErr(fr, dr)},
				{"d lhs: fast vs float64", relErr(fl, hl)},
				{"d rhs: fast vs float64", relErr(fr, hr)},
				{"d lhs: GoMLX vs float64", relErr(dl, hl)},
				{"d rhs: GoMLX vs float64", relErr(dr, hr)},
			} {
				if chk.err > 1e-5 || math.IsNaN(chk.err) {
					t.Errorf("%s: relative error %.2e > 1e-5", chk.what, chk.err)
				}
			}
			// The forward product plus one product per operand gradient; GoMLX's own VJP builds none.
			if fastDots != 3 {
				t.Errorf("fast gradient graph has %d DotGeneral nodes, want 3 (forward + 2 gradient products)", fastDots)
			}
			if defaultDots != 1 {
				t.Errorf("GoMLX gradient graph has %d DotGeneral nodes, want 1 (the forward product)", defaultDots)
			}
		})
	}
}

// modelLossGrads builds the mean negative log-likelihood of the tiny model on fixed tokens,
// differentiates it with respect to every parameter, and returns the loss and gradients. With
// defaultGrads the model's products use GoMLX's VJP (UseDefaultGradients). step (may be nil)
// shifts every parameter by h·step[i] before the forward pass.
func modelLossGrads(t *testing.T, b backends.Backend, p *Params, defaultGrads bool, step []*tensors.Tensor, h float64) (loss float32, grads [][]float32, switched int) {
	t.Helper()
	c := p.Config
	const B, T = 2, 16
	r := rand.New(rand.NewPCG(3, 4))
	tok := make([]int32, B*T)
	tgt := make([]int32, B*T)
	for i := range tok {
		tok[i] = int32(r.IntN(c.VocabSize))
		tgt[i] = int32(r.IntN(c.VocabSize))
	}
	g := NewGraph(b, "model-grad")
	defer g.Finalize()
	params := make([]*Node, len(p.Specs))
	inputs := make([]*Node, len(p.Specs))
	for i, s := range p.Specs {
		params[i] = Parameter(g, s.Name, shapes.Make(dtypes.Float32, s.Shape...))
		inputs[i] = params[i]
		if step != nil {
			inputs[i] = Add(params[i], MulScalar(Const(g, step[i]), h))
		}
	}
	w := Bind(c, inputs, dtypes.Float32)
	tokens := Const(g, tensors.FromFlatDataAndDimensions(tok, B, T))
	targets := Const(g, tensors.FromFlatDataAndDimensions(tgt, B, T))
	// Right-padded second row: its last 5 keys are masked.
	valid := make([]bool, B*T)
	for i := range valid {
		valid[i] = i < T || i%T < T-5
	}
	hidden, _ := w.Forward(tokens, Iota(g, tokens.Shape(), 1), Const(g, tensors.FromFlatDataAndDimensions(valid, B, T)))
	l := Neg(ReduceAllMean(w.TokenLogProbs(hidden, targets)))
	if defaultGrads {
		switched = UseDefaultGradients(g)
	}
	gr := Gradient(l, params...)
	g.Compile(append([]*Node{l}, gr...)...)
	args := make([]any, len(p.Tensors))
	for i, pt := range p.Tensors {
		args[i] = pt
	}
	out := g.Run(args...)
	loss = out[0].Value().(float32)
	for _, o := range out[1:] {
		grads = append(grads, tensors.MustCopyFlatData[float32](o))
	}
	return loss, grads, switched
}

// TestModelGradients compares the whole model's loss gradient computed with the fast product
// VJPs against GoMLX's own VJPs, parameter by parameter, on the transformers-made fixtures, and
// checks both against a central finite difference of the loss along the gradient direction.
func TestModelGradients(t *testing.T) {
	b := cpuBackend(t)
	for _, name := range []string{"tiny-qwen2", "tiny-llama"} {
		t.Run(name, func(t *testing.T) {
			p, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			lossFast, fast, _ := modelLossGrads(t, b, p, false, nil, 0)
			lossDef, def, switched := modelLossGrads(t, b, p, true, nil, 0)
			// Per layer: 7 projections, 2 rotary products (q, k), 2 attention products; plus lm_head.
			if want := 11*p.Config.NumHiddenLayers + 1; switched != want {
				t.Errorf("UseDefaultGradients switched %d products, want %d: the model builds products outside Product", switched, want)
			}
			if lossFast != lossDef {
				t.Errorf("loss differs between the two graphs: %v vs %v", lossFast, lossDef)
			}
			worst := 0.0
			for i, s := range p.Specs {
				e := relErr(fast[i], def[i])
				worst = math.Max(worst, e)
				if e > 1e-5 || math.IsNaN(e) {
					t.Errorf("%s: fast vs GoMLX gradient relative error %.2e > 1e-5", s.Name, e)
				}
			}
			t.Logf("loss %.6f, worst relative gradient error fast vs GoMLX %.2e", lossFast, worst)

			// Directional derivative along d = ∇L/‖∇L‖ equals ‖∇L‖.
			var norm2 float64
			for _, gi := range fast {
				for _, x := range gi {
					norm2 += float64(x) * float64(x)
				}
			}
			norm := math.Sqrt(norm2)
			dir := make([]*tensors.Tensor, len(fast))
			for i, gi := range fast {
				d := make([]float32, len(gi))
				for j, x := range gi {
					d[j] = float32(float64(x) / norm)
				}
				dir[i] = tensors.FromFlatDataAndDimensions(d, p.Specs[i].Shape...)
			}
			const h = 1e-2
			lp, _, _ := modelLossGrads(t, b, p, false, dir, h)
			lm, _, _ := modelLossGrads(t, b, p, false, dir, -h)
			fd := (float64(lp) - float64(lm)) / (2 * h)
			if e := math.Abs(fd-norm) / norm; e > 2e-3 {
				t.Errorf("finite difference along the gradient %.6f, gradient norm %.6f: relative error %.2e > 2e-3", fd, norm, e)
			} else {
				t.Logf("‖∇L‖ = %.6f, finite difference %.6f", norm, fd)
			}
		})
	}
}
