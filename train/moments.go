package train

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/r1go/r1go/model/safetensors"
)

// Moments are AdamW's first and second moments of every parameter, parallel to the
// model's parameter list, as host f32 data.
type Moments struct {
	Names  []string    // the parameters' Hugging Face names
	Shapes [][]int     // the parameters' shapes
	M, V   [][]float32 // first and second moments, row-major
}

// momentNames are the tensor names of a parameter's moments in OptimizerFile: PyTorch's
// AdamW state names (exp_avg, exp_avg_sq) after the parameter name.
func momentNames(param string) (m, v string) { return param + ".exp_avg", param + ".exp_avg_sq" }

// MomentsFromTensors copies moments computed on a device (the m and v outputs of a
// training step) to the host.
func MomentsFromTensors(names []string, m, v []*tensors.Tensor) (Moments, error) {
	if len(m) != len(names) || len(v) != len(names) {
		return Moments{}, fmt.Errorf("moments: %d names, %d first and %d second moments", len(names), len(m), len(v))
	}
	mo := Moments{Names: slices.Clone(names)}
	for i := range names {
		if m[i].DType() != dtypes.Float32 || v[i].DType() != dtypes.Float32 {
			return Moments{}, fmt.Errorf("moments of %s: dtypes %s and %s, want float32", names[i], m[i].DType(), v[i].DType())
		}
		if !slices.Equal(m[i].Shape().Dimensions, v[i].Shape().Dimensions) {
			return Moments{}, fmt.Errorf("moments of %s: shapes %v and %v differ", names[i], m[i].Shape().Dimensions, v[i].Shape().Dimensions)
		}
		mi, err := tensors.CopyFlatData[float32](m[i])
		if err != nil {
			return Moments{}, fmt.Errorf("moments of %s: %w", names[i], err)
		}
		vi, err := tensors.CopyFlatData[float32](v[i])
		if err != nil {
			return Moments{}, fmt.Errorf("moments of %s: %w", names[i], err)
		}
		mo.Shapes = append(mo.Shapes, slices.Clone(m[i].Shape().Dimensions))
		mo.M, mo.V = append(mo.M, mi), append(mo.V, vi)
	}
	return mo, nil
}

// Tensors returns the moments as GoMLX host tensors, ready to feed a training step.
func (mo Moments) Tensors() (m, v []*tensors.Tensor) {
	for i := range mo.Names {
		m = append(m, tensors.FromFlatDataAndDimensions(slices.Clone(mo.M[i]), mo.Shapes[i]...))
		v = append(v, tensors.FromFlatDataAndDimensions(slices.Clone(mo.V[i]), mo.Shapes[i]...))
	}
	return m, v
}

// ZeroMoments returns zero moments for parameters of the given names and shapes (the
// state of a fresh optimizer).
func ZeroMoments(names []string, shapes [][]int) Moments {
	mo := Moments{Names: slices.Clone(names)}
	for _, s := range shapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		mo.Shapes = append(mo.Shapes, slices.Clone(s))
		mo.M, mo.V = append(mo.M, make([]float32, n)), append(mo.V, make([]float32, n))
	}
	return mo
}

// SaveMoments writes the moments to a safetensors file (atomically), as F32 tensors named
// "<param>.exp_avg" and "<param>.exp_avg_sq"; the metadata records the optimizer and the
// number of updates made.
func SaveMoments(path string, mo Moments, updates int) error {
	if len(mo.Shapes) != len(mo.Names) || len(mo.M) != len(mo.Names) || len(mo.V) != len(mo.Names) {
		return fmt.Errorf("saving optimizer state %s: %d names, %d shapes, %d and %d moments", path, len(mo.Names), len(mo.Shapes), len(mo.M), len(mo.V))
	}
	ts := make([]safetensors.Tensor, 0, 2*len(mo.Names))
	for i, name := range mo.Names {
		mn, vn := momentNames(name)
		for _, x := range []struct {
			name string
			data []float32
		}{{mn, mo.M[i]}, {vn, mo.V[i]}} {
			t, err := safetensors.FromFloat32s(x.name, mo.Shapes[i], x.data, safetensors.F32)
			if err != nil {
				return fmt.Errorf("saving optimizer state %s: %w", path, err)
			}
			ts = append(ts, t)
		}
	}
	meta := map[string]string{"format": "pt", "optimizer": "adamw", "updates": strconv.Itoa(updates)}
	if err := safetensors.WriteFile(path, ts, meta); err != nil {
		return fmt.Errorf("saving optimizer state: %w", err)
	}
	return nil
}

// LoadMoments reads moments saved by SaveMoments for the parameters of the given names
// and shapes, in that order. A missing parameter or a shape that differs from the
// model's is an error naming the file and the parameter. It also returns the number of
// updates recorded in the file.
func LoadMoments(path string, names []string, shapes [][]int) (Moments, int, error) {
	if len(shapes) != len(names) {
		return Moments{}, 0, fmt.Errorf("loading optimizer state %s: %d names and %d shapes", path, len(names), len(shapes))
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return Moments{}, 0, fmt.Errorf("loading optimizer state: %w", err)
	}
	defer f.Close()
	updates, err := strconv.Atoi(f.Metadata()["updates"])
	if err != nil {
		return Moments{}, 0, fmt.Errorf("%s: metadata \"updates\" = %q is not a number: not an r1go optimizer state", path, f.Metadata()["updates"])
	}
	if want := 2 * len(names); f.Len() != want {
		return Moments{}, 0, fmt.Errorf("%s: %d tensors, want %d (first and second moments of %d parameters): the optimizer state belongs to another model", path, f.Len(), want, len(names))
	}
	mo := Moments{Names: slices.Clone(names)}
	for i, name := range names {
		mn, vn := momentNames(name)
		var pair [2][]float32
		for k, tn := range []string{mn, vn} {
			info, err := f.Info(tn)
			if err != nil {
				return Moments{}, 0, fmt.Errorf("%s: no optimizer moment for parameter %s: %w", path, name, err)
			}
			if info.DType != safetensors.F32 {
				return Moments{}, 0, fmt.Errorf("%s: %s has dtype %s, want F32", path, tn, info.DType)
			}
			if !slices.Equal(info.Shape, shapes[i]) {
				return Moments{}, 0, fmt.Errorf("%s: %s has shape %v but parameter %s has shape %v: the optimizer state belongs to another model", path, tn, info.Shape, name, shapes[i])
			}
			pair[k], err = f.Float32s(tn)
			if err != nil {
				return Moments{}, 0, fmt.Errorf("%s: %w", path, err)
			}
		}
		mo.Shapes = append(mo.Shapes, slices.Clone(shapes[i]))
		mo.M, mo.V = append(mo.M, pair[0]), append(mo.V, pair[1])
	}
	return mo, updates, nil
}
