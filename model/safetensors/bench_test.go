package safetensors

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
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

// selfCPU is the CPU time (user + system, all threads) this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs op b.N times and reports, besides wall-clock MB/s, MB per CPU-second: on a shared
// machine the wall clock also measures the neighbours, the CPU time only this work. op returns
// the CPU time spent outside this process (by a child), if any.
func measure(b *testing.B, size int64, op func() time.Duration) {
	b.SetBytes(size)
	var child time.Duration
	start := selfCPU()
	for b.Loop() {
		child += op()
	}
	cpu := selfCPU() - start + child
	b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
}

// runPeer runs a command with stdout to /dev/null and returns its CPU time.
func runPeer(b *testing.B, name string, args ...string) time.Duration {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	cmd := exec.Command(name, args...)
	cmd.Stdout = devnull
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// BenchmarkRead reads a 512 MiB safetensors file several ways, side by side with cat and dd
// reading the same (page-cached) file in the same run. MB/s is file bytes per wall second,
// MB/cpu-s per CPU second (of this process, or of the cat/dd child).
//
//	go test -run '^$' -bench BenchmarkRead -benchtime 5x ./model/safetensors/
func BenchmarkRead(b *testing.B) {
	path, size := benchFile(b)
	b.Run("Tensors", func(b *testing.B) { // open, parse, read every tensor into its own new buffer
		measure(b, size, func() time.Duration {
			f, err := ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Tensors(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			return 0
		})
	})
	b.Run("ReadData", func(b *testing.B) { // read every tensor into one reused buffer
		buf := make([]byte, benchRows*benchCols*2)
		measure(b, size, func() time.Duration {
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
			return 0
		})
	})
	b.Run("ReadFloat32s", func(b *testing.B) { // BF16 widened to float32 into one reused buffer
		vals := make([]float32, benchRows*benchCols)
		measure(b, size, func() time.Duration {
			f, err := ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			for _, name := range f.Names() {
				if err := f.ReadFloat32s(name, vals); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
			return 0
		})
	})
	b.Run("cat", func(b *testing.B) {
		measure(b, size, func() time.Duration { return runPeer(b, "cat", path) })
	})
	b.Run("dd", func(b *testing.B) {
		measure(b, size, func() time.Duration { return runPeer(b, "dd", "if="+path, "of=/dev/null", "bs=4M", "status=none") })
	})
}

// BenchmarkWrite writes the same 512 MiB file with WriteFile (temp file, fsync, rename) side
// by side with dd copying the cached file with conv=fsync.
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
	// One untimed write of each kind first: the first large write after the benchmark file was
	// made pays for page-cache reclaim and is several times slower whichever writer does it.
	if err := WriteFile(out, ts, nil); err != nil {
		b.Fatal(err)
	}
	runPeer(b, "dd", "if="+path, "of="+out, "bs=4M", "conv=fsync", "status=none")
	b.Run("WriteFile", func(b *testing.B) {
		measure(b, size, func() time.Duration {
			if err := WriteFile(out, ts, map[string]string{"format": "pt"}); err != nil {
				b.Fatal(err)
			}
			return 0
		})
	})
	b.Run("dd", func(b *testing.B) {
		measure(b, size, func() time.Duration {
			return runPeer(b, "dd", "if="+path, "of="+out, "bs=4M", "conv=fsync", "status=none")
		})
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
