#!/usr/bin/env bash
# Session 6 (two H200s of one host, side by side): the four shapes with the best decode
# setting from calls 29-30 (set ATTN and XFLAGS below), r1go on GPU 0 and transformers on GPU 1.
ATTN=${ATTN:-triton-fused}
XFLAGS=${XFLAGS:-}
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
A="--n 1 --prompt-len 512 --max-new 1024 --runs 1"
step() { # log, timeout, command...
  local log=$1 t=$2; shift 2
  local left=$((530 - SECONDS)); (( t > left )) && t=$left
  (( t < 20 )) && { echo "SKIPPED $*" >> $log; return; }
  echo "== $*" >> $log
  timeout $t "$@" >> $log 2>&1 || echo "FAILED rc=$? $*" >> $log
}
( export CUDA_VISIBLE_DEVICES=0 XLA_FLAGS="$XFLAGS"; for s in "1.5B 1024" "0.5B 1024" "1.5B 256" "0.5B 256"; do set -- $s
    step $OUT/r1go.log 200 .gpu/r1go bench generate --backend cuda --shape $1 --prompts $2 $A --attention $ATTN
  done ) &
( export CUDA_VISIBLE_DEVICES=1; for s in "1.5B 1024" "0.5B 1024" "1.5B 256" "0.5B 256"; do set -- $s
    step $OUT/hf.log 200 python3 bench/hf_generate.py --shape $1 --prompts $2 $A
  done ) &
wait
grep -hE "^==|^run|^bench|FAILED|SKIPPED" $OUT/r1go.log $OUT/hf.log
