package report

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/r1go/r1go/data"
)

// Options shape the page.
type Options struct {
	Title  string  // page title; empty: the runs' names
	Smooth float64 // exponential moving average weight in [0, 1) drawn over the raw values; 0: none
	// MaxSampleChars truncates each shown prompt and completion (0: 1500).
	MaxSampleChars int
}

// Chart geometry (SVG user units).
const (
	chartW, chartH              = 380.0, 230.0
	padL, padR, padT, padB      = 52.0, 12.0, 10.0, 28.0
	plotW, plotH                = chartW - padL - padR, chartH - padT - padB
	rawOpacity, smoothedOpacity = 0.35, 1.0
)

// palette holds distinguishable colours for overlaid runs (Okabe-Ito, colour-blind safe).
var palette = []string{"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"}

// WriteFile writes the page to path atomically (data.WriteFileAtomic), so a reader never
// sees half a page.
func WriteFile(path string, runs []*Run, opt Options) error {
	var buf bytes.Buffer
	if err := Write(&buf, runs, opt); err != nil {
		return err
	}
	if err := data.WriteFileAtomic(path, func(w *bufio.Writer) error { _, err := w.Write(buf.Bytes()); return err }); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Write renders the runs as one HTML page.
func Write(w io.Writer, runs []*Run, opt Options) error {
	if len(runs) == 0 {
		return fmt.Errorf("report: no runs")
	}
	if !(opt.Smooth >= 0 && opt.Smooth < 1) {
		return fmt.Errorf("report: smoothing %v: must be in [0, 1)", opt.Smooth)
	}
	if opt.MaxSampleChars <= 0 {
		opt.MaxSampleChars = 1500
	}
	title := opt.Title
	if title == "" {
		var names []string
		for _, r := range runs {
			names = append(names, r.Name)
		}
		title = "r1go: " + strings.Join(names, ", ")
	}
	var b strings.Builder
	e := html.EscapeString
	fmt.Fprintf(&b, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>%s</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#666;margin-bottom:12px} .legend span{margin-right:16px;white-space:nowrap}
.legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:6px}
.grid{display:flex;flex-wrap:wrap;gap:14px} figure{margin:0;border:1px solid #eee;border-radius:6px;padding:6px 6px 2px}
figcaption{font-weight:600;font-size:13px} figcaption small{display:block;font-weight:400;color:#666}
svg text{font:10px system-ui,sans-serif;fill:#555} table{border-collapse:collapse;margin-top:6px}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:right} th:first-child,td:first-child{text-align:left}
.sample{border:1px solid #eee;border-radius:6px;padding:8px;margin:8px 0}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px;margin:4px 0;max-height:260px;overflow:auto}
.ok{color:#009E73} .bad{color:#D55E00}
</style></head><body>
<h1>%s</h1>
<div class="meta">written %s; raw values faint%s</div>
`, e(title), e(title), time.Now().UTC().Format("2006-01-02 15:04 UTC"), smoothNote(opt.Smooth))
	if len(runs) > 1 {
		b.WriteString(`<div class="legend">`)
		for i, r := range runs {
			fmt.Fprintf(&b, `<span><i style="background:%s"></i>%s</span>`, palette[i%len(palette)], e(r.Name))
		}
		b.WriteString("</div>\n")
	}
	groups := metricOrder(runs)
	if len(groups) == 0 {
		b.WriteString("<p>No metrics logged yet.</p>\n")
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "<h2>%s</h2>\n<div class=\"grid\">\n", e(g.Title))
		for _, m := range g.Metrics {
			b.WriteString(chart(m, runs, opt.Smooth))
		}
		b.WriteString("</div>\n")
	}
	lastValues(&b, runs, groups)
	samples(&b, runs[0], opt.MaxSampleChars)
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func smoothNote(s float64) string {
	if s == 0 {
		return ""
	}
	return fmt.Sprintf(", bold lines smoothed (exponential moving average, weight %.2g)", s)
}

// chart draws one metric of every run: axes with round ticks, each run's raw values and,
// when smoothing, their moving average. NaN values break the line.
func chart(metric string, runs []*Run, smooth float64) string {
	x0, x1, y0, y1 := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, r := range runs {
		for _, p := range r.Series[metric] {
			if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
				continue
			}
			x0, x1 = math.Min(x0, p.Step), math.Max(x1, p.Step)
			y0, y1 = math.Min(y0, p.Value), math.Max(y1, p.Value)
		}
	}
	if math.IsInf(x0, 1) {
		return ""
	}
	xt := niceTicks(x0, x1, 5)
	yt := niceTicks(y0, y1, 5)
	xs := scale{xt[0], xt[len(xt)-1], padL, padL + plotW}
	ys := scale{yt[0], yt[len(yt)-1], padT + plotH, padT}
	var b strings.Builder
	desc := ""
	if d, ok := Descriptions[metric]; ok {
		desc = "<small>" + html.EscapeString(d) + "</small>"
	}
	fmt.Fprintf(&b, `<figure><figcaption>%s%s</figcaption><svg width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s">`,
		html.EscapeString(metric), desc, chartW, chartH, chartW, chartH, html.EscapeString(metric))
	for _, t := range yt {
		y := ys.at(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="end">%s</text>`,
			padL, y, padL+plotW, y, padL-4, y+3, tickLabel(t, yt))
	}
	for _, t := range xt {
		x := xs.at(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#eee"/><text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`,
			x, padT, x, padT+plotH, x, padT+plotH+14, tickLabel(t, xt))
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end">step</text>`, padL+plotW, chartH-2)
	for i, r := range runs {
		pts := r.Series[metric]
		if len(pts) == 0 {
			continue
		}
		color := palette[i%len(palette)]
		raw := rawOpacity
		if smooth == 0 || len(pts) < 3 {
			raw = smoothedOpacity
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.2" stroke-opacity="%g"><title>%s: last %s</title></path>`,
			pathData(pts, xs, ys), color, raw, html.EscapeString(r.Name), formatValue(last(pts)))
		if smooth > 0 && len(pts) >= 3 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, pathData(ema(pts, smooth), xs, ys), color)
		}
		if len(pts) == 1 {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>`, xs.at(pts[0].Step), ys.at(pts[0].Value), color)
		}
	}
	b.WriteString("</svg></figure>\n")
	return b.String()
}

// scale maps [from0, from1] linearly onto [to0, to1].
type scale struct{ from0, from1, to0, to1 float64 }

func (s scale) at(v float64) float64 {
	if s.from1 == s.from0 {
		return (s.to0 + s.to1) / 2
	}
	return s.to0 + (v-s.from0)/(s.from1-s.from0)*(s.to1-s.to0)
}

// pathData is an SVG path through the points, broken where a value is NaN or infinite.
func pathData(pts []Point, xs, ys scale) string {
	var b strings.Builder
	pen := false
	for _, p := range pts {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&b, "%s%.1f %.1f", cmd, xs.at(p.Step), ys.at(p.Value))
		pen = true
	}
	return b.String()
}

// ema is the exponential moving average with weight w on the past, debiased at the start
// (as TensorBoard smooths); NaN values are carried through as gaps.
func ema(pts []Point, w float64) []Point {
	out := make([]Point, len(pts))
	acc, norm := 0.0, 0.0
	for i, p := range pts {
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			out[i] = Point{p.Step, math.NaN()}
			continue
		}
		acc = w*acc + (1-w)*p.Value
		norm = w*norm + (1 - w)
		out[i] = Point{p.Step, acc / norm}
	}
	return out
}

// niceTicks returns round tick values about n intervals apart (steps of 1, 2 or 5 times a power of ten) that
// cover [lo, hi]; a constant range is widened around its value.
func niceTicks(lo, hi float64, n int) []float64 {
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		d := math.Max(math.Abs(lo)*0.1, 1e-9)
		if lo == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	}
	raw := (hi - lo) / float64(max(1, n))
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	start := math.Floor(lo/step+1e-9) * step
	var ticks []float64
	for t := start; t <= hi+step*1e-9; t += step {
		ticks = append(ticks, math.Round(t/step)*step)
	}
	if ticks[len(ticks)-1] < hi {
		ticks = append(ticks, ticks[len(ticks)-1]+step)
	}
	return ticks
}

// tickLabel prints a tick with the decimals its spacing needs.
func tickLabel(v float64, ticks []float64) string {
	if len(ticks) < 2 {
		return formatValue(v)
	}
	step := ticks[1] - ticks[0]
	if math.Abs(v) >= 1e5 || (step < 1e-3 && v != 0) {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	dec := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// formatValue prints a value in a table cell.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1e4 || math.Abs(v) < 1e-3:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

func last(pts []Point) float64 {
	for i := len(pts) - 1; i >= 0; i-- {
		if !math.IsNaN(pts[i].Value) {
			return pts[i].Value
		}
	}
	return math.NaN()
}

// lastValues writes a table: one row per metric, one column per run, the last logged value.
func lastValues(b *strings.Builder, runs []*Run, groups []Group) {
	if len(groups) == 0 {
		return
	}
	b.WriteString("<h2>Last values</h2>\n<table><tr><th>metric</th>")
	for _, r := range runs {
		steps := r.Series["lr"]
		for _, pts := range r.Series {
			if len(pts) > len(steps) {
				steps = pts
			}
		}
		at := ""
		if len(steps) > 0 {
			at = fmt.Sprintf(" (step %s)", formatValue(steps[len(steps)-1].Step))
		}
		fmt.Fprintf(b, "<th>%s%s</th>", html.EscapeString(r.Name), at)
	}
	b.WriteString("</tr>\n")
	for _, g := range groups {
		for _, m := range g.Metrics {
			fmt.Fprintf(b, "<tr><td>%s</td>", html.EscapeString(m))
			for _, r := range runs {
				fmt.Fprintf(b, "<td>%s</td>", formatValue(last(r.Series[m])))
			}
			b.WriteString("</tr>\n")
		}
	}
	b.WriteString("</table>\n")
}

// samples writes the prompts and completions logged at the run's last sampled step.
func samples(b *strings.Builder, r *Run, maxChars int) {
	if len(r.Samples) == 0 {
		return
	}
	cut := func(s string) string {
		if rs := []rune(s); len(rs) > maxChars {
			return string(rs[:maxChars]) + fmt.Sprintf(" … (%d more characters)", len(rs)-maxChars)
		}
		return s
	}
	fmt.Fprintf(b, "<h2>Samples at step %d (%s)</h2>\n", r.Samples[0].Step, html.EscapeString(r.Name))
	for _, s := range r.Samples {
		fmt.Fprintf(b, "<div class=\"sample\"><b>prompt</b><pre>%s</pre><b>answer</b> %s\n", html.EscapeString(cut(s.Prompt)), html.EscapeString(s.Answer))
		for i, c := range s.Completions {
			mark := `<span class="bad">✗</span>`
			if c.Correct {
				mark = `<span class="ok">✓</span>`
			}
			trunc := ""
			if c.Truncated {
				trunc = ", truncated"
			}
			fmt.Fprintf(b, "<div>%s completion %d: reward %s, advantage %s, %d tokens%s</div><pre>%s</pre>\n",
				mark, i+1, formatValue(c.Reward), formatValue(c.Advantage), c.Tokens, trunc, html.EscapeString(cut(c.Text)))
		}
		b.WriteString("</div>\n")
	}
}
