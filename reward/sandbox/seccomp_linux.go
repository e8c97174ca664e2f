package sandbox

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// The seccomp filter (classic BPF, loaded by bwrap --seccomp) refuses, with EPERM, the
// system calls a solution to a programming problem never needs and an escape or a
// denial of service would: new namespaces (unshare, setns, clone with CLONE_NEW*),
// mounts, ptrace and cross-process memory access, kernel keyrings, BPF, perf events,
// userfaultfd, io_uring, module and kexec loading, clock and host-name changes.
// clone3 gets ENOSYS so that the C library falls back to clone, whose flags the filter
// can inspect. A call from another ABI (x32, a foreign architecture) kills the process.

// Classic BPF opcodes and seccomp constants.
const (
	bpfLdAbsW  = 0x20 // BPF_LD | BPF_W | BPF_ABS
	bpfJeqK    = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	bpfJgeK    = 0x35 // BPF_JMP | BPF_JGE | BPF_K
	bpfJsetK   = 0x45 // BPF_JMP | BPF_JSET | BPF_K
	bpfRetK    = 0x06 // BPF_RET | BPF_K
	retAllow   = 0x7fff0000
	offsetNr   = 0  // seccomp_data.nr
	offsetArch = 4  // seccomp_data.arch
	offsetArg0 = 16 // low 32 bits of seccomp_data.args[0] (little endian)
)

// cloneNamespaceFlags are the clone flags that create namespaces.
const cloneNamespaceFlags = unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
	unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

type bpfInsn struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

// seccompFilter returns the filter as struct sock_filter bytes, or nil when this
// architecture has no filter.
func seccompFilter() []byte {
	if seccompArch == 0 {
		return nil
	}
	// Layout: checks, then four return instructions at the end.
	var prog []bpfInsn
	type jump struct {
		at     int
		jt, jf int // targets: index of a return (negative: retAllow=-1, eperm=-2, enosys=-3, kill=-4), or 0 for next
	}
	var jumps []jump
	emit := func(code uint16, k uint32, jt, jf int) {
		jumps = append(jumps, jump{len(prog), jt, jf})
		prog = append(prog, bpfInsn{code: code, k: k})
	}
	const next, allow, eperm, enosys, kill = 0, -1, -2, -3, -4
	emit(bpfLdAbsW, offsetArch, next, next)
	emit(bpfJeqK, seccompArch, next, kill)
	emit(bpfLdAbsW, offsetNr, next, next)
	if seccompX32Bit != 0 {
		emit(bpfJgeK, seccompX32Bit, kill, next)
	}
	for _, nr := range deniedSyscalls {
		emit(bpfJeqK, uint32(nr), eperm, next)
	}
	emit(bpfJeqK, uint32(unix.SYS_CLONE3), enosys, next)
	emit(bpfJeqK, uint32(unix.SYS_CLONE), next, allow)
	emit(bpfLdAbsW, offsetArg0, next, next)
	emit(bpfJsetK, cloneNamespaceFlags, eperm, allow)
	rets := len(prog)
	prog = append(prog,
		bpfInsn{code: bpfRetK, k: retAllow},
		bpfInsn{code: bpfRetK, k: unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		bpfInsn{code: bpfRetK, k: unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		bpfInsn{code: bpfRetK, k: unix.SECCOMP_RET_KILL_PROCESS},
	)
	target := func(at, t int) uint8 {
		if t == next {
			return 0
		}
		return uint8(rets + (-t - 1) - (at + 1))
	}
	for _, j := range jumps {
		prog[j.at].jt = target(j.at, j.jt)
		prog[j.at].jf = target(j.at, j.jf)
	}
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		out = binary.LittleEndian.AppendUint16(out, in.code)
		out = append(out, in.jt, in.jf)
		out = binary.LittleEndian.AppendUint32(out, in.k)
	}
	return out
}
