package mathverify

import (
	"regexp"
	"strings"
)

// maxJoinedBoxes bounds how many adjacent boxes are joined into one answer.
const maxJoinedBoxes = 16

// ExtractAnswer returns the final answer text of a model response, using the methods
// enabled in opts.Extract in this order: <answer> tag, last box, answer phrase, last
// math span, last number. ok is false when none finds anything.
func ExtractAnswer(response string, opts Options) (answer string, ok bool) {
	if opts.Extract&ExtractAnswerTag != 0 {
		if inner, ok := lastAnswerTag(response); ok {
			if a, ok := extractInner(inner, opts); ok {
				return a, true
			}
		}
	}
	return extractFrom(response, opts)
}

// extractFrom applies every method except the answer tag.
func extractFrom(s string, opts Options) (string, bool) {
	if opts.Extract&ExtractBoxed != 0 {
		if a, ok := lastBoxed(s); ok {
			return a, true
		}
	}
	if opts.Extract&ExtractPhrase != 0 {
		if a, ok := answerPhrase(s); ok {
			return a, true
		}
	}
	return lastMathOrNumber(s, opts.Extract&ExtractLastMath != 0, opts.Extract&ExtractLastNumber != 0)
}

// lastMathOrNumber returns the last math span or the last number. The math span wins
// unless it has no digit and a number follows it ("Let $x$ be …, so it is 5").
func lastMathOrNumber(s string, useMath, useNumber bool) (string, bool) {
	m, mEnd, mOK := "", -1, false
	if useMath {
		m, mEnd, mOK = lastMath(s)
	}
	if useNumber {
		if n, nStart, ok := lastNumber(s); ok && (!mOK || nStart > mEnd && !strings.ContainsAny(m, "0123456789")) {
			return n, true
		}
	}
	return m, mOK
}

// extractInner finds the answer inside an <answer> block: a box or phrase in it, the
// whole content when it parses as an answer, else its last math span or number, else
// the content as it is.
func extractInner(inner string, opts Options) (string, bool) {
	t := strings.TrimSpace(inner)
	if t == "" {
		return "", false
	}
	if a, ok := lastBoxed(t); ok {
		return a, true
	}
	if a, ok := answerPhrase(t); ok {
		return a, true
	}
	whole := stripMath(strings.TrimRight(t, ". "))
	maxLen := opts.MaxLen
	if maxLen <= 0 {
		maxLen = DefaultOptions().MaxLen
	}
	if len(whole) <= maxLen && !isProse(whole) {
		if _, err := parseAnswer(whole, &opts); err == nil {
			return whole, true
		}
	}
	if a, ok := lastMathOrNumber(t, true, true); ok {
		return a, true
	}
	return whole, true
}

// ExtractGold returns the reference answer from a dataset field: the last box of a
// worked solution, the text after "####" (GSM8K), or the trimmed string itself.
func ExtractGold(gold string) string {
	if strings.Contains(gold, `\boxed`) || strings.Contains(gold, `\fbox`) {
		if a, ok := lastBoxed(gold); ok {
			return a
		}
	}
	if i := strings.LastIndex(gold, "####"); i >= 0 {
		return strings.TrimSpace(gold[i+4:])
	}
	return strings.TrimSpace(gold)
}

// lastAnswerTag returns the content of the last complete <answer>…</answer> block.
func lastAnswerTag(s string) (string, bool) {
	end := lastIndexFwd(s, "</answer>")
	if end < 0 {
		return "", false
	}
	start := strings.LastIndex(s[:end], "<answer>")
	if start < 0 {
		return "", false
	}
	return s[start+len("<answer>") : end], true
}

// boxAt parses the box command starting at i (s[i:] begins with \boxed or \fbox) and
// returns its content and the end offset; br finds the brace that closes its argument.
func boxAt(s string, i int, br *braces) (content string, end int, ok bool) {
	j := i + len(`\boxed`)
	if strings.HasPrefix(s[i:], `\fbox`) {
		j = i + len(`\fbox`)
	}
	if j < len(s) && isLetter(s[j]) {
		return "", 0, false // another command, e.g. \boxedtext
	}
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j >= len(s) {
		return "", 0, false
	}
	if s[j] != '{' {
		// "\boxed 5": up to white space or a math delimiter.
		k := j
		for k < len(s) && s[k] != ' ' && s[k] != '$' && s[k] != '\n' && !strings.HasPrefix(s[k:], `\]`) && !strings.HasPrefix(s[k:], `\)`) {
			k++
		}
		if k == j {
			return "", 0, false
		}
		return strings.TrimRight(s[j:k], ".,"), k, true
	}
	k := br.closing(j)
	if k < 0 {
		return "", 0, false
	}
	return strings.TrimSpace(s[j+1 : k]), k + 1, true
}

// braces matches braces by one scan of a text from its end towards its start, so that
// finding the closing brace of every box in a response costs one pass over it however
// many boxes are left unclosed. A brace after an odd run of backslashes (\{, \\\})
// is escaped and does not count, as in a forward scan that skips the character after
// each backslash.
type braces struct {
	s     string
	lo    int   // s[lo:] has been scanned
	close []int // offsets of the '}' in s[lo:] not matched yet, the leftmost last
}

