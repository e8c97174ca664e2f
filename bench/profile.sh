#!/usr/bin/env bash
# Kernel-level profile of one r1go benchmark on an NVIDIA GPU: the time of every kernel (Nsight
# Compute, one metric, clocks left alone) and XLA's optimised HLO of every program, so that a
# kernel name (an XLA fusion) can be traced back to the operations it runs.
#
#   R1GO=.gpu/r1go bash bench/profile.sh OUTDIR r1go-args...
#   e.g. bash bench/profile.sh /tmp/prof bench train --shape 0.5B --batch 8 --seq 2048 --steps 1 --warmup 0
#
# Writes OUTDIR/kernels.csv (ncu's raw rows), OUTDIR/summary.txt (time per kernel name, largest
# first; bench/profile_summary.py) and OUTDIR/hlo.tar.gz (after-optimisation HLO text). The run is
# made twice: once plainly, which fills XLA's autotuning cache and dumps the HLO, then under ncu,
# which reuses that cache (so autotuning's trial kernels do not flood the profile).
# NCU_SKIP and NCU_COUNT (kernels skipped, then profiled) bound the profiled window. With
# FROM_START=off ncu records only what the program brackets with the CUDA profiler API, e.g. a
# few decode steps in the middle of a generation benchmark:
#   FROM_START=off bash bench/profile.sh /tmp/prof bench generate --shape 0.5B --prompts 256 --n 1 \
#     --prompt-len 512 --max-new 1024 --runs 1 --backend cuda --cuda-profile-calls 3
set -euo pipefail
out=${1:?usage: profile.sh OUTDIR r1go-args...}
shift
R1GO=${R1GO:-.gpu/r1go}
NCU_SKIP=${NCU_SKIP:-0}
NCU_COUNT=${NCU_COUNT:-6000}
ncu=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1 || true)
[[ -x "$ncu" ]] || { echo "profile.sh: ncu not found" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
cache=$(mktemp -d)
dump=$(mktemp -d)
flags="--xla_gpu_per_fusion_autotune_cache_dir=$cache"
echo "== plain run (fills the autotuning cache, dumps HLO)"
if ! XLA_FLAGS="$flags --xla_dump_to=$dump --xla_dump_hlo_as_text --xla_dump_hlo_pass_re=^$" "$R1GO" "$@" 2>&1 | tail -5; then
  echo "profile.sh: the plain run failed" >&2
fi
(cd "$dump" && ls | grep -E 'after_optimizations(\.txt|-buffer-assignment\.txt)$' | tar czf "$out/hlo.tar.gz" -T -) || true
echo "== under ncu (skip $NCU_SKIP, profile $NCU_COUNT kernels)"
window=(--launch-skip "$NCU_SKIP" --launch-count "$NCU_COUNT")
[[ "${FROM_START:-on}" == off ]] && window=(--profile-from-start off)
XLA_FLAGS="$flags" "$ncu" --clock-control none --cache-control none --metrics gpu__time_duration.sum \
  "${window[@]}" --csv --page raw --log-file "$out/kernels.csv" \
  "$R1GO" "$@" 2>&1 | grep -v '^==PROF==' | tail -5 || true
python3 "$(dirname "$0")/profile_summary.py" "$out/kernels.csv" >"$out/summary.txt" || true
head -45 "$out/summary.txt"
