package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/r1go/r1go/model/safetensors"
)

// cmdTensors lists the tensors of a safetensors file or checkpoint directory.
func cmdTensors() *command {
	c := &command{
		name:    "tensors",
		summary: "list (and check) the tensors of a safetensors file or model directory",
		usage:   "--model DIR|FILE [--stats] [--json]",
	}
	c.run = func(fs *flag.FlagSet, args []string) error {
		model := fs.String("model", "", "model directory (model.safetensors or model.safetensors.index.json), index file, or .safetensors file to list; every header is validated")
		stats := fs.Bool("stats", false, "also read every float tensor and print its min, max, mean and standard deviation (reads all the data)")
		asJSON := fs.Bool("json", false, "print one JSON object per tensor instead of a table")
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if *model == "" {
			return fmt.Errorf("--model is required")
		}
		return listTensors(os.Stdout, *model, *stats, *asJSON)
	}
	return c
}

// tensorRow is one line of `r1go tensors` output.
type tensorRow struct {
	Name  string   `json:"name"`
	DType string   `json:"dtype"`
	Shape []int    `json:"shape"`
	Bytes int64    `json:"bytes"`
	Min   *float64 `json:"min,omitempty"`
	Max   *float64 `json:"max,omitempty"`
	Mean  *float64 `json:"mean,omitempty"`
	Std   *float64 `json:"std,omitempty"`
	NaN   int64    `json:"nan,omitempty"`
}

func listTensors(w io.Writer, path string, stats, asJSON bool) error {
	ck, err := safetensors.Open(path)
	if err != nil {
		return err
	}
	defer ck.Close()
	var rows []tensorRow
	var params, bytes int64
	for _, name := range ck.Names() {
		info, err := ck.Info(name)
		if err != nil {
			return err
		}
		n := int64(1)
		for _, d := range info.Shape {
			n *= int64(d)
		}
		params += n
		bytes += info.Size()
		row := tensorRow{Name: name, DType: string(info.DType), Shape: info.Shape, Bytes: info.Size()}
		if stats && (info.DType == safetensors.F32 || info.DType == safetensors.BF16 || info.DType == safetensors.F16 || info.DType == safetensors.F64) {
			vals, err := ck.Float32s(name)
			if err != nil {
				return err
			}
			row.setStats(vals)
		}
		rows = append(rows, row)
	}
	if asJSON {
		enc := json.NewEncoder(w)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	width := len("name")
	for _, r := range rows {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(w, "%-*s  %-5s  %-18s  %12s", width, "name", "dtype", "shape", "bytes")
	if stats {
		fmt.Fprintf(w, "  %12s  %12s  %12s  %12s", "min", "max", "mean", "std")
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprintf(w, "%-*s  %-5s  %-18s  %12d", width, r.Name, r.DType, shapeString(r.Shape), r.Bytes)
		if r.Min != nil {
			fmt.Fprintf(w, "  %12.5g  %12.5g  %12.5g  %12.5g", *r.Min, *r.Max, *r.Mean, *r.Std)
			if r.NaN > 0 {
				fmt.Fprintf(w, "  (%d NaN)", r.NaN)
			}
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%d tensors, %d parameters, %d bytes in %s\n", len(rows), params, bytes, strings.Join(ck.Files(), ", "))
	return nil
}

// setStats records min, max, mean and standard deviation of the non-NaN values.
func (r *tensorRow) setStats(vals []float32) {
	lo, hi := math.Inf(1), math.Inf(-1)
	var sum, sumSq float64
	var n int64
	for _, v := range vals {
		x := float64(v)
		if math.IsNaN(x) {
			r.NaN++
			continue
		}
		lo, hi = min(lo, x), max(hi, x)
		sum += x
		sumSq += x * x
		n++
	}
	if n == 0 {
		return
	}
	mean := sum / float64(n)
	std := math.Sqrt(max(sumSq/float64(n)-mean*mean, 0))
	r.Min, r.Max, r.Mean, r.Std = &lo, &hi, &mean, &std
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
