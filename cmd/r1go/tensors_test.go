package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/r1go/r1go/model/safetensors"
)

func TestListTensors(t *testing.T) {
	dir := t.TempDir()
	w, err := safetensors.FromFloat32s("w", []int{2, 2}, []float32{1, 2, 3, float32(math.NaN())}, safetensors.BF16)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := safetensors.FromInt64s("ids", []int{3}, []int64{1, 2, 3}, safetensors.I64)
	if err != nil {
		t.Fatal(err)
	}
	if err := safetensors.WriteDir(dir, []safetensors.Tensor{w, ids}, nil, 10); err != nil { // two shards
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := listTensors(&out, dir, true, false); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		"ids   I64    [3]                           24",
		// 1, 2, 3 and a NaN: min 1, max 3, mean 2, population std sqrt(2/3).
		"w     BF16   [2, 2]                         8             1             3             2        0.8165  (1 NaN)",
		"2 tensors, 7 parameters, 32 bytes in ",
		filepath.Join(dir, "model-00001-of-00002.safetensors"),
		filepath.Join(dir, "model-00002-of-00002.safetensors"),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	out.Reset()
	if err := listTensors(&out, filepath.Join(dir, "model-00001-of-00002.safetensors"), true, true); err != nil {
		t.Fatal(err)
	}
	var row tensorRow
	if err := json.Unmarshal(out.Bytes(), &row); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if row.Name != "w" || row.DType != "BF16" || row.Bytes != 8 || row.Mean == nil || *row.Mean != 2 || row.NaN != 1 {
		t.Errorf("JSON row = %+v", row)
	}
	err = listTensors(&out, filepath.Join(dir, "nope"), false, false)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing path: %v", err)
	}
}
