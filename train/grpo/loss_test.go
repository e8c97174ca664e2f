package grpo

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// lossCase is one batch: [N][T] per-token log-probs and mask, [N] advantages.
type lossCase struct {
	logp, old, ref, mask [][]float64
	adv                  []float64
}

type lossResult struct {
	loss, policyLoss, kl, ratioMean, clipLow, clipHigh, clip, tokens float64
	grad                                                             [][]float64
}

var sharedBackend backends.Backend

func backend(t *testing.T) backends.Backend {
	t.Helper()
	if sharedBackend == nil {
		b, err := backends.NewWithConfig("go:ops_sequential")
		if err != nil {
			t.Fatalf("creating the pure Go backend: %v", err)
		}
		sharedBackend = b
	}
	return sharedBackend
}

func tensor2D(x [][]float64) *tensors.Tensor {
	n, t := len(x), len(x[0])
	flat := make([]float32, 0, n*t)
	for _, row := range x {
		for _, v := range row {
			flat = append(flat, float32(v))
		}
	}
	return tensors.FromFlatDataAndDimensions(flat, n, t)
}

// runLoss evaluates Loss, its stats and d loss / d logp on the pure Go backend.
func runLoss(t *testing.T, c Config, lc lossCase) lossResult {
	t.Helper()
	withRef := lc.ref != nil
	exec, err := graph.NewExec(backend(t), func(in []*graph.Node) []*graph.Node {
		logp, old, adv, mask := in[0], in[1], in[2], in[3]
		var ref *graph.Node
		if withRef {
			ref = in[4]
		}
		loss, st := Loss(c, logp, old, ref, adv, mask)
		grad := graph.Gradient(loss, logp)[0]
		return []*graph.Node{loss, st.PolicyLoss, st.KL, st.RatioMean, st.ClipLow, st.ClipHigh, st.Clip, st.Tokens, grad}
	})
	if err != nil {
		t.Fatal(err)
	}
	advF := make([]float32, len(lc.adv))
	for i, a := range lc.adv {
		advF[i] = float32(a)
	}
	args := []any{tensor2D(lc.logp), tensor2D(lc.old), tensors.FromValue(advF), tensor2D(lc.mask)}
	if withRef {
		args = append(args, tensor2D(lc.ref))
	}
	out, err := exec.Exec(args...)
	if err != nil {
		t.Fatal(err)
	}
	scalar := func(i int) float64 { return float64(out[i].Value().(float32)) }
	r := lossResult{loss: scalar(0), policyLoss: scalar(1), kl: scalar(2), ratioMean: scalar(3),
		clipLow: scalar(4), clipHigh: scalar(5), clip: scalar(6), tokens: scalar(7)}
	g := tensors.MustCopyFlatData[float32](out[8])
	T := len(lc.logp[0])
	for i := range lc.logp {
		row := make([]float64, T)
		for j := range row {
			row[j] = float64(g[i*T+j])
		}
		r.grad = append(r.grad, row)
	}
	return r
}

// refLoss is the objective and its gradient written out in float64 from the formulas of
// DESIGN.md §3: ℓ = −min(ρA, clip(ρ)A) + β·k3, aggregated by loss type; dℓ/dlogp is
// −ρA where the unclipped term is the minimum (0 where the clipped one is), plus β(1 − e^d).
func refLoss(c Config, lc lossCase) lossResult {
	n, T := len(lc.logp), len(lc.logp[0])
	var r lossResult
	r.grad = make([][]float64, n)
	var tokens float64
	lens := make([]float64, n)
	for i := range lc.mask {
		for _, m := range lc.mask[i] {
			tokens += m
			lens[i] += m
		}
	}
	weight := func(i int) float64 { // d loss / d ℓ_ij for a real token of completion i
		switch c.LossType {
		case "grpo":
			return 1 / (float64(n) * math.Max(lens[i], 1))
		case "dapo":
			return 1 / math.Max(tokens, 1)
		}
		return 1 / float64(n*c.MaxCompletionTokens)
	}
	var klSum, ratioSum, low, high float64
	for i := 0; i < n; i++ {
		r.grad[i] = make([]float64, T)
		A := lc.adv[i]
		for j := 0; j < T; j++ {
			if lc.mask[i][j] == 0 {
				continue
			}
			rho := math.Exp(lc.logp[i][j] - lc.old[i][j])
			cl := math.Min(math.Max(rho, 1-c.EpsLow), 1+c.EpsHigh)
			unclipped, clippedTerm := rho*A, cl*A
			pg, dpg := -unclipped, -rho*A
			if clippedTerm < unclipped {
				pg, dpg = -clippedTerm, 0
			}
			if c.DualClip > 0 && A < 0 && -A*c.DualClip < pg {
				pg, dpg = -A*c.DualClip, 0
			}
			var kl, dkl float64
			if lc.ref != nil {
				d := lc.ref[i][j] - lc.logp[i][j]
				kl, dkl = math.Exp(d)-d-1, 1-math.Exp(d)
			}
			w := weight(i)
			r.loss += w * (pg + c.Beta*kl)
			r.policyLoss += w * pg
			r.grad[i][j] = w * (dpg + c.Beta*dkl)
			klSum += kl
			ratioSum += rho
			if rho < 1-c.EpsLow && A < 0 {
				low++
			}
			if rho > 1+c.EpsHigh && A > 0 {
				high++
			}
		}
	}
	den := math.Max(tokens, 1)
	r.kl, r.ratioMean, r.clipLow, r.clipHigh, r.clip, r.tokens = klSum/den, ratioSum/den, low/den, high/den, (low+high)/den, tokens
	return r
}

