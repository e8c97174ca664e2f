package bench

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

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
