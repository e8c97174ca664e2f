package reward

import (
	"strings"
)

// Default tags of the R1 templates.
const (
	ThinkOpen   = "<think>"
	ThinkClose  = "</think>"
	AnswerOpen  = "<answer>"
	AnswerClose = "</answer>"
)

// FullCompletion returns the completion as the model's whole turn: when the prompt ends
// with an opening "<think>" (R1 chat templates open it for the model) and the completion
// does not start with one, the tag is put back in front.
func FullCompletion(s Sample) string {
	return withOpenTag(s.Prompt, s.Completion, ThinkOpen)
}

// withOpenTag prefixes completion with open when prompt ends with it (ignoring trailing
// whitespace) and the completion does not already start with it.
func withOpenTag(prompt, completion, open string) string {
	if open == "" || !strings.HasSuffix(strings.TrimRight(prompt, " \t\r\n"), open) {
		return completion
	}
	if strings.HasPrefix(strings.TrimLeft(completion, " \t\r\n"), open) {
		return completion
	}
	return open + "\n" + completion
}

// AnswerText returns the part of a completion that holds the final answer: the content
// of the last complete <answer>…</answer> pair; else the text after the last </think>;
// else "" when a <think> was opened and never closed (a truncated response has no
// answer); else the whole completion. The result is trimmed of surrounding whitespace.
// Pass FullCompletion(s) when the prompt may have opened the <think>.
func AnswerText(completion string) string {
	if a, ok := lastTagged(completion, AnswerOpen, AnswerClose); ok {
		return strings.TrimSpace(a)
	}
	return strings.TrimSpace(answerAfterThink(completion))
}

// answerAfterThink returns the text after the last </think>; "" when a <think> was
// opened and never closed; else the text itself.
func answerAfterThink(c string) string {
	if i := strings.LastIndex(c, ThinkClose); i >= 0 {
		return c[i+len(ThinkClose):]
	}
	if strings.Contains(c, ThinkOpen) {
		return ""
	}
	return c
}

// ThinkText returns the chain of thought of a sample: the text between <think> and the
// first </think> (the prompt may have opened the tag); when the tag is opened but never
// closed (a truncated response), everything after it; when there is no tag at all, the
// whole completion.
func ThinkText(s Sample) string {
	c := FullCompletion(s)
	start := strings.Index(c, ThinkOpen)
	end := strings.Index(c, ThinkClose)
	switch {
	case start >= 0 && (end < 0 || end < start):
		rest := c[start+len(ThinkOpen):]
		if e := strings.Index(rest, ThinkClose); e >= 0 {
			return rest[:e]
		}
		return rest
	case start >= 0:
		return c[start+len(ThinkOpen) : end]
	case end >= 0:
		return c[:end]
	}
	return c
}

// lastTagged returns the content of the last complete open…close pair in text.
func lastTagged(text, open, close string) (string, bool) {
	end := strings.LastIndex(text, close)
	if end < 0 {
		return "", false
	}
	start := strings.LastIndex(text[:end], open)
	if start < 0 {
		return "", false
	}
	return text[start+len(open) : end], true
}

// Bounds of LastBoxed: a box's content longer than maxBoxBytes is not an answer, and at
// most maxBoxTries boxes are tried from the end, so hostile text costs linear time.
const (
	maxBoxBytes = 64 << 10
	maxBoxTries = 16
)

// LastBoxed returns the content of the last \boxed{…} (or \fbox{…}) in text, matching
// nested braces; ok is false when there is none or its braces never close (within 64 KiB;
// an unclosed box makes LastBoxed try the one before it, up to 16 boxes back).
func LastBoxed(text string) (content string, ok bool) {
	end := len(text)
	for try := 0; try < maxBoxTries; try++ {
		best := -1
		for _, cmd := range []string{`\boxed`, `\fbox`} {
			if i := strings.LastIndex(text[:end], cmd); i > best {
				best = i
			}
		}
		if best < 0 {
			return "", false
		}
		rest := text[best:]
		rest = strings.TrimPrefix(rest, `\boxed`)
		rest = strings.TrimPrefix(rest, `\fbox`)
		rest = strings.TrimLeft(rest, " ")
		if strings.HasPrefix(rest, "{") {
			depth := 0
			for i := 0; i < len(rest) && i <= maxBoxBytes; i++ {
				switch rest[i] {
				case '{':
					depth++
				case '}':
					depth--
					if depth == 0 {
						return strings.TrimSpace(rest[1:i]), true
					}
				}
			}
		}
		end = best // not a usable box; look at an earlier one
	}
	return "", false
}
