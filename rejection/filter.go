// Package rejection is the rejection-sampling stage of the DeepSeek-R1 recipe: sample
// several responses per prompt from a model (package generate), keep only those the
// rule-based verifiers accept (package reward), drop the chains of thought the paper
// filters out (mixed languages, overlong paragraphs, code blocks), remove duplicates,
// cap the samples kept per prompt, and write the survivors as chat records in the R1
// format ("<think>\nreasoning\n</think>\n\nsummary") with their provenance, ready for
// supervised fine-tuning (package train/sft).
package rejection

import (
	"strings"
	"unicode/utf8"

	"github.com/r1go/r1go/reward"
)

// Reasons a sample is not kept, as counted in Stats.Dropped.
const (
	ReasonIncorrect     = "incorrect"      // the verifier rejected the answer
	ReasonUnverifiable  = "unverifiable"   // the verifier could not score it (no gold answer, malformed task fields)
	ReasonTruncated     = "truncated"      // generation hit max_new_tokens
	ReasonFormat        = "format"         // no closed <think>…</think> with a summary after it
	ReasonMixedLanguage = "mixed_language" // the chain of thought mixes writing systems
	ReasonLanguage      = "language"       // too small a share of the target language
	ReasonLongParagraph = "long_paragraph" // a paragraph of the reasoning is too long
	ReasonCodeBlock     = "code_block"     // a fenced code block inside the reasoning
	ReasonDuplicate     = "duplicate"      // same response as one already kept for the prompt
	ReasonCap           = "cap"            // the prompt already has max_per_prompt samples
)

// Filters are the R1 quality filters on a response's chain of thought, each a switch.
type Filters struct {
	MixedLanguage     bool    // drop reasoning that mixes languages (reward.MixesLanguages)
	Language          string  // if set, require MinLanguageShare of the reasoning's words in this language (reward.LanguageShare)
	MinLanguageShare  float64 // with Language: the share required, in (0, 1]
	MaxParagraphChars int     // drop reasoning with a paragraph (text between blank lines) longer than this many characters; 0 turns it off
	CodeBlocks        bool    // drop reasoning holding a fenced (```) code block
}

// DefaultFilters turns every R1 filter on: mixed languages, paragraphs over 2,000
// characters, code blocks in the reasoning. No target language is imposed.
func DefaultFilters() Filters {
	return Filters{MixedLanguage: true, MaxParagraphChars: 2000, CodeBlocks: true, MinLanguageShare: 0.95}
}

// Check returns the reason to drop a response whose chain of thought is reasoning, or ""
// to keep it. The summary (the answer after </think>) is not checked: code answers keep
// their code.
func (f Filters) Check(reasoning string) string {
	if f.MixedLanguage && reward.MixesLanguages(reasoning) {
		return ReasonMixedLanguage
	}
	if f.Language != "" {
		if share, err := reward.LanguageShare(reasoning, f.Language); err != nil || share < f.MinLanguageShare {
			return ReasonLanguage
		}
	}
	if f.MaxParagraphChars > 0 && LongestParagraph(reasoning) > f.MaxParagraphChars {
		return ReasonLongParagraph
	}
	if f.CodeBlocks && HasCodeBlock(reasoning) {
		return ReasonCodeBlock
	}
	return ""
}

// LongestParagraph returns the length in characters (runes) of the longest paragraph of
// text, paragraphs being separated by blank lines.
func LongestParagraph(text string) int {
	longest, cur := 0, 0
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			cur = 0
			continue
		}
		if cur > 0 {
			cur++ // the newline inside the paragraph
		}
		cur += utf8.RuneCountInString(line)
		longest = max(longest, cur)
	}
	return longest
}

// HasCodeBlock reports whether text holds a fenced code block: a line starting (after
// indentation) with ``` or ~~~.
func HasCodeBlock(text string) bool {
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") {
			return true
		}
	}
	return false
}

// dedupKey normalises a response for duplicate detection: whitespace runs collapse to one
// space and case is kept (two samples that differ only in spacing are duplicates).
func dedupKey(s string) string { return strings.Join(strings.Fields(s), " ") }
