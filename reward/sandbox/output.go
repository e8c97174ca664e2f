package sandbox

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stderrKeep is how much of the end of standard error a CaseResult keeps.
const stderrKeep = 8 << 10

// stdoutKeep is how much of the beginning of standard output a CaseResult keeps.
const stdoutKeep = 8 << 10

// runOutput is the raw outcome of one sandboxed process tree.
type runOutput struct {
	stdout      []byte
	stderr      string // tail
	exit        int    // exit status, 128+signal, or -1 when killed by the sandbox
	timedOut    bool   // the wall-clock deadline passed
	outputLimit bool   // stdout or stderr went over the limit
	cpu         time.Duration
	lim         Limits
	wall        time.Duration
}

// result classifies a run; Status is StatusOK when the program exited with 0
// (the caller then compares its output).
func (o runOutput) result() CaseResult {
	r := CaseResult{Stdout: string(o.stdout[:min(len(o.stdout), stdoutKeep)]), Stderr: o.stderr, Wall: o.wall, ExitCode: o.exit}
	switch {
	case o.outputLimit:
		r.Status = StatusOutputLimit
	case o.timedOut:
		r.Status = StatusTimeout
	case o.exit == 0:
		r.Status = StatusOK
	case o.exit == 128+sigXCPU, o.exit == 128+sigKILL && o.hitCPULimit():
		r.Status = StatusTimeout
	case strings.Contains(o.stderr, "MemoryError") || strings.Contains(o.stderr, "Cannot allocate memory") ||
		strings.Contains(o.stderr, "std::bad_alloc") || strings.Contains(o.stderr, "Out of memory"):
		r.Status = StatusMemory
	default:
		r.Status = StatusCrash
	}
	return r
}

// limitWriter keeps up to limit bytes (or, with tail, the last keep bytes) and calls
// over once when more than limit bytes arrive.
type limitWriter struct {
	mu    sync.Mutex
	buf   []byte
	n     int
	limit int
	tail  int // when > 0, keep only the last tail bytes
	over  func()
	hit   bool
}

func (w *limitWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hit {
		return 0, errors.New("output limit")
	}
	w.n += len(p)
	if w.n > w.limit {
		w.hit = true
		room := w.limit - (w.n - len(p))
		p = p[:max(room, 0)]
	}
	w.buf = append(w.buf, p...)
	if w.tail > 0 && len(w.buf) > 2*w.tail {
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-w.tail:]...)
	}
	if w.hit {
		w.over()
		return len(p), errors.New("output limit")
	}
	return len(p), nil
}

func (w *limitWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.tail > 0 && len(w.buf) > w.tail {
		return append([]byte("…"), w.buf[len(w.buf)-w.tail:]...)
	}
	return append([]byte(nil), w.buf...)
}

// Linux signal numbers, as exit statuses report them (128+signal).
const (
	sigKILL = 9
	sigXCPU = 24
)

// hitCPULimit reports whether a SIGKILL can be the CPU limit's hard stop (a program that
// ignored SIGXCPU). The CPU time of the bwrap sandbox's processes is not reported to us
// (its init is not reaped by bwrap's outer process), so wall time stands in for it: a
// single-threaded program cannot burn more CPU than wall time.
func (o runOutput) hitCPULimit() bool {
	soft := (o.lim.CPU + time.Second - 1).Truncate(time.Second)
	return o.cpu >= soft || o.wall >= soft
}

// workDirPrefix names the run directories of the fallback modes after this process, so
// that its runs' processes can be told from other processes' (their command lines hold it).
func workDirPrefix() string { return "r1go-sandbox-" + strconv.Itoa(os.Getpid()) + "-" }
