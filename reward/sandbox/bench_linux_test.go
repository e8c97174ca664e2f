package sandbox

import (
	"context"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The sandbox's overhead: the same trivial program through Run (a fresh sandbox per
// test case) and as a plain `python3 -c`, GOMAXPROCS at a time. Wall-clock throughput
// only: bwrap's outer process does not reap the sandbox's init, so the children's CPU
// time cannot be read from RUSAGE_CHILDREN. Run all in one command:
//
//	go test -run XXX -bench 'Trivial' -cpu 2 -count 3 ./reward/sandbox/

func BenchmarkSandboxTrivial(b *testing.B) {
	sb, err := Default()
	if err != nil {
		b.Skip(err)
	}
	b.Logf("mode %s", sb.Mode())
	tests := []TestCase{{Stdout: "1"}}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rep, err := sb.Run(context.Background(), "print(1)\n", tests, DefaultLimits())
			if err != nil || !rep.AllPassed() {
				b.Errorf("run failed: %+v %v", rep, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

func BenchmarkPlainPythonTrivial(b *testing.B) { benchPlain(b, "-c", "print(1)") }

// BenchmarkPlainPythonIsolatedTrivial starts the interpreter with the flags the sandbox uses
// (-I -B), so that the difference to BenchmarkSandboxTrivial is the sandbox alone.
func BenchmarkPlainPythonIsolatedTrivial(b *testing.B) { benchPlain(b, "-I", "-B", "-c", "print(1)") }

func benchPlain(b *testing.B, args ...string) {
	sb, err := Default()
	if err != nil {
		b.Skip(err)
	}
	py := sb.Python()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			out, err := exec.Command(py, args...).Output()
			if err != nil || string(out) != "1\n" {
				b.Errorf("python3 -c: %q %v", out, err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkLatencyTrivial runs the trivial program one at a time, alternating the sandbox
// and a plain `python3 -I -B -c` so that both see the same background load. It reports the
// minimum and median wall time of each and the CPU time (user + system, all processes of
// the run) per run, which other load on the machine hardly changes. The sandbox's own
// processes are re-parented to this process (a child subreaper) and reaped after each run,
// so that RUSAGE_CHILDREN counts them.
func BenchmarkLatencyTrivial(b *testing.B) {
	sb, err := Default()
	if err != nil {
		b.Skip(err)
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		b.Skipf("cannot become a child subreaper: %v", err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
	reapAll := func() { // no exec.Cmd is in flight here: every child left is an orphan
		for {
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(-1, &ws, 0, nil); err == syscall.ECHILD {
				return
			}
		}
	}
	py := sb.Python()
	tests := []TestCase{{Stdout: "1"}}
	var boxed, plain []time.Duration
	var boxedCPU, plainCPU time.Duration
	reapAll()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c0, t0 := childCPU(b), time.Now()
		rep, err := sb.Run(context.Background(), "print(1)\n", tests, DefaultLimits())
		if err != nil || !rep.AllPassed() {
			b.Fatalf("run failed: %+v %v", rep, err)
		}
		t1 := time.Now()
		reapAll()
		c1, tp := childCPU(b), time.Now()
		if out, err := exec.Command(py, "-I", "-B", "-c", "print(1)").Output(); err != nil || string(out) != "1\n" {
			b.Fatalf("python3 -c: %q %v", out, err)
		}
		t2 := time.Now()
		c2 := childCPU(b)
		boxed, plain = append(boxed, t1.Sub(t0)), append(plain, t2.Sub(tp))
		boxedCPU += c1 - c0
		plainCPU += c2 - c1
	}
	b.StopTimer()
	for _, m := range []struct {
		name string
		d    []time.Duration
		cpu  time.Duration
	}{{"sandbox", boxed, boxedCPU}, {"plain", plain, plainCPU}} {
		slices.Sort(m.d)
		b.ReportMetric(float64(m.d[0])/1e6, m.name+"-min-ms")
		b.ReportMetric(float64(m.d[len(m.d)/2])/1e6, m.name+"-p50-ms")
		b.ReportMetric(float64(m.cpu)/float64(b.N)/1e6, m.name+"-cpu-ms")
	}
}

// childCPU is the CPU time (user + system) of all reaped child processes so far.
func childCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
