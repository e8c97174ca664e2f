//go:build !unix

package reward

// cpuSeconds is unavailable here; benchmarks then skip their per-CPU-second metric.
func cpuSeconds() float64 { return 0 }
