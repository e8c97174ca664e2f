package cuda

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// On a machine without the CUDA driver (CI), Start, Stop and ComputeCapability report it
// instead of failing silently or crashing; with one, an NVIDIA GPU's capability is at least 3.0.
func TestWithoutDriver(t *testing.T) {
	major, minor, capErr := ComputeCapability(0)
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"} {
		if _, err := os.Stat(dir + "/libcuda.so.1"); err == nil {
			if capErr == nil && major < 3 {
				t.Errorf("compute capability %d.%d", major, minor)
			}
			t.Skip("this machine has the CUDA driver:", major, minor, capErr)
		}
	}
	for name, f := range map[string]func() error{"Start": Start, "Stop": Stop, "ComputeCapability": func() error { return capErr }} {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "libcuda.so.1") {
			t.Errorf("%s without a driver: %v, want an error naming libcuda.so.1", name, err)
		}
	}
}

// Summarize: the busy time is the union of the kernels' intervals (two overlapping kernels
// count once), the span runs from the first start to the last end, and families merge XLA's
// numbered instances.
func TestSummarize(t *testing.T) {
	ks := []Kernel{
		{Name: "gemm_fusion_dot_24", Start: 1000, End: 3000},
		{Name: "gemm_fusion_dot.25", Start: 2500, End: 4000}, // overlaps the first by 500
		{Name: "custom-call", Start: 6000, End: 6500},        // 2000 idle before it
		{Name: "loop_add_fusion", Start: 7000, End: 9000},
		{Name: "gemm_fusion_dot", Start: 8000, End: 8500}, // inside the previous one
	}
	s := Summarize(ks)
	if s.Kernels != 5 || s.Span != 8000 || s.Busy != 3000+500+2000 {
		t.Fatalf("kernels %d, span %d, busy %d; want 5, 8000, 5500", s.Kernels, s.Span, s.Busy)
	}
	want := []FamilyTime{{"gemm_fusion_dot", 3, 2000 + 1500 + 500}, {"loop_add_fusion", 1, 2000}, {"custom-call", 1, 500}}
	if !slices.Equal(s.Families, want) {
		t.Errorf("families %v, want %v", s.Families, want)
	}
	if want := [3]GapClass{{1, 500, 500}, {1, 2000, 2000}, {}}; s.Gaps != want { // the overlaps are no gaps
		t.Errorf("gaps %v, want %v", s.Gaps, want)
	}
	gaps := Summarize([]Kernel{{Start: 0, End: 10}, {Start: 1010, End: 1020}, {Start: 21020, End: 21030}, {Start: 21030, End: 21040}, {Start: 121040, End: 121050}}).Gaps
	if want := [3]GapClass{{1, 1000, 1000}, {0, 0, 0}, {2, 20000 + 100000, 100000}}; gaps != want { // 20 µs is long; back to back is no gap
		t.Errorf("gap classes %v, want %v", gaps, want)
	}
	if r := s.Report(2); !strings.Contains(r, "per call 4 µs") || !strings.Contains(r, "3 µs with a kernel running") || !strings.Contains(r, "1.5× gemm_fusion_dot") || !strings.Contains(r, "2-20 µs 0.5× 1 µs") {
		t.Errorf("report per 2 calls:\n%s", r)
	}
	if tl := Timeline(ks, 3); !strings.Contains(tl, "(idle   2.0 µs before)  custom-call") {
		t.Errorf("timeline:\n%s", tl)
	}
	for name, want := range map[string]string{"fusion.794": "fusion", "gemm_fusion_dot": "gemm_fusion_dot", "custom-call.24": "custom-call", "sm90_xmma_gemm_bf16": "sm90_xmma_gemm_bf16", "kernel2": "kernel2"} {
		if got := Family(name); got != want {
			t.Errorf("Family(%q) = %q, want %q", name, got, want)
		}
	}
}

// Without CUPTI the trace says where it looked.
func TestTraceWithoutCUPTI(t *testing.T) {
	t.Setenv("R1GO_CUPTI", "/nonexistent/libcupti.so")
	if err := StartTrace(); err == nil || !strings.Contains(err.Error(), "/nonexistent/libcupti.so") {
		t.Errorf("StartTrace with a missing library: %v, want an error naming it", err)
	}
}

// Stopping a trace whose start failed is an error, not a crash.
func TestStopTraceNotStarted(t *testing.T) {
	t.Setenv("R1GO_CUPTI", "/nonexistent/libcupti.so")
	if StartTrace() == nil {
		t.Fatal("StartTrace with a missing library succeeded")
	}
	if _, err := StopTrace(); err == nil || !strings.Contains(err.Error(), "not started") {
		t.Errorf("StopTrace without a started trace: %v", err)
	}
}
