package reward

import (
	"errors"
	"fmt"
	"strings"

	"github.com/r1go/r1go/reward/mathverify"
)

// MathReward is the accuracy reward for math: 1 when the final answer of the completion
// is equivalent to the gold answer under reward/mathverify, else 0. The answer is looked
// for after the last </think> (a response whose <think> never closes has no answer);
// without think tags, in the whole completion.
type MathReward struct {
	opts mathverify.Options
	name string
}

// NewMath returns a math reward with the given verifier options.
func NewMath(o mathverify.Options) *MathReward { return &MathReward{opts: o, name: "math"} }

func newMath(p *params) (Func, error) {
	o := mathverify.DefaultOptions()
	o.Precision = p.Int("precision", o.Precision)
	switch p.Choice("percent", "lenient", "lenient", "fraction", "number") {
	case "fraction":
		o.Percent = mathverify.PercentFraction
	case "number":
		o.Percent = mathverify.PercentNumber
	}
	o.DecimalComma = p.Bool("decimal_comma", o.DecimalComma)
	o.RelTol = p.Float("rel_tol", o.RelTol)
	if methods := p.Strings("extract", nil); methods != nil {
		o.Extract = 0
		for _, m := range methods {
			switch strings.TrimSpace(m) {
			case "answer_tag":
				o.Extract |= mathverify.ExtractAnswerTag
			case "boxed":
				o.Extract |= mathverify.ExtractBoxed
			case "phrase":
				o.Extract |= mathverify.ExtractPhrase
			case "last_math":
				o.Extract |= mathverify.ExtractLastMath
			case "last_number":
				o.Extract |= mathverify.ExtractLastNumber
			default:
				p.fail("extract", "unknown method %q (want answer_tag|boxed|phrase|last_math|last_number)", m)
			}
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	if o.Precision < 0 || o.Precision > 30 {
		return nil, errors.New(`reward "math": parameter "precision": want 0 to 30 decimal places`)
	}
	if o.RelTol < 0 || o.RelTol >= 1 {
		return nil, errors.New(`reward "math": parameter "rel_tol": want a value in [0, 1)`)
	}
	return NewMath(o), nil
}

// newAccuracy is newMath named "accuracy", so that Total.Parts uses the name of the spec.
func newAccuracy(p *params) (Func, error) {
	f, err := newMath(p)
	if err != nil {
		return nil, err
	}
	m := f.(*MathReward)
	m.name = "accuracy"
	return m, nil
}

// Name returns "math" (or "accuracy" when built under that name).
func (m *MathReward) Name() string { return m.name }

// IsAccuracy reports true: the math reward is a verifier.
func (m *MathReward) IsAccuracy() bool { return true }

// Score verifies the completion's final answer against s.Gold.
func (m *MathReward) Score(s Sample) Score {
	if strings.TrimSpace(s.Gold) == "" {
		return Score{Err: errors.New("math: sample has no gold answer")}
	}
	r := mathverify.Verify(s.Gold, answerAfterThink(FullCompletion(s)), m.opts)
	sc := Score{Correct: r.Correct, Pred: r.Pred, Gold: r.Gold}
	if r.Correct {
		sc.Value = 1
	}
	switch {
	case r.Err == nil:
	case !r.Correct && errors.Is(r.Err, mathverify.ErrGold):
		// The reference itself could not be understood: a dataset problem, not a wrong answer.
		sc.Err = fmt.Errorf("math: %w", r.Err) // r.Err says "gold: ..."
	default:
		sc.Note = r.Err.Error()
	}
	return sc
}
