package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	sandboxMu    sync.Mutex
	sandboxCache = map[Mode]*Sandbox{}
	sandboxErrs  = map[Mode]error{}
)

// sandboxFor returns a (cached) Sandbox in mode m, skipping the test when python3 is
// missing or, for a forced mode, when the machine cannot run that mode.
func sandboxFor(t *testing.T, m Mode) *Sandbox {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the sandbox runs on Linux only")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed: the sandbox battery needs it")
	}
	sandboxMu.Lock()
	defer sandboxMu.Unlock()
	sb, ok := sandboxCache[m]
	err := sandboxErrs[m]
	if !ok && err == nil {
		sb, err = New(context.Background(), Options{Mode: m})
		sandboxCache[m], sandboxErrs[m] = sb, err
		if err == nil {
			t.Logf("sandbox mode %q protections:\n  %s", sb.Mode(), strings.Join(sb.Protections(), "\n  "))
		}
	}
	if err != nil {
		if m == ModeAuto {
			t.Fatalf("no sandbox can run here: %v", err)
		}
		t.Skipf("mode %s unavailable here: %v", m, err)
	}
	return sb
}

// requireBwrap skips a test that checks a protection only bubblewrap gives.
func requireBwrap(t *testing.T, sb *Sandbox) {
	t.Helper()
	if sb.Mode() != ModeBwrap {
		t.Skipf("bubblewrap unavailable: running in fallback mode %q, which does not give this protection (install bubblewrap: scripts/setup.d/sandbox.sh)", sb.Mode())
	}
}

// slack is how long after its deadline a run may end on a loaded machine (CI runs
// every package's tests at once on 2 cores).
const slack = 8 * time.Second

func fastLimits() Limits {
	l := DefaultLimits()
	l.CPU = time.Second
	return l
}

