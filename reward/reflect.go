package reward

import (
	"regexp"
	"strings"
	"sync"
)

// DefaultReflectivePhrases are phrases that mark a model re-examining its own reasoning
// (the "aha moment" of R1-Zero), matched case-insensitively on word boundaries.
var DefaultReflectivePhrases = []string{
	"wait", "let me check", "let me verify", "let me double-check", "let me re-check",
	"let me recheck", "let me reconsider", "let me re-evaluate", "let me think again",
	"double-check", "double check", "re-examine", "reexamine", "re-check", "recheck",
	"re-evaluate", "reconsider", "on second thought", "hold on", "hmm", "however, this",
	"but wait", "i made a mistake", "i made an error", "that's not right", "that is not right",
	"that can't be right", "let's verify", "let's double-check", "check again",
	"let me try again",
}

// reflectiveCache holds compiled phrase lists, keyed by the joined list.
var reflectiveCache sync.Map // string -> *regexp.Regexp

// reflectiveRE compiles phrases into one case-insensitive, word-bounded pattern in which
// any run of spaces matches any run of whitespace.
func reflectiveRE(phrases []string) *regexp.Regexp {
	key := strings.Join(phrases, "\x00")
	if re, ok := reflectiveCache.Load(key); ok {
		return re.(*regexp.Regexp)
	}
	var alts []string
	for _, p := range phrases {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		var parts []string
		for _, w := range strings.Fields(p) {
			parts = append(parts, regexp.QuoteMeta(w))
		}
		alt := strings.Join(parts, `\s+`)
		// \b only works next to word characters; phrases that start or end with
		// punctuation are bounded by it already.
		if isWordByte(p[0]) {
			alt = `\b` + alt
		}
		if isWordByte(p[len(p)-1]) {
			alt += `\b`
		}
		alts = append(alts, alt)
	}
	pattern := `(?i)(?:` + strings.Join(alts, "|") + `)`
	if len(alts) == 0 {
		pattern = `[^\x00-\x{10FFFF}]` // matches nothing
	}
	re := regexp.MustCompile(pattern) // every part is quoted: it always compiles
	reflectiveCache.Store(key, re)
	return re
}

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// Reflective reports whether text contains one of phrases (nil means
// DefaultReflectivePhrases) as whole words, case-insensitively: "Wait," matches "wait",
// "awaited" does not.
func Reflective(text string, phrases []string) bool {
	if phrases == nil {
		phrases = DefaultReflectivePhrases
	}
	return reflectiveRE(phrases).MatchString(text)
}

// CountReflective counts the non-overlapping occurrences of phrases (nil means
// DefaultReflectivePhrases) in text, matched as Reflective does; useful to log how often
// a policy re-examines its reasoning during training.
func CountReflective(text string, phrases []string) int {
	if phrases == nil {
		phrases = DefaultReflectivePhrases
	}
	return len(reflectiveRE(phrases).FindAllStringIndex(text, -1))
}
