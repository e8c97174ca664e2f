package backend

import (
	"os"
	"path/filepath"
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

// A plain build (no r1go_goxla_async tag) never runs program calls asynchronously, and says
// that GOXLA_ASYNC_EXECUTE=1 is ignored.
func TestAsyncNeedsThePatchedBuild(t *testing.T) {
	if asyncPatch {
		t.Skip("built with the go-xla patch")
	}
	t.Setenv(AsyncEnv, "1")
	if AsyncExecute() || !AsyncIgnored() {
		t.Errorf("plain build with %s=1: AsyncExecute %v, AsyncIgnored %v; want false, true", AsyncEnv, AsyncExecute(), AsyncIgnored())
	}
	t.Setenv(AsyncEnv, "")
	if AsyncExecute() || AsyncIgnored() {
		t.Errorf("plain build without %s: AsyncExecute %v, AsyncIgnored %v; want false, false", AsyncEnv, AsyncExecute(), AsyncIgnored())
	}
}
