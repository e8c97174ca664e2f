#!/usr/bin/env bash
# The AdamW benchmark of BENCHMARKS.md ("train: AdamW update"): r1go's in-graph AdamW on
# the pure Go backend, the same update as a plain Go loop, and numpy (Debian python3-numpy),
# alternated three times in one shell. Compare the cpu-ms/op figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
export GOMLX_BACKEND=go:ops_sequential GOMLX_NO_AUTO_INSTALL=1
go test -c -o /tmp/r1go-train.test ./train
for i in 1 2 3; do
  /tmp/r1go-train.test -test.run '^$' -test.bench 'AdamW' -test.benchtime 5x | grep Benchmark
  /usr/bin/python3 train/testdata/bench_adamw.py 5
done
uptime
