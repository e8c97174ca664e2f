package backend

import (
	"os"

	"github.com/gomlx/gomlx/backends"
)

// AsyncEnv is the environment variable that chooses whether program calls on XLA return once
// their kernels are launched (asynchronous) or when the device has finished them. Builds with
// go-xla patched for it (scripts/gpu-build.sh, build tag r1go_goxla_async) are asynchronous
// unless it is "0"; plain builds (go build, go install) always wait, and ignore it.
//
// On one H200 (0.5B, 256 rows, 512 + 1024 tokens; BENCHMARKS.md, session 7) asynchronous calls
// decode 92.3k new tokens/s against 83.2k waiting: the host launches the next call's kernels
// while the device runs this one's.
const AsyncEnv = "GOXLA_ASYNC_EXECUTE"

// AsyncExecute reports whether program calls on XLA return without waiting for the device.
func AsyncExecute() bool { on, _ := asyncMode(asyncPatch, os.Getenv(AsyncEnv)); return on }

// AsyncIgnored reports that AsyncEnv asks for asynchronous calls that this build cannot make.
func AsyncIgnored() bool { _, ignored := asyncMode(asyncPatch, os.Getenv(AsyncEnv)); return ignored }

// asyncMode decides for a build with or without the patch and AsyncEnv's value. The patch's own
// switch (scripts/gpu-build.sh) reads the variable the same way.
func asyncMode(patched bool, env string) (on, ignored bool) {
	if patched {
		return env != "0", false
	}
	return false, env == "1"
}

// CallsNote is a line for a command's log on how program calls run on b: "" off CUDA, else
// whether they are asynchronous, and in a plain build how to make them so.
func CallsNote(b backends.Backend) string {
	if !IsCUDA(b) {
		return ""
	}
	return callsNote(asyncPatch, os.Getenv(AsyncEnv))
}

func callsNote(patched bool, env string) string {
	switch on, _ := asyncMode(patched, env); {
	case on:
		return "program calls are asynchronous"
	case patched:
		return "program calls wait for the device (" + AsyncEnv + "=0)"
	}
	return "program calls wait for the device; a build by scripts/gpu-build.sh makes them asynchronous (decoding about 10% faster)"
}
