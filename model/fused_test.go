package model

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/internal/hloedit"
)

// The custom calls r1go writes for cuDNN attention carry the same target, backend config and
// layouts as JAX's (testdata/jax_cudnn_fmha.txt, printed by JAX on an H200): XLA rejects a
// backend config with a field it does not know, and a wrong dimension number or layout would
// compute something else. The GPU itself checks the values: with and without fused attention
// `r1go bench train` gives the same losses (BENCHMARKS.md).
func TestFusedAttentionMatchesJAX(t *testing.T) {
	l2 := hloedit.DefaultLayout(2)
	checkAgainstJAX(t, "testdata/jax_cudnn_fmha.txt", 0, nil)
	// Packed rows (up to 3 examples per row): four more operands, the segment lengths twice
	// and the segment starts twice.
	checkAgainstJAX(t, "testdata/jax_cudnn_fmha_packed.txt", 3, []hloedit.Raw{l2, l2, l2, l2})
}

// checkAgainstJAX compares fmhaAttributes with the forward (training) and backward custom
// calls of a fixture written by JAX for B=2, T=256, 14 heads, scale 0.125.
func checkAgainstJAX(t *testing.T, fixture string, segments int, segLayouts []hloedit.Raw) {
	t.Helper()
	data, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "stablehlo.custom_call") {
			calls = append(calls, l)
		}
	}
	if len(calls) != 3 {
		t.Fatalf("%s: %d custom calls, want 3 (inference forward, training forward, backward)", fixture, len(calls))
	}
	re := regexp.MustCompile(`custom_call @(\S+)\(.*backend_config = "(.*)", operand_layouts = (\[.*\]), result_layouts = (\[.*\])\} :`)
	l4, l3, l1 := hloedit.DefaultLayout(4), hloedit.DefaultLayout(3), hloedit.DefaultLayout(1)
	bnth := hloedit.Layout(3, 1, 2, 0)
	for _, tc := range []struct {
		name     string
		jax      string
		backward bool
		ops, res []hloedit.Raw
	}{
		{"forward", calls[1], false, append([]hloedit.Raw{l4, l4, l4}, segLayouts...), []hloedit.Raw{bnth, l3, l1}},
		{"backward", calls[2], true, append([]hloedit.Raw{l4, l4, l4, l3, l4, l4}, segLayouts...), []hloedit.Raw{bnth, bnth, bnth, l1}},
	} {
		m := re.FindStringSubmatch(tc.jax)
		if m == nil {
			t.Fatalf("%s %s: fixture line not understood", fixture, tc.name)
		}
		ours := fmhaAttributes(tc.backward, 2, 14, 256, 256, dtypes.BFloat16, 0.125, segments, tc.ops, tc.res)
		if got := ours["call_target_name"]; got != m[1] {
			t.Errorf("%s %s: target %v, JAX %s", fixture, tc.name, got, m[1])
		}
		var want, got any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(m[2], `\22`, `"`)), &want); err != nil {
			t.Fatalf("%s %s: JAX backend config: %v", fixture, tc.name, err)
		}
		if err := json.Unmarshal([]byte(ours["backend_config"].(string)), &got); err != nil {
			t.Fatalf("%s %s: our backend config: %v", fixture, tc.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s: backend config differs\n ours %v\n JAX  %v", fixture, tc.name, got, want)
		}
		if got := string(ours["operand_layouts"].(hloedit.Raw)); got != m[3] {
			t.Errorf("%s %s: operand layouts %s, JAX %s", fixture, tc.name, got, m[3])
		}
		if got := string(ours["result_layouts"].(hloedit.Raw)); got != m[4] {
			t.Errorf("%s %s: result layouts %s, JAX %s", fixture, tc.name, got, m[4])
		}
	}
}
