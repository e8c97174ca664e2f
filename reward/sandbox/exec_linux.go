package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// randomUID picks an unprivileged uid no account uses, unique enough per run that the
// process limit counts only this run and its leftovers can be found by uid.
func randomUID() int { return 1<<30 + rand.IntN(1<<30-2) }

// limitArgs is the prlimit(1) command (and, as root, setpriv(1)) that starts the
// interpreter on script under the limits.
func (s *Sandbox) limitArgs(lim Limits, uid int, script string) []string {
	cpu := int64((lim.CPU + time.Second - 1) / time.Second)
	a := []string{s.prlimit,
		"--as=" + strconv.FormatInt(lim.MemoryBytes, 10),
		"--cpu=" + strconv.FormatInt(cpu, 10) + ":" + strconv.FormatInt(cpu+1, 10),
		"--nproc=" + strconv.Itoa(lim.MaxProcs),
		"--fsize=" + strconv.FormatInt(lim.DiskBytes, 10),
		"--nofile=" + strconv.Itoa(lim.OpenFiles),
		"--core=0",
		"--"}
	if s.root {
		id := strconv.Itoa(uid)
		a = append(a, s.setpriv, "--reuid="+id, "--regid="+id, "--clear-groups",
			"--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--")
	}
	return append(a, s.py.Executable, "-I", "-B", script)
}

// sandboxEnv is the whole environment of the program. Numerical libraries get one thread
// each: their per-thread buffers would otherwise exhaust the address-space and process
// limits on a many-core machine before the program does any work.
var sandboxEnv = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp", "LANG=C.UTF-8", "LC_ALL=C.UTF-8",
	"OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1"}

