#!/usr/bin/env bash
# (As run in call 22; --triton-attention is now --attention triton.)
# Session 5, call 22 (one H200): r1go's Triton kernels through XLA (internal/triton: add-one and
# decode attention against XLA's), Triton's own IR of the same kernels for comparison, then the
# 0.5B 256-row benchmark with the Triton attention, with the defaults (compile ahead), and
# without compiling ahead. Build first:
#   CGO_ENABLED=1 go build -ldflags="-s -w" -o .gpu/r1go ./cmd/r1go
#   CGO_ENABLED=1 go test -ldflags="-s -w" -c -o .gpu/triton.test ./internal/triton
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
G="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1 --backend cuda"
L=$OUT/gen.log
date -u > $L
timeout 60 .gpu/triton.test -test.run 'OnGPU' -test.v > $OUT/triton.log 2>&1; echo "triton test rc=$?" >> $OUT/triton.log
tail -8 $OUT/triton.log
timeout 60 python3 bench/triton_ttir.py > $OUT/triton_ref.txt 2>&1
for r in 256 1024; do timeout 45 python3 bench/triton_decode_attention.py --rows $r --ttir-dir $OUT/ttir >> $OUT/triton_attention.log 2>&1; done
cat $OUT/triton_attention.log
run() { # label, seconds, extra flags
  local label=$1 t=$2; shift 2
  local left=$((590 - SECONDS)); (( t > left )) && t=$left
  (( t < 20 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label" >> $L
  timeout $t .gpu/r1go $G "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
run "triton attention" 120 --triton-attention
run "defaults (compile ahead)" 110
run "no compile ahead" 110 --no-compile-ahead
grep -E "^==|^run|^bench|FAILED|SKIPPED" $L
