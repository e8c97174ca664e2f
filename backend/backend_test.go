package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCPUBackend(t *testing.T) {
	b, err := New("cpu")
	if err != nil {
		t.Fatal(err)
	}
	if !IsCPU(b) {
		t.Errorf("IsCPU(%q) = false", b.Name())
	}
}

func TestCUDAWithoutPluginIsAnError(t *testing.T) {
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", t.TempDir())
	t.Setenv("PATH", t.TempDir()) // no python3 to ask
	if _, err := Resolve("cuda"); err == nil {
		t.Fatal("cuda without a plugin was accepted")
	}
	if cfg, err := Resolve(""); err != nil || cfg != CPUConfig {
		t.Fatalf("default without a plugin = %q, %v; want %q", cfg, err, CPUConfig)
	}
	if _, err := Resolve("xla:cuda"); err == nil {
		t.Fatal("a relative plugin name (which would trigger GoMLX's auto-install) was accepted")
	}
}

func TestFindPluginFromEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "xla_cuda13", "xla_cuda_plugin.so")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PJRT_PLUGIN_LIBRARY_PATH", dir)
	t.Setenv("PATH", t.TempDir())
	cfg, err := Resolve("cuda")
	if err != nil || cfg != "xla:"+p {
		t.Fatalf("Resolve(cuda) = %q, %v; want xla:%s", cfg, err, p)
	}
	if cfg, _ := Resolve(""); cfg != "xla:"+p {
		t.Fatalf("default with a plugin = %q, want cuda", cfg)
	}
}

func TestXLAFlags(t *testing.T) {
	const at = autotuneFlag + "=/c"
	for _, c := range []struct{ user, dir, want string }{
		{"", "", NoCommandBuffers},
		{"", "/c", NoCommandBuffers + " " + at},
		{"--xla_dump_to=/tmp/d", "/c", "--xla_dump_to=/tmp/d " + NoCommandBuffers + " " + at},
		// the user's own choices stand
		{"--xla_gpu_enable_command_buffer=FUSION", "/c", "--xla_gpu_enable_command_buffer=FUSION " + at},
		{autotuneFlag + "=/mine", "/c", autotuneFlag + "=/mine " + NoCommandBuffers},
	} {
		if got := XLAFlags(c.user, c.dir); got != c.want {
			t.Errorf("XLAFlags(%q, %q) = %q, want %q", c.user, c.dir, got, c.want)
		}
	}
}

// A patched build is asynchronous unless GOXLA_ASYNC_EXECUTE is "0"; a plain build never is,
// and says that GOXLA_ASYNC_EXECUTE=1 is ignored; AsyncExecute and AsyncIgnored read the variable.
func TestAsyncMode(t *testing.T) {
	for _, c := range []struct {
		patched     bool
		env         string
		on, ignored bool
	}{
		{true, "", true, false}, {true, "1", true, false}, {true, "0", false, false},
		{false, "", false, false}, {false, "1", false, true}, {false, "0", false, false},
	} {
		if on, ignored := asyncMode(c.patched, c.env); on != c.on || ignored != c.ignored {
			t.Errorf("asyncMode(patched %v, %s=%q) = %v, %v; want %v, %v", c.patched, AsyncEnv, c.env, on, ignored, c.on, c.ignored)
		}
	}
	t.Setenv(AsyncEnv, "1")
	if on, ignored := asyncMode(asyncPatch, "1"); AsyncExecute() != on || AsyncIgnored() != ignored {
		t.Errorf("this build with %s=1: AsyncExecute %v, AsyncIgnored %v; want %v, %v", AsyncEnv, AsyncExecute(), AsyncIgnored(), on, ignored)
	}
}

// The log line names the mode, and a plain build's names the way to asynchronous calls.
func TestCallsNote(t *testing.T) {
	for _, c := range []struct {
		patched bool
		env     string
		want    string
	}{
		{true, "", "asynchronous"}, {true, "0", AsyncEnv + "=0"}, {false, "", "scripts/gpu-build.sh"}, {false, "1", "scripts/gpu-build.sh"},
	} {
		if got := callsNote(c.patched, c.env); !strings.Contains(got, c.want) {
			t.Errorf("callsNote(patched %v, %q) = %q, want it to mention %q", c.patched, c.env, got, c.want)
		}
	}
}
