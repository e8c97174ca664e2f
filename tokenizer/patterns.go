package tokenizer

// Hand-written matchers for the pre-tokenizer regexes of the tokenizers r1go targets.
// Each one reproduces Oniguruma's leftmost-first, backtracking semantics of its pattern
// exactly (checked against regexp2 on the corpus and by FuzzPatterns) and runs several
// times faster than a general regex engine.

import "unicode/utf8"

// Known pre-tokenizer patterns, as they appear in tokenizer.json.
const (
	// patQwen2 is the Split regex of Qwen2, Qwen2.5 and Qwen3 (one digit per piece).
	patQwen2 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// patLlama3 is the Split regex of Llama 3 (up to three digits per piece).
	patLlama3 = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	// patDigits3 is DeepSeek-V3's first Split.
	patDigits3 = `\p{N}{1,3}`
	// patCJK is DeepSeek-V3's second Split (CJK ideographs, hiragana, katakana).
	patCJK = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
	// patDeepSeek is DeepSeek-V3's third Split.
	patDeepSeek = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
	// patGPT2 is the regex of the ByteLevel pre-tokenizer with use_regex.
	patGPT2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
)

// handFinder returns the hand-written finder for a known pattern, or nil.
func handFinder(pattern string) finder {
	c := newClassifier()
	switch pattern {
	case patQwen2:
		return &qwenFinder{c: c, maxDigits: 1}
	case patLlama3:
		return &qwenFinder{c: c, maxDigits: 3}
	case patDigits3:
		return &classRunFinder{c: c, class: cN, max: 3}
	case patCJK:
		return cjkFinder{}
	case patDeepSeek:
		return &deepSeekFinder{c: c}
	case patGPT2:
		return &gpt2Finder{c: c}
	}
	return nil
}

// whitespaceEnd returns the end of the match of `\s*[\r\n]+|\s+(?!\S)|\s+` at i, where
// s[i] is whitespace: up to and including the last \r or \n of the whitespace run; else
// the whole run when it reaches the end of s; else the run minus its last rune, unless
// that leaves nothing.
func (c classifier) whitespaceEnd(s string, i int) int {
	j, lastNL, lastStart := i, -1, i
	for j < len(s) {
		r, cl, n := c.at(s, j)
		if cl&cSpace == 0 {
			break
		}
		if r == '\r' || r == '\n' {
			lastNL = j
		}
		lastStart = j
		j += n
	}
	switch {
	case lastNL >= 0:
		return lastNL + 1
	case j == len(s):
		return j
	case lastStart > i:
		return lastStart
	}
	return j
}

// scan returns the end of the run of runes starting at i whose class intersects mask.
func (c classifier) scan(s string, i int, mask uint8) int {
	for i < len(s) {
		_, cl, n := c.at(s, i)
		if cl&mask == 0 {
			return i
		}
		i += n
	}
	return i
}