func compare(t *testing.T, name string, got, want lossResult, tol float64) {
	t.Helper()
	check := func(what string, g, w float64) {
		if math.Abs(g-w) > tol*math.Max(1, math.Abs(w)) {
			t.Errorf("%s: %s = %.8g, want %.8g", name, what, g, w)
		}
	}
	check("loss", got.loss, want.loss)
	check("policy loss", got.policyLoss, want.policyLoss)
	check("kl", got.kl, want.kl)
	check("ratio mean", got.ratioMean, want.ratioMean)
	check("clip low", got.clipLow, want.clipLow)
	check("clip high", got.clipHigh, want.clipHigh)
	check("clip", got.clip, want.clip)
	check("tokens", got.tokens, want.tokens)
	for i := range want.grad {
		for j := range want.grad[i] {
			if g, w := got.grad[i][j], want.grad[i][j]; math.Abs(g-w) > tol*math.Max(1e-3, math.Abs(w)) {
				t.Errorf("%s: d loss/d logp[%d][%d] = %.8g, want %.8g", name, i, j, g, w)
			}
		}
	}
}

func configFor(lossType string, beta float64) Config {
	c := DefaultConfig()
	c.LossType, c.Beta = lossType, beta
	c.EpsLow, c.EpsHigh = 0.2, 0.28
	c.MaxCompletionTokens = 6
	return c
}

// randomCase builds a deterministic off-policy batch: ratios spread over [0.5, 1.6] so
// that every clip region is hit, completions of different lengths, NaN in padding.
func randomCase(withRef bool) lossCase {
	n, T := 4, 5
	lens := []int{5, 3, 1, 4}
	lc := lossCase{adv: []float64{1.2, -0.7, 0.4, -1.5}}
	for i := 0; i < n; i++ {
		var lp, old, ref, m []float64
		for j := 0; j < T; j++ {
			x := float64(i*T + j)
			l := -0.3 - 2*math.Abs(math.Sin(1.7*x))
			o := l - 0.55*math.Sin(2.3*x+0.4) // log-ratio in [-0.55, 0.55]
			rf := l + 0.4*math.Cos(3.1*x)
			mask := 1.0
			if j >= lens[i] {
				mask, l, o, rf = 0, math.NaN(), math.Inf(-1), math.NaN() // garbage in padding
			}
			lp, old, ref, m = append(lp, l), append(old, o), append(ref, rf), append(m, mask)
		}
		lc.logp, lc.old, lc.mask = append(lc.logp, lp), append(lc.old, old), append(lc.mask, m)
		if withRef {
			lc.ref = append(lc.ref, ref)
		}
	}
	return lc
}

func TestLossMatchesReference(t *testing.T) {
	for _, lossType := range LossTypes {
		for _, beta := range []float64{0, 0.04} {
			c := configFor(lossType, beta)
			lc := randomCase(true)
			want := refLoss(c, withoutPadding(lc))
			if want.clipLow == 0 || want.clipHigh == 0 || want.clip == 1 {
				t.Fatalf("test case does not exercise both clip regions: %+v", want)
			}
			compare(t, lossType+" beta "+ftoa(beta), runLoss(t, c, lc), want, 2e-5)
		}
	}
	t.Run("dual clip", func(t *testing.T) {
		c := configFor("dapo", 0)
		c.DualClip = 1.3
		lc := randomCase(false)
		compare(t, "dual clip", runLoss(t, c, lc), refLoss(c, withoutPadding(lc)), 2e-5)
	})
}

