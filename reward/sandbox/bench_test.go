package sandbox

import (
	"context"
	"os/exec"
	"testing"
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
