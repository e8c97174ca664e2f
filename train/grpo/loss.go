package grpo

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Stats are the diagnostics of one Loss call, as f32 scalar graph nodes, averaged over
// the real completion tokens of the batch (mask = 1). The trainer returns them from its
// graph and logs them.
type Stats struct {
	PolicyLoss *graph.Node // the clipped surrogate alone, aggregated like the loss (no KL)
	KL         *graph.Node // mean k3 KL(π_θ ‖ π_ref) per token; 0 without a reference
	RatioMean  *graph.Node // mean importance ratio π_θ/π_old
	ClipLow    *graph.Node // share of tokens with ratio < 1 − eps_low and advantage < 0 (gradient clipped)
	ClipHigh   *graph.Node // share of tokens with ratio > 1 + eps_high and advantage > 0 (gradient clipped)
	Clip       *graph.Node // ClipLow + ClipHigh (clip_fraction)
	Tokens     *graph.Node // number of real completion tokens in the batch
}

// Loss builds the GRPO objective of one batch (a scalar to minimise) and its Stats.
//
// logp, oldLogp, refLogp and mask are [N, T] (N completions, T completion positions):
// the log-probabilities of the sampled tokens under the policy being trained, under the
// policy that sampled them (π_old) and under the reference model, and 1 for real
// completion tokens, 0 for padding (and for completions the loss must skip). adv is [N],
// one advantage per completion. refLogp may be nil when c.Beta == 0. Gradients flow
// through logp only: oldLogp, refLogp, adv and mask are data.
//
// Per token, with ρ = exp(logp − oldLogp) and A the completion's advantage:
//
//	ℓ = max(−A·ρ, −A·clip(ρ, 1 − eps_low, 1 + eps_high)) + β·(exp(ref − logp) − (ref − logp) − 1)
//
// (with dual_clip c > 1, negative-advantage tokens are further bounded by −A·c, as in
// verl), and the loss aggregates ℓ over real tokens by c.LossType:
//
//	grpo:    mean over each completion's tokens, then mean over completions (a completion
//	         without real tokens counts as 0 in that mean, as in TRL)
//	dapo:    sum over all tokens / number of tokens in the batch
//	dr_grpo: sum over all tokens / (N · MaxCompletionTokens)
//
// Padding positions are replaced by zeros before any arithmetic, so NaN or Inf garbage
// there cannot reach the loss or its gradient. Log-ratios (to π_old and to π_ref) are
// clamped to [−20, 20] before exponentiation, as verl does, so that an extreme token
// cannot overflow to Inf (and 0·Inf to NaN when its advantage is 0); within the clamp
// the loss is exact, beyond it the token gives no gradient.
func Loss(c Config, logp, oldLogp, refLogp, adv, mask *graph.Node) (loss *graph.Node, stats Stats) {
	g := logp.Graph()
	f32 := dtypes.Float32
	if logp.Rank() != 2 {
		panic(fmt.Errorf("grpo.Loss: logp must be [N, T], got %s", logp.Shape()))
	}
	n, t := logp.Shape().Dimensions[0], logp.Shape().Dimensions[1]
	check := func(name string, x *graph.Node) {
		if x.Rank() != 2 || x.Shape().Dimensions[0] != n || x.Shape().Dimensions[1] != t {
			panic(fmt.Errorf("grpo.Loss: %s must be [%d, %d] like logp, got %s", name, n, t, x.Shape()))
		}
	}
	check("oldLogp", oldLogp)
	check("mask", mask)
	if refLogp != nil {
		check("refLogp", refLogp)
	} else if c.Beta != 0 {
		panic(fmt.Errorf("grpo.Loss: beta = %v needs the reference log-probs (refLogp is nil)", c.Beta))
	}
	if adv.Rank() != 1 || adv.Shape().Dimensions[0] != n {
		panic(fmt.Errorf("grpo.Loss: adv must be [%d], got %s", n, adv.Shape()))
	}
	switch c.LossType {
	case "grpo", "dapo", "dr_grpo":
	default:
		panic(fmt.Errorf("grpo.Loss: loss_type %q is not grpo, dapo or dr_grpo", c.LossType))
	}
	if c.LossType == "dr_grpo" && c.MaxCompletionTokens < 1 {
		panic(fmt.Errorf("grpo.Loss: loss_type dr_grpo needs max_completion_tokens >= 1"))
	}

	maskF := graph.ConvertDType(mask, f32)                     // [N, T]
	isReal := graph.GreaterThan(maskF, graph.ZerosLike(maskF)) // [N, T] bool
	zeros := graph.ZerosLike(maskF)
	clean := func(x *graph.Node) *graph.Node { return graph.Where(isReal, graph.ConvertDType(x, f32), zeros) }
	logp = clean(logp)
	oldLogp = graph.StopGradient(clean(oldLogp))
	a := graph.StopGradient(graph.BroadcastToDims(graph.InsertAxes(graph.ConvertDType(adv, f32), -1), n, t)) // [N, T]

	ratio := graph.Exp(clampLog(graph.Sub(logp, oldLogp)))                            // [N, T]
	clipped := graph.MinScalar(graph.MaxScalar(ratio, 1-c.EpsLow), 1+c.EpsHigh)       // [N, T]
	pg := graph.Max(graph.Neg(graph.Mul(a, ratio)), graph.Neg(graph.Mul(a, clipped))) // [N, T]; ties keep the unclipped gradient
	if c.DualClip > 0 {
		bound := graph.MulScalar(graph.Neg(a), c.DualClip)
		pg = graph.Where(graph.LessThan(a, zeros), graph.Min(pg, bound), pg)
	}

	var kl *graph.Node // [N, T]
	if refLogp != nil {
		d := clampLog(graph.Sub(graph.StopGradient(clean(refLogp)), logp)) // log(π_ref/π_θ)
		kl = graph.Sub(graph.Sub(graph.Exp(d), d), graph.Scalar(g, f32, 1.0))
	}
	perTok := pg
	if kl != nil && c.Beta != 0 {
		perTok = graph.Add(pg, graph.MulScalar(kl, c.Beta))
	}

	tokens := graph.ReduceAllSum(maskF)
	denomTokens := graph.MaxScalar(tokens, 1.0)
	aggregate := func(x *graph.Node) *graph.Node {
		x = graph.Mul(x, maskF)
		switch c.LossType {
		case "grpo":
			perSeq := graph.Div(graph.ReduceSum(x, 1), graph.MaxScalar(graph.ReduceSum(maskF, 1), 1.0)) // [N]
			return graph.ReduceAllMean(perSeq)
		case "dapo":
			return graph.Div(graph.ReduceAllSum(x), denomTokens)
		default: // dr_grpo
			return graph.DivScalar(graph.ReduceAllSum(x), float64(n*c.MaxCompletionTokens))
		}
	}
	loss = aggregate(perTok)

	tokenMean := func(x *graph.Node) *graph.Node {
		return graph.Div(graph.ReduceAllSum(graph.Mul(graph.StopGradient(x), maskF)), denomTokens)
	}
	indicator := func(b *graph.Node) *graph.Node { return graph.ConvertDType(b, f32) }
	lowClip := graph.LogicalAnd(graph.LessThan(ratio, graph.Scalar(g, f32, 1-c.EpsLow)), graph.LessThan(a, zeros))
	highClip := graph.LogicalAnd(graph.GreaterThan(ratio, graph.Scalar(g, f32, 1+c.EpsHigh)), graph.GreaterThan(a, zeros))
	stats = Stats{
		PolicyLoss: graph.StopGradient(aggregate(pg)),
		RatioMean:  tokenMean(ratio),
		ClipLow:    tokenMean(indicator(lowClip)),
		ClipHigh:   tokenMean(indicator(highClip)),
		Tokens:     tokens,
	}
	stats.Clip = graph.Add(stats.ClipLow, stats.ClipHigh)
	if kl != nil {
		stats.KL = tokenMean(kl)
	} else {
		stats.KL = graph.Scalar(g, f32, 0.0)
	}
	return loss, stats
}

// maxLogRatio bounds log-ratios before exp (e^20 ≈ 4.9e8, far beyond any clip range).
const maxLogRatio = 20

// clampLog clamps a log-ratio to [−maxLogRatio, maxLogRatio].
func clampLog(x *graph.Node) *graph.Node {
	return graph.MinScalar(graph.MaxScalar(x, -maxLogRatio), maxLogRatio)
}
