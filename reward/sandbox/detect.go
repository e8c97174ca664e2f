package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Mode is how strongly a Sandbox isolates programs.
type Mode string

// Modes, strongest first. New with ModeAuto picks the strongest one that works here.
const (
	ModeAuto    Mode = ""
	ModeBwrap   Mode = "bwrap"   // bubblewrap: namespaces, private filesystem view, rlimits
	ModeUnshare Mode = "unshare" // unshare(1): network/PID/IPC/UTS namespaces, rlimits; host filesystem visible
	ModeRlimits Mode = "rlimits" // rlimits and a process group only
)

// Options configure New.
type Options struct {
	// Python is the interpreter: a path, or a name looked up in PATH. Default "python3".
	// Shims (pyenv) and virtual environments are resolved through sys.executable.
	Python string
	// Mode forces an isolation mode; ModeAuto (the default) picks the strongest that works.
	Mode Mode
	// MaxParallel is how many test cases run at once across all callers of this Sandbox;
	// the rest wait (outside their wall-clock limit), so that an oversubscribed machine does
	// not turn correct programs into timeouts. Zero means runtime.NumCPU().
	MaxParallel int
}

// Sandbox runs programs with a fixed interpreter and isolation mode. Its methods are
// safe for concurrent use.
type Sandbox struct {
	mode          Mode
	root          bool // running as uid 0: each run gets its own unprivileged uid
	py            pyInfo
	bwrap         string
	bwrapVersion  string
	unshare       string
	prlimit       string
	setpriv       string
	disableUserns bool          // bwrap supports --disable-userns (only used with a user namespace)
	fsArgs        []string      // bwrap filesystem arguments shared by every run
	seccomp       []byte        // the seccomp filter bwrap loads (nil: none)
	seccompErr    error         // why bwrap could not load it, when it could not
	slots         chan struct{} // one token per test case running
	protections   []string
}

// pyInfo describes the interpreter, as it reports itself.
type pyInfo struct {
	Executable     string `json:"executable"`
	Prefix         string `json:"prefix"`
	BasePrefix     string `json:"base_prefix"`
	ExecPrefix     string `json:"exec_prefix"`
	BaseExecPrefix string `json:"base_exec_prefix"`
	Version        string `json:"version"`
}

const pyProbe = `import sys, json
print(json.dumps({"executable": sys.executable, "prefix": sys.prefix, "base_prefix": sys.base_prefix,
  "exec_prefix": sys.exec_prefix, "base_exec_prefix": sys.base_exec_prefix, "version": sys.version.split()[0]}))`

// Mode returns the isolation mode in use.
func (s *Sandbox) Mode() Mode { return s.mode }

// Python returns the interpreter the programs run with (its sys.executable).
func (s *Sandbox) Python() string { return s.py.Executable }

// Protections describes, one line each, the protections active in this Sandbox,
// including the missing ones that matter (lines starting with "WARNING").
func (s *Sandbox) Protections() []string { return append([]string(nil), s.protections...) }

// New finds the interpreter and the sandboxing tools, and checks the chosen mode by
// running a probe program in it. With ModeAuto it falls back from bwrap to unshare to
// rlimits and keeps the first that runs the probe correctly.
func New(ctx context.Context, opts Options) (*Sandbox, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("sandbox: running untrusted code needs Linux (namespaces, prlimit, setpriv); this system is %s", runtime.GOOS)
	}
	py, err := probePython(ctx, opts.Python)
	if err != nil {
		return nil, err
	}
	if opts.MaxParallel < 0 {
		return nil, fmt.Errorf("sandbox: Options.MaxParallel must not be negative, got %d", opts.MaxParallel)
	}
	if opts.MaxParallel == 0 {
		opts.MaxParallel = runtime.NumCPU()
	}
	base := Sandbox{py: py, root: os.Geteuid() == 0, slots: make(chan struct{}, opts.MaxParallel)}
	base.prlimit, _ = exec.LookPath("prlimit")
	base.setpriv, _ = exec.LookPath("setpriv")
	base.bwrap, _ = exec.LookPath("bwrap")
	base.unshare, _ = exec.LookPath("unshare")
	if base.prlimit == "" {
		return nil, errors.New("sandbox: prlimit(1) not found in PATH; it applies the resource limits (install util-linux)")
	}
	if base.root && base.setpriv == "" {
		return nil, errors.New("sandbox: running as root but setpriv(1) is not in PATH; it drops each run to an unprivileged uid (install util-linux)")
	}
	modes := []Mode{ModeBwrap, ModeUnshare, ModeRlimits}
	if opts.Mode != ModeAuto {
		switch opts.Mode {
		case ModeBwrap, ModeUnshare, ModeRlimits:
		default:
			return nil, fmt.Errorf("sandbox: unknown Options.Mode %q (want bwrap, unshare or rlimits)", opts.Mode)
		}
		modes = []Mode{opts.Mode}
	}
	var errs []error
	for _, m := range modes {
		sb := base
		sb.mode = m
		if err := sb.setup(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", m, err))
			continue
		}
		if err := sb.selfTest(ctx); err != nil {
			// A kernel without seccomp filters: keep the namespaces, say so.
			if sb.seccomp == nil {
				errs = append(errs, fmt.Errorf("%s: %w", m, err))
				continue
			}
			sb.seccomp, sb.seccompErr = nil, err
			if err2 := sb.selfTest(ctx); err2 != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m, err))
				continue
			}
		}
		sb.protections = sb.describe()
		if opts.Mode == ModeAuto && len(errs) > 0 {
			sb.protections = append(sb.protections, fmt.Sprintf("WARNING: stronger modes unavailable (%v)", errors.Join(errs...)))
		}
		return &sb, nil
	}
	return nil, fmt.Errorf("sandbox: no isolation mode works here: %w", errors.Join(errs...))
}

