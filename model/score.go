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
		s.exec.SetMaxCache(64)
	}
	budget := s.TokenBudget
	if budget <= 0 {
		budget = 8192
	}
	out := make([][]float32, len(seqs))
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	lenOf := func(i int) int { return len(seqs[i].Prompt) + len(seqs[i].Completion) - 1 }
	sort.SliceStable(order, func(a, b int) bool { return lenOf(order[a]) < lenOf(order[b]) })
	for start := 0; start < len(order); {
		T := BucketLength(lenOf(order[start]), c.MaxPositionEmbeddings)
		// Take every sequence that fits this bucket, up to the token budget (batch a power of 2).
		end := start
		for end < len(order) && BucketLength(lenOf(order[end]), c.MaxPositionEmbeddings) == T && (end-start+1)*T <= max(budget, T) {
			end++
		}
		batch := order[start:end]
		B := BucketBatch(len(batch))
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
		start = end
	}
	return out, nil
}

// graph: params..., tokens [B, T], targets [B, T] → log p(targets) [B, T].
func (s *Scorer) graph(in []*Node) *Node {
	n := len(in) - 2
	tokens, targets := in[n], in[n+1]
	w := Bind(s.Params.Config, in[:n], s.Compute)
	w.FusedAttention = s.FusedAttention
	positions := Iota(tokens.Graph(), tokens.Shape(), 1)
	hidden, _ := w.Forward(tokens, positions, nil)
	return w.TokenLogProbs(hidden, targets)
}

// BucketLength rounds a sequence length up to the next bucket: powers of two from 16 to 512,
// then multiples of 256 (so that one compiled program serves many lengths while long
// sequences waste at most 255 padding positions), capped at limit.
func BucketLength(n, limit int) int {
	b := 16
	for b < n && b < 512 {
		b *= 2
	}
	if n > 512 {
		b = (n + 255) / 256 * 256
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
