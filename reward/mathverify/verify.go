package mathverify

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrTooLong is wrapped by the error for an answer longer than Options.MaxLen.
var ErrTooLong = errors.New("answer too long")

// ErrGold is wrapped by the error of a gold answer that cannot be understood (a
// dataset problem rather than a wrong prediction); its message starts with "gold: ".
var ErrGold = errors.New("gold")

// ErrTooComplex is the error of a comparison abandoned because the answers nest too
// deeply or have too many elements to match.
var ErrTooComplex = errors.New("answers too complex to compare")

// ErrNoAnswer is the Result.Err of a response from which no answer could be extracted.
var ErrNoAnswer = errors.New("no answer found in response")

// Result is the verdict of Verify.
type Result struct {
	Correct bool
	Pred    string // the answer extracted from the response
	Gold    string // the reference answer (extracted from a boxed solution if needed)
	Err     error  // why the verdict is false for a reason other than a wrong answer, or nil
}

// Verify extracts the final answer from response and compares it with gold, which may
// be a bare answer, a worked solution with a \boxed{} answer, or a GSM8K solution ending
// in "#### answer".
func Verify(gold, response string, opts Options) Result {
	g := ExtractGold(gold)
	pred, ok := ExtractAnswer(response, opts)
	if !ok {
		return Result{Gold: g, Err: ErrNoAnswer}
	}
	correct, err := Compare(g, pred, opts)
	return Result{Correct: correct, Pred: pred, Gold: g, Err: err}
}

// Equal reports whether two already extracted answers are equivalent (Compare without
// the error).
func Equal(gold, pred string, opts Options) bool {
	ok, _ := Compare(gold, pred, opts)
	return ok
}

// Compare reports whether two already extracted answers are equivalent. The error
// (wrapping ErrTooLong or ErrParse, and ErrGold when the gold side is at fault) says
// why an answer could not be understood; the verdict is then false unless the two
// strings were equal after light normalisation.
//
// gold is the reference and the comparison is symmetric except in one place: a
// predicted calculation ("2 + 3 = 5", "a + b = b + a = 7") is judged by its last side,
// while a gold equation is not matched by a bare number.
func Compare(gold, pred string, opts Options) (bool, error) {
	maxLen := opts.MaxLen
	if maxLen <= 0 {
		maxLen = DefaultOptions().MaxLen
	}
	if len(gold) > maxLen {
		return false, fmt.Errorf("%w: %w (%d bytes, limit %d)", ErrGold, ErrTooLong, len(gold), maxLen)
	}
	if len(pred) > maxLen {
		return false, fmt.Errorf("pred: %w (%d bytes, limit %d)", ErrTooLong, len(pred), maxLen)
	}
	gold, pred = realsAlias(gold), realsAlias(pred)
	gk, pk := quickKey(gold), quickKey(pred)
	if gk != "" && gk == pk {
		return true, nil
	}
	if l, ok := choiceLetter(gold); ok {
		pl, ok := choiceLetter(pred)
		return ok && pl == l, nil
	}
	g, err := parseAnswer(gold, &opts)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrGold, err)
	}
	if g.k == kText {
		return textKey(pred) == textKey(gold), nil
	}
	p, err := parseAnswer(pred, &opts)
	if err != nil {
		return false, fmt.Errorf("pred: %w", err)
	}
	if p.k == kText {
		return textKey(pred) == textKey(gold), nil
	}
	c := &comparer{opts: &opts}
	ok := c.equal(g, p, 0)
	if !ok && (c.steps > maxCompareSteps || c.tooDeep) {
		return false, ErrTooComplex
	}
	return ok, nil
}

// quickDrop are the commands quickKey removes; quickFrac the spellings of \frac.
var (
	quickDrop = []string{`\left`, `\right`, `\displaystyle`, `\!`, `\,`, `\;`, `\:`}
	quickFrac = []string{`\dfrac`, `\tfrac`}
)

// quickKey is a light normalisation for the string-equality fast path: white space,
// dollars, \left, \right and spacing commands removed, \dfrac and \tfrac as \frac.
func quickKey(s string) string {
	b := make([]byte, 0, len(s))
next:
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r', '$':
			continue
		case '\\':
			for _, d := range quickDrop {
				if strings.HasPrefix(s[i:], d) && (len(d) == 2 || i+len(d) >= len(s) || !isLetter(s[i+len(d)])) {
					i += len(d) - 1
					continue next
				}
			}
			for _, f := range quickFrac {
				if strings.HasPrefix(s[i:], f) {
					b = append(b, `\frac`...)
					i += len(f) - 1
					continue next
				}
			}
		}
		b = append(b, c)
	}
	return string(b)
}

var (
	choiceStrip = strings.NewReplacer(`\textbf`, "", `\textrm`, "", `\text`, "", `\mathrm`, "", `\mathbf`, "", `\mbox`, "", "{", "", "}", "", "$", "", " ", "", "*", "")
	choiceFull  = regexp.MustCompile(`^\(?([A-Z])\)?[.:]?$`)
	choiceLead  = regexp.MustCompile(`^\(([A-Z])\)`)
)

// choiceLetter returns the letter of a multiple-choice answer: "(B)", "B", "\text{(B)}",
// "\textbf{B}"; for predictions also "(B) 12".
func choiceLetter(s string) (string, bool) {
	if len(s) > 40 || !strings.ContainsAny(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return "", false
	}
	t := choiceStrip.Replace(strings.TrimSpace(s))
	if m := choiceFull.FindStringSubmatch(t); m != nil {
		return m[1], true
	}
	// "(B) 12" is choice B; "(B) or (C)" names two choices and is none.
	if m := choiceLead.FindStringSubmatch(t); m != nil && !otherLetter.MatchString(t[len(m[0]):]) {
		return m[1], true
	}
	return "", false
}

// otherLetter finds a capital letter (perhaps another choice) in the rest of an answer.
var otherLetter = regexp.MustCompile(`[A-Z]`)

// realsAlias rewrites the word answers that mean the whole real line as \mathbb{R}.
func realsAlias(s string) string {
	if len(s) > 64 || !strings.Contains(s, "eal") && !strings.Contains(s, "all") {
		return s
	}
	switch textKey(s) {
	case "allrealnumbers", "allreals", "allrealx", "allrealvaluesofx", "allx", "realnumbers":
		return `\mathbb{R}`
	}
	return s
}

var textStrip = regexp.MustCompile(`\\(text|textbf|textit|mathrm|mbox|mathbf|emph)\b|[^\pL\pN]+`)

// textKey normalises a word answer: command names, punctuation and case removed.
func textKey(s string) string {
	return strings.ToLower(textStrip.ReplaceAllString(s, ""))
}
