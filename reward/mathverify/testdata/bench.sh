#!/usr/bin/env bash
# Math answer verification throughput, r1go's reward/mathverify against a naive string
# match (Go, same process) and the Python peers of peer_bench.py, on one workload
# (bench_pairs.jsonl: the 492 table cases, each prediction inside a one-sentence boxed
# response). Figures are verifications per CPU-second on one core, so they hold on a
# loaded machine. The sympy peer needs Debian's python3-lark (apt-get install python3-lark).
# Usage: bash reward/mathverify/testdata/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOMLX_BACKEND=go:ops_sequential GOMLX_NO_AUTO_INSTALL=1
go_out=$(go test -run '^$' -bench 'Verify$|NaiveStringMatch$' -cpu 1 -benchtime 3s -count 3 .)
echo "$go_out" | grep Benchmark
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { echo "$go_out" | grep "^$1" | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "verifications/cpu-s") print $i }' | median; }
go_rate=$(rate 'BenchmarkVerify')
naive_rate=$(rate 'BenchmarkNaiveStringMatch')
py_out=$(python3 testdata/peer_bench.py testdata/bench_pairs.jsonl 3)
echo "$py_out"
echo "r1go median: $go_rate verifications/cpu-s; Go naive string match median: $naive_rate"
echo "$py_out" | awk -v go="$go_rate" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } if (f["verifications_per_cpu_s"] > 0) printf "ratio r1go / %s peer: %.2fx\n", f["peer"], go / f["verifications_per_cpu_s"] }'
