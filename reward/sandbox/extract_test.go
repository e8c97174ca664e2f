package sandbox

import (
	"strings"
	"testing"
)

func TestExtractProgram(t *testing.T) {
	cases := []struct {
		name     string
		response string
		want     string
		ok       bool
	}{
		{"python-fence", "Here:\n```python\nprint(1)\n```\nDone.", "print(1)\n", true},
		{"last-python-wins", "```python\nprint(1)\n```\nbetter:\n```python\nprint(2)\n```\n", "print(2)\n", true},
		{"python-beats-later-plain", "```python\nprint(1)\n```\n```\n$ run it\n```\n", "print(1)\n", true},
		{"py-tag", "```py\nx = 3\n```", "x = 3\n", true},
		{"python3-tag", "```python3\nx = 3\n```", "x = 3\n", true},
		{"capital-tag", "```Python\nx = 3\n```", "x = 3\n", true},
		{"plain-fence-fallback", "```\nprint(input())\n```", "print(input())\n", true},
		{"other-language-fallback", "```text\nprint(1)\n```", "print(1)\n", true},
		{"indented-fence", "  ```python\n  def f():\n      return 1\n  ```\n", "  def f():\n      return 1\n", true},
		{"closing-on-code-line", "```python\nprint(1)```", "print(1)\n", true},
		{"four-backticks", "````python\ns = '```'\nprint(s)\n````\n", "s = '```'\nprint(s)\n", true},
		{"crlf", "```python\r\nprint(1)\r\n```\r\n", "print(1)\r\n", true},
		{"unclosed-fence-ignored", "```python\nprint(1)\n", "", false},
		{"unclosed-after-closed", "```python\nprint(1)\n```\n```python\nprint(2", "print(1)\n", true},
		{"inline-code-not-a-fence", "use ```x``` here", "", false},
		{"answer-tag", "<think>hmm</think><answer>\nprint(42)\n</answer>", "print(42)\n", true},
		{"answer-with-fence", "<think>x</think> <answer>```python\nprint(7)\n```</answer>", "print(7)\n", true},
		{"last-answer", "<answer>print(1)</answer> <answer>print(2)</answer>", "print(2)\n", true},
		{"fence-inside-think-beats-answer-text", "<think>```python\nprint(1)\n```</think><answer>print(2)</answer>", "print(1)\n", true},
		{"empty-fence-falls-through", "```python\n\n```\n<answer>print(3)</answer>", "print(3)\n", true},
		{"nothing", "I cannot solve this.", "", false},
		{"empty", "", "", false},
		{"blank-answer", "<answer>  \n </answer>", "", false},
		{"unclosed-answer", "<answer>print(1)", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ExtractProgram(c.response)
			if got != c.want || ok != c.ok {
				t.Fatalf("ExtractProgram(%q) = %q, %v; want %q, %v", c.response, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestExtractOptions(t *testing.T) {
	resp := "<think>```python\nprint('draft')\n```</think>\n<solution>print('final')</solution>\n```\nnot python\n```"
	cases := []struct {
		name string
		opts ExtractOptions
		want string
		ok   bool
	}{
		{"default", ExtractOptions{}, "print('draft')\n", true},
		{"answer-only-custom-tags", ExtractOptions{Sources: []Source{SourceAnswer}, AnswerOpen: "<solution>", AnswerClose: "</solution>"}, "print('final')\n", true},
		{"answer-only-default-tags", ExtractOptions{Sources: []Source{SourceAnswer}}, "", false},
		{"fenced-first", ExtractOptions{Sources: []Source{SourceFenced, SourcePython}}, "not python\n", true},
		{"python-only", ExtractOptions{Sources: []Source{SourcePython}}, "print('draft')\n", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := c.opts.Extract(resp)
			if got != c.want || ok != c.ok {
				t.Fatalf("Extract = %q, %v; want %q, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestOutputsMatch(t *testing.T) {
	cases := []struct {
		got, want string
		match     bool
	}{
		{"3\n", "3", true},
		{"3", "3\n\n", true},
		{"1 2 \n3\t\n", "1 2\n3", true},
		{"\n\n1\n", "1", true},
		{"a\r\nb\r\n", "a\nb\n", true},
		{"  x\n", "x", true}, // the whole output is stripped, like Python's str.strip()
		{"1  2\n", "1 2\n", false},
		{"1\n\n2\n", "1\n2\n", false}, // blank lines inside count
		{"3\n", "4\n", false},
		{"", "0", false},
		{"", "", true},
		{"YES", "yes", false},
		{"a\n b", "a\nb", false}, // leading whitespace of inner lines counts
	}
	for _, c := range cases {
		if got := OutputsMatch(c.got, c.want); got != c.match {
			t.Errorf("OutputsMatch(%q, %q) = %v, want %v", c.got, c.want, got, c.match)
		}
	}
}

func FuzzExtractProgram(f *testing.F) {
	for _, s := range []string{"```python\nprint(1)\n```", "<answer>x</answer>", "````\n```\n````", "```py\n```\n```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prog, ok := ExtractProgram(s)
		if ok != (strings.TrimSpace(prog) != "") {
			t.Fatalf("ok %v with program %q", ok, prog)
		}
		if ok && !strings.HasSuffix(prog, "\n") {
			t.Fatalf("program %q does not end with a newline", prog)
		}
	})
}