// survivors lists the host processes whose command line contains marker.
func survivors(marker string) []string {
	var found []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err == nil && bytes.Contains(cmd, []byte(marker)) {
			found = append(found, e.Name()+": "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return found
}

// assertNoSurvivors fails when a process carrying marker is still alive shortly after a run.
func assertNoSurvivors(t *testing.T, marker string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		s := survivors(marker)
		if len(s) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes survived the sandbox: %v", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uniqueName tags the processes and files of one test.
func uniqueName() string { return fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()) }

func runOne(t *testing.T, sb *Sandbox, program string, tc TestCase, lim Limits) CaseResult {
	t.Helper()
	rep, err := sb.Run(context.Background(), program, []TestCase{tc}, lim)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Total != 1 || len(rep.Results) != 1 {
		t.Fatalf("Run: got %d results for 1 test", len(rep.Results))
	}
	if len(rep.Protections) == 0 {
		t.Fatal("Report.Protections is empty")
	}
	r := rep.Results[0]
	t.Logf("status %s exit %d wall %v", r.Status, r.ExitCode, r.Wall.Round(time.Millisecond))
	return r
}

func TestBenignPrograms(t *testing.T) {
	sb := sandboxFor(t, ModeAuto)
	const sum = "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n"
	const add = "def add(a, b):\n    return a + b\n"
	cases := []struct {
		name       string
		program    string
		tc         TestCase
		wantStatus string
	}{
		{"stdin-correct", sum, TestCase{Stdin: "1 2 3\n4\n", Stdout: "10\n"}, StatusOK},
		{"stdin-wrong", "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()) + 1)\n", TestCase{Stdin: "1 2 3\n4\n", Stdout: "10\n"}, StatusWrong},
		{"trailing-whitespace", "print('1 2   ')\nprint('3')\nprint()\nprint()\n", TestCase{Stdout: "1 2\n3"}, StatusOK},
		{"crlf-expected", "print('a')\nprint('b')\n", TestCase{Stdout: "a\r\nb\r\n"}, StatusOK},
		{"inner-whitespace-matters", "print('1  2')\n", TestCase{Stdout: "1 2"}, StatusWrong},
		{"no-output", "x = 1\n", TestCase{Stdout: "1"}, StatusWrong},
		{"exception", "raise ValueError('boom')\n", TestCase{Stdout: ""}, StatusCrash},
		{"exit-nonzero-with-right-output", "import sys\nprint(5)\nsys.exit(3)\n", TestCase{Stdout: "5"}, StatusCrash},
		{"exit-zero-explicit", "import sys\nprint(5)\nsys.exit(0)\n", TestCase{Stdout: "5"}, StatusOK},
		{"assert-pass", add, TestCase{Assert: "assert add(1, 2) == 3\nassert add(-1, 1) == 0"}, StatusOK},
		{"assert-fail", "def add(a, b):\n    return a - b\n", TestCase{Assert: "assert add(1, 2) == 3"}, StatusCrash},
		{"assert-with-stdout", add + "print(add(2, 2))\n", TestCase{Assert: "assert add(0, 0) == 0", Stdout: "4"}, StatusOK},
		{"assert-with-wrong-stdout", add + "print(add(2, 2))\n", TestCase{Assert: "assert add(0, 0) == 0", Stdout: "5"}, StatusWrong},
		{"unicode", "print(input().upper() + ' ✓')\n", TestCase{Stdin: "héllo\n", Stdout: "HÉLLO ✓"}, StatusOK},
		{"big-stdin", "import sys\ndata = sys.stdin.buffer.read()\nprint(len(data), data.count(b'\\n'))\n",
			TestCase{Stdin: strings.Repeat("0123456789abcde\n", 1<<16), Stdout: "1048576 65536"}, StatusOK},
		{"threads", "import threading\nout = [0] * 8\ndef f(i):\n    out[i] = i * i\nts = [threading.Thread(target=f, args=(i,)) for i in range(8)]\n" +
			"[t.start() for t in ts]\n[t.join() for t in ts]\nprint(sum(out))\n", TestCase{Stdout: "140"}, StatusOK},
		{"deep-recursion", "import sys, threading\nsys.setrecursionlimit(1 << 20)\nthreading.stack_size(1 << 26)\n" +
			"def d(n):\n    return 0 if n == 0 else 1 + d(n - 1)\nr = []\nt = threading.Thread(target=lambda: r.append(d(100000)))\nt.start(); t.join()\nprint(r[0])\n",
			TestCase{Stdout: "100000"}, StatusOK},
		{"write-own-tmp", "open('scratch.txt', 'w').write('hi')\nimport tempfile\nwith tempfile.NamedTemporaryFile('w+') as f:\n    f.write('x'); f.flush()\nprint(open('scratch.txt').read())\n",
			TestCase{Stdout: "hi"}, StatusOK},
		{"large-program", "x = [" + strings.Repeat("1234567,", 40000) + "]\nprint(len(x), sum(x))\n", // 320 KB: more than a pipe holds
			TestCase{Stdout: "40000 49382680000"}, StatusOK},
		{"loader-cache-and-timezone", "import os, time\nprint(os.access('/etc/ld.so.cache', os.R_OK), time.tzname[0] != '')\n",
			TestCase{Stdout: "True True"}, StatusOK},
		{"stdlib-imports", "import math, itertools, collections, heapq, bisect, functools, re, json, fractions, decimal, datetime, random, string\n" +
			"print(math.comb(10, 3), fractions.Fraction(1, 3) + fractions.Fraction(1, 6))\n", TestCase{Stdout: "120 1/2"}, StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			res := runOne(t, sb, c.program, c.tc, DefaultLimits())
			if res.Status != c.wantStatus || res.Passed != (c.wantStatus == StatusOK) {
				t.Fatalf("status %q passed %v, want %q (exit %d, stdout %q, stderr %q)", res.Status, res.Passed, c.wantStatus, res.ExitCode, res.Stdout, res.Stderr)
			}
		})
	}
}

func TestReportCountsAndFraction(t *testing.T) {
	sb := sandboxFor(t, ModeAuto)
	prog := "n = int(input())\nprint(n * n if n != 3 else 0)\n"
	var tests []TestCase
	for n := 1; n <= 4; n++ {
		tests = append(tests, TestCase{Stdin: strconv.Itoa(n), Stdout: strconv.Itoa(n * n)})
	}
	rep, err := sb.Run(context.Background(), prog, tests, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Passed != 3 || rep.Total != 4 || rep.Fraction() != 0.75 || rep.AllPassed() {
		t.Fatalf("got passed %d/%d fraction %v all %v, want 3/4 0.75 false", rep.Passed, rep.Total, rep.Fraction(), rep.AllPassed())
	}
	if rep.Results[2].Passed || rep.Results[2].Status != StatusWrong || rep.Results[2].Stdout != "0\n" {
		t.Fatalf("case 3: %+v, want a wrong answer printing 0", rep.Results[2])
	}
	empty, err := sb.Run(context.Background(), prog, nil, DefaultLimits())
	if err != nil || empty.Total != 0 || empty.Fraction() != 0 || empty.AllPassed() {
		t.Fatalf("no tests: %+v %v", empty, err)
	}
}

// hostile is one misbehaving program and what must hold after it ran.
type hostile struct {
	name    string
	program string
	tc      TestCase
	lim     func(*Limits)
	status  []string // acceptable statuses
	check   func(t *testing.T, res CaseResult)
}

// hostileCases builds the battery; marker tags every process the programs start.
func hostileCases(t *testing.T, marker string) []hostile {
	// A loopback server the programs try to reach: the network namespace must stop them.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	connected := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetReadDeadline(time.Now().Add(time.Second))
			buf := make([]byte, 16)
			n, _ := c.Read(buf)
			connected <- string(buf[:n])
			c.Close()
		}
	}()

	// Files the programs try to read and write. The secret is world-readable in a
	// world-readable directory, so only the sandbox's filesystem view protects it.
	secretDir, err := os.MkdirTemp("", "r1go-secret-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(secretDir) })
	os.Chmod(secretDir, 0o755)
	secret := "TOP-SECRET-" + marker
	secretFile := filepath.Join(secretDir, "secret.txt")
	if err := os.WriteFile(secretFile, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	repoFile := filepath.Join(wd, "pwned-"+marker)
	tmpFile := "/tmp/outside-" + marker
	t.Cleanup(func() { os.Remove(repoFile); os.Remove(tmpFile) })

	// A canary process the program tries to kill.
	canary := exec.Command("sleep", "60")
	if err := canary.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { canary.Process.Kill(); canary.Wait() })

	// reexec starts the hostile body in a fresh interpreter whose command line carries marker.
	reexec := func(body, marker string) string {
		return fmt.Sprintf("import os, sys\nos.execv(sys.executable, [sys.executable, '-c', %q, %q])\n", body, marker)
	}
	bombMarker, daemonMarker, daemon2Marker := marker+"-bomb", marker+"-daemon", marker+"-daemon2"
	short := func(l *Limits) { l.Wall = 2 * time.Second; l.CPU = time.Second }

	return []hostile{
		{
			name:    "connect-to-host-loopback",
			program: fmt.Sprintf("import socket\ns = socket.create_connection(('127.0.0.1', %d), timeout=1)\ns.sendall(b'pwned')\nprint('connected')\n", port),
			tc:      TestCase{Stdout: "connected"}, status: []string{StatusCrash},
			check: func(t *testing.T, res CaseResult) {
				select {
				case got := <-connected:
					t.Fatalf("the program reached the host's loopback server (sent %q)", got)
				case <-time.After(100 * time.Millisecond):
				}
			},
		},
		{
			name:    "network-interfaces",
			program: "import socket\nprint(' '.join(sorted(n for _, n in socket.if_nameindex())))\n",
			tc:      TestCase{Stdout: "pwned"}, status: []string{StatusWrong},
			check: func(t *testing.T, res CaseResult) {
				if strings.TrimSpace(res.Stdout) != "lo" {
					t.Fatalf("the sandbox sees network interfaces %q, want only lo", res.Stdout)
				}
			},
		},
		{
			name:    "fork-bomb",
			program: reexec("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", bombMarker),
			tc:      TestCase{Stdout: "42"}, lim: short, status: []string{StatusTimeout},
			check: func(t *testing.T, res CaseResult) {
				assertNoSurvivors(t, bombMarker)
				if out, err := exec.Command("true").CombinedOutput(); err != nil {
					t.Fatalf("the host cannot start processes after the fork bomb: %v %s", err, out)
				}
			},
		},
		{
			name: "infinite-loop", program: "while True:\n    pass\n",
			tc: TestCase{Stdout: "42"}, lim: func(l *Limits) { l.Wall = 60 * time.Second; l.CPU = time.Second },
			status: []string{StatusTimeout},
			check: func(t *testing.T, res CaseResult) {
				if res.ExitCode != 128+sigXCPU {
					t.Fatalf("exit %d, want %d: the CPU limit (SIGXCPU), not the wall clock, must end it", res.ExitCode, 128+sigXCPU)
				}
			},
		},
		{
			name: "infinite-loop-ignoring-sigxcpu", program: "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\nwhile True:\n    pass\n",
			tc: TestCase{Stdout: "42"}, lim: func(l *Limits) { l.Wall = 60 * time.Second; l.CPU = time.Second },
			status: []string{StatusTimeout},
			check: func(t *testing.T, res CaseResult) {
				if res.ExitCode != 128+sigKILL {
					t.Fatalf("exit %d, want %d: the CPU limit's hard stop (SIGKILL) must end it", res.ExitCode, 128+sigKILL)
				}
			},
		},
		{
			name: "sleep-past-deadline", program: "import time\ntime.sleep(60)\nprint(42)\n",
			tc: TestCase{Stdout: "42"}, lim: func(l *Limits) { l.Wall = time.Second }, status: []string{StatusTimeout},
		},
		{
			name: "daemonised-child",
			program: "import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n" +
				fmt.Sprintf("        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', %q])\n", daemonMarker) +
				"    os._exit(0)\ntime.sleep(0.3)\nprint('parent done')\n",
			tc: TestCase{Stdout: "42"}, status: []string{StatusWrong},
			check: func(t *testing.T, res CaseResult) {
				assertNoSurvivors(t, daemonMarker)
				if res.Wall > 10*time.Second {
					t.Fatalf("took %v: the sandbox waited for the daemon", res.Wall)
				}
			},
		},
		{
			name:    "daemon-then-sleep-past-deadline",
			program: fmt.Sprintf("import os, sys, time\nif os.fork() == 0:\n    os.setsid()\n    os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', %q])\ntime.sleep(60)\n", daemon2Marker),
			tc:      TestCase{Stdout: "42"}, lim: func(l *Limits) { l.Wall = time.Second }, status: []string{StatusTimeout},
			check: func(t *testing.T, res CaseResult) { assertNoSurvivors(t, daemon2Marker) },
		},
		{
			name: "allocate-10GB", program: "x = bytearray(10 * 1024 ** 3)\nprint(len(x))\n",
			tc: TestCase{Stdout: str(10 << 30)}, status: []string{StatusMemory},
		},
		{
			name: "allocate-gradually", program: "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))\n",
			tc: TestCase{Stdout: "42"}, status: []string{StatusMemory},
		},
		{
			name: "write-outside-tmp",
			program: fmt.Sprintf("ok = []\nfor p in [%q, %q, '/sandbox/main.py', '/usr/pwned', '/pwned', '/proc/pwned']:\n"+
				"    try:\n        open(p, 'a').write('pwned')\n        ok.append(p)\n    except OSError:\n        pass\nprint(' '.join(ok))\n", repoFile, tmpFile),
			tc: TestCase{Stdout: "42"}, status: []string{StatusWrong},
			check: func(t *testing.T, res CaseResult) {
				for _, p := range []string{repoFile, tmpFile} {
					if _, err := os.Stat(p); err == nil {
						t.Fatalf("the program wrote %s on the host", p)
					}
				}
				// Inside, only its private /tmp is writable.
				if got := strings.TrimSpace(res.Stdout); got != tmpFile {
					t.Fatalf("writable paths inside the sandbox: %q, want only the private %s", got, tmpFile)
				}
			},
		},
		{
			name: "read-outside-tmp",
			program: fmt.Sprintf("for p in [%q, %q, '/etc/shadow', '/proc/%d/environ']:\n    try:\n        print(open(p).read())\n    except OSError as e:\n        print(type(e).__name__)\n",
				secretFile, filepath.Join(wd, "sandbox_test.go"), os.Getpid()),
			tc: TestCase{Stdout: secret}, status: []string{StatusWrong},
			check: func(t *testing.T, res CaseResult) {
				if strings.Contains(res.Stdout, secret) || strings.Contains(res.Stdout, "PATH=") || strings.Contains(res.Stdout, "package sandbox") {
					t.Fatalf("the program read host files: %q", res.Stdout)
				}
			},
		},
		{
			name: "kill-parent",
			program: fmt.Sprintf("import os\nfor f in [lambda: os.kill(%d, 9), lambda: os.kill(%d, 9), lambda: os.kill(os.getppid(), 9), lambda: os.kill(-1, 9),\n"+
				"          lambda: os.killpg(os.getpgid(os.getppid()), 9), lambda: os.killpg(0, 9)]:\n"+
				"    try:\n        f()\n    except OSError as e:\n        print(type(e).__name__, flush=True)\n", canary.Process.Pid, os.Getpid()),
			tc: TestCase{Stdout: "42"}, status: []string{StatusWrong, StatusCrash},
			check: func(t *testing.T, res CaseResult) {
				if err := canary.Process.Signal(syscall.Signal(0)); err != nil {
					t.Fatalf("the canary process died: %v", err)
				}
			},
		},
		{
			name:    "open-files-exhaustion",
			program: "fs = []\ntry:\n    while True:\n        fs.append(open('/dev/null'))\nexcept OSError:\n    pass\nprint(len(fs))\n",
			tc:      TestCase{Stdout: "100000"}, status: []string{StatusWrong},
			check: func(t *testing.T, res CaseResult) {
				n, err := strconv.Atoi(strings.TrimSpace(res.Stdout))
				if err != nil || n >= DefaultLimits().OpenFiles || n < DefaultLimits().OpenFiles-16 {
					t.Fatalf("opened %q files, want just under the limit %d", res.Stdout, DefaultLimits().OpenFiles)
				}
			},
		},
		{
			name: "huge-stdout", program: "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n",
			tc: TestCase{Stdout: "x"}, status: []string{StatusOutputLimit},
		},
		{
			name: "huge-stderr", program: "import sys\nwhile True:\n    sys.stderr.write('y' * 65536)\n",
			tc: TestCase{Stdout: ""}, status: []string{StatusOutputLimit},
			check: func(t *testing.T, res CaseResult) {
				if len(res.Stderr) > stderrKeep+8 {
					t.Fatalf("kept %d bytes of stderr, want at most %d", len(res.Stderr), stderrKeep)
				}
			},
		},
		{
			name: "fill-disk", program: "with open('big', 'wb') as f:\n    while True:\n        f.write(b'z' * (1 << 20))\n",
			tc: TestCase{Stdout: "42"}, lim: func(l *Limits) { l.DiskBytes = 8 << 20 }, status: []string{StatusCrash},
		},
	}
}

func str(n int) string { return strconv.Itoa(n) }

func TestHostilePrograms(t *testing.T) {
	requireBwrap(t, sandboxFor(t, ModeAuto))
	// Most cases wait for a deadline: let them overlap beyond the NumCPU default.
	sb, err := New(context.Background(), Options{MaxParallel: 8})
	if err != nil {
		t.Fatal(err)
	}
	marker := "r1go-hostile-" + uniqueName()
	for _, h := range hostileCases(t, marker) {
		t.Run(h.name, func(t *testing.T) {
			t.Parallel() // mostly waiting for deadlines; each case has its own markers and files
			lim := fastLimits()
			if h.lim != nil {
				h.lim(&lim)
			}
			res := runOne(t, sb, h.program, h.tc, lim)
			t.Logf("status %s exit %d wall %v stdout %.200q stderr %.200q", res.Status, res.ExitCode, res.Wall, res.Stdout, res.Stderr)
			if res.Passed {
				t.Fatalf("a hostile program passed its test")
			}
			okStatus := false
			for _, s := range h.status {
				okStatus = okStatus || res.Status == s
			}
			if !okStatus {
				t.Fatalf("status %q, want one of %v", res.Status, h.status)
			}
			// Never hangs: ends soon after its deadline even on a loaded 2-core machine.
			if res.Wall > lim.Wall+slack {
				t.Fatalf("took %v, want at most the deadline %v + %v", res.Wall, lim.Wall, slack)
			}
			if h.check != nil {
				h.check(t, res)
			}
		})
	}
}

func TestSeccompRefusesEscapes(t *testing.T) {
	sb := sandboxFor(t, ModeAuto)
	requireBwrap(t, sb)
	if sb.seccomp == nil {
		t.Skipf("no seccomp filter on %s", runtime.GOARCH)
	}
	// unshare(CLONE_NEWUSER), ptrace(PTRACE_TRACEME) and mount must fail with EPERM (1).
	prog := "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n" +
		"for r in [libc.unshare(0x10000000), libc.ptrace(0, 0, 0, 0), libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)]:\n" +
		"    print(r, ctypes.get_errno())\n"
	res := runOne(t, sb, prog, TestCase{Stdout: "-1 1\n-1 1\n-1 1"}, DefaultLimits())
	if !res.Passed {
		t.Fatalf("escape system calls were not refused with EPERM: status %s stdout %q stderr %q", res.Status, res.Stdout, res.Stderr)
	}
}

func TestParallelRunsDoNotInterfere(t *testing.T) {
	sandboxFor(t, ModeAuto) // skips without python3
	// All 14 at once, not NumCPU at a time: the point is that they overlap.
	sb, err := New(context.Background(), Options{MaxParallel: 16})
	if err != nil {
		t.Fatal(err)
	}
	marker := "r1go-parallel-" + uniqueName()
	const n = 12
	var wg sync.WaitGroup
	results := make([]Report, n+2)
	errs := make([]error, n+2)
	lim := DefaultLimits()
	lim.Wall = 60 * time.Second // 14 sandboxes on 2 cores: the benign runs must not time out
	hostileLim := fastLimits()
	hostileLim.Wall = 2 * time.Second
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			prog := fmt.Sprintf("import sys\nopen('mine', 'w').write('%d')\nn = int(sys.stdin.read())\nprint(n * %d, open('mine').read())\n", i, i)
			tests := []TestCase{{Stdin: "3", Stdout: fmt.Sprintf("%d %d", 3*i, i)}, {Stdin: "5", Stdout: fmt.Sprintf("%d %d", 5*i, i)}}
			results[i], errs[i] = sb.Run(context.Background(), prog, tests, lim)
		}(i)
	}
	// Two hostile neighbours at the same time: a fork bomb and a CPU hog. With bwrap the
	// bomb re-executes itself to carry marker; in the fallback modes the interpreter may be
	// out of the unprivileged uid's reach, and the run directory marks the processes.
	bomb := fmt.Sprintf("import os, sys\nos.execv(sys.executable, [sys.executable, '-c', 'import os\\nwhile True:\\n    try: os.fork()\\n    except OSError: pass', %q])\n", marker)
	if sb.Mode() != ModeBwrap {
		bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
		marker = "/" + workDirPrefix()
	}
	for j, prog := range []string{bomb, "while True: pass\n"} {
		wg.Add(1)
		go func(k int, prog string) {
			defer wg.Done()
			results[k], errs[k] = sb.Run(context.Background(), prog, []TestCase{{Stdout: "1"}}, hostileLim)
		}(n+j, prog)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
		if !results[i].AllPassed() {
			t.Errorf("run %d: %d/%d passed: %+v", i, results[i].Passed, results[i].Total, results[i].Results)
		}
	}
	for k := n; k < n+2; k++ {
		if errs[k] != nil || results[k].Passed != 0 || results[k].Results[0].Status != StatusTimeout {
			t.Errorf("hostile neighbour %d: %+v %v", k-n, results[k], errs[k])
		}
	}
	assertNoSurvivors(t, marker)
}

