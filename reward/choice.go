package reward

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// ChoiceReward scores multiple-choice answers: 1 when the chosen letter equals the gold
// letter. The valid letters are the first len(choices) of A, B, C, ... when the sample
// has a "choices" field (a list of option texts, or a map from letter to text), else
// those of the "letters" parameter (default A–J).
//
// The chosen letter is read from the answer text (see AnswerText), in this order: a
// \boxed{} holding a letter; an answer that is only a letter ("B", "(B)", "B.", "**B**",
// "\text{(B)}", "Option B", "B) 42"); an answer equal to one option's text; the last
// "answer is B" / "Answer: (B)"; the last "(B)". Gold may be a letter in any of those
// wrappings or the text of the right option.
type ChoiceReward struct {
	letters string
}

// NewChoice returns the multiple-choice reward with the given default letters
// (used when a sample has no "choices" field).
func NewChoice(letters string) (*ChoiceReward, error) {
	letters = strings.ToUpper(strings.TrimSpace(letters))
	if letters == "" {
		return nil, errors.New("choice reward: empty set of letters")
	}
	for i, r := range letters {
		if r < 'A' || r > 'Z' || strings.ContainsRune(letters[:i], r) {
			return nil, fmt.Errorf("choice reward: letters %q: want distinct letters A-Z", letters)
		}
	}
	return &ChoiceReward{letters: letters}, nil
}

func newChoice(p *params) (Func, error) {
	l := p.String("letters", "ABCDEFGHIJ")
	if p.err != nil {
		return nil, p.err
	}
	return NewChoice(l)
}

// Name returns "choice".
func (c *ChoiceReward) Name() string { return "choice" }

// IsAccuracy reports true: multiple choice is a verifier.
func (c *ChoiceReward) IsAccuracy() bool { return true }

// choice is one option: its letter and normalised text.
type choice struct {
	letter byte
	text   string
}

// options returns the valid letters and option texts of s.
func (c *ChoiceReward) options(s Sample) (string, []choice, error) {
	v, ok := s.Fields["choices"]
	if !ok || v == nil {
		return c.letters, nil, nil
	}
	var opts []choice
	switch x := v.(type) {
	case []string:
		for i, t := range x {
			opts = append(opts, choice{byte('A' + i), normChoiceText(t)})
		}
	case []any:
		for i, t := range x {
			opts = append(opts, choice{byte('A' + i), normChoiceText(fmt.Sprint(t))})
		}
	case map[string]any:
		for k, t := range x {
			k = strings.ToUpper(strings.TrimSpace(k))
			if len(k) != 1 || k[0] < 'A' || k[0] > 'Z' {
				return "", nil, fmt.Errorf("choice: field \"choices\": key %q is not a letter", k)
			}
			opts = append(opts, choice{k[0], normChoiceText(fmt.Sprint(t))})
		}
		sort.Slice(opts, func(i, j int) bool { return opts[i].letter < opts[j].letter })
	default:
		return "", nil, fmt.Errorf("choice: field \"choices\": want a list of option texts, got %T", v)
	}
	if len(opts) == 0 || len(opts) > 26 {
		return "", nil, fmt.Errorf("choice: field \"choices\": %d options, want 1 to 26", len(opts))
	}
	var b strings.Builder
	for _, o := range opts {
		b.WriteByte(o.letter)
	}
	return b.String(), opts, nil
}

// Score compares the chosen letter with the gold letter.
func (c *ChoiceReward) Score(s Sample) Score {
	letters, opts, err := c.options(s)
	if err != nil {
		return Score{Err: err}
	}
	if strings.TrimSpace(s.Gold) == "" {
		return Score{Err: errors.New("choice: sample has no gold answer")}
	}
	gold := bareLetter(s.Gold, letters)
	if gold == "" {
		gold = letterOfText(s.Gold, opts)
	}
	if gold == "" {
		return Score{Err: fmt.Errorf("choice: gold answer %q is not one of the letters %s or an option's text", truncate(s.Gold, 40), letters)}
	}
	pred := chosenLetter(AnswerText(FullCompletion(s)), letters, opts)
	if pred == "" {
		return Score{Gold: gold, Note: "no choice letter found"}
	}
	if pred != gold {
		return Score{Pred: pred, Gold: gold}
	}
	return Score{Value: 1, Correct: true, Pred: pred, Gold: gold}
}

