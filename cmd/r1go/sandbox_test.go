package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

func TestSandboxCommand(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sandbox runs on Linux only")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	square := write("square.py", "n = int(input())\nprint(n * n)\n")
	response := write("response.txt", "<think>easy</think>\n```python\nn = int(input())\nprint(n * n)\n```\n")
	in := write("in.txt", "7\n")
	good := write("good.txt", "49\n")
	bad := write("bad.txt", "50\n")
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"protections-only", []string{"sandbox"}, 0},
		{"passes", []string{"sandbox", "--program", square, "--stdin", in, "--expect", good}, 0},
		{"extracted-passes", []string{"sandbox", "--program", response, "--extract", "--stdin", in, "--expect", good}, 0},
		{"wrong-output-fails", []string{"sandbox", "--program", square, "--stdin", in, "--expect", bad}, 1},
		{"no-program-in-response", []string{"sandbox", "--program", in, "--extract"}, 1},
		{"missing-file", []string{"sandbox", "--program", filepath.Join(dir, "nope.py")}, 1},
		{"stdin-without-program", []string{"sandbox", "--stdin", in}, 1},
		{"bad-limit", []string{"sandbox", "--program", square, "--memory-mb", "1"}, 1},
		{"bad-mode", []string{"sandbox", "--mode", "docker"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runMain(c.args); got != c.want {
				t.Fatalf("r1go %v exited %d, want %d", c.args, got, c.want)
			}
		})
	}
}
