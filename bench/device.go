package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/xla"
	"github.com/r1go/r1go/backend"
	"github.com/r1go/r1go/internal/guard"
)

// NewBackend creates the backend for a --backend value as backend.New does, except that on XLA
// the GPU allocator does not preallocate most of the device memory (the PJRT client option
// preallocate=false): its pool then grows to what the run needs and never shrinks, so the
// device memory in use after a run is its peak, comparable with PyTorch's caching allocator.
// noPrealloc reports whether that worked; when the plugin refuses the option, the backend is
// created with its defaults.
func NewBackend(choice string) (b backends.Backend, noPrealloc bool, err error) {
	cfg, err := backend.Resolve(choice)
	if err != nil {
		return nil, false, err
	}
	name, plugin, _ := strings.Cut(cfg, ":")
	if name != "xla" {
		b, err := backend.New(choice)
		return b, false, err
	}
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	if os.Getenv("GOPJRT_CUDA_CHECKS") == "" {
		os.Setenv("GOPJRT_CUDA_CHECKS", "0")
	}
	var xb backends.Backend
	var newErr error
	if err := guard.Run(func() {
		xb, newErr = xla.NewWithOptions(plugin, pjrt.NamedValuesMap{"preallocate": false})
	}); err != nil {
		newErr = err
	}
	if newErr == nil {
		return xb, true, nil
	}
	fmt.Fprintf(os.Stderr, "r1go bench: the PJRT plugin refused preallocate=false (%v); using its defaults, peak memory will not be reported\n", newErr)
	b, err = backend.New(choice)
	return b, false, err
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
