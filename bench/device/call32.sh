#!/usr/bin/env bash
# Session 6 (two H200s of one host, side by side): the four shapes with r1go's defaults
# after calls 29-31 (ATTN and XFLAGS can override them), r1go on GPU 0 and transformers on GPU 1;
# then, on GPU 0 while transformers runs on, a kernel trace of the 0.5B, 256-row decode step
# and the 0.5B GRPO step (call 25: 14.0 s, generation 5.3 s).
ATTN=${ATTN:-auto}
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
    prof=""; [[ $1 == 0.5B && $2 == 256 ]] && prof=$OUT/cpu-0.5B-256.pprof # where the host's time goes
    step $OUT/r1go.log 200 env R1GO_CPUPROFILE=$prof .gpu/r1go bench generate --backend cuda --shape $1 --prompts $2 $A --attention $ATTN
  done
  step $OUT/r1go.log 60 .gpu/r1go bench generate --backend cuda --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 256 --runs 1 --attention $ATTN --kernel-trace-calls 2
  left=$((560 - SECONDS)); (( left > 150 )) && R1GO=.gpu/r1go MB=128 EXTRA="--micro-batch=16 --rollout-attention=$ATTN" \
    timeout $left bash bench/grpo_step.sh /tmp/g05 > $OUT/grpo05.log 2>&1 || echo "GRPO step FAILED or skipped rc=$? (left $left s)" >> $OUT/r1go.log ) &
( export CUDA_VISIBLE_DEVICES=1; for s in "1.5B 1024" "0.5B 1024" "1.5B 256" "0.5B 256"; do set -- $s
    step $OUT/hf.log 200 python3 bench/hf_generate.py --shape $1 --prompts $2 $A
  done ) &
wait
grep -hE "^==|^run|^bench|^kernel trace|idle gaps|FAILED|SKIPPED" $OUT/r1go.log $OUT/hf.log; grep -A14 "^kernel trace" $OUT/r1go.log | tail -13; tail -5 $OUT/grpo05.log
