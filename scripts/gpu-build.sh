#!/usr/bin/env bash
# Builds r1go for NVIDIA GPUs into .gpu/ (r1go, and the Triton kernels' GPU tests), with cgo,
# stripped (the device tool carries at most 64 MiB). Use it for GPU machines instead of a plain
# `go build`: it patches go-xla at build time so that program calls run asynchronously.
#
# The patch: nothing of go-xla is copied into this repository. The module cache's copy is copied
# to $TMPDIR, patched there, and used through a go.mod of its own, .gpu/async.mod, with a
# replace directive; the repository's go.mod is not touched. go-xla v0.1.4's Execute always
# waits for the call's completion event (ExecuteAndWait), so the host cannot launch the next
# decode call while the GPU runs this one. Patched, a call returns once its kernels are
# launched, unless GOXLA_ASYNC_EXECUTE=0 is in the environment. PJRT's executions are
# asynchronous by design (JAX runs them so): outputs come back as buffers whose contents are
# still being computed, later calls wait for them on the device, and reading one to the host
# waits for it. On one H200 (0.5B, 256 rows) decoding runs at 92.3k new tokens/s against 83.2k
# waiting (BENCHMARKS.md, session 7).
#
#   bash scripts/gpu-build.sh            # .gpu/r1go, .gpu/triton.test (patched)
#   ASYNC=0 bash scripts/gpu-build.sh    # the same without the patch: every call waits
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .gpu
flags=(-ldflags=-s\ -w)
if [[ ${ASYNC:-1} == 1 ]]; then
	mod=$(go list -m -f '{{.Dir}}' github.com/gomlx/go-xla)
	ver=$(go list -m -f '{{.Version}}' github.com/gomlx/go-xla)
	[[ $ver == v0.1.4 ]] || { echo "gpu-build: the async patch is written for go-xla v0.1.4, this module has $ver" >&2; exit 1; }
	patched=${TMPDIR:-/tmp}/r1go-go-xla-$ver-async
	rm -rf "$patched" && cp -r "$mod" "$patched" && chmod -R u+w "$patched"
	src=$patched/pkg/pjrt/loadedexecutables.go
	# The one line that asks PJRT for completion events (ExecuteAndWait then awaits them) is
	# skipped when asyncExecute is set.
	line='	args.device_complete_events = (**C.PJRT_Event)(unsafe.SliceData(perDeviceEvents))'
	[[ $(grep -cxF "$line" "$src") == 1 ]] || { echo "gpu-build: $src does not have the expected line" >&2; exit 1; }
	awk -v line="$line" '$0 == line { print "\tif !asyncExecute() {"; print "\t" $0; print "\t}"; next } { print }' "$src" > "$src.new"
	mv "$src.new" "$src"
	cat > "$patched/pkg/pjrt/r1go_async.go" <<'GO'
package pjrt

import (
	"os"
	"sync"
)

// asyncExecute (r1go's scripts/gpu-build.sh): program calls return without waiting for the
// device, unless GOXLA_ASYNC_EXECUTE=0 when the first program runs.
var asyncExecute = sync.OnceValue(func() bool { return os.Getenv("GOXLA_ASYNC_EXECUTE") != "0" })
GO
	cp go.mod .gpu/async.mod && cp go.sum .gpu/async.sum
	go mod edit -modfile=.gpu/async.mod -replace "github.com/gomlx/go-xla=$patched"
	flags+=(-modfile=.gpu/async.mod -tags=r1go_goxla_async)
fi
CGO_ENABLED=1 go build "${flags[@]}" -o .gpu/r1go ./cmd/r1go
CGO_ENABLED=1 go test "${flags[@]}" -c -o .gpu/triton.test ./internal/triton
du -sh .gpu
