package sandbox

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// runBPF interprets the few classic BPF instructions seccompFilter emits over a
// seccomp_data record, as the kernel would, and returns the filter's verdict.
func runBPF(t *testing.T, prog []byte, nr int, arch uint32, arg0 uint64) uint32 {
	t.Helper()
	data := make([]byte, 64)
	binary.LittleEndian.PutUint32(data[0:], uint32(nr))
	binary.LittleEndian.PutUint32(data[4:], arch)
	binary.LittleEndian.PutUint64(data[16:], arg0)
	if len(prog)%8 != 0 || len(prog)/8 > 4096 {
		t.Fatalf("filter of %d bytes is not a valid sock_filter array", len(prog))
	}
	var acc uint32
	for pc := 0; pc < len(prog)/8; {
		in := prog[8*pc:]
		code := binary.LittleEndian.Uint16(in)
		jt, jf := int(in[2]), int(in[3])
		k := binary.LittleEndian.Uint32(in[4:])
		switch code {
		case bpfLdAbsW:
			acc = binary.LittleEndian.Uint32(data[k:])
			pc++
		case bpfJeqK, bpfJgeK, bpfJsetK:
			cond := (code == bpfJeqK && acc == k) || (code == bpfJgeK && acc >= k) || (code == bpfJsetK && acc&k != 0)
			if cond {
				pc += 1 + jt
			} else {
				pc += 1 + jf
			}
		case bpfRetK:
			return k
		default:
			t.Fatalf("unexpected opcode %#x at %d", code, pc)
		}
	}
	t.Fatal("the filter ran off its end")
	return 0
}

func TestSeccompFilterVerdicts(t *testing.T) {
	prog := seccompFilter()
	if prog == nil {
		t.Skip("no seccomp filter on this architecture")
	}
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	enosys := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	cases := []struct {
		name string
		nr   int
		arch uint32
		arg0 uint64
		want uint32
	}{
		{"read", unix.SYS_READ, seccompArch, 0, retAllow},
		{"write", unix.SYS_WRITE, seccompArch, 1, retAllow},
		{"mmap", unix.SYS_MMAP, seccompArch, 0, retAllow},
		{"socket", unix.SYS_SOCKET, seccompArch, unix.AF_INET, retAllow}, // the empty network namespace handles it
		{"clone-fork", unix.SYS_CLONE, seccompArch, 17 /* SIGCHLD */, retAllow},
		{"clone-thread", unix.SYS_CLONE, seccompArch, unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND | unix.CLONE_THREAD, retAllow},
		{"clone-newuser", unix.SYS_CLONE, seccompArch, unix.CLONE_NEWUSER | 17, eperm},
		{"clone-newnet", unix.SYS_CLONE, seccompArch, unix.CLONE_NEWNET, eperm},
		{"clone3", unix.SYS_CLONE3, seccompArch, 0, enosys},
		{"unshare", unix.SYS_UNSHARE, seccompArch, unix.CLONE_NEWUSER, eperm},
		{"setns", unix.SYS_SETNS, seccompArch, 0, eperm},
		{"mount", unix.SYS_MOUNT, seccompArch, 0, eperm},
		{"ptrace", unix.SYS_PTRACE, seccompArch, 0, eperm},
		{"bpf", unix.SYS_BPF, seccompArch, 0, eperm},
		{"perf_event_open", unix.SYS_PERF_EVENT_OPEN, seccompArch, 0, eperm},
		{"io_uring_setup", unix.SYS_IO_URING_SETUP, seccompArch, 0, eperm},
		{"keyctl", unix.SYS_KEYCTL, seccompArch, 0, eperm},
		{"foreign-arch", unix.SYS_READ, seccompArch ^ 1, 0, unix.SECCOMP_RET_KILL_PROCESS},
	}
	if seccompX32Bit != 0 {
		cases = append(cases, struct {
			name string
			nr   int
			arch uint32
			arg0 uint64
			want uint32
		}{"x32-abi", seccompX32Bit | unix.SYS_READ, seccompArch, 0, unix.SECCOMP_RET_KILL_PROCESS})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runBPF(t, prog, c.nr, c.arch, c.arg0); got != c.want {
				t.Fatalf("verdict %#x, want %#x", got, c.want)
			}
		})
	}
	for _, nr := range deniedSyscalls {
		if got := runBPF(t, prog, nr, seccompArch, 0); got != eperm {
			t.Errorf("denied system call %d: verdict %#x, want EPERM", nr, got)
		}
	}
}
