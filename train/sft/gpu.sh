#!/usr/bin/env bash
# SFT speed on one GPU, r1go against PyTorch + transformers on the same packed rows:
# r1go's packed SFT step (BenchmarkStep in bench_test.go) with XLA attention and a
# block-diagonal mask, the same rows with cuDNN's attention in its packed form
# (fused-packed), and torch_sft.py, for each shape; prints the bench=sft lines per shape and
# the ratios to torch. MODES=packed,fused adds the examples one per row in length buckets with
# cuDNN attention (one compiled program per bucket: minutes of compiling at 4,096 tokens).
#
#   bash train/sft/gpu.sh                          # 0.5B and 1.5B, packed rows of 4096 tokens
#   SHAPES=0.5B BATCH=4 SEQ=4096 STEPS=4 bash train/sft/gpu.sh
#   BACKEND=cpu SHAPES=tiny SEQ=256 BATCH=4 DEVICE=cpu bash train/sft/gpu.sh   # functional check
#
# BATCH defaults to 2 rows per update: r1go's packed step materialises f32 scores
# [rows, heads, 4096, 4096] per layer (about 45 GB for 0.5B at 2 rows: cuDNN's attention has no
# block-diagonal mask), where PyTorch's SDPA does not; raise it where memory allows. Logs and results.txt go
# to .cache/bench/sft-<time>/. Needs Go (cgo) and python3 with torch and transformers; on a
# machine without Go, build the benchmark elsewhere (CGO_ENABLED=1 go test -c -o sft.test
# ./train/sft) and give it as SFT_TEST=/path/to/sft.test.
set -euo pipefail
cd "$(dirname "$0")/../.."
SHAPES=${SHAPES:-"0.5B 1.5B"}
SEQ=${SEQ:-4096}
BATCH=${BATCH:-2}
STEPS=${STEPS:-4}
BACKEND=${BACKEND:-cuda}
DEVICE=${DEVICE:-cuda}
PYTHON=${PYTHON:-python3}
out=.cache/bench/sft-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
status=0
SFT_TEST=${SFT_TEST:+$(realpath "$SFT_TEST")}
run_bench() { # the Go benchmark, from source or from a prebuilt test binary
  if [[ -n "$SFT_TEST" ]]; then
    (cd train/sft && "$SFT_TEST" -test.run '^$' -test.bench '^BenchmarkStep$' -test.benchtime 1x -test.timeout 60m -test.v)
  else
    go test ./train/sft -run '^$' -bench '^BenchmarkStep$' -benchtime 1x -timeout 60m -v
  fi
}
for s in $SHAPES; do
  echo "== $s: r1go" >&2
  if ! R1GO_BENCH_BACKEND=$BACKEND R1GO_BENCH_SHAPE=$s R1GO_BENCH_SEQ=$SEQ R1GO_BENCH_BATCH=$BATCH \
    R1GO_BENCH_STEPS=$STEPS R1GO_BENCH_MODES=${MODES:-packed,fused-packed} R1GO_BENCH_ROUNDS=2 GOMLX_NO_AUTO_INSTALL=1 \
    run_bench >"$out/r1go-$s.log" 2>&1; then
    echo "r1go $s failed: see $out/r1go-$s.log" >&2
    tail -5 "$out/r1go-$s.log" >&2
    status=1
  fi
  echo "== $s: torch" >&2
  if ! "$PYTHON" train/sft/torch_sft.py --shape "$s" --batch "$BATCH" --seq "$SEQ" --steps "$STEPS" --device "$DEVICE" >"$out/torch-$s.log" 2>&1; then
    echo "torch $s failed: see $out/torch-$s.log" >&2
    tail -5 "$out/torch-$s.log" >&2
    status=1
  fi
done
grep -h '^bench=sft' "$out"/*.log | tee "$out/results.txt"
# useful tokens/s of each r1go attention (masked packed rows, cudnn-bucketed rows) over torch's, per shape
awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
       key = f["shape"] " " f["batch"] "x" f["seq"]
       if (f["impl"] == "torch") t[key] = f["useful_tokens_per_s"]; else r[key, f["attn"]] = f["useful_tokens_per_s"] }
     END { for (ka in r) { split(ka, p, SUBSEP); if (p[1] in t)
             printf "ratio shape=%s attn=%s r1go/torch useful tokens/s = %.3f\n", p[1], p[2], r[ka] / t[p[1]] } }' "$out/results.txt"
exit $status
