package model

import (
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	. "github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/internal/guard"
)

// Sequence is a prompt followed by a completion, as token ids.
type Sequence struct {
	Prompt, Completion []int32
}

// Scorer computes log-probabilities of completions under a model. Sequences are grouped by
// length into padded buckets (right padding, which a causal model never sees), so a
// sequence's numbers do not depend on what else is in its batch.
type Scorer struct {
	Params      *Params
	Backend     backends.Backend
	Compute     dtypes.DType
	TokenBudget int // tokens per forward pass (batch × bucket length); 0 means 8192
	// FusedAttention runs attention as cuDNN's flash attention (Weights.FusedAttention).
	FusedAttention bool

	exec *Exec
}

// NewScorer prepares a scorer; graphs compile on first use, one per (batch, length) bucket.
func NewScorer(b backends.Backend, p *Params, compute dtypes.DType) *Scorer {
	return &Scorer{Params: p, Backend: b, Compute: compute}
}

// LogProbs returns, for each sequence, log p(completion token | everything before it), one
// value per completion token, in input order.
func (s *Scorer) LogProbs(seqs []Sequence) ([][]float32, error) {
	c := s.Params.Config
	for i, q := range seqs {
		n := len(q.Prompt) + len(q.Completion)
		if len(q.Prompt) == 0 {
			return nil, fmt.Errorf("sequence %d: empty prompt (the first completion token needs a token before it)", i)
		}
		if n > c.MaxPositionEmbeddings {
			return nil, fmt.Errorf("sequence %d: %d tokens exceed max_position_embeddings %d", i, n, c.MaxPositionEmbeddings)
		}
		for _, id := range append(append([]int32{}, q.Prompt...), q.Completion...) {
			if id < 0 || int(id) >= c.VocabSize {
				return nil, fmt.Errorf("sequence %d: token id %d outside the vocabulary [0, %d)", i, id, c.VocabSize)
			}
		}
	}
	if s.exec == nil {
		if err := guard.Run(func() { s.exec = MustNewExec(s.Backend, s.graph) }); err != nil {
			return nil, err
		}
		s.exec.SetMaxCache(-1) // one program per (batch, length) bucket: a cap would end a long run with an error
	}
	budget := s.TokenBudget
	if budget <= 0 {
		budget = 8192
	}
	out := make([][]float32, len(seqs))
	lens := make([]int, len(seqs))
	for i, q := range seqs {
		lens[i] = len(q.Prompt) + len(q.Completion) - 1
	}
	for _, sb := range planScoreBatches(lens, budget, c.MaxPositionEmbeddings) {
		batch, B, T := sb.rows, sb.B, sb.T
		tokens := make([]int32, B*T)
		targets := make([]int32, B*T)
		for r, i := range batch {
			full := append(append([]int32{}, seqs[i].Prompt...), seqs[i].Completion...)
			copy(tokens[r*T:], full[:len(full)-1])
			copy(targets[r*T:], full[1:])
		}
		var res []*tensors.Tensor
		err := guard.Run(func() {
			args := make([]any, 0, len(s.Params.Tensors)+2)
			for _, t := range s.Params.Tensors {
				args = append(args, t)
			}
			args = append(args, tensors.FromFlatDataAndDimensions(tokens, B, T), tensors.FromFlatDataAndDimensions(targets, B, T))
			res = s.exec.MustExec(args...)
		})
		if err != nil {
			return nil, FusedAttentionHint(err, s.FusedAttention)
		}
		lp := res[0].Value().([][]float32)
		for r, i := range batch {
			p := len(seqs[i].Prompt)
			out[i] = append([]float32(nil), lp[r][p-1:p-1+len(seqs[i].Completion)]...)
		}
	}
	return out, nil
}

// scoreBatch is one forward pass of the scorer: the sequences rows (indices), padded to B rows
// of T tokens.
type scoreBatch struct {
	rows []int
	B, T int
}

// planScoreBatches groups sequences of the given lengths (tokens fed to the model) into
// forward passes: sorted by length, one length bucket per pass, at most budget tokens per
// pass. Full passes hold a power-of-two number of rows that fits the budget, so no padding
// rows are computed except in the last pass of a bucket (rounded up to a power of two): one
// compiled program per (rows, bucket) serves every step.
func planScoreBatches(lens []int, budget, maxLen int) []scoreBatch {
	order := make([]int, len(lens))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return lens[order[a]] < lens[order[b]] })
	var plan []scoreBatch
	for start := 0; start < len(order); {
		T := BucketLength(lens[order[start]], maxLen)
		rows := 1
		for 2*rows*T <= budget {
			rows *= 2
		}
		end := start
		for end < len(order) && end-start < rows && BucketLength(lens[order[end]], maxLen) == T {
			end++
		}
		plan = append(plan, scoreBatch{rows: order[start:end], B: BucketBatch(end - start), T: T})
		start = end
	}
	return plan
}

// graph: params..., tokens [B, T], targets [B, T] → log p(targets) [B, T].
func (s *Scorer) graph(in []*Node) *Node {
	n := len(in) - 2
	tokens, targets := in[n], in[n+1]
	w := Bind(s.Params.Config, in[:n], s.Compute)
	w.FusedAttention, w.NoGrad = s.FusedAttention, true
	positions := Iota(tokens.Graph(), tokens.Shape(), 1)
	hidden, _ := w.Forward(tokens, positions, nil)
	return w.TokenLogProbs(hidden, targets)
}

// BucketLength rounds a sequence length up to the next bucket: powers of two from 16 to 512,
// then multiples of 256 up to 4,096, then multiples of a sixteenth of the length's power of
// two (512 up to 8,192, 1,024 up to 16,384, ...), capped at limit. One compiled program
// serves every length of a bucket, and each bucket is one more program to compile: up to
// 32,768 tokens (R1's completions) there are 44 buckets (132 in multiples of 256), with at
// most 255 padding positions up to 4,096 tokens and at most 12.5% past them.
func BucketLength(n, limit int) int {
	b := 16
	for b < n && b < 512 {
		b *= 2
	}
	if n > 512 {
		step := 256
		for step*16 < n {
			step *= 2
		}
		b = (n + step - 1) / step * step
	}
	return min(b, max(limit, n))
}

// BucketBatch rounds a batch size up to a power of two.
func BucketBatch(n int) int {
	b := 1
	for b < n {
		b *= 2
	}
	return b
}