// TestFallbackModes runs a smaller battery in the weaker modes a machine without
// bubblewrap uses.
func TestFallbackModes(t *testing.T) {
	for _, m := range []Mode{ModeUnshare, ModeRlimits} {
		t.Run(string(m), func(t *testing.T) {
			sb := sandboxFor(t, m)
			marker := "r1go-fallback-" + uniqueName()
			res := runOne(t, sb, "print(sum(map(int, input().split())))\n", TestCase{Stdin: "2 3", Stdout: "5"}, fastLimits())
			if !res.Passed {
				t.Fatalf("correct program failed: %+v", res)
			}
			res = runOne(t, sb, "print(6)\n", TestCase{Stdout: "5"}, fastLimits())
			if res.Passed || res.Status != StatusWrong {
				t.Fatalf("wrong program: %+v", res)
			}
			if m == ModeUnshare { // a shell is PID 1 there: SIGXCPU must still end the program
				res = runOne(t, sb, "while True: pass\n", TestCase{Stdout: "5"}, fastLimits())
				if res.Status != StatusTimeout || res.ExitCode != 128+sigXCPU {
					t.Fatalf("infinite loop: %+v", res)
				}
			}
			res = runOne(t, sb, "x = bytearray(10 * 1024 ** 3)\n", TestCase{Stdout: "5"}, fastLimits())
			if res.Status != StatusMemory {
				t.Fatalf("10 GB allocation: %+v", res)
			}
			res = runOne(t, sb, "import sys\nwhile True: sys.stdout.write('x' * 65536)\n", TestCase{Stdout: "5"}, fastLimits())
			if res.Status != StatusOutputLimit {
				t.Fatalf("huge output: %+v", res)
			}
			if !sb.root {
				t.Skip("the rest needs a uid of its own per run (r1go running as root)")
			}
			lim := fastLimits()
			lim.Wall = time.Second
			// Without a private filesystem view the program cannot re-execute a Python that
			// lives under /root, so its processes are recognised by the run's directory.
			runDir := "/" + workDirPrefix()
			res = runOne(t, sb, "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", TestCase{Stdout: "5"}, lim)
			if res.Status != StatusTimeout {
				t.Fatalf("fork bomb: %+v", res)
			}
			assertNoSurvivors(t, runDir)
			res = runOne(t, sb, "import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\ntime.sleep(0.2)\nprint(5)\n", TestCase{Stdout: "5"}, fastLimits())
			if !res.Passed || res.Wall > 10*time.Second {
				t.Fatalf("daemonising program (the daemon sleeps 60 s): %+v", res)
			}
			assertNoSurvivors(t, runDir)
			wd, _ := os.Getwd()
			pwned := filepath.Join(wd, "pwned-"+marker)
			t.Cleanup(func() { os.Remove(pwned) })
			res = runOne(t, sb, fmt.Sprintf("import os\ntry:\n    open(%q, 'w').write('x')\nexcept OSError as e:\n    print(type(e).__name__)\nos.kill(-1, 9)\n", pwned), TestCase{Stdout: "5"}, fastLimits())
			if _, err := os.Stat(pwned); err == nil {
				t.Fatalf("the program wrote into the repository: %+v", res)
			}
		})
	}
}

