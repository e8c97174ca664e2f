package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// R1GO_CPUPROFILE writes a profile that go tool pprof reads (gzip-compressed protobuf); a
// path that cannot be created is named in the error; no path profiles nothing.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	stop, err := cpuProfile(path)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("profile %s: %d bytes, %v; want a gzip stream", path, len(b), err)
	}
	if _, err := cpuProfile(filepath.Join(t.TempDir(), "no-such-dir", "cpu.prof")); err == nil || !strings.Contains(err.Error(), "R1GO_CPUPROFILE") {
		t.Errorf("uncreatable path: %v, want an error naming R1GO_CPUPROFILE", err)
	}
	stop, err = cpuProfile("")
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
