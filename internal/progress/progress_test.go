package progress

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestPlainMode(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	plain := false
	b := New(&buf, "grpo", 0, 100, Options{Unit: "step", Interval: 10 * time.Second, Terminal: &plain, Now: clk.now})
	for i := 1; i <= 100; i++ {
		clk.advance(2 * time.Second) // 0.5 step/s
		b.Set(i, KV{"reward", 0.25 + float64(i)/400}, KV{"kl", 1.5e-4})
	}
	b.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// First Set draws, then one line per 10 s (every 5 steps), the last at 100/100; Finish
	// does not repeat it.
	if len(lines) != 1+19+1 {
		t.Errorf("%d lines, want 21:\n%s", len(lines), buf.String())
	}
	if want := "grpo 1/100 step (1%)  2 s/step  eta 3m18s  reward=0.2525  kl=1.500e-04"; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if want := "grpo 51/100 step (51%)  2 s/step  eta 1m38s  reward=0.3775  kl=1.500e-04"; !contains(lines, want) {
		t.Errorf("no line %q in:\n%s", want, buf.String())
	}
	if want := "grpo 100/100 step (100%)  2 s/step  done in 3m20s  reward=0.5  kl=1.500e-04"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	if strings.Contains(buf.String(), "\r") {
		t.Errorf("plain mode wrote a carriage return")
	}
}

func TestTerminalMode(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	yes := true
	// A resumed run: starts at 40 of 50; the rate counts only the new steps.
	b := New(&buf, "sft", 40, 50, Options{Unit: "step", Terminal: &yes, Width: 100, Now: clk.now})
	clk.advance(4 * time.Second)
	b.Set(45, KV{"loss", 1.25})
	if want := "sft [===========================>  ] 45/50 step (90%)  1.25 step/s  eta 4s  loss=1.25"; b.Line() != want {
		t.Errorf("line %q\nwant %q", b.Line(), want)
	}
	clk.advance(time.Millisecond)
	b.Set(46) // within the redraw interval: not drawn, metrics kept
	clk.advance(time.Second)
	b.Log("checkpoint saved")
	b.Finish()
	out := buf.String()
	if strings.Count(out, "\r") < 3 || !strings.HasSuffix(out, "\n") {
		t.Errorf("terminal output %q: want redraws with \\r and a final newline", out)
	}
	if !strings.Contains(out, "\rcheckpoint saved\n") {
		t.Errorf("Log did not print its message on a cleared line: %q", out)
	}
	if strings.Count(out, "46/50") != 2 { // redrawn under the log line, and by Finish
		t.Errorf("46/50 drawn %d times, want 2: %q", strings.Count(out, "46/50"), out)
	}
	b.Set(50) // after Finish: ignored
	if buf.String() != out {
		t.Errorf("Set after Finish wrote output")
	}
	// Narrow terminals cut the line and drop the bar.
	narrow := New(&bytes.Buffer{}, "eval", 0, 10, Options{Terminal: &yes, Width: 30, Now: clk.now})
	if l := narrow.Line(); len(l) > 29 || strings.Contains(l, "[") {
		t.Errorf("narrow line %q", l)
	}
}

func TestUnknownTotalAndFormats(t *testing.T) {
	var buf bytes.Buffer
	clk := &fakeClock{t: time.Unix(0, 0)}
	no := false
	b := New(&buf, "gen", 0, 0, Options{Terminal: &no, Now: clk.now})
	clk.advance(90 * time.Second)
	b.Add(300)
	if want := "gen 300 it  3.33 it/s  elapsed 1m30s"; b.Line() != want {
		t.Errorf("line %q, want %q", b.Line(), want)
	}
	tests := []struct {
		x    float64
		want string
	}{{0, "0"}, {1, "1"}, {0.12345, "0.1235"}, {-2.5, "-2.5"}, {3e-6, "3.000e-06"}, {123456, "1.235e+05"}, {math.NaN(), "NaN"}}
	for _, tc := range tests {
		if got := formatValue(tc.x); got != tc.want {
			t.Errorf("formatValue(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
	for sec, want := range map[float64]string{5: "5s", 65: "1m05s", 7265: "2h01m", math.Inf(1): "?"} {
		if got := formatDuration(sec); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", sec, got, want)
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
