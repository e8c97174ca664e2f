package cuprof

import (
	"os"
	"strings"
	"testing"
)

// On a machine without the CUDA driver (CI), Start and Stop report it instead of failing
// silently or crashing.
func TestWithoutDriver(t *testing.T) {
	for _, dir := range []string{"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"} {
		if _, err := os.Stat(dir + "/libcuda.so.1"); err == nil {
			t.Skip("this machine has the CUDA driver")
		}
	}
	for name, f := range map[string]func() error{"Start": Start, "Stop": Stop} {
		err := f()
		if err == nil || !strings.Contains(err.Error(), "libcuda.so.1") {
			t.Errorf("%s without a driver: %v, want an error naming libcuda.so.1", name, err)
		}
	}
}
