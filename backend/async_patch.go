//go:build r1go_goxla_async

package backend

// asyncPatch: built by scripts/gpu-build.sh, with go-xla patched to honour AsyncEnv.
const asyncPatch = true