// withoutPadding replaces the padding garbage by zeros so that the float64 reference
// (which skips masked tokens anyway) does not see it.
func withoutPadding(lc lossCase) lossCase {
	clean := func(x [][]float64) [][]float64 {
		if x == nil {
			return nil
		}
		out := make([][]float64, len(x))
		for i := range x {
			out[i] = make([]float64, len(x[i]))
			for j := range x[i] {
				if lc.mask[i][j] != 0 {
					out[i][j] = x[i][j]
				}
			}
		}
		return out
	}
	return lossCase{logp: clean(lc.logp), old: clean(lc.old), ref: clean(lc.ref), mask: lc.mask, adv: lc.adv}
}

func ftoa(x float64) string {
	if x == 0 {
		return "0"
	}
	return "0.04"
}

// TestLossOnPolicyIsREINFORCE: with μ = 1 (logp == oldLogp) the ratio is 1, nothing is
// clipped, the loss is −(aggregated advantage) and d loss/d logp is REINFORCE with the
// group baseline: −A_i/(N·|o_i|) for grpo, −A_i/(total tokens) for dapo, −A_i/(N·T_max)
// for dr_grpo, zero on padding.
func TestLossOnPolicyIsREINFORCE(t *testing.T) {
	// Two prompts × G = 3; rewards → group advantages (scale none, so hand-checkable).
	rewards := []float64{1, 0, 0, 2, 2, 5}
	adv := Advantages(rewards, 3, "none", 1e-4)
	wantAdv := []float64{2.0 / 3, -1.0 / 3, -1.0 / 3, -1, -1, 2}
	for i := range adv {
		if math.Abs(adv[i]-wantAdv[i]) > 1e-12 {
			t.Fatalf("advantages %v, want %v", adv, wantAdv)
		}
	}
	lens := []int{4, 2, 1, 3, 4, 2}
	const T = 4
	lc := lossCase{adv: adv}
	total := 0
	for i, l := range lens {
		var lp, m []float64
		for j := 0; j < T; j++ {
			lp = append(lp, -0.1*float64(i+j+1))
			if j < l {
				m = append(m, 1)
			} else {
				m = append(m, 0)
			}
		}
		total += l
		lc.logp, lc.old, lc.mask = append(lc.logp, lp), append(lc.old, lp), append(lc.mask, m)
	}
	n := float64(len(lens))
	for _, lossType := range LossTypes {
		c := configFor(lossType, 0)
		c.MaxCompletionTokens = 5 // larger than T: dr_grpo divides by the configured maximum
		got := runLoss(t, c, lc)
		if math.Abs(got.ratioMean-1) > 1e-6 || got.clip != 0 {
			t.Errorf("%s: ratio mean %v, clip fraction %v; want 1 and 0", lossType, got.ratioMean, got.clip)
		}
		var wantLoss float64
		for i, a := range adv {
			var w float64
			switch lossType {
			case "grpo":
				w = 1 / (n * float64(lens[i]))
			case "dapo":
				w = 1 / float64(total)
			case "dr_grpo":
				w = 1 / (n * 5)
			}
			wantLoss -= a * w * float64(lens[i])
			for j := 0; j < T; j++ {
				want := 0.0
				if j < lens[i] {
					want = -a * w
				}
				if math.Abs(got.grad[i][j]-want) > 1e-6 {
					t.Errorf("%s: d loss/d logp[%d][%d] = %.8g, want REINFORCE %.8g", lossType, i, j, got.grad[i][j], want)
				}
			}
		}
		if math.Abs(got.loss-wantLoss) > 1e-6 {
			t.Errorf("%s: loss %.8g, want %.8g", lossType, got.loss, wantLoss)
		}
	}
}

// TestLossKLZeroAtReference: when the policy equals the reference the k3 KL term and its
// gradient vanish: the loss and gradient equal those with beta = 0.
func TestLossKLZeroAtReference(t *testing.T) {
	lc := randomCase(true)
	for i := range lc.ref {
		copy(lc.ref[i], lc.logp[i])
	}
	for _, lossType := range LossTypes {
		withKL := runLoss(t, configFor(lossType, 0.5), lc)
		lcNoRef := lc
		lcNoRef.ref = nil
		without := runLoss(t, configFor(lossType, 0), lcNoRef)
		if withKL.kl != 0 {
			t.Errorf("%s: KL = %v at the reference, want 0", lossType, withKL.kl)
		}
		compare(t, lossType+" KL at reference", withKL, without, 1e-6)
	}
	// And away from the reference the KL is positive (k3 >= 0).
	lc = randomCase(true)
	if got := runLoss(t, configFor("grpo", 0.1), lc); !(got.kl > 0) {
		t.Errorf("KL away from the reference = %v, want > 0", got.kl)
	}
}