// exec runs src with stdin under lim and returns what happened. Its error means the
// sandbox could not run (or ctx ended), not that the program failed.
func (s *Sandbox) exec(ctx context.Context, src, stdin string, lim Limits) (runOutput, error) {
	uid := 0
	if s.root {
		uid = randomUID()
	}
	runCtx, cancel := context.WithTimeout(ctx, lim.Wall)
	defer cancel()
	out := runOutput{lim: lim}
	var outputLimit sync.Once
	over := func() { outputLimit.Do(func() { out.outputLimit = true }); cancel() }
	stdout := &limitWriter{limit: lim.MaxOutputBytes, over: over}
	stderr := &limitWriter{limit: lim.MaxOutputBytes, tail: stderrKeep, over: over}

	var cmd *exec.Cmd
	var srcPipe *os.File
	switch s.mode {
	case ModeBwrap:
		a := []string{"--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
			"--die-with-parent", "--new-session"}
		if !s.root {
			a = append(a, "--unshare-user")
			if s.disableUserns {
				a = append(a, "--disable-userns")
			}
		}
		a = append(a, s.fsArgs...)
		a = append(a, "--perms", "1777", "--size", strconv.FormatInt(lim.DiskBytes, 10), "--tmpfs", "/tmp",
			"--perms", "1777", "--size", strconv.FormatInt(max(lim.DiskBytes/4, 1<<20), 10), "--tmpfs", "/dev/shm",
			"--perms", "0755", "--dir", "/sandbox",
			"--perms", "0444", "--ro-bind-data", "3", "/sandbox/main.py",
			"--remount-ro", "/", "--chdir", "/tmp", "--clearenv")
		for _, kv := range sandboxEnv {
			k, v, _ := strings.Cut(kv, "=")
			a = append(a, "--setenv", k, v)
		}
		if s.root {
			a = append(a, "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP")
		}
		if s.seccomp != nil {
			a = append(a, "--seccomp", "4")
		}
		a = append(a, "--")
		a = append(a, s.limitArgs(lim, uid, "/sandbox/main.py")...)
		cmd = exec.CommandContext(runCtx, s.bwrap, a...)
		r, w, err := os.Pipe()
		if err != nil {
			return out, fmt.Errorf("pipe: %w", err)
		}
		defer r.Close()
		cmd.ExtraFiles = []*os.File{r}
		srcPipe = w
		if s.seccomp != nil {
			fr, fw, err := os.Pipe()
			if err != nil {
				w.Close()
				return out, fmt.Errorf("pipe: %w", err)
			}
			defer fr.Close()
			_, err = fw.Write(s.seccomp) // a few hundred bytes: fits the pipe buffer
			fw.Close()
			if err != nil {
				w.Close()
				return out, fmt.Errorf("seccomp pipe: %w", err)
			}
			cmd.ExtraFiles = append(cmd.ExtraFiles, fr)
		}
	default:
		dir, err := os.MkdirTemp("", workDirPrefix())
		if err != nil {
			return out, fmt.Errorf("work dir: %w", err)
		}
		defer os.RemoveAll(dir)
		script := filepath.Join(dir, "main.py")
		if err := os.WriteFile(script, []byte(src), 0o444); err != nil {
			return out, fmt.Errorf("work dir: %w", err)
		}
		if s.root {
			if err := os.Chown(dir, uid, uid); err != nil {
				return out, fmt.Errorf("work dir: %w", err)
			}
		}
		var a []string
		if s.mode == ModeUnshare {
			a = append(a, s.unshare, "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc")
			if !s.root {
				a = append(a, "--map-current-user")
			}
			// A shell as PID 1: the program then gets default signal handling (SIGXCPU
			// ends it), and its status comes back as 128+signal.
			a = append(a, "--", "/bin/sh", "-c", `"$@"; exit $?`, "sh")
		}
		a = append(a, s.limitArgs(lim, uid, script)...)
		cmd = exec.CommandContext(runCtx, a[0], a[1:]...)
		cmd.Dir = dir
		cmd.Env = append(append([]string(nil), sandboxEnv...), "TMPDIR="+dir, "HOME="+dir)
	}
	// Our own pipes: Wait then returns as soon as the sandbox's top process ends, and we
	// kill what is left before draining the output, which a daemonised child may hold.
	var pipes [6]*os.File // stdin r/w, stdout r/w, stderr r/w
	for i := 0; i < 6; i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			for _, f := range pipes[:i] {
				f.Close()
			}
			if srcPipe != nil {
				srcPipe.Close()
			}
			return out, fmt.Errorf("pipe: %w", err)
		}
		pipes[i], pipes[i+1] = r, w
	}
	inR, inW, outR, outW, errR, errW := pipes[0], pipes[1], pipes[2], pipes[3], pipes[4], pipes[5]
	defer inW.Close()
	defer outR.Close()
	defer errR.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
		return nil
	}

	start := time.Now()
	err := cmd.Start()
	inR.Close()
	outW.Close()
	errW.Close()
	if err != nil {
		if srcPipe != nil {
			srcPipe.Close()
		}
		return out, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	if srcPipe != nil {
		go func() {
			_, _ = srcPipe.WriteString(src)
			srcPipe.Close()
		}()
	}
	go func() {
		_, _ = inW.WriteString(stdin)
		inW.Close()
	}()
	var drained sync.WaitGroup
	drained.Add(2)
	go func() { defer drained.Done(); _, _ = io.Copy(stdout, outR); outR.Close() }()
	go func() { defer drained.Done(); _, _ = io.Copy(stderr, errR); errR.Close() }()

	waitErr := cmd.Wait()
	out.wall = time.Since(start)
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // leftovers in the group (fallback modes)
	if s.root && s.mode != ModeBwrap {
		killUID(uid)
	}
	inW.Close()
	done := make(chan struct{})
	go func() { drained.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second): // a process we could not kill still holds the pipes
		outR.Close()
		errR.Close()
		<-done
	}

	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	out.timedOut = errors.Is(runCtx.Err(), context.DeadlineExceeded)
	out.stdout = stdout.bytes()
	out.stderr = string(stderr.bytes())
	ps := cmd.ProcessState
	if ps == nil {
		return out, fmt.Errorf("running %s: %w", cmd.Path, waitErr)
	}
	out.cpu = ps.UserTime() + ps.SystemTime()
	ws, _ := ps.Sys().(syscall.WaitStatus)
	switch {
	case ws.Exited():
		out.exit = ws.ExitStatus()
	case ws.Signaled():
		out.exit = 128 + int(ws.Signal())
	}
	if out.timedOut || out.outputLimit {
		out.exit = -1
		return out, nil
	}
	if out.exit == 1 || out.exit == 127 {
		// The tools report their own failures on stderr with their name first.
		for _, tool := range []string{"bwrap: ", "prlimit: ", "setpriv: ", "unshare: "} {
			if strings.HasPrefix(out.stderr, tool) {
				return out, fmt.Errorf("sandbox tool failed: %s", strings.TrimSpace(firstLine(out.stderr)))
			}
		}
	}
	return out, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// killUID kills every process whose real or effective uid is uid, until none is left
// (a fork bomb may still be forking while we look) or a second has passed.
func killUID(uid int) {
	want := []byte(strconv.Itoa(uid))
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		found := false
		ents, err := os.ReadDir("/proc")
		if err != nil {
			return
		}
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			st, err := os.ReadFile("/proc/" + e.Name() + "/status")
			if err != nil {
				continue
			}
			i := bytes.Index(st, []byte("\nUid:"))
			if i < 0 {
				continue
			}
			line := st[i+5:]
			if j := bytes.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			f := bytes.Fields(line)
			if len(f) >= 2 && (bytes.Equal(f[0], want) || bytes.Equal(f[1], want)) {
				found = true
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if !found {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