// newBraces returns a matcher for s that has scanned nothing yet.
func newBraces(s string) *braces {
	return &braces{s: s, lo: len(s)}
}

// closing returns the offset of the '}' that closes the '{' at j, or -1 when it is
// never closed. Queries are cheapest in decreasing order of j (the order lastBoxed
// asks in); a query at or after an earlier one restarts the scan.
func (b *braces) closing(j int) int {
	if j >= b.lo {
		b.lo, b.close = len(b.s), b.close[:0]
	}
	for b.lo > j+1 {
		b.lo--
		b.scan(b.lo)
	}
	b.lo = j
	n := len(b.close)
	if n == 0 || b.escaped(j) {
		return -1
	}
	k := b.close[n-1]
	b.close = b.close[:n-1]
	return k
}

// scan takes the character at k into the matching state.
func (b *braces) scan(k int) {
	switch b.s[k] {
	case '}':
		if !b.escaped(k) {
			b.close = append(b.close, k)
		}
	case '{':
		if n := len(b.close); n > 0 && !b.escaped(k) {
			b.close = b.close[:n-1]
		}
	}
}

// escaped reports whether the character at k follows an odd run of backslashes.
func (b *braces) escaped(k int) bool {
	n := 0
	for p := k - 1; p >= 0 && b.s[p] == '\\'; p-- {
		n++
	}
	return n%2 == 1
}

// lastBoxIndex returns the start of the last \boxed or \fbox in s, or -1.
func lastBoxIndex(s string) int {
	// One backward walk over the occurrences of "box" finds either command.
	for limit := len(s); ; {
		i := strings.LastIndex(s[:limit], "box")
		switch {
		case i < 0:
			return -1
		case i >= 1 && s[i-1] == '\\' && strings.HasPrefix(s[i:], "boxed"):
			return i - 1
		case i >= 2 && s[i-2:i] == `\f`:
			return i - 2
		}
		limit = i
	}
}

// lastIndexFwd is strings.LastIndex by forward search, which is vectorised and much
// faster on long texts with few occurrences.
func lastIndexFwd(s, sub string) int {
	last := -1
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return last
		}
		last = off + i
		off = last + 1
	}
}

var boxSeparator = regexp.MustCompile(`^(?:\s|\$|\\[(),;!]|,|;|and|or|\\text\{\s*(?:and|or|,)\s*\}|\\quad|\\qquad)*$`)

