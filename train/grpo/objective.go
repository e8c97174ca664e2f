package grpo

import (
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// objective is the GRPO loss of one minibatch as a train.Objective. Its inputs, [M, T] per
// completion (the prompt and completion right-padded, T a length bucket):
//
//	tokens, targets (int32): the sequence and the same shifted by one
//	mask (f32): 1 where the target is a completion token that enters the loss
//	adv [M] (f32): the completion's advantage
//	oldLogp (f32, only when withOld): log π_old of the targets; without it π_old is the
//	  current policy held out of the gradient (μ = 1: the ratio is exactly 1)
//	refLogp (f32, only when Beta > 0): log π_ref of the targets
type objective struct {
	cfg     Config
	withOld bool
}

func (o objective) Name() string {
	n := "grpo"
	if o.withOld {
		n += "+old"
	}
	if o.cfg.Beta != 0 {
		n += "+ref"
	}
	return n
}

func (o objective) Build(w *model.Weights, in []*graph.Node) (*graph.Node, []train.Stat) {
	tokens, targets, mask, adv := in[0], in[1], in[2], in[3]
	rest := in[4:]
	positions := graph.Iota(tokens.Graph(), tokens.Shape(), 1)
	hidden, _ := w.Forward(tokens, positions, nil)
	logp, entropy := w.TokenLogProbsAndEntropy(hidden, targets)
	old := graph.StopGradient(logp)
	if o.withOld {
		old, rest = rest[0], rest[1:]
	}
	var ref *graph.Node
	if o.cfg.Beta != 0 {
		ref = rest[0]
	}
	loss, st := Loss(o.cfg, logp, old, ref, adv, mask)
	maskF := graph.ConvertDType(mask, dtypes.Float32)
	ent := graph.Div(graph.ReduceAllSum(graph.Mul(entropy, maskF)), graph.MaxScalar(graph.ReduceAllSum(maskF), 1))
	return loss, []train.Stat{
		{Name: "policy_loss", Value: st.PolicyLoss}, {Name: "kl", Value: st.KL}, {Name: "ratio_mean", Value: st.RatioMean},
		{Name: "clip_low", Value: st.ClipLow}, {Name: "clip_high", Value: st.ClipHigh}, {Name: "clip_fraction", Value: st.Clip},
		{Name: "entropy", Value: ent}, {Name: "tokens", Value: st.Tokens},
	}
}
