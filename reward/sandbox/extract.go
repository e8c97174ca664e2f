package sandbox

import (
	"strings"
)

// Source is one place ExtractOptions looks for a program.
type Source string

// Sources of a program in a model response.
const (
	// SourcePython is the last fenced block whose info string names Python
	// (python, py, python3, Python).
	SourcePython Source = "python"
	// SourceFenced is the last fenced block of any language (or none).
	SourceFenced Source = "fenced"
	// SourceAnswer is the content of the last <answer>…</answer> pair (tags configurable),
	// with a fence around it removed.
	SourceAnswer Source = "answer"
)

// ExtractOptions configure program extraction.
type ExtractOptions struct {
	// Sources are tried in order; the first that yields a non-blank program wins.
	// Empty means DefaultExtractOptions().Sources.
	Sources []Source
	// AnswerOpen and AnswerClose are the answer tags; empty means <answer> and </answer>.
	AnswerOpen, AnswerClose string
}

// DefaultExtractOptions looks for the last ```python block, then the last ``` block,
// then the <answer> content.
func DefaultExtractOptions() ExtractOptions {
	return ExtractOptions{Sources: []Source{SourcePython, SourceFenced, SourceAnswer}}
}

// ExtractProgram returns the program in a model response with DefaultExtractOptions,
// and false when there is none.
func ExtractProgram(response string) (string, bool) {
	return DefaultExtractOptions().Extract(response)
}

// Extract returns the program in response, and false when no source yields one.
func (o ExtractOptions) Extract(response string) (string, bool) {
	sources := o.Sources
	if len(sources) == 0 {
		sources = DefaultExtractOptions().Sources
	}
	for _, src := range sources {
		var prog string
		switch src {
		case SourcePython:
			prog = lastFence(response, true)
		case SourceFenced:
			prog = lastFence(response, false)
		case SourceAnswer:
			prog = o.answer(response)
		}
		if strings.TrimSpace(prog) != "" {
			return prog, true
		}
	}
	return "", false
}

// answer returns the content of the last answer tag pair, unfenced.
func (o ExtractOptions) answer(s string) string {
	open, close := o.AnswerOpen, o.AnswerClose
	if open == "" {
		open = "<answer>"
	}
	if close == "" {
		close = "</answer>"
	}
	end := strings.LastIndex(s, close)
	if end < 0 {
		return ""
	}
	start := strings.LastIndex(s[:end], open)
	if start < 0 {
		return ""
	}
	body := s[start+len(open) : end]
	if p := lastFence(body, false); strings.TrimSpace(p) != "" {
		return p
	}
	return strings.Trim(body, "\r\n") + "\n"
}

// isPythonTag reports whether a fence info string names Python.
func isPythonTag(info string) bool {
	f := strings.Fields(info)
	if len(f) == 0 {
		return false
	}
	switch strings.ToLower(strings.Trim(f[0], "{}.")) {
	case "python", "py", "python3", "py3":
		return true
	}
	return false
}

// lastFence returns the body of the last closed fenced code block (only those tagged
// Python when python is set). A block opens at a run of three or more backticks followed
// by an info string and a line break (at a line start or not: "<answer>```python"), and
// closes at the next run of as many backticks anywhere, as the regular expressions of
// common GRPO code rewards do, so that "```</think>" and "print(1)```" close a block too.
func lastFence(s string, python bool) string {
	var last string
	found := false
	for pos := 0; pos < len(s); {
		i := strings.Index(s[pos:], "```")
		if i < 0 {
			break
		}
		open := pos + i
		n := countTicks(s[open:])
		lineEnd := strings.IndexByte(s[open+n:], '\n')
		if lineEnd < 0 {
			break // no line break after it: no body
		}
		info := strings.TrimSpace(s[open+n : open+n+lineEnd])
		if strings.Contains(info, "`") { // inline code such as ```x``` on one line
			pos = open + n
			continue
		}
		body := open + n + lineEnd + 1
		fence := strings.Repeat("`", n)
		end := strings.Index(s[body:], fence)
		if end < 0 {
			break // an unclosed block runs to the end: a truncated answer
		}
		if !python || isPythonTag(info) {
			last, found = s[body:body+end], true
		}
		pos = body + end + n
		for pos < len(s) && s[pos] == '`' {
			pos++
		}
	}
	if !found {
		return ""
	}
	last = strings.TrimRight(last, " \t")
	if last != "" && !strings.HasSuffix(last, "\n") {
		last += "\n"
	}
	return last
}

func countTicks(s string) int {
	n := 0
	for n < len(s) && s[n] == '`' {
		n++
	}
	return n
}

// OutputsMatch compares a program's output with the expected output the way competitive
// programming judges do: line endings normalised, trailing whitespace of every line and
// blank lines at both ends ignored.
func OutputsMatch(got, want string) bool {
	return normalizeOutput(got) == normalizeOutput(want)
}

func normalizeOutput(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t\r\f\v")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
