package model

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/r1go/r1go/model/safetensors"
)

// Load reads a Hugging Face model directory: config.json and model.safetensors (or a sharded
// model.safetensors.index.json). Weights of any float dtype become f32 masters. A tensor that
// is missing, has the wrong shape, or is not part of the configured model is an error naming
// the file and the tensor.
func Load(dir string) (*Params, error) {
	c, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	ck, err := safetensors.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	defer ck.Close()
	specs := c.ParamSpecs()
	p := &Params{Config: c, Specs: specs, Tensors: make([]*tensors.Tensor, len(specs))}
	want := map[string]bool{}
	for i, s := range specs {
		want[s.Name] = true
		t, err := ck.Tensor(s.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (config.json and the weights disagree?)", dir, err)
		}
		if !slices.Equal(t.Shape, s.Shape) {
			return nil, fmt.Errorf("%s: tensor %s has shape %v, config.json implies %v", dir, s.Name, t.Shape, s.Shape)
		}
		vals, err := t.Float32s()
		if err != nil {
			return nil, fmt.Errorf("%s: tensor %s: %w", dir, s.Name, err)
		}
		p.Tensors[i] = tensors.FromFlatDataAndDimensions(vals, s.Shape...)
	}
	for _, name := range ck.Names() {
		switch {
		case want[name]:
		case strings.HasSuffix(name, "rotary_emb.inv_freq"): // older checkpoints store it; it is derived
		case name == nameLMHead && c.TieWordEmbeddings: // some tied checkpoints keep a copy
		default:
			return nil, fmt.Errorf("%s: tensor %s is not part of a %s model with this config.json", dir, name, c.ModelType)
		}
	}
	return p, nil
}

// Save writes config.json and the weights (model.safetensors, sharded above maxShardBytes when
// that is positive) in dtype ("F32", "BF16" or "F16") into dir, creating it. Each file is
// written to a temporary name and renamed, weights before config.json.
func (p *Params) Save(dir string, dtype safetensors.DType, maxShardBytes int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ts := make([]safetensors.Tensor, len(p.Specs))
	for i, s := range p.Specs {
		var vals []float32
		p.Tensors[i].ConstFlatData(func(flat any) { vals = flat.([]float32) })
		t, err := safetensors.FromFloat32s(s.Name, s.Shape, vals, dtype)
		if err != nil {
			return fmt.Errorf("saving %s: %w", s.Name, err)
		}
		ts[i] = t
	}
	if err := safetensors.WriteDir(dir, ts, map[string]string{"format": "pt"}, maxShardBytes); err != nil {
		return err
	}
	cfg := *p.Config
	cfg.TorchDType = map[safetensors.DType]string{safetensors.F32: "float32", safetensors.BF16: "bfloat16", safetensors.F16: "float16"}[dtype]
	b, err := cfg.JSON()
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "config.json"), b)
}

// writeFileAtomic writes b to a temporary file beside path, syncs it and renames it to path.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes 0600 files
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
