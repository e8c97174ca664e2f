package reward

import (
	"errors"
	"strings"
	"unicode"
)

// ExactOptions configures the exact-match reward.
type ExactOptions struct {
	IgnoreCase    bool // compare case-insensitively (Unicode simple folding)
	CollapseSpace bool // trim and collapse runs of whitespace to one space
	TrimPunct     bool // drop punctuation and quotes at both ends ("Paris." = "Paris")
	Unbox         bool // use the content of a \boxed{} in the answer when there is one
}

// DefaultExactOptions ignores case and extra whitespace and unboxes; punctuation counts.
func DefaultExactOptions() ExactOptions {
	return ExactOptions{IgnoreCase: true, CollapseSpace: true, Unbox: true}
}

// ExactReward is 1 when the answer text (see AnswerText) equals the gold answer after
// normalisation, else 0.
type ExactReward struct {
	opts ExactOptions
}

// NewExact returns an exact-match reward.
func NewExact(o ExactOptions) *ExactReward { return &ExactReward{opts: o} }

func newExact(p *params) (Func, error) {
	o := DefaultExactOptions()
	o.IgnoreCase = p.Bool("ignore_case", o.IgnoreCase)
	o.CollapseSpace = p.Bool("collapse_space", o.CollapseSpace)
	o.TrimPunct = p.Bool("trim_punct", o.TrimPunct)
	o.Unbox = p.Bool("unbox", o.Unbox)
	if p.err != nil {
		return nil, p.err
	}
	return NewExact(o), nil
}

// Name returns "exact".
func (e *ExactReward) Name() string { return "exact" }

// IsAccuracy reports true: exact match is a verifier.
func (e *ExactReward) IsAccuracy() bool { return true }

// Score compares the completion's answer with s.Gold.
func (e *ExactReward) Score(s Sample) Score {
	gold := e.normalize(s.Gold)
	if gold == "" {
		return Score{Err: errors.New("exact: sample has no gold answer")}
	}
	ans := AnswerText(FullCompletion(s))
	if e.opts.Unbox {
		if b, ok := LastBoxed(ans); ok {
			ans = b
		}
	}
	pred := e.normalize(ans)
	if pred == gold {
		return Score{Value: 1, Correct: true, Pred: pred, Gold: gold}
	}
	return Score{Pred: pred, Gold: gold}
}

// normalize applies the options to s.
func (e *ExactReward) normalize(s string) string {
	if e.opts.CollapseSpace {
		s = strings.Join(strings.Fields(s), " ")
	}
	if e.opts.TrimPunct {
		s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
	}
	if e.opts.IgnoreCase {
		s = strings.ToLower(s)
	}
	return s
}
