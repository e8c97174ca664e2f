// Package progress shows the progress of a long command (training steps, generated
// samples, evaluated problems) on stderr: on a terminal, one line redrawn in place with a
// bar, the rate, the ETA and a few key=value metrics; otherwise (a log file, CI) a plain
// line every Interval, so logs stay readable.
package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// KV is one metric shown next to the bar.
type KV struct {
	Key   string
	Value float64
}

// Options tune a Bar; the zero value is fine.
type Options struct {
	Unit     string           // what is counted, e.g. "step" (default "it")
	Interval time.Duration    // plain mode: time between log lines (default 30s); terminal mode: minimum redraw period (default 100ms)
	Terminal *bool            // force terminal (true) or plain (false) mode; default: detected from the writer
	Width    int              // terminal width in columns (default: detected, else 100)
	Now      func() time.Time // the clock (tests)
}

// Bar is a progress bar for done/total units of work. Its methods are safe for
// concurrent use.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	total    int
	opt      Options
	terminal bool

	start     time.Time
	startDone int
	done      int
	metrics   []KV
	lastDraw  time.Time
	drawn     bool
	lastLen   int
	lastLine  string
	finished  bool
}

// New returns a bar writing to w for total units (total <= 0: unknown), labelled label,
// starting at done units (a resumed run: the rate and the ETA count only the units done
// from now on).
func New(w io.Writer, label string, done, total int, opt Options) *Bar {
	if opt.Unit == "" {
		opt.Unit = "it"
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	b := &Bar{w: w, label: label, total: total, opt: opt, done: done, startDone: done}
	if opt.Terminal != nil {
		b.terminal = *opt.Terminal
	} else if f, ok := w.(*os.File); ok {
		b.terminal = term.IsTerminal(int(f.Fd())) && os.Getenv("TERM") != "dumb"
	}
	if b.opt.Interval <= 0 {
		if b.terminal {
			b.opt.Interval = 100 * time.Millisecond
		} else {
			b.opt.Interval = 30 * time.Second
		}
	}
	if b.opt.Width <= 0 {
		b.opt.Width = 100
		if f, ok := w.(*os.File); ok && b.terminal {
			if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
				b.opt.Width = cols
			}
		}
	}
	b.start = opt.Now()
	b.lastDraw = b.start
	return b
}

// Set records that done units are complete, with the metrics to show (replacing the
// previous ones), and redraws when the interval has passed.
func (b *Bar) Set(done int, metrics ...KV) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.done = done
	if metrics != nil {
		b.metrics = append(b.metrics[:0], metrics...)
	}
	now := b.opt.Now()
	if !b.drawn || now.Sub(b.lastDraw) >= b.opt.Interval || (b.total > 0 && done >= b.total) {
		b.draw(now)
	}
}

// Add advances the bar by n units.
func (b *Bar) Add(n int, metrics ...KV) {
	b.mu.Lock()
	done := b.done + n
	b.mu.Unlock()
	b.Set(done, metrics...)
}

// Log prints a message above the bar (a terminal bar is redrawn below it).
func (b *Bar) Log(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	if b.terminal && b.drawn && !b.finished {
		fmt.Fprintf(b.w, "\r%s\r%s\n", strings.Repeat(" ", b.lastLen), msg)
		b.draw(b.opt.Now())
		return
	}
	fmt.Fprintln(b.w, msg)
}

// Finish draws the final state and ends the line. Further calls do nothing.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	now := b.opt.Now()
	if b.terminal || b.line(now) != b.lastLine {
		b.draw(now)
	}
	if b.terminal {
		fmt.Fprintln(b.w)
	}
	b.finished = true
}

// Line returns the text the bar shows now (without the terminal's carriage return).
func (b *Bar) Line() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.line(b.opt.Now())
}

func (b *Bar) draw(now time.Time) {
	s := b.line(now)
	if b.terminal {
		pad := ""
		if n := b.lastLen - len([]rune(s)); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(b.w, "\r%s%s", s, pad)
		b.lastLen = len([]rune(s))
	} else {
		fmt.Fprintln(b.w, s)
	}
	b.drawn = true
	b.lastDraw = now
	b.lastLine = s
}

// line formats: label [bar] done/total (pct) rate ETA metrics.
func (b *Bar) line(now time.Time) string {
	elapsed := now.Sub(b.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(b.done-b.startDone) / elapsed
	}
	var parts []string
	count := fmt.Sprintf("%d", b.done)
	if b.total > 0 {
		pct := 100 * float64(b.done) / float64(b.total)
		count = fmt.Sprintf("%d/%d %s (%.0f%%)", b.done, b.total, b.opt.Unit, pct)
	} else {
		count += " " + b.opt.Unit
	}
	parts = append(parts, count, formatRate(rate, b.opt.Unit))
	if b.total > 0 {
		eta := "?"
		if b.done >= b.total {
			eta = "done in " + formatDuration(elapsed)
		} else if rate > 0 {
			eta = "eta " + formatDuration(float64(b.total-b.done)/rate)
		} else {
			eta = "eta ?"
		}
		parts = append(parts, eta)
	} else {
		parts = append(parts, "elapsed "+formatDuration(elapsed))
	}
	for _, m := range b.metrics {
		parts = append(parts, m.Key+"="+formatValue(m.Value))
	}
	text := strings.Join(parts, "  ")
	if !b.terminal {
		return b.label + " " + text
	}
	// Terminal: label [=====>    ] text, cut to the width.
	barWidth := 0
	if b.total > 0 {
		barWidth = min(30, b.opt.Width-len(b.label)-len(text)-5)
	}
	s := b.label
	if barWidth >= 10 {
		filled := int(math.Round(float64(barWidth) * math.Min(1, float64(b.done)/float64(b.total))))
		bar := strings.Repeat("=", filled)
		if filled < barWidth {
			bar += ">" + strings.Repeat(" ", barWidth-filled-1)
		}
		s += " [" + bar + "]"
	}
	s += " " + text
	if r := []rune(s); len(r) > b.opt.Width-1 {
		s = string(r[:b.opt.Width-1])
	}
	return s
}

func formatRate(rate float64, unit string) string {
	switch {
	case rate == 0:
		return "0 " + unit + "/s"
	case rate >= 1:
		return fmt.Sprintf("%.3g %s/s", rate, unit)
	default:
		return fmt.Sprintf("%.3g s/%s", 1/rate, unit)
	}
}

// formatDuration prints seconds as 45s, 3m05s or 2h07m.
func formatDuration(sec float64) string {
	if math.IsInf(sec, 0) || math.IsNaN(sec) || sec < 0 {
		return "?"
	}
	s := int(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	default:
		return fmt.Sprintf("%dh%02dm", s/3600, (s%3600)/60)
	}
}

// formatValue prints a metric with up to 4 decimals, or in scientific notation when tiny or huge.
func formatValue(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmt.Sprint(x)
	}
	if x != 0 && (math.Abs(x) < 1e-3 || math.Abs(x) >= 1e5) {
		return fmt.Sprintf("%.3e", x)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
}
