#!/usr/bin/env bash
# Session 6, third call (one H200): the fused kernel with the q/k/v biases moved in (its GPU
# tests against XLA, the Python version), and the new defaults (auto = the fused kernel, 4
# tokens per decode call) at 0.5B, 256 rows, 512 + 1024 tokens, against 2 per call; a kernel
# trace of the default.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
timeout 90 .gpu/triton.test -test.run 'FusedOnGPU' -test.v 2>&1 | grep -E "^(=== RUN|--- |PASS|FAIL|ok)|max|panic|error" > $OUT/triton.log; echo "triton test rc=${PIPESTATUS[0]}" >> $OUT/triton.log
timeout 60 python3 bench/triton_decode_attention.py --rows 256 > $OUT/triton_py.log 2>&1
G="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --runs 1 --backend cuda"
run() { # label, flags...
  local label=$1; shift
  local left=$((400 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label" >> $L
  timeout $(( left < 100 ? left : 100 )) .gpu/r1go "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
run "defaults (auto attention, tokens per call)" $G --max-new 1024
run "defaults, trace" $G --max-new 256 --kernel-trace-calls 2
run "2 tokens per call" $G --max-new 1024 --tokens-per-call 2
cat $OUT/triton.log; grep -E "fused|max" $OUT/triton_py.log
grep -E "^==|^run|^bench|^kernel trace|idle gaps|FAILED|SKIPPED|panic" $L; grep -A16 "^kernel trace" $L | tail -15
