package bench

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// ReadLines reads the benchmark lines (those starting with "bench=") from r, skipping
// everything else (progress logs). A malformed bench line is an error naming its line number.
func ReadLines(r io.Reader, name string) ([]map[string]string, error) {
	var out []map[string]string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "bench=") {
			continue
		}
		kv, err := ParseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d: %w", name, n, err)
		}
		out = append(out, kv)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Table renders training benchmark lines as a Markdown table, one block of rows per
// (shape, batch, seq), r1go first. The last column is each row's step time divided by r1go's
// (fast gradients) in the same block: above 1 the row is slower than r1go.
func Table(lines []map[string]string) (string, error) {
	type key struct{ shape, batch, seq string }
	groups := map[key][]map[string]string{}
	var keys []key
	for i, l := range lines {
		if l["bench"] != "train" {
			continue
		}
		for _, f := range []string{"impl", "shape", "batch", "seq", "step_s"} {
			if l[f] == "" {
				return "", fmt.Errorf("bench line %d has no %s= field", i+1, f)
			}
		}
		if _, err := strconv.ParseFloat(l["step_s"], 64); err != nil {
			return "", fmt.Errorf("bench line %d: step_s=%q is not a number", i+1, l["step_s"])
		}
		k := key{l["shape"], l["batch"], l["seq"]}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], l)
	}
	if len(keys) == 0 {
		return "", fmt.Errorf("no bench=train lines")
	}
	var sb strings.Builder
	sb.WriteString("| shape | batch×seq | implementation | step (s) | tokens/s | MFU | peak mem (GiB) | compile (s) | step ÷ r1go step |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, k := range keys {
		rows := groups[k]
		name := func(l map[string]string) string {
			n := l["impl"]
			if g := l["grad"]; g != "" && g != "fast" {
				n += " (" + g + " gradients)"
			}
			if m := l["mode"]; m != "" {
				n += " " + m
			}
			return n
		}
		sort.SliceStable(rows, func(a, b int) bool { return rank(rows[a]) < rank(rows[b]) })
		var ref float64
		for _, l := range rows {
			if l["impl"] == "r1go" && (l["grad"] == "" || l["grad"] == "fast") {
				ref, _ = strconv.ParseFloat(l["step_s"], 64)
				break
			}
		}
		for _, l := range rows {
			st, _ := strconv.ParseFloat(l["step_s"], 64)
			ratio := "—"
			if ref > 0 {
				ratio = fmt.Sprintf("%.2f", st/ref)
			}
			fmt.Fprintf(&sb, "| %s | %s×%s | %s | %s | %s | %s | %s | %s | %s |\n",
				k.shape, k.batch, k.seq, name(l), l["step_s"], or(l["tokens_per_s"]), or(l["mfu"]), or(l["peak_mem_gib"]), or(l["compile_s"]), ratio)
		}
	}
	return sb.String(), nil
}

func rank(l map[string]string) int {
	switch {
	case l["impl"] == "r1go" && (l["grad"] == "" || l["grad"] == "fast"):
		return 0
	case l["impl"] == "r1go":
		return 1
	}
	return 2
}

func or(s string) string {
	if s == "" {
		return "n/a"
	}
	return s
}
