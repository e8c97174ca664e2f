package reward

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// scriptTables are the scripts the language reward recognises, by name.
var scriptTables = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin},
	{"Han", unicode.Han},
	{"Hiragana", unicode.Hiragana},
	{"Katakana", unicode.Katakana},
	{"Hangul", unicode.Hangul},
	{"Cyrillic", unicode.Cyrillic},
	{"Greek", unicode.Greek},
	{"Arabic", unicode.Arabic},
	{"Hebrew", unicode.Hebrew},
	{"Devanagari", unicode.Devanagari},
	{"Bengali", unicode.Bengali},
	{"Tamil", unicode.Tamil},
	{"Thai", unicode.Thai},
	{"Armenian", unicode.Armenian},
	{"Georgian", unicode.Georgian},
}

// charWordScripts are the scripts in which every character counts as one word.
var charWordScripts = map[string]bool{"Han": true, "Hiragana": true, "Katakana": true, "Hangul": true}

// languageScripts maps a language code or name to the scripts its words are written in.
// Script detection cannot tell languages of one script apart: "en" and "fr" both mean
// Latin script.
var languageScripts = map[string][]string{
	"latin": {"Latin"}, "en": {"Latin"}, "english": {"Latin"}, "fr": {"Latin"}, "french": {"Latin"},
	"de": {"Latin"}, "german": {"Latin"}, "es": {"Latin"}, "spanish": {"Latin"}, "it": {"Latin"},
	"pt": {"Latin"}, "nl": {"Latin"}, "vi": {"Latin"}, "id": {"Latin"}, "tr": {"Latin"}, "pl": {"Latin"},
	"zh": {"Han"}, "chinese": {"Han"}, "zh-cn": {"Han"}, "zh-tw": {"Han"},
	"ja": {"Han", "Hiragana", "Katakana"}, "japanese": {"Han", "Hiragana", "Katakana"},
	"ko": {"Hangul", "Han"}, "korean": {"Hangul", "Han"},
	"ru": {"Cyrillic"}, "russian": {"Cyrillic"}, "uk": {"Cyrillic"}, "bg": {"Cyrillic"}, "sr": {"Cyrillic"},
	"el": {"Greek"}, "greek": {"Greek"},
	"ar": {"Arabic"}, "arabic": {"Arabic"}, "fa": {"Arabic"}, "ur": {"Arabic"},
	"he": {"Hebrew"}, "hebrew": {"Hebrew"},
	"hi": {"Devanagari"}, "hindi": {"Devanagari"}, "mr": {"Devanagari"}, "ne": {"Devanagari"},
	"bn": {"Bengali"}, "ta": {"Tamil"}, "th": {"Thai"}, "thai": {"Thai"},
	"hy": {"Armenian"}, "ka": {"Georgian"},
}

// scriptGroup maps scripts to the writing system MixesLanguages compares: Chinese and
// Japanese characters are one group, so Japanese (kanji + kana) is not "mixed".
func scriptGroup(script string) string {
	switch script {
	case "Han", "Hiragana", "Katakana":
		return "CJK"
	}
	return script
}

// mathCodeRE matches what the language reward ignores when asked: fenced code, display and
// inline math, and LaTeX commands.
var mathCodeRE = regexp.MustCompile("(?s)```.*?```|\\$\\$.*?\\$\\$|\\$[^$\\n]*\\$|\\\\\\(.*?\\\\\\)|\\\\\\[.*?\\\\\\]|\\\\[A-Za-z]+")

// scriptOf returns the script of a letter, or "" for letters of other scripts.
func scriptOf(r rune) string {
	if r < 0x80 {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return "Latin"
		}
		return ""
	}
	for _, s := range scriptTables {
		if unicode.Is(s.table, r) {
			return s.name
		}
	}
	return ""
}

// WordScripts counts the words of text by script. A word is a run of letters of one
// script; in Han, Hiragana, Katakana and Hangul every character counts as one word.
// Digits, punctuation, symbols and letters of unlisted scripts are not words. With
// ignoreMath, fenced code blocks, $…$, $$…$$, \(…\), \[…\] and LaTeX commands are
// skipped first.
func WordScripts(text string, ignoreMath bool) map[string]int {
	if ignoreMath {
		text = mathCodeRE.ReplaceAllString(text, " ")
	}
	counts := map[string]int{}
	cur := "" // script of the word being read
	for _, r := range text {
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
			continue // a combining mark continues the current word
		}
		if !unicode.IsLetter(r) {
			cur = ""
			continue
		}
		s := scriptOf(r)
		switch {
		case s == "":
			cur = ""
		case charWordScripts[s]:
			counts[s]++
			cur = ""
		case s != cur:
			counts[s]++
			cur = s
		}
	}
	return counts
}

