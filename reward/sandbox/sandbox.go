// Package sandbox runs untrusted Python programs (model answers to coding problems)
// against test cases, for the code reward of the R1 recipe.
//
// Each test case runs in a fresh sandbox built from what the operating system offers,
// detected once at run time:
//
//   - bubblewrap (bwrap): new mount, PID, network, IPC, UTS and cgroup namespaces; the
//     filesystem is an empty root with read-only binds of /usr, the library directories and
//     the Python installation, private size-limited tmpfs mounts at /tmp (the working
//     directory) and /dev/shm, the only writable places, and nothing else (no /home, no
//     /root beyond the interpreter, no /work, no /etc beyond the loader cache and time zone);
//     the PID namespace is torn down, killing every process, when the program exits or
//     the deadline passes.
//   - unshare(1), when bwrap is missing or cannot run: network, PID, IPC and UTS
//     namespaces, a private working directory, but the host filesystem stays visible.
//   - rlimits and a process group only, as the last resort.
//
// In every mode the program runs under setrlimit limits (address space, CPU seconds,
// processes, file size, open files, no core dumps), applied by prlimit(1) just before
// Python starts, and, when r1go runs as root, under a fresh random unprivileged uid with
// no capabilities and no_new_privs (setpriv(1)), so that the process limit counts only
// that run's processes and every leftover process can be found and killed by its uid.
// In bwrap mode on amd64 and arm64 a seccomp filter also refuses the system calls an
// escape would need (new namespaces, mounts, ptrace, keyrings, bpf, perf, io_uring, module
// loading). Protections lists what is active; every Report carries the same list.
//
// Known limits: memory is bounded per process (RLIMIT_AS), so a run may hold up to
// MaxProcs × MemoryBytes at once (no cgroup); RLIMIT_CPU is per process, so a run's total
// CPU time is bounded by the wall-clock deadline; /tmp is bounded in bytes, not in files,
// so a run can spend kernel memory on empty files until its deadline; the unshare and
// rlimits modes leave the host filesystem visible (world-readable files can be read) and
// say so.
//
// Run is the entry point; a Sandbox (New) lets a caller choose the interpreter, force a
// weaker mode or bound how many test cases run at once (by default one per CPU; the others
// wait outside their deadline). ExtractProgram pulls the program out of a model response.
// `r1go sandbox` prints the protections on the machine at hand and runs a file in it.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Limits bounds one test-case run.
type Limits struct {
	// Wall is the wall-clock deadline of one test case; the whole sandbox is killed at it.
	Wall time.Duration
	// CPU is the CPU time of each process (RLIMIT_CPU, rounded up to whole seconds).
	CPU time.Duration
	// MemoryBytes is the address space of each process (RLIMIT_AS).
	MemoryBytes int64
	// MaxProcs is the number of processes (and threads) the program may have at once
	// (RLIMIT_NPROC, counted per run).
	MaxProcs int
	// MaxOutputBytes bounds standard output and, separately, standard error; a program
	// that writes more is killed with status "output-limit".
	MaxOutputBytes int
	// DiskBytes is the size of the writable /tmp and the largest file the program may
	// write (RLIMIT_FSIZE). Zero means the default, 64 MiB.
	DiskBytes int64
	// OpenFiles is RLIMIT_NOFILE. Zero means the default, 256.
	OpenFiles int
}

// DefaultLimits returns 10 s wall, 5 s CPU, 512 MiB address space, 32 processes,
// 1 MiB of output, a 64 MiB /tmp and 256 open files.
func DefaultLimits() Limits {
	return Limits{
		Wall:           10 * time.Second,
		CPU:            5 * time.Second,
		MemoryBytes:    512 << 20,
		MaxProcs:       32,
		MaxOutputBytes: 1 << 20,
		DiskBytes:      64 << 20,
		OpenFiles:      256,
	}
}

// Validate reports the first field of l that Run would refuse, by name.
func (l Limits) Validate() error {
	_, err := l.withDefaults()
	return err
}

// withDefaults fills the optional fields and checks the rest.
func (l Limits) withDefaults() (Limits, error) {
	if l.DiskBytes == 0 {
		l.DiskBytes = 64 << 20
	}
	if l.OpenFiles == 0 {
		l.OpenFiles = 256
	}
	switch {
	case l.Wall <= 0:
		return l, fmt.Errorf("sandbox: Limits.Wall must be positive, got %v", l.Wall)
	case l.CPU <= 0:
		return l, fmt.Errorf("sandbox: Limits.CPU must be positive, got %v", l.CPU)
	case l.MemoryBytes < 32<<20:
		return l, fmt.Errorf("sandbox: Limits.MemoryBytes must be at least 32 MiB (Python needs it to start), got %d", l.MemoryBytes)
	case l.MaxProcs < 1:
		return l, fmt.Errorf("sandbox: Limits.MaxProcs must be at least 1, got %d", l.MaxProcs)
	case l.MaxOutputBytes < 1:
		return l, fmt.Errorf("sandbox: Limits.MaxOutputBytes must be positive, got %d", l.MaxOutputBytes)
	case l.DiskBytes < 4096:
		return l, fmt.Errorf("sandbox: Limits.DiskBytes must be at least 4096, got %d", l.DiskBytes)
	case l.OpenFiles < 16:
		return l, fmt.Errorf("sandbox: Limits.OpenFiles must be at least 16 (Python needs them), got %d", l.OpenFiles)
	}
	return l, nil
}

