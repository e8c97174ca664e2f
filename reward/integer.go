package reward

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// IntegerReward is 1 when the completion's final number equals the gold integer. The
// final number is taken, in order of preference, from the last \boxed{}, from after a
// GSM8K-style "####", or as the last number in the answer text (see AnswerText).
// Thousands separators are allowed ("1,234"); an integer-valued decimal ("72.0") counts
// as that integer; a fraction or non-integer is wrong.
type IntegerReward struct{}

// NewInteger returns the integer-answer reward.
func NewInteger() *IntegerReward { return &IntegerReward{} }

func newInteger(p *params) (Func, error) { return NewInteger(), nil }

// Name returns "integer".
func (IntegerReward) Name() string { return "integer" }

// IsAccuracy reports true: the integer reward is a verifier.
func (IntegerReward) IsAccuracy() bool { return true }

// numberRE matches one number as written in prose: sign, thousands separators, decimals,
// an optional /denominator.
var numberRE = regexp.MustCompile(`[-−+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?`)

// boxNoiseRE matches LaTeX that may surround a number in a box: \text{...} units,
// dollar signs, thin spaces, percent and degree marks.
var boxNoiseRE = regexp.MustCompile(`\\(?:text|mathrm|textbf|mbox)\{[^{}]*\}|\\[,!;:]|\\?\$|\\%|%|\^\{?\\circ\}?|\{,\}|\\ `)

// Score compares the completion's final integer with s.Gold.
func (IntegerReward) Score(s Sample) Score {
	g := strings.TrimSpace(s.Gold)
	if i := strings.LastIndex(g, "####"); i >= 0 {
		g = strings.TrimSpace(g[i+4:])
	}
	g = strings.TrimSpace(strings.TrimPrefix(g, "$"))
	if g == "" {
		return Score{Err: errors.New("integer: sample has no gold answer")}
	}
	gold, err := toRat(g)
	if err != nil || !gold.IsInt() {
		return Score{Err: fmt.Errorf("integer: gold answer %q is not an integer", truncate(g, 40))}
	}
	goldText := ratString(gold)
	pred, note := finalNumber(AnswerText(FullCompletion(s)))
	if pred == "" {
		return Score{Gold: goldText, Note: note}
	}
	v, err := toRat(strings.ReplaceAll(pred, "−", "-"))
	if err != nil {
		return Score{Pred: pred, Gold: goldText, Note: err.Error()}
	}
	if !v.IsInt() {
		return Score{Pred: pred, Gold: goldText, Note: "answer is not an integer"}
	}
	if v.Cmp(gold) != 0 {
		return Score{Pred: ratString(v), Gold: goldText}
	}
	return Score{Value: 1, Correct: true, Pred: ratString(v), Gold: goldText}
}

// finalNumber returns the final numeric answer in text, or "" and the reason.
func finalNumber(text string) (string, string) {
	if b, ok := LastBoxed(text); ok {
		clean := strings.TrimSpace(boxNoiseRE.ReplaceAllString(b, ""))
		clean = strings.TrimSuffix(clean, ".")
		nums := numberRE.FindAllString(clean, -1)
		if len(nums) == 1 && strings.TrimSpace(strings.Replace(clean, nums[0], "", 1)) == "" {
			return nums[0], ""
		}
		if strings.ContainsAny(clean, `\^/*+=_`) || len(nums) != 1 {
			return "", fmt.Sprintf("boxed answer %q is not a single number", truncate(b, 40))
		}
		return nums[0], "" // a number with a word beside it: "18 dollars"
	}
	if i := strings.LastIndex(text, "####"); i >= 0 {
		if n := numberRE.FindString(text[i+4:]); n != "" {
			return n, ""
		}
	}
	nums := numberRE.FindAllString(text, -1)
	if len(nums) == 0 {
		return "", "no number in the answer"
	}
	return nums[len(nums)-1], ""
}

// truncate shortens s to at most n bytes for error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
