package train

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"
)

func TestMomentsRoundTrip(t *testing.T) {
	names := []string{"model.embed_tokens.weight", "model.norm.weight"}
	shapes := [][]int{{3, 2}, {2}}
	m := []*tensors.Tensor{tensors.FromValue([][]float32{{1, 2}, {3, 4}, {5, 6}}), tensors.FromValue([]float32{-1, 0.5})}
	v := []*tensors.Tensor{tensors.FromValue([][]float32{{1e-3, 2e-3}, {3e-3, 4e-3}, {5e-3, 6e-3}}), tensors.FromValue([]float32{1e-8, 0})}
	mo, err := MomentsFromTensors(names, m, v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), OptimizerFile)
	if err := SaveMoments(path, mo, 17); err != nil {
		t.Fatal(err)
	}
	got, updates, err := LoadMoments(path, names, shapes)
	if err != nil {
		t.Fatal(err)
	}
	if updates != 17 || !reflect.DeepEqual(got, mo) {
		t.Errorf("LoadMoments = %+v (%d updates), want %+v (17)", got, updates, mo)
	}
	gm, gv := got.Tensors()
	if !reflect.DeepEqual(gm[0].Value(), m[0].Value()) || !reflect.DeepEqual(gv[1].Value(), v[1].Value()) {
		t.Errorf("Tensors() does not give back the moments")
	}

	// Loading for a different model fails with a clear error.
	tests := []struct {
		names  []string
		shapes [][]int
		want   string
	}{
		{names, [][]int{{3, 2}, {4}}, "model.norm.weight.exp_avg has shape [2] but parameter model.norm.weight has shape [4]"},
		{[]string{"model.embed_tokens.weight", "lm_head.weight"}, shapes, "no optimizer moment for parameter lm_head.weight"},
		{names[:1], shapes[:1], "4 tensors, want 2"},
	}
	for _, tc := range tests {
		_, _, err := LoadMoments(path, tc.names, tc.shapes)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadMoments(%v, %v) = %v, want an error containing %q", tc.names, tc.shapes, err, tc.want)
		}
	}
	if _, _, err := LoadMoments(filepath.Join(t.TempDir(), "absent.safetensors"), names, shapes); err == nil {
		t.Errorf("LoadMoments of a missing file succeeded")
	}
	z := ZeroMoments(names, shapes)
	if len(z.M[0]) != 6 || len(z.V[1]) != 2 || z.M[0][5] != 0 {
		t.Errorf("ZeroMoments = %+v", z)
	}
}
