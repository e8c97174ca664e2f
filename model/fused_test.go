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
	data, err := os.ReadFile("testdata/jax_cudnn_fmha.txt")
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
		t.Fatalf("%d custom calls in the fixture, want 3 (inference forward, training forward, backward)", len(calls))
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
		{"forward", calls[1], false, []hloedit.Raw{l4, l4, l4}, []hloedit.Raw{bnth, l3, l1}},
		{"backward", calls[2], true, []hloedit.Raw{l4, l4, l4, l3, l4, l4}, []hloedit.Raw{bnth, bnth, bnth, l1}},
	} {
		m := re.FindStringSubmatch(tc.jax)
		if m == nil {
			t.Fatalf("%s: fixture line not understood", tc.name)
		}
		ours := fmhaAttributes(tc.backward, 2, 14, 256, 256, dtypes.BFloat16, 0.125, tc.ops, tc.res)
		if got := ours["call_target_name"]; got != m[1] {
			t.Errorf("%s: target %v, JAX %s", tc.name, got, m[1])
		}
		var want, got any
		if err := json.Unmarshal([]byte(strings.ReplaceAll(m[2], `\22`, `"`)), &want); err != nil {
			t.Fatalf("%s: JAX backend config: %v", tc.name, err)
		}
		if err := json.Unmarshal([]byte(ours["backend_config"].(string)), &got); err != nil {
			t.Fatalf("%s: our backend config: %v", tc.name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: backend config differs\n ours %v\n JAX  %v", tc.name, got, want)
		}
		if got := string(ours["operand_layouts"].(hloedit.Raw)); got != m[3] {
			t.Errorf("%s: operand layouts %s, JAX %s", tc.name, got, m[3])
		}
		if got := string(ours["result_layouts"].(hloedit.Raw)); got != m[4] {
			t.Errorf("%s: result layouts %s, JAX %s", tc.name, got, m[4])
		}
	}
}
