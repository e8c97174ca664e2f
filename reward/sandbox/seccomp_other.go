//go:build linux && !amd64 && !arm64

package sandbox

const (
	seccompArch   = 0 // no filter on this architecture
	seccompX32Bit = 0
)

var deniedSyscalls []int