// probePython runs the interpreter once to learn its real executable and prefixes.
func probePython(ctx context.Context, name string) (pyInfo, error) {
	if name == "" {
		name = "python3"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if name == "python3" {
			return pyInfo{}, ErrNoPython
		}
		return pyInfo{}, fmt.Errorf("sandbox: Options.Python %q: %w", name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "-I", "-c", pyProbe).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return pyInfo{}, fmt.Errorf("sandbox: probing python %s: %w", path, err)
	}
	var info pyInfo
	if err := json.Unmarshal(out, &info); err != nil || info.Executable == "" {
		return pyInfo{}, fmt.Errorf("sandbox: probing python %s: unexpected answer %q", path, out)
	}
	if !strings.HasPrefix(info.Version, "3.") {
		return pyInfo{}, fmt.Errorf("sandbox: %s is Python %s; Python 3 is required", info.Executable, info.Version)
	}
	return info, nil
}

// setup finds the mode's tools and prepares its fixed arguments.
func (s *Sandbox) setup(ctx context.Context) error {
	switch s.mode {
	case ModeBwrap:
		if s.bwrap == "" {
			return errors.New("bwrap not found in PATH (install bubblewrap)")
		}
		out, err := exec.CommandContext(ctx, s.bwrap, "--version").Output()
		if err != nil {
			return fmt.Errorf("%s --version: %w", s.bwrap, err)
		}
		s.bwrapVersion = strings.TrimSpace(string(out))
		help, _ := exec.CommandContext(ctx, s.bwrap, "--help").CombinedOutput()
		s.disableUserns = bytes.Contains(help, []byte("--disable-userns"))
		if !bytes.Contains(help, []byte("--size")) {
			return fmt.Errorf("%s lacks --size (bubblewrap >= 0.5 needed to bound /tmp)", s.bwrapVersion)
		}
		s.fsArgs = s.bwrapFilesystem()
		s.seccomp = seccompFilter()
	case ModeUnshare:
		if s.unshare == "" {
			return errors.New("unshare not found in PATH (install util-linux)")
		}
	}
	return nil
}