func TestLimitsValidation(t *testing.T) {
	sb := sandboxFor(t, ModeAuto)
	cases := []struct {
		field string
		mod   func(*Limits)
	}{
		{"Wall", func(l *Limits) { l.Wall = 0 }},
		{"CPU", func(l *Limits) { l.CPU = -time.Second }},
		{"MemoryBytes", func(l *Limits) { l.MemoryBytes = 1 << 20 }},
		{"MaxProcs", func(l *Limits) { l.MaxProcs = 0 }},
		{"MaxOutputBytes", func(l *Limits) { l.MaxOutputBytes = 0 }},
		{"DiskBytes", func(l *Limits) { l.DiskBytes = 100 }},
		{"OpenFiles", func(l *Limits) { l.OpenFiles = 3 }},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			lim := DefaultLimits()
			c.mod(&lim)
			_, err := sb.Run(context.Background(), "print(1)", []TestCase{{Stdout: "1"}}, lim)
			if err == nil || !strings.Contains(err.Error(), "Limits."+c.field) {
				t.Fatalf("got error %v, want one naming Limits.%s", err, c.field)
			}
		})
	}
}

func TestContextCancelStopsRun(t *testing.T) {
	sb := sandboxFor(t, ModeAuto)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := sb.Run(ctx, "import time\ntime.sleep(30)\n", []TestCase{{Stdout: "1"}, {Stdout: "2"}}, DefaultLimits())
	if err == nil || time.Since(start) > slack {
		t.Fatalf("got %v after %v, want a context error soon after 300ms", err, time.Since(start))
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	if _, err := New(context.Background(), Options{Mode: "docker"}); err == nil || !strings.Contains(err.Error(), `"docker"`) {
		t.Fatalf("unknown mode: got %v", err)
	}
	if _, err := New(context.Background(), Options{Python: "/nonexistent/python3"}); err == nil || !strings.Contains(err.Error(), "/nonexistent/python3") {
		t.Fatalf("missing interpreter: got %v", err)
	}
	if _, err := New(context.Background(), Options{Python: "true"}); err == nil || !strings.Contains(err.Error(), "probing python") {
		t.Fatalf("not a python: got %v", err)
	}
}

func TestPackageLevelRunAndProtections(t *testing.T) {
	sandboxFor(t, ModeAuto) // skips without python3
	p := Protections()
	if len(p) < 3 || strings.HasPrefix(p[0], "unavailable") {
		t.Fatalf("Protections() = %q", p)
	}
	rep, err := Run(context.Background(), "print(input()[::-1])\n", []TestCase{{Stdin: "abc", Stdout: "cba"}}, DefaultLimits())
	if err != nil || !rep.AllPassed() {
		t.Fatalf("Run: %+v %v", rep, err)
	}
	if strings.Join(rep.Protections, "\n") != strings.Join(p, "\n") {
		t.Fatalf("Report.Protections %q differ from Protections() %q", rep.Protections, p)
	}
}

func TestMaxParallelQueuesRuns(t *testing.T) {
	sandboxFor(t, ModeAuto) // skips without python3
	sb, err := New(context.Background(), Options{MaxParallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	reps := make([]Report, 2)
	errs := make([]error, 2)
	start := time.Now()
	for i := range reps {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			reps[i], errs[i] = sb.Run(context.Background(), "import time\ntime.sleep(0.5)\nprint('done')\n", []TestCase{{Stdout: "done"}}, DefaultLimits())
		}(i)
	}
	wg.Wait()
	elapsed := time.Since(start)
	for i := range reps {
		if errs[i] != nil || !reps[i].AllPassed() {
			t.Fatalf("run %d: %+v %v", i, reps[i], errs[i])
		}
	}
	// One at a time: the runs did not overlap, and the waiting is not in their Wall.
	w0, w1 := reps[0].Results[0].Wall, reps[1].Results[0].Wall
	if elapsed < w0+w1 {
		t.Fatalf("elapsed %v < %v + %v: the runs overlapped with MaxParallel 1", elapsed, w0, w1)
	}
	if _, err := New(context.Background(), Options{MaxParallel: -1}); err == nil || !strings.Contains(err.Error(), "MaxParallel") {
		t.Fatalf("negative MaxParallel: got %v", err)
	}
}

// TestNumpyImports checks that a compiled package with shared-library dependencies
// (numpy: OpenBLAS through Debian's /etc/alternatives) works under the default limits, with
// whichever interpreter here has it.
func TestNumpyImports(t *testing.T) {
	sandboxFor(t, ModeAuto) // skips without python3
	var py string
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(cand, "-c", "import numpy").Run() == nil {
			py = cand
			break
		}
	}
	if py == "" {
		t.Skip("no python3 here has numpy")
	}
	sb, err := New(context.Background(), Options{Python: py})
	if err != nil {
		t.Fatal(err)
	}
	prog := "import numpy as np\nprint(int(np.arange(10).sum()), np.linalg.solve(np.array([[2.0, 0], [0, 4]]), np.array([2.0, 8]))[1])\n"
	res := runOne(t, sb, prog, TestCase{Stdout: "45 2.0"}, DefaultLimits())
	if !res.Passed {
		t.Fatalf("numpy program (%s): %s, stdout %q, stderr %q", sb.Python(), res.Status, res.Stdout, res.Stderr)
	}
}