// TestLossClipZeroesGradient checks the four clip regions token by token, eps_low 0.2,
// eps_high 0.28, dapo aggregation over 4 tokens (weight 1/4).
func TestLossClipZeroesGradient(t *testing.T) {
	c := configFor("dapo", 0)
	tests := []struct {
		name     string
		rho, adv float64
		wantGrad float64 // d loss / d logp
		low      bool
		high     bool
	}{
		{"ratio above 1+eps_high, A > 0: clipped", 1.5, 2, 0, false, true},
		{"ratio below 1-eps_low, A < 0: clipped", 0.6, -1, 0, true, false},
		{"ratio above 1+eps_high, A < 0: not clipped", 1.5, -1, 1.5 / 4, false, false},
		{"ratio below 1-eps_low, A > 0: not clipped", 0.6, 2, -2 * 0.6 / 4, false, false},
		{"ratio inside the range, A > 0", 1.1, 2, -2 * 1.1 / 4, false, false},
		{"ratio inside the range, A < 0", 0.9, -1, 0.9 / 4, false, false},
	}
	for _, tc := range tests {
		// One completion per case, 4 identical tokens.
		lc := lossCase{adv: []float64{tc.adv}}
		lp := []float64{-1, -1, -1, -1}
		old := make([]float64, 4)
		for j := range old {
			old[j] = lp[j] - math.Log(tc.rho)
		}
		lc.logp, lc.old, lc.mask = [][]float64{lp}, [][]float64{old}, [][]float64{{1, 1, 1, 1}}
		got := runLoss(t, c, lc)
		for j := 0; j < 4; j++ {
			if math.Abs(got.grad[0][j]-tc.wantGrad) > 1e-6 {
				t.Errorf("%s: gradient %v, want %v", tc.name, got.grad[0][j], tc.wantGrad)
			}
		}
		wantLow, wantHigh := 0.0, 0.0
		if tc.low {
			wantLow = 1
		}
		if tc.high {
			wantHigh = 1
		}
		if got.clipLow != wantLow || got.clipHigh != wantHigh {
			t.Errorf("%s: clip fractions low %v high %v, want %v %v", tc.name, got.clipLow, got.clipHigh, wantLow, wantHigh)
		}
		// The loss is −min(ρA, clip(ρ)A) per token, averaged.
		cl := math.Min(math.Max(tc.rho, 1-c.EpsLow), 1+c.EpsHigh)
		if want := -math.Min(tc.rho*tc.adv, cl*tc.adv); math.Abs(got.loss-want) > 1e-5 {
			t.Errorf("%s: loss %v, want %v", tc.name, got.loss, want)
		}
	}
}

// TestReferenceGradientIsTheDerivative checks the hand-derived gradient of refLoss
// against central finite differences of refLoss's own loss, so that the reference the
// graph is compared with is itself right (the test points are away from the clip kinks).
func TestReferenceGradientIsTheDerivative(t *testing.T) {
	const h = 1e-6
	for _, lossType := range LossTypes {
		c := configFor(lossType, 0.04)
		c.DualClip = 1.3
		lc := withoutPadding(randomCase(true))
		want := refLoss(c, lc)
		for i := range lc.logp {
			for j := range lc.logp[i] {
				if lc.mask[i][j] == 0 {
					continue
				}
				x := lc.logp[i][j]
				lc.logp[i][j] = x + h
				up := refLoss(c, lc).loss
				lc.logp[i][j] = x - h
				down := refLoss(c, lc).loss
				lc.logp[i][j] = x
				if fd := (up - down) / (2 * h); math.Abs(fd-want.grad[i][j]) > 1e-6 {
					t.Errorf("%s: reference gradient [%d][%d] = %.9g, finite difference %.9g", lossType, i, j, want.grad[i][j], fd)
				}
			}
		}
	}
}

// TestLossExtremeRatiosStayFinite: log-ratios of ±100 (to π_old and π_ref) on tokens with
// zero and non-zero advantages give a finite loss and gradient, where exp would overflow.
func TestLossExtremeRatiosStayFinite(t *testing.T) {
	lc := lossCase{
		logp: [][]float64{{-1, -1}, {-1, -1}},
		old:  [][]float64{{-101, 99}, {-101, 99}},
		ref:  [][]float64{{-101, 99}, {99, -101}},
		mask: [][]float64{{1, 1}, {1, 1}},
		adv:  []float64{0, -1},
	}
	for _, lossType := range LossTypes {
		got := runLoss(t, configFor(lossType, 0.1), lc)
		finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
		if !finite(got.loss) || !finite(got.kl) || !finite(got.ratioMean) {
			t.Errorf("%s: loss %v, kl %v, ratio mean %v: want finite", lossType, got.loss, got.kl, got.ratioMean)
		}
		for i := range got.grad {
			for j, g := range got.grad[i] {
				if !finite(g) {
					t.Errorf("%s: gradient [%d][%d] = %v", lossType, i, j, g)
				}
			}
		}
	}
}
