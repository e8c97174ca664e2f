#!/usr/bin/env bash
# The test command (README; .ci/run calls exactly this). Installs what the tests need, then runs them
# on GoMLX's pure Go backend. Each scripts/setup.d/*.sh installs one thing idempotently.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOMLX_BACKEND=go:ops_sequential GOMLX_NO_AUTO_INSTALL=1
for s in scripts/setup.d/*.sh; do
  [ -e "$s" ] || continue
  echo "== setup: $s"
  bash "$s"
done
echo "== go vet"
go vet ./...
echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "== go test"
go test -timeout 20m ./... "$@"
