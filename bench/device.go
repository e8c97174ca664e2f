package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/r1go/r1go/backend"
)

// NewBackend creates the backend for a --backend value as backend.New does, except that on XLA
// the GPU allocator does not preallocate most of the device memory (backend.NewWith): the
// device memory in use after a run is then its peak, comparable with PyTorch's caching
// allocator. noPrealloc reports whether that worked.
func NewBackend(choice string) (b backends.Backend, noPrealloc bool, err error) {
	return backend.NewWith(choice, false)
}

// DeviceMemoryUsed returns the memory in use on the GPU this process computes on (the first of
// CUDA_VISIBLE_DEVICES, else GPU 0), in bytes, as nvidia-smi reports it for the whole device.
func DeviceMemoryUsed() (int64, error) {
	gpu := "0"
	if v := os.Getenv("CUDA_VISIBLE_DEVICES"); v != "" {
		gpu = strings.Split(v, ",")[0]
	}
	out, err := exec.Command("nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", gpu).Output()
	if err != nil {
		return 0, fmt.Errorf("nvidia-smi: %w", err)
	}
	mib, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("nvidia-smi memory.used: unexpected output %q", out)
	}
	return mib << 20, nil
}
