package train

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/r1go/r1go/model"
	"github.com/r1go/r1go/model/safetensors"
)

// TokenizerFiles are the files of a Hugging Face tokenizer that checkpoints carry along.
var TokenizerFiles = []string{"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json", "vocab.json", "merges.txt"}

// SavePolicy writes what a checkpoint of a trained model holds into dir: the weights in
// Hugging Face layout (config.json, f32 safetensors), the tokenizer files found in
// tokenizerFrom, and the optimizer moments (OptimizerFile) with the update count.
func SavePolicy(dir string, p *Policy, tokenizerFrom string) error {
	if err := p.Params.Save(dir, safetensors.F32, 0); err != nil {
		return err
	}
	if err := CopyTokenizerFiles(tokenizerFrom, dir); err != nil {
		return err
	}
	names, _ := ParamNames(p.Params)
	mo, err := MomentsFromTensors(names, p.M, p.V)
	if err != nil {
		return err
	}
	return SaveMoments(filepath.Join(dir, OptimizerFile), mo, p.Updates)
}

// LoadPolicy is NewPolicy on the weights of a model directory; when withMoments is set (a
// checkpoint written by SavePolicy) it also restores the optimizer moments and update count.
func LoadPolicy(b backends.Backend, dir string, compute dtypes.DType, opt AdamW, withMoments bool) (*Policy, error) {
	params, err := model.Load(dir)
	if err != nil {
		return nil, err
	}
	p := NewPolicy(b, params, compute, opt)
	if withMoments {
		names, dims := ParamNames(params)
		mo, updates, err := LoadMoments(filepath.Join(dir, OptimizerFile), names, dims)
		if err != nil {
			return nil, err
		}
		p.M, p.V = mo.Tensors()
		p.Updates = updates
	}
	return p, nil
}

// ParamNames lists the parameters' Hugging Face names and shapes, in order.
func ParamNames(p *model.Params) ([]string, [][]int) {
	names := make([]string, len(p.Specs))
	dims := make([][]int, len(p.Specs))
	for i, s := range p.Specs {
		names[i], dims[i] = s.Name, s.Shape
	}
	return names, dims
}

// CopyTokenizerFiles copies the TokenizerFiles present in from into to.
func CopyTokenizerFiles(from, to string) error {
	for _, name := range TokenizerFiles {
		src, err := os.Open(filepath.Join(from, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		dst, err := os.Create(filepath.Join(to, name))
		if err != nil {
			src.Close()
			return err
		}
		_, err = io.Copy(dst, src)
		src.Close()
		if err2 := dst.Close(); err == nil {
			err = err2
		}
		if err != nil {
			return fmt.Errorf("copying %s: %w", name, err)
		}
	}
	return nil
}
