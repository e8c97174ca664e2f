package safetensors_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/r1go/r1go/model/safetensors"
)

// Write two tensors, one of them converted to bfloat16, and read them back.
func Example() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	w, err := safetensors.FromFloat32s("lm_head.weight", []int{2, 3}, []float32{0.1, 0.2, 0.3, -1, 2.5, 1e-3}, safetensors.BF16)
	if err != nil {
		log.Fatal(err)
	}
	ids, err := safetensors.FromInt64s("position_ids", []int{4}, []int64{0, 1, 2, 3}, safetensors.I64)
	if err != nil {
		log.Fatal(err)
	}
	if err := safetensors.WriteFile(path, []safetensors.Tensor{w, ids}, map[string]string{"format": "pt"}); err != nil {
		log.Fatal(err)
	}

	f, err := safetensors.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	for _, in := range f.Infos() {
		fmt.Println(in.Name, in.DType, in.Shape, in.Begin, in.End)
	}
	vals, err := f.Float32s("lm_head.weight")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(vals, f.Metadata())
	// Output:
	// position_ids I64 [4] 0 32
	// lm_head.weight BF16 [2 3] 32 44
	// [0.100097656 0.20019531 0.30078125 -1 2.5 0.0009994507] map[format:pt]
}

// Write a checkpoint split into shards of at most 1 KiB of tensor data, then open it.
func ExampleWriteDir() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	var ts []safetensors.Tensor
	for i := range 3 {
		t, err := safetensors.FromFloat32s(fmt.Sprintf("model.layers.%d.mlp.up_proj.weight", i), []int{16, 16}, make([]float32, 256), safetensors.F32)
		if err != nil {
			log.Fatal(err)
		}
		ts = append(ts, t)
	}
	if err := safetensors.WriteDir(dir, ts, map[string]string{"format": "pt"}, 1024); err != nil {
		log.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fmt.Println(e.Name())
	}
	c, err := safetensors.OpenDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	info, err := c.Info("model.layers.2.mlp.up_proj.weight")
	fmt.Println(c.Sharded(), len(c.Names()), info.Shape, err)
	// Output:
	// model-00001-of-00003.safetensors
	// model-00002-of-00003.safetensors
	// model-00003-of-00003.safetensors
	// model.safetensors.index.json
	// true 3 [16 16] <nil>
}
