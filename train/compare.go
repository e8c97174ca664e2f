package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"reflect"
	"sort"
)

// CompareLogs reports the first difference between two JSONL logs (metrics.jsonl of an
// uninterrupted run and of a killed and resumed one), or nil when they hold the same
// records. Keys matching one of the ignore patterns (path.Match globs such as "time_*"
// or "*_per_s": wall-clock timings and throughputs, which no rerun reproduces) are left
// out; every other value must be identical, numbers digit for digit.
func CompareLogs(pathA, pathB string, ignore ...string) error {
	a, err := readRecords(pathA, ignore)
	if err != nil {
		return err
	}
	b, err := readRecords(pathB, ignore)
	if err != nil {
		return err
	}
	for i := 0; i < min(len(a), len(b)); i++ {
		if reflect.DeepEqual(a[i], b[i]) {
			continue
		}
		keys := map[string]bool{}
		for k := range a[i] {
			keys[k] = true
		}
		for k := range b[i] {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			va, okA := a[i][k]
			vb, okB := b[i][k]
			if okA != okB || !reflect.DeepEqual(va, vb) {
				return fmt.Errorf("line %d differs at key %q: %s has %s, %s has %s", i+1, k, pathA, show(va, okA), pathB, show(vb, okB))
			}
		}
	}
	if len(a) != len(b) {
		return fmt.Errorf("%s has %d lines, %s has %d", pathA, len(a), pathB, len(b))
	}
	return nil
}

func show(v any, ok bool) string {
	if !ok {
		return "no such key"
	}
	js, _ := json.Marshal(v)
	return string(js)
}

// readRecords decodes a JSONL file keeping numbers as written and dropping ignored keys.
func readRecords(file string, ignore []string) ([]map[string]any, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("comparing logs: %w", err)
	}
	var out []map[string]any
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, i+1, err)
		}
		for k := range rec {
			for _, pat := range ignore {
				if ok, _ := path.Match(pat, k); ok {
					delete(rec, k)
					break
				}
			}
		}
		out = append(out, rec)
	}
	return out, nil
}
