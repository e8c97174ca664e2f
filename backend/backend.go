// Package backend picks and describes the GoMLX backend r1go computes on:
// the pure Go backend ("cpu") or XLA through a CUDA PJRT plugin ("cuda").
//
// r1go never lets GoMLX download anything: the CUDA plugin is found on disk
// (PJRT_PLUGIN_LIBRARY_PATH, then the site-packages of any python3 on PATH)
// and handed to XLA by absolute path.
package backend

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-xla/pkg/pjrt"
	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego" // the "go" backend
	"github.com/gomlx/gomlx/backends/xla"        // the "xla" backend (PJRT plugins), registered on import
	"github.com/r1go/r1go/internal/guard"
)

// Flag documents the --backend flag every computing subcommand shares.
const Flag = "compute backend: cpu (pure Go), cuda (XLA CUDA PJRT plugin), or any GOMLX_BACKEND string (e.g. go:ops_sequential, xla:/abs/path/plugin.so); default cuda when a CUDA plugin is found, else cpu"

// CPUConfig is the GoMLX configuration r1go uses for "cpu". The parallel op scheduler of the
// pure Go backend can deadlock on independent products; ops_sequential avoids it.
const CPUConfig = "go:ops_sequential"

// Resolve turns a user's --backend value ("" for the default) into a GoMLX backend
// configuration string, without creating the backend.
func Resolve(choice string) (string, error) {
	switch choice {
	case "", "auto":
		if p := FindCUDAPlugin(); p != "" {
			return "xla:" + p, nil
		}
		return CPUConfig, nil
	case "cpu", "go":
		return CPUConfig, nil
	case "cuda", "gpu":
		p := FindCUDAPlugin()
		if p == "" {
			return "", fmt.Errorf("--backend cuda: no CUDA PJRT plugin found: set PJRT_PLUGIN_LIBRARY_PATH to the directory or file of xla_cuda_plugin.so, or install jax-cuda13-pjrt for a python3 on PATH (r1go never downloads plugins)")
		}
		return "xla:" + p, nil
	}
	name, cfg, _ := strings.Cut(choice, ":")
	if name == "xla" && !filepath.IsAbs(strings.Split(cfg, ",")[0]) {
		return "", fmt.Errorf("--backend %q: give the PJRT plugin as an absolute path (xla:/abs/path/plugin.so); r1go does not auto-install plugins", choice)
	}
	return choice, nil
}

// New creates the backend for a --backend value. It sets GOMLX_NO_AUTO_INSTALL so that GoMLX
// never tries to download a plugin. On XLA, XLA_PYTHON_CLIENT_PREALLOCATE=false (the variable
// JAX reads) makes the GPU allocator grow with the run instead of reserving most of the
// device's memory at start, so that nvidia-smi shows what the run uses.
func New(choice string) (b backends.Backend, err error) {
	b, _, err = NewWith(choice, os.Getenv("XLA_PYTHON_CLIENT_PREALLOCATE") != "false")
	return b, err
}

// NewWith is New with the XLA GPU allocator's preallocation chosen: preallocate false asks the
// PJRT plugin not to reserve the device's memory at start (its pool then grows to what the run
// needs and never shrinks). grows reports that the plugin took that option; when it refuses
// it, the backend is created with the plugin's defaults and a note on stderr.
func NewWith(choice string, preallocate bool) (b backends.Backend, grows bool, err error) {
	cfg, err := Resolve(choice)
	if err != nil {
		return nil, false, err
	}
	os.Setenv("GOMLX_NO_AUTO_INSTALL", "1")
	if os.Getenv("GOPJRT_CUDA_CHECKS") == "" {
		os.Setenv("GOPJRT_CUDA_CHECKS", "0")
	}
	if strings.HasPrefix(cfg, "xla:") {
		os.Setenv("XLA_FLAGS", XLAFlags(os.Getenv("XLA_FLAGS"), autotuneDir()))
	}
	if name, plugin, _ := strings.Cut(cfg, ":"); name == "xla" && !preallocate {
		var newErr error
		if err := guard.Run(func() {
			b, newErr = xla.NewWithOptions(plugin, pjrt.NamedValuesMap{"preallocate": false})
		}); err != nil {
			newErr = err
		}
		if newErr == nil {
			return b, true, nil
		}
		fmt.Fprintf(os.Stderr, "r1go: the PJRT plugin refused preallocate=false (%v); using its defaults\n", newErr)
	}
	var newErr error
	if err := guard.Run(func() { b, newErr = backends.NewWithConfig(cfg) }); err != nil {
		newErr = err
	}
	if err := newErr; err != nil {
		return nil, false, fmt.Errorf("creating backend %q: %w", cfg, err)
	}
	return b, false, nil
}