// scanNewlines returns the end of the run of \r and \n at i.
func scanNewlines(s string, i int) int {
	for i < len(s) && (s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// contraction returns the length of `(?i:'s|'t|'re|'ve|'m|'ll|'d)` at s[i:] (s[i] is
// the apostrophe), or 0. Oniguruma folds case with Unicode rules, so U+017F (ſ, long s)
// matches 's' and U+212A (Kelvin sign) would match 'k' (not in the list).
func contraction(s string, i int) int {
	if i+1 >= len(s) {
		return 0
	}
	lower := func(b byte) byte { return b | 0x20 }
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		if s[i+1] < 0x80 {
			return 2
		}
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	if s[i+1] == 0xC5 && i+2 < len(s) && s[i+2] == 0xBF { // ſ
		return 3
	}
	return 0
}

// qwenFinder matches patQwen2 (maxDigits 1) and patLlama3 (maxDigits 3). Its
// alternatives cover every rune, so a match always starts at i.
type qwenFinder struct {
	c         classifier
	maxDigits int
}

func (f *qwenFinder) find(s string, i int) (int, int, bool) {
	if i >= len(s) {
		return 0, 0, false
	}
	c := f.c
	r0, c0, n0 := c.at(s, i)
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r0 == '\'' {
		if k := contraction(s, i); k > 0 {
			return i, i + k, true
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0&cL != 0 {
		return i, c.scan(s, i+n0, cL), true
	}
	if r0 != '\r' && r0 != '\n' && c0&cN == 0 && i+n0 < len(s) {
		if _, c1, n1 := c.at(s, i+n0); c1&cL != 0 {
			return i, c.scan(s, i+n0+n1, cL), true
		}
	}
	// \p{N}{1,k}
	if c0&cN != 0 {
		j := i + n0
		for k := 1; k < f.maxDigits && j < len(s); k++ {
			_, cl, n := c.at(s, j)
			if cl&cN == 0 {
				break
			}
			j += n
		}
		return i, j, true
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	const word = cSpace | cL | cN
	if r0 == ' ' && i+1 < len(s) {
		if _, c1, n1 := c.at(s, i+1); c1&word == 0 {
			return i, scanNewlines(s, f.scanOther(s, i+1+n1)), true
		}
	}
	if c0&word == 0 {
		return i, scanNewlines(s, f.scanOther(s, i+n0)), true
	}
	// \s*[\r\n]+|\s+(?!\S)|\s+
	return i, c.whitespaceEnd(s, i), true
}

// scanOther returns the end of the run of runes that are not whitespace, letters or numbers.
func (f *qwenFinder) scanOther(s string, i int) int {
	for i < len(s) {
		_, cl, n := f.c.at(s, i)
		if cl&(cSpace|cL|cN) != 0 {
			return i
		}
		i += n
	}
	return i
}

// classRunFinder matches runs of one class, at most max runes long (max 0: unbounded).
type classRunFinder struct {
	c     classifier
	class uint8
	max   int
}

func (f *classRunFinder) find(s string, i int) (int, int, bool) {
	for i < len(s) {
		_, cl, n := f.c.at(s, i)
		if cl&f.class == 0 {
			i += n
			continue
		}
		j, k := i+n, 1
		for j < len(s) && (f.max == 0 || k < f.max) {
			_, cl, n := f.c.at(s, j)
			if cl&f.class == 0 {
				break
			}
			j += n
			k++
		}
		return i, j, true
	}
	return 0, 0, false
}

// cjkFinder matches patCJK.
type cjkFinder struct{}

func isCJK(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fa5) || (r >= 0x3040 && r <= 0x309f) || (r >= 0x30a0 && r <= 0x30ff)
}

func (cjkFinder) find(s string, i int) (int, int, bool) {
	for i < len(s) {
		if s[i] < 0xE3 || s[i] > 0xE9 { // every rune in the ranges has a 3-byte form E3..E9
			i++
			continue
		}
		r, n := decodeRune(s, i)
		if !isCJK(r) {
			i += n
			continue
		}
		j := i + n
		for j < len(s) {
			r, n := decodeRune(s, j)
			if !isCJK(r) {
				break
			}
			j += n
		}
		return i, j, true
	}
	return 0, 0, false
}

// deepSeekFinder matches patDeepSeek. Unlike the Qwen pattern it does not cover every
// rune (digits and some controls fall between matches).
type deepSeekFinder struct{ c classifier }

func isASCIIPunct(b byte) bool {
	return (b >= '!' && b <= '/') || (b >= ':' && b <= '@') || (b >= '[' && b <= '`') || (b >= '{' && b <= '~')
}

func isASCIILetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func (f *deepSeekFinder) find(s string, i int) (int, int, bool) {
	for i < len(s) {
		if end, ok := f.matchAt(s, i); ok {
			return i, end, true
		}
		_, _, n := f.c.at(s, i)
		i += n
	}
	return 0, 0, false
}

func (f *deepSeekFinder) matchAt(s string, i int) (int, bool) {
	c := f.c
	// [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+
	if isASCIIPunct(s[i]) && i+1 < len(s) && isASCIILetter(s[i+1]) {
		j := i + 2
		for j < len(s) && isASCIILetter(s[j]) {
			j++
		}
		return j, true
	}
	r0, c0, n0 := c.at(s, i)
	// [^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+
	if c0&(cL|cM) != 0 {
		return c.scan(s, i+n0, cL|cM), true
	}
	if r0 != '\r' && r0 != '\n' && c0&(cL|cP|cS) == 0 && i+n0 < len(s) {
		if _, c1, n1 := c.at(s, i+n0); c1&(cL|cM) != 0 {
			return c.scan(s, i+n0+n1, cL|cM), true
		}
	}
	// ' ?[\p{P}\p{S}]+[\r\n]*'
	if r0 == ' ' && i+1 < len(s) {
		if _, c1, n1 := c.at(s, i+1); c1&(cP|cS) != 0 {
			return scanNewlines(s, c.scan(s, i+1+n1, cP|cS)), true
		}
	}
	if c0&(cP|cS) != 0 {
		return scanNewlines(s, c.scan(s, i+n0, cP|cS)), true
	}
	// \s*[\r\n]+|\s+(?!\S)|\s+
	if c0&cSpace != 0 {
		return c.whitespaceEnd(s, i), true
	}
	return 0, false
}

// gpt2Finder matches patGPT2 (the ByteLevel pre-tokenizer's own regex). It covers
// every rune.
type gpt2Finder struct{ c classifier }

func (f *gpt2Finder) find(s string, i int) (int, int, bool) {
	if i >= len(s) {
		return 0, 0, false
	}
	c := f.c
	if s[i] == '\'' && i+1 < len(s) {
		switch s[i+1] {
		case 's', 't', 'm', 'd':
			return i, i + 2, true
		case 'r', 'v':
			if i+2 < len(s) && s[i+2] == 'e' {
				return i, i + 3, true
			}
		case 'l':
			if i+2 < len(s) && s[i+2] == 'l' {
				return i, i + 3, true
			}
		}
	}
	_, c0, _ := c.at(s, i)
	start, cl := i, c0
	if s[i] == ' ' && i+1 < len(s) {
		if _, c1, _ := c.at(s, i+1); c1&cSpace == 0 {
			start, cl = i+1, c1
		}
	}
	switch {
	case cl&cL != 0:
		return i, c.scan(s, start, cL), true
	case cl&cN != 0:
		return i, c.scan(s, start, cN), true
	case cl&cSpace == 0:
		j := start
		for j < len(s) {
			_, cl, n := c.at(s, j)
			if cl&(cSpace|cL|cN) != 0 {
				break
			}
			j += n
		}
		return i, j, true
	}
	// \s+(?!\S)|\s+
	j, lastStart := i, i
	for j < len(s) {
		_, cl, n := c.at(s, j)
		if cl&cSpace == 0 {
			break
		}
		lastStart = j
		j += n
	}
	if j < len(s) && lastStart > i {
		return i, lastStart, true
	}
	return i, j, true
}

// decodeRune decodes the rune at s[i:] (ASCII fast path).
func decodeRune(s string, i int) (rune, int) {
	if s[i] < 0x80 {
		return rune(s[i]), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}
