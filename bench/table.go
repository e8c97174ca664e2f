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

// Table renders benchmark lines as Markdown tables: one for training steps (bench=train), one
// for rollouts (bench=generate), each in blocks of rows that measured the same workload, r1go
// first. The last column is each row's time divided by r1go's (fast gradients) in the same
// block: above 1 the row is slower than r1go.
func Table(lines []map[string]string) (string, error) {
	var sb strings.Builder
	n := 0
	for _, kind := range []tableKind{trainTable, generateTable} {
		t, rows, err := kind.render(lines)
		if err != nil {
			return "", err
		}
		if rows == 0 {
			continue
		}
		if n > 0 {
			sb.WriteString("\n")
		}
		sb.WriteString(t)
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("no bench=train or bench=generate lines")
	}
	return sb.String(), nil
}

// tableKind describes the table of one benchmark.
type tableKind struct {
	bench   string   // the bench= value
	group   []string // fields that identify one workload
	timeKey string   // the field compared across implementations
	header  string
	row     func(l map[string]string) []string // cells after the workload and implementation
}

var trainTable = tableKind{
	bench: "train", group: []string{"shape", "batch", "seq"}, timeKey: "step_s",
	header: "| shape | batch×seq | implementation | step (s) | tokens/s | MFU | peak mem (GiB) | compile (s) | step ÷ r1go step |\n" +
		"|---|---|---|---|---|---|---|---|---|\n",
	row: func(l map[string]string) []string {
		return []string{l["shape"], l["batch"] + "×" + l["seq"], implName(l), l["step_s"], or(l["tokens_per_s"]), or(l["mfu"]), or(l["peak_mem_gib"]), or(l["compile_s"])}
	},
}

var generateTable = tableKind{
	bench: "generate", group: []string{"shape", "prompts", "n", "prompt_len", "max_new"}, timeKey: "run_s",
	header: "| shape | prompts×samples | prompt + new tokens | implementation | run (s) | new tokens/s | peak mem (GiB) | first run (s) | run ÷ r1go run |\n" +
		"|---|---|---|---|---|---|---|---|---|\n",
	row: func(l map[string]string) []string {
		return []string{l["shape"], l["prompts"] + "×" + l["n"], l["prompt_len"] + " + " + l["max_new"], implName(l), l["run_s"], or(l["tokens_per_s"]), or(l["peak_mem_gib"]), or(l["first_s"])}
	},
}

func implName(l map[string]string) string {
	n := l["impl"]
	if g := l["grad"]; g != "" {
		// grad=KIND[+option...]: the gradient kind, then the options of the step (TrainResult.Line).
		parts := strings.Split(g, "+")
		var notes []string
		if parts[0] != "fast" {
			notes = append(notes, parts[0]+" gradients")
		}
		for _, o := range parts[1:] {
			switch {
			case o == "fused":
				notes = append(notes, "cuDNN attention")
			case o == "recompute":
				notes = append(notes, "recomputed attention")
			case strings.HasPrefix(o, "lmchunk"):
				notes = append(notes, "LM head in chunks of "+strings.TrimPrefix(o, "lmchunk"))
			default:
				notes = append(notes, o)
			}
		}
		if len(notes) > 0 {
			n += " (" + strings.Join(notes, ", ") + ")"
		}
	}
	if m := l["mode"]; m != "" {
		n += " " + m
	}
	return n
}

// render returns the table and its number of rows (0: no lines of this benchmark).
func (k tableKind) render(lines []map[string]string) (string, int, error) {
	groups := map[string][]map[string]string{}
	var keys []string
	for i, l := range lines {
		if l["bench"] != k.bench {
			continue
		}
		for _, f := range append([]string{"impl", k.timeKey}, k.group...) {
			if l[f] == "" {
				return "", 0, fmt.Errorf("bench=%s line %d has no %s= field", k.bench, i+1, f)
			}
		}
		if _, err := strconv.ParseFloat(l[k.timeKey], 64); err != nil {
			return "", 0, fmt.Errorf("bench=%s line %d: %s=%q is not a number", k.bench, i+1, k.timeKey, l[k.timeKey])
		}
		var id []string
		for _, f := range k.group {
			id = append(id, l[f])
		}
		key := strings.Join(id, "\x00")
		if _, ok := groups[key]; !ok {
			keys = append(keys, key)
		}
		groups[key] = append(groups[key], l)
	}
	if len(keys) == 0 {
		return "", 0, nil
	}
	var sb strings.Builder
	sb.WriteString(k.header)
	n := 0
	for _, key := range keys {
		rows := groups[key]
		sort.SliceStable(rows, func(a, b int) bool { return rank(rows[a]) < rank(rows[b]) })
		var ref float64
		for _, l := range rows {
			if rank(l) == 0 {
				ref, _ = strconv.ParseFloat(l[k.timeKey], 64)
				break
			}
		}
		for _, l := range rows {
			t, _ := strconv.ParseFloat(l[k.timeKey], 64)
			ratio := "—"
			if ref > 0 {
				ratio = fmt.Sprintf("%.2f", t/ref)
			}
			sb.WriteString("| " + strings.Join(append(k.row(l), ratio), " | ") + " |\n")
			n++
		}
	}
	return sb.String(), n, nil
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
