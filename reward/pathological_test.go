package reward

import (
	"strings"
	"testing"
	"time"
)

// TestPathologicalCompletions runs every pure-Go reward on hostile completions (a
// megabyte of nested braces, of digits, of tags, of CJK text) and checks that each
// returns promptly without an error. The bound is on CPU time, so that a loaded CI
// machine does not make it flaky; the typical cost is a few milliseconds.
func TestPathologicalCompletions(t *testing.T) {
	hostile := map[string]string{
		"nested braces":   `</think>\boxed{` + strings.Repeat("{", 100000) + "1" + strings.Repeat("}", 100000) + "}",
		"unclosed box":    `</think>\boxed{` + strings.Repeat("{", 1<<20),
		"digits":          "</think>" + strings.Repeat("9", 1<<20),
		"many boxes":      "</think>" + strings.Repeat(`\boxed{1}`, 100000),
		"unclosed boxes":  "</think>" + strings.Repeat(`\boxed{`, 150000),
		"unclosed fboxes": "</think>" + strings.Repeat(`\fbox{\boxed{`, 70000),
		"many tags":       strings.Repeat("<think></think><answer></answer>", 30000),
		"cjk":             "<think>" + strings.Repeat("我们", 300000) + "</think> 3",
		"power tower":     `</think>\boxed{2^{2^{2^{100}}}}`,
		"many letters":    "</think>" + strings.Repeat("(A) answer is B ", 50000),
	}
	fields := map[string]any{"numbers": []any{1.0, 2.0}, "target": 3.0, "choices": []any{"1", "2", "3"}}
	for _, name := range []string{"math", "format", "countdown", "exact", "integer", "choice", "language"} {
		f, err := New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for what, comp := range hostile {
			start, cpu0 := time.Now(), cpuSeconds()
			sc := f.Score(Sample{Prompt: "Q", Completion: comp, Gold: "3", Fields: fields})
			if cpu := cpuSeconds() - cpu0; cpu > 0.5 {
				t.Errorf("%s on %s took %.3f CPU-s (%v wall)", name, what, cpu, time.Since(start))
			}
			if sc.Err != nil || sc.Value < 0 || sc.Value > 1 {
				t.Errorf("%s on %s: %+v", name, what, sc)
			}
		}
	}
}