// describe lists the protections of the mode as set up.
func (s *Sandbox) describe() []string {
	var p []string
	switch s.mode {
	case ModeBwrap:
		ns := "mount, PID, network, IPC, UTS, cgroup"
		if !s.root {
			ns += ", user"
		}
		p = append(p, s.bwrapVersion+" ("+s.bwrap+")",
			"namespaces: "+ns,
			"network: none (empty network namespace, loopback down)",
			"filesystem: read-only "+strings.Join(s.roPaths(), ", ")+"; everything else invisible; /tmp and /dev/shm are private size-limited tmpfs mounts, the only writable places",
			"processes: a PID namespace per run, killed as a whole at exit, on timeout or when r1go dies")
		switch {
		case s.seccomp != nil:
			p = append(p, fmt.Sprintf("seccomp: %d system calls refused (namespaces, mounts, ptrace, keyrings, bpf, perf, io_uring, modules, clocks), clone without CLONE_NEW* flags only", len(deniedSyscalls)+1))
		case s.seccompErr != nil:
			p = append(p, fmt.Sprintf("WARNING: no seccomp filter: bwrap could not load it (%v)", s.seccompErr))
		default:
			p = append(p, "WARNING: no seccomp filter on "+runtime.GOARCH)
		}
	case ModeUnshare:
		p = append(p, "unshare(1) "+s.unshare,
			"namespaces: PID, network, IPC, UTS",
			"network: none (empty network namespace)",
			"WARNING: filesystem not isolated: the program sees the host filesystem and may write where its uid may (world-writable directories such as /tmp); its working directory is a private temporary directory",
			"processes: a PID namespace per run, killed as a whole at exit or on timeout")
	case ModeRlimits:
		p = append(p,
			"WARNING: no namespaces: the program can use the network",
			"WARNING: filesystem not isolated: the program sees the host filesystem and may write where its uid may; its working directory is a private temporary directory",
			"processes: own process group, killed at exit or on timeout")
	}
	if s.root {
		p = append(p, "identity: a fresh random unprivileged uid/gid per run, no capabilities, no supplementary groups, no_new_privs")
		if s.mode != ModeBwrap {
			p = append(p, "processes: every process of the run's uid is killed at the end")
		}
	} else if s.mode == ModeBwrap {
		p = append(p, "identity: the caller's uid inside a user namespace, no capabilities")
		if s.disableUserns {
			p = append(p, "no nested user namespaces (--disable-userns)")
		}
	} else {
		p = append(p, "WARNING: runs as the caller's own uid (not root, so no uid of its own): it can read and write the caller's files")
	}
	nproc := "processes (per run)"
	if !s.root && s.mode == ModeRlimits {
		nproc = "processes (counting all of the caller's processes)"
	}
	p = append(p, "rlimits: address space, CPU seconds, "+nproc+", file size, open files, core dumps off")
	p = append(p, "python: "+s.py.Executable+" "+s.py.Version+" (isolated mode -I, no bytecode writes)")
	return p
}

// selfTest runs a probe program and checks its answer.
func (s *Sandbox) selfTest(ctx context.Context) error {
	lim := DefaultLimits()
	lim.Wall = 30 * time.Second
	out, err := s.exec(ctx, "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n", "40 2\n", lim)
	if err != nil {
		return err
	}
	if out.exit != 0 || strings.TrimSpace(string(out.stdout)) != "42" {
		return fmt.Errorf("probe program failed: exit %d, stdout %q, stderr %q", out.exit, out.stdout, out.stderr)
	}
	return nil
}

// roPaths lists the host directories bound read-only in bwrap mode.
func (s *Sandbox) roPaths() []string {
	paths := []string{"/usr"}
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if fi, err := os.Lstat(d); err == nil && fi.IsDir() {
			paths = append(paths, d)
		}
	}
	cand := []string{s.py.Prefix, s.py.BasePrefix, s.py.ExecPrefix, s.py.BaseExecPrefix,
		filepath.Dir(s.py.Executable), s.prlimit, s.setpriv}
	if real, err := filepath.EvalSymlinks(s.py.Executable); err == nil {
		cand = append(cand, filepath.Dir(real))
	}
	for _, c := range cand {
		if c == "" || !filepath.IsAbs(c) {
			continue
		}
		c = filepath.Clean(c)
		if _, err := os.Stat(c); err != nil {
			continue
		}
		paths = append(paths, c)
	}
	// Drop duplicates and paths inside another bound path.
	sort.Strings(paths)
	var out []string
	for _, p := range paths {
		covered := false
		for _, q := range out {
			if p == q || strings.HasPrefix(p, q+"/") {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, p)
		}
	}
	return out
}

// bwrapFilesystem builds the bwrap arguments for the filesystem view: an empty root,
// the system's library layout, the interpreter, /proc, a minimal /dev, a sized /tmp.
func (s *Sandbox) bwrapFilesystem() []string {
	var a []string
	for _, d := range []string{"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		fi, err := os.Lstat(d)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			continue // real directories are bound by roPaths
		}
		if target, err := os.Readlink(d); err == nil {
			a = append(a, "--symlink", target, d)
		}
	}
	made := map[string]bool{"/": true}
	for _, p := range s.roPaths() {
		// Parents bwrap would create are private to root (0700 for /root): make them
		// traversable, or the unprivileged run could not reach its interpreter.
		var parents []string
		for d := filepath.Dir(p); !made[d]; d = filepath.Dir(d) {
			parents = append(parents, d)
			made[d] = true
		}
		for i := len(parents) - 1; i >= 0; i-- {
			a = append(a, "--perms", "0755", "--dir", parents[i])
		}
		a = append(a, "--ro-bind", p, p)
	}
	a = append(a, "--perms", "0755", "--dir", "/etc")
	// The loader's cache, the time zone, and Debian's alternatives (libblas.so.3 and
	// other libraries are symbolic links through /etc/alternatives).
	for _, f := range []string{"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/localtime", "/etc/alternatives"} {
		a = append(a, "--ro-bind-try", f, f)
	}
	a = append(a, "--proc", "/proc", "--dev", "/dev")
	return a
}
