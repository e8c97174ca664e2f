package reward

import (
	"fmt"
	"strings"
)

// Format styles.
const (
	// StyleR1 is the R1 chat form: "<think>reasoning</think> answer". The chat template
	// may already have opened <think> in the prompt.
	StyleR1 = "r1"
	// StyleR1Zero is the R1-Zero template's form:
	// "<think> reasoning </think> <answer> answer </answer>".
	StyleR1Zero = "r1-zero"
)

// FormatOptions configures the format reward.
type FormatOptions struct {
	Style                 string // StyleR1 or StyleR1Zero
	ThinkOpen, ThinkClose string // reasoning tags; default <think> </think>
	AnswerOpen            string // answer tags for StyleR1Zero; default <answer> </answer>
	AnswerClose           string
	// PromptThink says whether the prompt opened the think tag: "auto" (look at the end
	// of the prompt), "yes" or "no".
	PromptThink string
	// RequireContent requires the reasoning and the answer to be non-blank.
	RequireContent bool
	// Partial gives partial credit for malformed responses: each tag the model wrote
	// exactly once earns 1/(n+1) for n tags it had to write; only a well-formed response
	// earns 1.
	Partial bool
}

// DefaultFormatOptions returns the R1 chat form with the standard tags, prompt-opened
// <think> detected automatically, content required, no partial credit.
func DefaultFormatOptions() FormatOptions {
	return FormatOptions{
		Style:          StyleR1,
		ThinkOpen:      ThinkOpen,
		ThinkClose:     ThinkClose,
		AnswerOpen:     AnswerOpen,
		AnswerClose:    AnswerClose,
		PromptThink:    "auto",
		RequireContent: true,
	}
}

// FormatReward is the format reward: 1 for a well-formed response, else 0 (or partial
// credit per tag, see FormatOptions.Partial).
type FormatReward struct {
	opts FormatOptions
}

// NewFormat returns a format reward with the given options.
func NewFormat(o FormatOptions) (*FormatReward, error) {
	if o.Style != StyleR1 && o.Style != StyleR1Zero {
		return nil, fmt.Errorf("format reward: style %q: want %s or %s", o.Style, StyleR1, StyleR1Zero)
	}
	tags := []string{o.ThinkOpen, o.ThinkClose}
	if o.Style == StyleR1Zero {
		tags = append(tags, o.AnswerOpen, o.AnswerClose)
	}
	for i, t := range tags {
		if strings.TrimSpace(t) == "" {
			return nil, fmt.Errorf("format reward: tag %d is empty", i+1)
		}
		for j := 0; j < i; j++ {
			if strings.Contains(t, tags[j]) || strings.Contains(tags[j], t) {
				return nil, fmt.Errorf("format reward: tags %q and %q overlap", tags[j], t)
			}
		}
	}
	switch o.PromptThink {
	case "auto", "yes", "no":
	default:
		return nil, fmt.Errorf("format reward: prompt_think %q: want auto, yes or no", o.PromptThink)
	}
	return &FormatReward{opts: o}, nil
}

func newFormat(p *params) (Func, error) {
	o := DefaultFormatOptions()
	o.Style = p.Choice("style", o.Style, StyleR1, StyleR1Zero)
	o.ThinkOpen = p.String("think_open", o.ThinkOpen)
	o.ThinkClose = p.String("think_close", o.ThinkClose)
	o.AnswerOpen = p.String("answer_open", o.AnswerOpen)
	o.AnswerClose = p.String("answer_close", o.AnswerClose)
	o.PromptThink = p.Choice("prompt_think", o.PromptThink, "auto", "yes", "no")
	o.RequireContent = p.Bool("require_content", o.RequireContent)
	o.Partial = p.Bool("partial", o.Partial)
	if p.err != nil {
		return nil, p.err
	}
	return NewFormat(o)
}

// Name returns "format".
func (f *FormatReward) Name() string { return "format" }

// Score scores the format of s's completion.
func (f *FormatReward) Score(s Sample) Score {
	o := f.opts
	c := s.Completion
	promptOpened := false
	switch o.PromptThink {
	case "yes":
		promptOpened = true
	case "auto":
		promptOpened = strings.HasSuffix(strings.TrimRight(s.Prompt, " \t\r\n"), o.ThinkOpen)
	}
	if promptOpened && !strings.HasPrefix(strings.TrimLeft(c, " \t\r\n"), o.ThinkOpen) {
		c = o.ThinkOpen + c
	}
	if f.wellFormed(c) {
		return Score{Value: 1}
	}
	if !o.Partial {
		return Score{}
	}
	tags := []string{o.ThinkOpen, o.ThinkClose}
	if o.Style == StyleR1Zero {
		tags = append(tags, o.AnswerOpen, o.AnswerClose)
	}
	n, once := 0, 0
	for i, t := range tags {
		if i == 0 && promptOpened {
			continue // the template wrote it, not the model
		}
		n++
		if strings.Count(c, t) == 1 {
			once++
		}
	}
	return Score{Value: float64(once) / float64(n+1)}
}

// wellFormed reports whether c (with any prompt-opened tag put back) has the required form.
func (f *FormatReward) wellFormed(c string) bool {
	o := f.opts
	c = strings.TrimSpace(c)
	if !strings.HasPrefix(c, o.ThinkOpen) || strings.Count(c, o.ThinkOpen) != 1 || strings.Count(c, o.ThinkClose) != 1 {
		return false
	}
	end := strings.Index(c, o.ThinkClose)
	think := c[len(o.ThinkOpen):end]
	rest := c[end+len(o.ThinkClose):]
	if o.RequireContent && strings.TrimSpace(think) == "" {
		return false
	}
	if o.Style == StyleR1 {
		return !o.RequireContent || strings.TrimSpace(rest) != ""
	}
	// R1-Zero: only whitespace around the single answer block.
	if strings.Count(c, o.AnswerOpen) != 1 || strings.Count(c, o.AnswerClose) != 1 {
		return false
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, o.AnswerOpen) || !strings.HasSuffix(rest, o.AnswerClose) {
		return false
	}
	answer := rest[len(o.AnswerOpen) : len(rest)-len(o.AnswerClose)]
	return !o.RequireContent || strings.TrimSpace(answer) != ""
}
