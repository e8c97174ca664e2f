package safetensors

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Benchmark sizes: 128 BF16 tensors of [2048, 1024] (4 MiB each), 512 MiB in all, about the
// weight bytes of Qwen2.5-0.5B in bf16 (~990 MB) halved to fit CI-class machines.
const (
	benchTensors = 128
	benchRows    = 2048
	benchCols    = 1024
)

// benchFile writes the benchmark checkpoint once per benchmark (in $ST_BENCH_DIR when set,
// else a temporary directory), reads it once so every variant starts from a warm page cache,
// and returns its path and size.
func benchFile(b *testing.B) (string, int64) {
	b.Helper()
	dir := os.Getenv("ST_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, "bench.safetensors")
	if st, err := os.Stat(path); err != nil || st.Size() < benchTensors*benchRows*benchCols*2 {
		ts := make([]Tensor, benchTensors)
		data := make([]byte, benchRows*benchCols*2)
		for i := range data {
			data[i] = byte(i*7 + i>>11)
		}
		for i := range ts {
			ts[i] = Tensor{Name: "model.layers." + strconv.Itoa(i) + ".weight", DType: BF16, Shape: []int{benchRows, benchCols}, Data: data}
		}
		if err := WriteFile(path, ts, map[string]string{"format": "pt"}); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := exec.Command("cat", path).Run(); err != nil { // warm the page cache
		b.Fatal(err)
	}
	return path, st.Size()
}

// BenchmarkRead reads a 512 MiB safetensors file several ways, side by side with cat and dd
// reading the same (page-cached) file in the same run; MB/s is file bytes per second.
//
//	go test -run '^$' -bench BenchmarkRead -benchtime 5x ./model/safetensors/
func BenchmarkRead(b *testing.B) {
	path, size := benchFile(b)
	b.Run("Tensors", func(b *testing.B) { // open, parse, read every tensor into its own new buffer
		b.SetBytes(size)
		for b.Loop() {
			f, err := ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Tensors(); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
	b.Run("ReadData", func(b *testing.B) { // read every tensor into one reused buffer
		b.SetBytes(size)
		buf := make([]byte, benchRows*benchCols*2)
		for b.Loop() {
			f, err := ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			for _, name := range f.Names() {
				if err := f.ReadData(name, buf); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
		}
	})
	b.Run("ReadDataBF16toF32", func(b *testing.B) { // as ReadData, then widen to float32
		b.SetBytes(size)
		buf := make([]byte, benchRows*benchCols*2)
		vals := make([]float32, benchRows*benchCols)
		for b.Loop() {
			f, err := ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			for _, name := range f.Names() {
				if err := f.ReadData(name, buf); err != nil {
					b.Fatal(err)
				}
				if err := DecodeFloat32s(vals, BF16, buf); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
		}
	})
	for _, peer := range []struct{ name, cmd string }{
		{"cat", "cat " + path + " > /dev/null"},
		{"dd", "dd if=" + path + " of=/dev/null bs=4M status=none"},
	} {
		b.Run(peer.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				if out, err := exec.Command("sh", "-c", peer.cmd).CombinedOutput(); err != nil {
					b.Fatalf("%s: %v\n%s", peer.cmd, err, out)
				}
			}
		})
	}
}

// BenchmarkWrite writes the same 512 MiB file with WriteFile (temp file, fsync, rename) side
// by side with dd writing as many bytes with conv=fsync.
//
//	go test -run '^$' -bench BenchmarkWrite -benchtime 3x ./model/safetensors/
func BenchmarkWrite(b *testing.B) {
	path, size := benchFile(b)
	f, err := ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := f.Tensors()
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(path), "written.safetensors")
	b.Cleanup(func() { os.Remove(out) })
	b.Run("WriteFile", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if err := WriteFile(out, ts, map[string]string{"format": "pt"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("dd", func(b *testing.B) {
		b.SetBytes(size)
		cmd := "dd if=" + path + " of=" + out + " bs=4M conv=fsync status=none"
		for b.Loop() {
			if msg, err := exec.Command("sh", "-c", cmd).CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", cmd, err, msg)
			}
		}
	})
}

// BenchmarkConvert measures the float conversions on 1 Mi elements (MB/s of 16-bit input or
// output bytes).
//
//	go test -run '^$' -bench BenchmarkConvert ./model/safetensors/
func BenchmarkConvert(b *testing.B) {
	const n = 1 << 20
	vals := make([]float32, n)
	for i := range vals {
		vals[i] = float32(i%1000) * 0.001
	}
	half := make([]byte, 2*n)
	for _, dt := range []DType{BF16, F16} {
		b.Run("decode"+string(dt), func(b *testing.B) {
			b.SetBytes(2 * n)
			for b.Loop() {
				if err := DecodeFloat32s(vals, dt, half); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("encode"+string(dt), func(b *testing.B) {
			b.SetBytes(2 * n)
			for b.Loop() {
				if err := EncodeFloat32s(half, dt, vals); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
