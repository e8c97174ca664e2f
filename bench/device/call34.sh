#!/usr/bin/env bash
# Session 6, fifth call (one H200): XLA without split-K GEMM rewrites. Call 32's trace shows the
# stacked q/k/v product split over K in every layer, its partial sums reduced by a kernel of
# their own (96 per 4-token call); this plugin knows the flag
# xla_gpu_experimental_enable_split_k_rewrite (call 33's list). 0.5B, 256 rows, 512 + 1024
# tokens, the defaults against the flag off, in one call.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
A="bench generate --backend cuda --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1"
run() { # label, flags... (XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((170 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (XLA_FLAGS=$XLA_FLAGS)" >> $L
  timeout $(( left < 75 ? left : 75 )) .gpu/r1go "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
XLA_FLAGS=--xla_gpu_experimental_enable_split_k_rewrite=false run "no split-K rewrite" $A
run "defaults" $A
grep -E "^==|^run 1|^bench|FAILED|SKIPPED|Unknown flag" $L