// LanguageShare returns the share of text's words (see WordScripts, math and code
// ignored) written in the script(s) of lang ("en", "zh", "ja", "ru", ... or "english",
// "chinese", ...). Text without words has share 0.
func LanguageShare(text, lang string) (float64, error) {
	scripts, ok := languageScripts[strings.ToLower(strings.TrimSpace(lang))]
	if !ok {
		return 0, fmt.Errorf("unknown language %q (known: %s)", lang, strings.Join(Languages(), ", "))
	}
	counts := WordScripts(text, true)
	total, in := 0, 0
	for s, n := range counts {
		total += n
		for _, t := range scripts {
			if s == t {
				in += n
			}
		}
	}
	if total == 0 {
		return 0, nil
	}
	return float64(in) / float64(total), nil
}

// Languages lists the language codes and names LanguageShare knows, sorted.
func Languages() []string {
	var out []string
	for k := range languageScripts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Thresholds of MixesLanguages.
const (
	MixMinForeignWords = 3    // fewer foreign words than this never make a text mixed
	MixMinForeignShare = 0.02 // nor does a smaller share of foreign words
)

// MixesLanguages reports whether text mixes writing systems: besides its dominant script
// group (Chinese and Japanese characters are one group) it has at least
// MixMinForeignWords words and MixMinForeignShare of its words in other scripts. Math
// and code are ignored. R1's rejection sampling drops chains of thought that mix
// languages.
func MixesLanguages(text string) bool {
	groups := map[string]int{}
	total := 0
	for s, n := range WordScripts(text, true) {
		groups[scriptGroup(s)] += n
		total += n
	}
	top := 0
	for _, n := range groups {
		top = max(top, n)
	}
	foreign := total - top
	return foreign >= MixMinForeignWords && float64(foreign) >= MixMinForeignShare*float64(total)
}

// LanguageReward is R1's language consistency reward: the share of the chain of
// thought's words (see ThinkText and LanguageShare) in the target language.
type LanguageReward struct {
	lang     string
	scripts  []string
	wholeAll bool // score the whole completion instead of the chain of thought
	math     bool // ignore math and code
}

// NewLanguage returns a language consistency reward for lang; scope is "cot" (the text
// inside <think>…</think>) or "all" (the whole completion).
func NewLanguage(lang, scope string, ignoreMath bool) (*LanguageReward, error) {
	scripts, ok := languageScripts[strings.ToLower(strings.TrimSpace(lang))]
	if !ok {
		return nil, fmt.Errorf("language reward: unknown language %q (known: %s)", lang, strings.Join(Languages(), ", "))
	}
	if scope != "cot" && scope != "all" {
		return nil, fmt.Errorf("language reward: scope %q: want cot or all", scope)
	}
	return &LanguageReward{lang: lang, scripts: scripts, wholeAll: scope == "all", math: ignoreMath}, nil
}

func newLanguage(p *params) (Func, error) {
	lang := p.String("lang", "en")
	scope := p.Choice("scope", "cot", "cot", "all")
	ignore := p.Bool("ignore_math", true)
	if p.err != nil {
		return nil, p.err
	}
	return NewLanguage(lang, scope, ignore)
}

// Name returns "language".
func (l *LanguageReward) Name() string { return "language" }

// Score returns the share of the sample's chain-of-thought words in the target language.
func (l *LanguageReward) Score(s Sample) Score {
	var text string
	if l.wholeAll {
		text = s.Completion
		for _, tag := range []string{ThinkOpen, ThinkClose, AnswerOpen, AnswerClose} {
			text = strings.ReplaceAll(text, tag, " ")
		}
	} else {
		text = ThinkText(s)
	}
	counts := WordScripts(text, l.math)
	total, in := 0, 0
	for sc, n := range counts {
		total += n
		for _, t := range l.scripts {
			if sc == t {
				in += n
			}
		}
	}
	if total == 0 {
		return Score{Note: "no words in the chain of thought"}
	}
	return Score{Value: float64(in) / float64(total)}
}
