//go:build r1go_goxla_async

package backend

// asyncPatch: built by scripts/gpu-build.sh ASYNC=1, with go-xla patched to honour AsyncEnv.
const asyncPatch = true