var (
	// choiceWrapRE strips wrappings around a bare letter.
	choiceWrapRE = regexp.MustCompile(`\\(?:text|textbf|mathrm|mathbf)\{([^{}]*)\}`)
	// answerIsRE finds "answer is B", "Answer: (B)", "answer: **B**".
	answerIsRE = regexp.MustCompile(`(?i:answer)\s*(?:(?i:is)\s*:?|:)\s*(?:(?i:option)\s*)?[(*\[]*\s*([A-Z])\b`)
	// parenLetterRE finds "(B)".
	parenLetterRE = regexp.MustCompile(`\(([A-Z])\)`)
	// leadingLetterRE finds an answer that starts with a marked letter: "B) 42", "(B) 42", "B. 42", "B: 42".
	leadingLetterRE = regexp.MustCompile(`^(?:\(([A-Z])\)|([A-Z])[).:])(?:\s|$)`)
)

// bareLetter returns the letter when s is only a valid letter in some wrapping.
func bareLetter(s, letters string) string {
	s = choiceWrapRE.ReplaceAllString(s, "$1")
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "$*_ ")
	low := strings.ToLower(s)
	for _, p := range []string{"option", "choice", "answer:", "answer"} {
		if strings.HasPrefix(low, p) {
			s = strings.TrimSpace(s[len(p):])
			low = strings.ToLower(s)
		}
	}
	s = strings.Trim(s, "()[]{}.:*_$ ")
	s = strings.ToUpper(s)
	if len(s) == 1 && strings.Contains(letters, s) {
		return s
	}
	return ""
}

// letterOfText returns the letter of the option whose text equals s.
func letterOfText(s string, opts []choice) string {
	t := normChoiceText(s)
	if t == "" {
		return ""
	}
	for _, o := range opts {
		if o.text == t {
			return string(o.letter)
		}
	}
	return ""
}

// normChoiceText lower-cases s, collapses spaces and drops a trailing period.
func normChoiceText(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	return strings.TrimSuffix(s, ".")
}

// chosenLetter finds the chosen letter in an answer text.
func chosenLetter(ans, letters string, opts []choice) string {
	valid := func(l string) string {
		if l != "" && strings.Contains(letters, l) {
			return l
		}
		return ""
	}
	if b, ok := LastBoxed(ans); ok {
		if l := bareLetter(b, letters); l != "" {
			return l
		}
		if l := letterOfText(b, opts); l != "" {
			return l
		}
		if m := leadingLetterRE.FindStringSubmatch(strings.TrimSpace(b)); m != nil {
			return valid(m[1] + m[2])
		}
		return ""
	}
	if l := bareLetter(ans, letters); l != "" {
		return l
	}
	if m := leadingLetterRE.FindStringSubmatch(strings.Trim(ans, "*_ ")); m != nil {
		if l := valid(m[1] + m[2]); l != "" {
			return l
		}
	}
	if l := letterOfText(ans, opts); l != "" {
		return l
	}
	ms := answerIsRE.FindAllStringSubmatch(ans, -1)
	for i := len(ms) - 1; i >= 0; i-- {
		if l := valid(ms[i][1]); l != "" {
			return l
		}
	}
	ps := parenLetterRE.FindAllStringSubmatch(ans, -1)
	for i := len(ps) - 1; i >= 0; i-- {
		if l := valid(ps[i][1]); l != "" {
			return l
		}
	}
	return ""
}
