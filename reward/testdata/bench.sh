#!/usr/bin/env bash
# Composite reward (math + format) throughput, r1go against its Python peers, in one run on
# the same corpus (bench_samples.jsonl). Figures are samples per CPU-second on one core, so
# they hold on a loaded machine. Usage: bash reward/testdata/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export GOMLX_BACKEND=go:ops_sequential GOMLX_NO_AUTO_INSTALL=1
go_out=$(go test -run '^$' -bench 'CompositeMathFormat$' -cpu 1 -benchtime 3s -count 3 .)
echo "$go_out" | grep Benchmark
go_rate=$(echo "$go_out" | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "samples/cpu-s") print $i }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
py_out=$(python3 testdata/peer_bench.py testdata/bench_samples.jsonl 3)
echo "$py_out"
echo "r1go median: $go_rate samples/cpu-s"
echo "$py_out" | awk -v go="$go_rate" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } if (f["samples_per_cpu_s"] > 0) printf "ratio r1go / %s peer: %.1fx\n", f["peer"], go / f["samples_per_cpu_s"] }'

# Countdown: r1go's parser (exact rationals) against TinyZero's regex + eval check.
cd_out=$(go test -run '^$' -bench 'Countdown$' -cpu 1 -benchtime 2s -count 3 .)
echo "$cd_out" | grep Benchmark
cd_rate=$(echo "$cd_out" | awk '{ for (i = 1; i < NF; i++) if ($(i+1) == "samples/cpu-s") print $i }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
cd_py=$(python3 testdata/peer_bench.py countdown 3)
echo "$cd_py"
echo "r1go countdown median: $cd_rate samples/cpu-s"
echo "$cd_py" | awk -v go="$cd_rate" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } if (f["samples_per_cpu_s"] > 0) printf "ratio r1go / %s peer: %.1fx\n", f["peer"], go / f["samples_per_cpu_s"] }'
