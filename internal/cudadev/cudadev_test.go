package cudadev

import (
	"os"
	"strings"
	"testing"
)

// Without the CUDA driver (CI) the query says so instead of crashing; with one, an NVIDIA
// GPU's capability is at least 3.0.
func TestComputeCapability(t *testing.T) {
	major, minor, err := ComputeCapability(0)
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"} {
		if _, statErr := os.Stat(dir + "/libcuda.so.1"); statErr == nil {
			if err == nil && major < 3 {
				t.Errorf("compute capability %d.%d", major, minor)
			}
			t.Skip("this machine has the CUDA driver:", major, minor, err)
		}
	}
	if err == nil || !strings.Contains(err.Error(), "libcuda.so.1") {
		t.Errorf("without a driver: %d.%d, %v; want an error naming libcuda.so.1", major, minor, err)
	}
}
