package sft

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/internal/guard"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/train"
)

// InputsPerMicroBatch is the number of tensors one micro-batch feeds the objective (see Batch).
const InputsPerMicroBatch = 5

// Objective is the SFT loss as a train.Objective: the negative log-likelihood of the
// assistant tokens, averaged over every assistant token of Micro micro-batches (gradient
// accumulation inside one program: the gradient is that of the mean over all their
// tokens, as TRL computes it with num_items_in_batch). Its inputs are Micro groups of
// the five [B, T] tensors Batch makes.
type Objective struct {
	Micro int // micro-batches per update (≥ 1)
	// Segments is the most examples a row holds (packed rows; 0 or 1: one example per row).
	// cuDNN's attention in its packed form (model.Weights.FusedAttention) is compiled for it.
	Segments int
}

// Name implements train.Objective.
func (o Objective) Name() string { return fmt.Sprintf("sft/%d/%d", max(1, o.Micro), o.Segments) }

// Build implements train.Objective.
func (o Objective) Build(w *model.Weights, in []*graph.Node) (*graph.Node, []train.Stat) {
	var sum, count *graph.Node
	for k := 0; k < max(1, o.Micro); k++ {
		s, c := NLL(w, in[k*InputsPerMicroBatch:(k+1)*InputsPerMicroBatch], o.Segments)
		if sum == nil {
			sum, count = s, c
		} else {
			sum, count = graph.Add(sum, s), graph.Add(count, c)
		}
	}
	loss := graph.Div(sum, graph.MaxScalar(count, 1))
	return loss, []train.Stat{{Name: "tokens", Value: count}}
}

// NLL builds the summed negative log-likelihood of the weighted targets of one
// micro-batch (tokens, targets, positions, segments, weights; see Batch) and the sum of
// the weights (f32 scalars). Attention is causal within each segment: a token sees the
// earlier tokens of its own example only, so packed examples do not interact. maxSegments
// is the most examples in a row (model.Weights.ForwardSegments).
func NLL(w *model.Weights, in []*graph.Node, maxSegments int) (sum, count *graph.Node) {
	tokens, targets, positions, segments, weights := in[0], in[1], in[2], in[3], in[4]
	hidden, _ := w.ForwardSegments(tokens, positions, segments, maxSegments)
	logp := w.TokenLogProbs(hidden, targets) // [B, T] f32
	weights = graph.ConvertDType(weights, dtypes.Float32)
	return graph.Neg(graph.ReduceAllSum(graph.Mul(logp, weights))), graph.ReduceAllSum(weights)
}

// Evaluator computes the mean loss of held-out micro-batches without changing the model.
type Evaluator struct {
	Backend backends.Backend
	Params  *model.Params
	Compute dtypes.DType
	// FusedAttention: see model.Weights.FusedAttention; Segments: see Objective.
	FusedAttention bool
	Segments       int
	exec           *graph.Exec
}

// Sums returns the summed NLL of the batch's weighted targets and their count.
func (e *Evaluator) Sums(batch []*tensors.Tensor) (sum, count float64, err error) {
	np := len(e.Params.Tensors)
	if e.exec == nil {
		err = guard.Run(func() {
			e.exec = graph.MustNewExec(e.Backend, func(in []*graph.Node) []*graph.Node {
				w := model.Bind(e.Params.Config, in[:np], e.Compute)
				w.FusedAttention = e.FusedAttention
				s, c := NLL(w, in[np:], e.Segments)
				return []*graph.Node{s, c}
			})
			e.exec.SetMaxCache(-1) // one program per (batch, length) bucket: a cap would end a long run with an error
		})
		if err != nil {
			return 0, 0, err
		}
	}
	var out []*tensors.Tensor
	err = guard.Run(func() {
		args := make([]any, 0, np+len(batch))
		for _, t := range e.Params.Tensors {
			args = append(args, t)
		}
		for _, t := range batch {
			args = append(args, t)
		}
		out = e.exec.MustExec(args...)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("eval: %w", err)
	}
	return float64(out[0].Value().(float32)), float64(out[1].Value().(float32)), nil
}
