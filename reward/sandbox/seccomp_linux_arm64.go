package sandbox

import "golang.org/x/sys/unix"

const (
	seccompArch   = unix.AUDIT_ARCH_AARCH64
	seccompX32Bit = 0
)

var deniedSyscalls = commonDenied