// lastBoxed returns the content of the last box; boxes just before it separated only by
// commas, "and" or "or" are joined to it as a list ("\boxed{1} and \boxed{2}" → "1, 2").
func lastBoxed(s string) (string, bool) {
	limit := len(s)
	var parts []string
	nextStart := -1
	br := newBraces(s)
	for len(parts) < maxJoinedBoxes {
		i := lastBoxIndex(s[:limit])
		if i < 0 {
			break
		}
		content, end, ok := boxAt(s, i, br)
		if !ok || (nextStart >= 0 && end > nextStart) {
			if len(parts) > 0 {
				break
			}
			limit = i // malformed box: try an earlier one
			continue
		}
		if nextStart >= 0 && !boxSeparator.MatchString(s[end:nextStart]) {
			break
		}
		if content != "" {
			parts = append(parts, content)
		}
		nextStart, limit = i, i
	}
	if len(parts) == 0 {
		return "", false
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return strings.Join(parts, ", "), true
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

var phrases = []string{"final answer is", "final answer:", "the answer is", "answer is", "answer:", "answer ="}

// answerPhrase returns what follows the last answer phrase (or GSM8K's "####"), up to
// the end of its sentence, without math delimiters.
func answerPhrase(s string) (string, bool) {
	ls := asciiLower(s)
	best, bestEnd := -1, 0
	// Walk the occurrences of "answer" from the end; the first that is part of a
	// phrase wins. Each step searches a shorter prefix, so the walk is linear.
	for limit := len(ls); best < 0; {
		i := strings.LastIndex(ls[:limit], "answer")
		if i < 0 {
			break
		}
		for _, p := range phrases {
			k := strings.Index(p, "answer")
			if i-k >= 0 && strings.HasPrefix(ls[i-k:], p) {
				best, bestEnd = i-k, i-k+len(p)
				break
			}
		}
		limit = i
	}
	if h := strings.LastIndex(s, "####"); h > best {
		best, bestEnd = h, h+4
	}
	if best < 0 {
		return "", false
	}
	rest := strings.TrimLeft(s[bestEnd:], " \t\r\n:*")
	end := len(rest)
	if k := strings.IndexByte(rest, '\n'); k >= 0 {
		end = k
	}
	for k := 0; k+1 < end; k++ {
		if rest[k] == '.' && (rest[k+1] == ' ' || rest[k+1] == '\n') {
			end = k
			break
		}
	}
	sentence := strings.TrimRight(strings.TrimSpace(rest[:end]), ".*")
	first, startsMath := "", false
	if strings.HasPrefix(rest, "$") || strings.HasPrefix(rest, `\(`) || strings.HasPrefix(rest, `\[`) {
		first, startsMath = firstMath(rest)
	}
	// "$x = 1$ or $x = 2$" is one answer; "$5$, because …" is its first span.
	if plain := mathDelims.Replace(sentence); plain != "" && !isProse(plain) {
		return strings.TrimSpace(plain), true
	}
	if startsMath {
		return first, true
	}
	if a := stripMath(sentence); a != "" {
		return a, true
	}
	return "", false
}

var mathDelims = strings.NewReplacer("$", "", `\(`, "", `\)`, "", `\[`, "", `\]`, "")

// stripMath removes math delimiters around s.
func stripMath(s string) string {
	s = strings.TrimSpace(s)
	for _, d := range [][2]string{{"$$", "$$"}, {"$", "$"}, {`\(`, `\)`}, {`\[`, `\]`}} {
		if len(s) >= len(d[0])+len(d[1]) && strings.HasPrefix(s, d[0]) && strings.HasSuffix(s, d[1]) {
			return strings.TrimSpace(s[len(d[0]) : len(s)-len(d[1])])
		}
	}
	return s
}

// firstMath returns the content of the math span that starts s.
func firstMath(s string) (string, bool) {
	for _, d := range [][2]string{{"$$", "$$"}, {"$", "$"}, {`\(`, `\)`}, {`\[`, `\]`}} {
		if strings.HasPrefix(s, d[0]) {
			if k := strings.Index(s[len(d[0]):], d[1]); k >= 0 {
				a := strings.TrimSpace(s[len(d[0]) : len(d[0])+k])
				return a, a != ""
			}
		}
	}
	return "", false
}

// lastMath returns the content of the last $…$, $$…$$, \(…\) or \[…\] span and the
// offset of its closing delimiter.
func lastMath(s string) (string, int, bool) {
	best, bestEnd := "", -1
	// Dollar spans: pair unescaped dollars from the start; "$$" counts as one delimiter.
	lastOpen, lastClose := -1, -1
	pending := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] != '$' {
			continue
		}
		w := 1
		if i+1 < len(s) && s[i+1] == '$' {
			w = 2
		}
		if pending < 0 {
			pending = i + w
		} else {
			lastOpen, lastClose = pending, i
			pending = -1
		}
		i += w - 1
	}
	if lastClose >= 0 {
		if a := strings.TrimSpace(s[lastOpen:lastClose]); a != "" {
			best, bestEnd = a, lastClose
		}
	}
	for _, d := range [][2]string{{`\(`, `\)`}, {`\[`, `\]`}} {
		e := lastIndexFwd(s, d[1])
		if e <= bestEnd {
			continue
		}
		st := strings.LastIndex(s[:e], d[0])
		if st < 0 {
			continue
		}
		if a := strings.TrimSpace(s[st+2 : e]); a != "" {
			best, bestEnd = a, e
		}
	}
	// Dollars around prose are currency ("$10 for apples and $8"), not math.
	if bestEnd < 0 || isProse(best) {
		return "", -1, false
	}
	return best, bestEnd, true
}

var numberRe = regexp.MustCompile(`-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+)?`)

// lastNumber returns the last number in s and its offset.
func lastNumber(s string) (string, int, bool) {
	end := strings.LastIndexAny(s, "0123456789")
	if end < 0 {
		return "", -1, false
	}
	// Look only at a window before the last digit so huge responses stay cheap; a
	// number that does not fit in the window is no answer.
	start := max(0, end-512)
	w := s[start : end+1]
	m := numberRe.FindAllStringIndex(w, -1)
	if len(m) == 0 {
		return "", -1, false
	}
	last := m[len(m)-1]
	if last[0] == 0 && start > 0 && strings.IndexByte("0123456789,.-", s[start-1]) >= 0 {
		return "", -1, false
	}
	return w[last[0]:last[1]], start + last[0], true
}

// isProse reports whether s contains an English word of three or more letters that is
// not a LaTeX command, function name or unit: "We get 12 apples" is prose, "x = 3",
// "\sin x", "5 cm" and "\text{Evelyn}" are not.
func isProse(s string) bool {
	for i := 0; i < len(s); {
		if !isLetter(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		w := strings.ToLower(s[i:j])
		command := i > 0 && s[i-1] == '\\'
		inText := i > 0 && s[i-1] == '{' && endsWithCommand(s[:i-1]) // \text{…}, \begin{…}
		if !command && !inText && j-i >= 3 && !funcNames[w] && !unitWords[w] && w != "sqrt" && w != "and" && w != "infinity" && w != "inf" && w != "degrees" && w != "percent" {
			return true
		}
		i = j
	}
	return false
}

// endsWithCommand reports whether s ends with a LaTeX command name (\text, \begin).
func endsWithCommand(s string) bool {
	j := len(s)
	for j > 0 && isLetter(s[j-1]) {
		j--
	}
	return j < len(s) && j > 0 && s[j-1] == '\\'
}
