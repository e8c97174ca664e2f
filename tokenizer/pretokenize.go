package tokenizer

import (
	"fmt"
	"strings"

	"github.com/dlclark/regexp2/v2"
)

// splitter is one pre-tokenizer step: it cuts s into pieces and appends the non-empty
// pieces to dst.
type splitter interface {
	split(s string, dst []string) []string
}

// behavior is a Split pre-tokenizer's SplitDelimiterBehavior.
type behavior int

const (
	bRemoved behavior = iota
	bIsolated
	bMergedWithPrevious
	bMergedWithNext
	bContiguous
)

func parseBehavior(s string) (behavior, error) {
	switch s {
	case "Removed":
		return bRemoved, nil
	case "Isolated":
		return bIsolated, nil
	case "MergedWithPrevious":
		return bMergedWithPrevious, nil
	case "MergedWithNext":
		return bMergedWithNext, nil
	case "Contiguous":
		return bContiguous, nil
	}
	return 0, fmt.Errorf("unknown split behavior %q", s)
}

// finder finds pattern matches inside one piece.
type finder interface {
	// find returns the leftmost match of the pattern in s at or after byte i.
	find(s string, i int) (start, end int, ok bool)
}

// splitStep is the Split pre-tokenizer: a pattern, a behavior and an invert flag.
type splitStep struct {
	f        finder
	behavior behavior
	invert   bool
	spans    []mspan // scratch for the general path; splitStep is used by one goroutine
}

type mspan struct {
	start, end int
	match      bool
}

func (st *splitStep) split(s string, dst []string) []string {
	if s == "" {
		return dst
	}
	if st.behavior == bIsolated {
		// Matches and the gaps between them each become a piece; invert changes nothing.
		prev := 0
		for i := 0; i < len(s); {
			a, b, ok := st.f.find(s, i)
			if !ok {
				break
			}
			if a > prev {
				dst = append(dst, s[prev:a])
			}
			dst = append(dst, s[a:b])
			prev, i = b, b
			if b == a { // empty match: step one byte to make progress
				i = b + 1
			}
		}
		if prev < len(s) {
			dst = append(dst, s[prev:])
		}
		return dst
	}
	spans := st.spans[:0]
	prev := 0
	for i := 0; i < len(s); {
		a, b, ok := st.f.find(s, i)
		if !ok {
			break
		}
		if a > prev {
			spans = append(spans, mspan{prev, a, st.invert})
		}
		spans = append(spans, mspan{a, b, !st.invert})
		prev, i = b, b
		if b == a {
			i = b + 1
		}
	}
	if prev < len(s) {
		spans = append(spans, mspan{prev, len(s), st.invert})
	}
	st.spans = spans
	type piece struct{ start, end int }
	var out []piece
	switch st.behavior {
	case bRemoved:
		for _, sp := range spans {
			if !sp.match {
				out = append(out, piece{sp.start, sp.end})
			}
		}
	case bContiguous:
		prevMatch := false
		for k, sp := range spans {
			if k > 0 && sp.match == prevMatch {
				out[len(out)-1].end = sp.end
			} else {
				out = append(out, piece{sp.start, sp.end})
			}
			prevMatch = sp.match
		}
	case bMergedWithPrevious:
		prevMatch := false
		for _, sp := range spans {
			if sp.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].end = sp.end
			} else {
				out = append(out, piece{sp.start, sp.end})
			}
			prevMatch = sp.match
		}
	case bMergedWithNext:
		prevMatch := false
		for k := len(spans) - 1; k >= 0; k-- {
			sp := spans[k]
			if sp.match && !prevMatch && len(out) > 0 {
				out[len(out)-1].start = sp.start
			} else {
				out = append(out, piece{sp.start, sp.end})
			}
			prevMatch = sp.match
		}
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	for _, p := range out {
		if p.end > p.start {
			dst = append(dst, s[p.start:p.end])
		}
	}
	return dst
}

// literalFinder matches a fixed string (Split with {"String": ...}).
type literalFinder struct{ lit string }

func (f literalFinder) find(s string, i int) (int, int, bool) {
	if f.lit == "" {
		return 0, 0, false
	}
	k := strings.Index(s[i:], f.lit)
	if k < 0 {
		return 0, 0, false
	}
	return i + k, i + k + len(f.lit), true
}

// regexFinder matches a tokenizer.json regex with regexp2, which supports the
// lookahead and Unicode classes Oniguruma patterns use. It caches the matches of the
// last piece it saw, so it must not be shared between goroutines (see encoder).
type regexFinder struct {
	re      *regexp2.Regexp
	src     string
	last    string
	matches [][]int
	next    int
}

func newRegexFinder(pattern string) (*regexFinder, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("regex %q: %w", pattern, err)
	}
	return &regexFinder{re: re, src: pattern}, nil
}

func (f *regexFinder) clone() *regexFinder { return &regexFinder{re: f.re, src: f.src} }

func (f *regexFinder) find(s string, i int) (int, int, bool) {
	if i == 0 || s != f.last {
		m, err := f.re.FindAllStringIndex(s, -1)
		if err != nil {
			// Only a backtracking limit can fail here; treat the rest as one gap.
			m = nil
		}
		f.last, f.matches, f.next = s, m, 0
	}
	for f.next < len(f.matches) && f.matches[f.next][0] < i {
		f.next++
	}
	if f.next >= len(f.matches) {
		return 0, 0, false
	}
	m := f.matches[f.next]
	f.next++
	return m[0], m[1], true
}
