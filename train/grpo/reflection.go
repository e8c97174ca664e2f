package grpo

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reflective reports whether text uses one of the reflection phrases ("wait", "let me
// check", "re-examine", ...): case-insensitively, as whole words (so "wait" matches
// "Wait," but not "awaited"), with any run of white space between the words of a phrase.
func Reflective(text string, phrases []string) bool {
	words := strings.Fields(strings.ToLower(text))
	norm := " " + strings.Join(words, " ") + " "
	for _, p := range phrases {
		p = strings.Join(strings.Fields(strings.ToLower(p)), " ")
		if p == "" {
			continue
		}
		for from := 0; ; {
			i := strings.Index(norm[from:], p)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(p)
			before, _ := utf8.DecodeLastRuneInString(norm[:start])
			after, _ := utf8.DecodeRuneInString(norm[end:])
			if !isWordRune(before) && !isWordRune(after) {
				return true
			}
			from = start + 1
		}
	}
	return false
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// ReflectionRate is the share of completions that are Reflective: the "aha moment"
// signal the DeepSeek-R1 paper watches rise during RL (reflection_rate in metrics.jsonl).
// It is 0 for no completions.
func ReflectionRate(completions []string, phrases []string) float64 {
	if len(completions) == 0 {
		return 0
	}
	n := 0
	for _, c := range completions {
		if Reflective(c, phrases) {
			n++
		}
	}
	return float64(n) / float64(len(completions))
}