// NoCommandBuffers is the XLA flag r1go adds unless XLA_FLAGS already sets it: no CUDA graphs
// (XLA's "command buffers"). A decode step is one program of about 250 small kernels, and
// running it as a CUDA graph has been slower each time it was measured on an H200 (0.5B, 256
// rows: session 4, 47.0k new tokens/s with graphs against 55.8k without; session 6, 82.8k
// against 85.5k; session 7, with asynchronous calls and no buffer of the program moving
// between calls, 68.2k against 90.8k: with graphs a call returns only when its work is done,
// BENCHMARKS.md, call 38).
const NoCommandBuffers = "--xla_gpu_enable_command_buffer="

// autotuneFlag keeps XLA's GEMM autotuning results in a directory, so that a program compiled
// again (the next run, or the same shapes in another command) skips the trial runs.
const autotuneFlag = "--xla_gpu_per_fusion_autotune_cache_dir"

// XLAFlags returns the XLA_FLAGS r1go runs XLA with, given the user's and a directory for
// autotuning results ("" for none): theirs, plus NoCommandBuffers and the autotuning cache
// where they do not set those flags themselves.
func XLAFlags(user, autotuneDir string) string {
	flags := user
	if !strings.Contains(user, "xla_gpu_enable_command_buffer") {
		flags += " " + NoCommandBuffers
	}
	if autotuneDir != "" && !strings.Contains(user, autotuneFlag) {
		flags += " " + autotuneFlag + "=" + autotuneDir
	}
	return strings.TrimSpace(flags)
}

// autotuneDir is r1go's directory for XLA's autotuning results (in the user's cache
// directory), created if needed; "" when there is none to use.
func autotuneDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	dir := filepath.Join(base, "r1go", "xla-autotune")
	if os.MkdirAll(dir, 0o755) != nil {
		return ""
	}
	return dir
}

// Describe is a one-line description of a backend for logs: its name and device.
func Describe(b backends.Backend) string {
	return fmt.Sprintf("backend %s (%s)", b.Name(), b.Description())
}

// IsCPU reports whether b is the pure Go backend (which lacks DynamicSlice,
// DynamicUpdateSlice and Pad, and is slow).
func IsCPU(b backends.Backend) bool {
	return b.Name() == "go" || strings.HasSuffix(b.Name(), "(go)") // GoMLX 0.26 names it "SimpleGo (go)"
}

// IsCUDA reports whether b is an XLA backend on an NVIDIA GPU (a CUDA PJRT plugin).
func IsCUDA(b backends.Backend) bool {
	return strings.Contains(strings.ToLower(b.Name()), "xla") && strings.Contains(strings.ToLower(b.Description()), "cuda")
}

// FindCUDAPlugin returns the absolute path of a CUDA PJRT plugin, or "" when none is found.
// It looks at PJRT_PLUGIN_LIBRARY_PATH (a file, or directories separated by ':'), then at
// jax_plugins/xla_cuda*/xla_cuda_plugin.so in the site-packages of each python3 on PATH.
func FindCUDAPlugin() string {
	if env := os.Getenv("PJRT_PLUGIN_LIBRARY_PATH"); env != "" {
		for _, p := range filepath.SplitList(env) {
			if st, err := os.Stat(p); err == nil && !st.IsDir() && strings.Contains(filepath.Base(p), "cuda") {
				return abs(p)
			}
			if m, _ := filepath.Glob(filepath.Join(p, "*cuda*.so")); len(m) > 0 {
				return abs(m[0])
			}
			if m, _ := filepath.Glob(filepath.Join(p, "xla_cuda*", "xla_cuda_plugin.so")); len(m) > 0 {
				return abs(m[0])
			}
		}
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		py := filepath.Join(dir, "python3")
		if _, err := os.Stat(py); err != nil {
			continue
		}
		for _, sp := range sitePackages(py) {
			if m, _ := filepath.Glob(filepath.Join(sp, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")); len(m) > 0 {
				return abs(m[len(m)-1])
			}
		}
	}
	return ""
}

// sitePackages asks a python3 interpreter for its site-packages directories.
func sitePackages(python string) []string {
	// Reading the directories from the interpreter is exact; globbing lib/python3*/site-packages
	// next to the interpreter is the fallback when it cannot run.
	out, err := exec.Command(python, "-c", "import site,sys;print('\\n'.join(site.getsitepackages()+[site.getusersitepackages()]))").Output()
	if err == nil {
		return strings.Fields(string(out))
	}
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(python)), "lib", "python3*", "site-packages"))
	return m
}

func abs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