// TestCase is one test of a program. With Assert empty, the program reads Stdin and
// must print Stdout (compared by OutputsMatch). With Assert set, the Python code in
// Assert is appended after the program and the case passes when it exits with status 0
// (and, when Stdout is also set, prints Stdout).
type TestCase struct {
	Stdin, Stdout string
	Assert        string
}

// Status values of a CaseResult.
const (
	StatusOK          = "ok"           // passed
	StatusWrong       = "wrong"        // ran to completion with exit status 0 but printed something else
	StatusTimeout     = "timeout"      // wall-clock deadline or CPU limit
	StatusMemory      = "memory"       // ran out of its address space (MemoryError and the like)
	StatusCrash       = "crash"        // non-zero exit: exception, failed assert, signal
	StatusOutputLimit = "output-limit" // wrote more than Limits.MaxOutputBytes
)

// CaseResult is the outcome of one test case.
type CaseResult struct {
	Passed bool
	Status string // ok|wrong|timeout|memory|crash|output-limit
	// Stdout is the beginning of the program's standard output (at most 8 KiB).
	Stdout string
	// Stderr is the tail of the program's standard error (at most 8 KiB).
	Stderr string
	// Wall is the time from starting the sandbox to its end.
	Wall time.Duration
	// ExitCode is the program's exit status, 128+signal when a signal ended it, -1 when
	// the sandbox killed it at the deadline or the output limit.
	ExitCode int
}

// Report is the outcome of running a program against its tests.
type Report struct {
	Passed, Total int
	Results       []CaseResult
	// Protections lists the protections that were active (see Protections).
	Protections []string
}

// Fraction returns Passed/Total, or 0 when there are no tests.
func (r Report) Fraction() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Passed) / float64(r.Total)
}

// AllPassed reports whether there was at least one test and every test passed.
func (r Report) AllPassed() bool { return r.Total > 0 && r.Passed == r.Total }

var (
	defaultOnce sync.Once
	defaultSB   *Sandbox
	defaultErr  error
)

// Default returns the process-wide Sandbox with the default Options, detecting what the
// machine offers on the first call.
func Default() (*Sandbox, error) {
	defaultOnce.Do(func() {
		defaultSB, defaultErr = New(context.Background(), Options{})
	})
	return defaultSB, defaultErr
}

// Run runs program against tests in the default Sandbox, one fresh sandbox per test
// case, in order. The error is non-nil only when the sandbox itself cannot run (no
// Python, bad Limits, a sandbox tool failing) or ctx ends; a misbehaving program gives
// failed cases, never an error. A tool failure is recognised by the tool's name opening
// standard error with exit status 1, which a program can imitate, so callers should score
// a sample whose run returned an error as failed.
func Run(ctx context.Context, program string, tests []TestCase, lim Limits) (Report, error) {
	sb, err := Default()
	if err != nil {
		return Report{}, err
	}
	return sb.Run(ctx, program, tests, lim)
}

// Protections describes, one line each, the protections the default Sandbox applies
// (or, when no sandbox can run here, one line saying why).
func Protections() []string {
	sb, err := Default()
	if err != nil {
		return []string{"unavailable: " + err.Error()}
	}
	return sb.Protections()
}

// Run runs program against tests, one fresh sandbox per test case, in order. It is safe
// for concurrent use. See the package-level Run.
func (s *Sandbox) Run(ctx context.Context, program string, tests []TestCase, lim Limits) (Report, error) {
	lim, err := lim.withDefaults()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Total: len(tests), Results: make([]CaseResult, 0, len(tests)), Protections: s.Protections()}
	for i, tc := range tests {
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("sandbox: test %d of %d not run: %w", i+1, len(tests), err)
		}
		src := program
		if tc.Assert != "" {
			src = strings.TrimRight(program, "\n") + "\n\n" + tc.Assert + "\n"
		}
		select {
		case s.slots <- struct{}{}:
		case <-ctx.Done():
			return rep, fmt.Errorf("sandbox: test %d of %d not run: %w", i+1, len(tests), ctx.Err())
		}
		out, err := s.exec(ctx, src, tc.Stdin, lim)
		<-s.slots
		if err != nil {
			return rep, fmt.Errorf("sandbox: test %d of %d: %w", i+1, len(tests), err)
		}
		res := out.result()
		if res.Status == StatusOK {
			if tc.Assert == "" || tc.Stdout != "" {
				if !OutputsMatch(string(out.stdout), tc.Stdout) {
					res.Status = StatusWrong
				}
			}
		}
		res.Passed = res.Status == StatusOK
		if res.Passed {
			rep.Passed++
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// ErrNoPython is returned by New when no Python interpreter can be found.
var ErrNoPython = errors.New("sandbox: no python3 interpreter found (install python3 or set Options.Python)")
