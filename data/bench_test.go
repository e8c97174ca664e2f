package data

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoadGSM8KTrain loads GSM8K train (7,473 rows, 3.9 MB) with layout detection
// and #### answer extraction. Besides wall time it reports the process CPU time per
// load (cpu-ms/op), which stays meaningful on a shared, loaded machine. The peer is
// testdata/bench_load.py (Python's json module doing the same work); see BENCHMARKS.md.
func BenchmarkLoadGSM8KTrain(b *testing.B) {
	path := ""
	for _, p := range []string{"../../shared/data/gsm8k/train.jsonl", "/work/shared/data/gsm8k/train.jsonl"} {
		if _, err := Load(p, Mapping{}); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		b.Skip("skipping: gsm8k/train.jsonl not found under ../shared/data")
	}
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		exs, err := Load(path, Mapping{})
		if err != nil || len(exs) != 7473 {
			b.Fatalf("%d rows, %v", len(exs), err)
		}
		n++
	}
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/1e3/float64(n), "cpu-ms/op")
}

// cpuTime returns the user + system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
