//go:build !unix

package mathverify

// cpuSeconds is unavailable here; the benchmark then skips its per-CPU-second metric.
func cpuSeconds() float64 { return 0 }
