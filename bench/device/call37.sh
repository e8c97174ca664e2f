#!/usr/bin/env bash
# Session 7 (two H200s of one host, side by side): the four shapes with the new defaults
# (built by scripts/gpu-build.sh: asynchronous program calls, 1 token per decode call), r1go on
# GPU 0 and transformers on GPU 1; each r1go shape also with cuBLAS for every product
# (--xla_gpu_enable_triton_gemm=false: 98.4k against 92.3k tokens/s at 0.5B/256 in call 35),
# and the 0.5B GRPO step with cuBLAS (call 35 with XLA's GEMMs: 12.3 s, updates 6.3 s), to see
# whether training loses what decoding gains.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
A="--n 1 --prompt-len 512 --max-new 1024 --runs 1"
CUBLAS=--xla_gpu_enable_triton_gemm=false
step() { # log, timeout, command...
  local log=$1 t=$2; shift 2
  local left=$((560 - SECONDS)); (( t > left )) && t=$left
  (( t < 20 )) && { echo "SKIPPED $*" >> $log; return; }
  echo "== XLA_FLAGS=$XLA_FLAGS $*" >> $log
  timeout $t "$@" >> $log 2>&1 || echo "FAILED rc=$? $*" >> $log
}
( export CUDA_VISIBLE_DEVICES=0; for s in "0.5B 256" "1.5B 256" "0.5B 1024" "1.5B 1024"; do set -- $s
    XLA_FLAGS= step $OUT/r1go.log 150 .gpu/r1go bench generate --backend cuda --shape $1 --prompts $2 $A
    XLA_FLAGS=$CUBLAS step $OUT/r1go.log 150 .gpu/r1go bench generate --backend cuda --shape $1 --prompts $2 $A
  done
  left=$((585 - SECONDS)); (( left > 130 )) && XLA_FLAGS=$CUBLAS R1GO=.gpu/r1go MB=128 EXTRA="--micro-batch=16" \
    timeout $left bash bench/grpo_step.sh /tmp/g05 > $OUT/grpo05.log 2>&1 || echo "GRPO step FAILED or skipped rc=$? (left $left s)" >> $OUT/r1go.log ) &
( export CUDA_VISIBLE_DEVICES=1; for s in "0.5B 256" "1.5B 256" "0.5B 1024" "1.5B 1024"; do set -- $s
    step $OUT/hf.log 200 python3 bench/hf_generate.py --shape $1 --prompts $2 $A
  done ) &
wait
grep -hE "^==|^run 1|^bench|FAILED|SKIPPED" $OUT/r1go.log $OUT/hf.log; tail -4 $OUT/grpo05.log
