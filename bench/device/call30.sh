#!/usr/bin/env bash
# Session 6, second call (one H200): where command buffers (CUDA graphs) lose their time. Call 29
# measured, at 0.5B, 256 rows, 1024 new tokens: 63,940 tokens/s with command buffers at one
# token per call (3.7 ms a call, about 1 ms more than the kernels' own time), 79,299 at four
# tokens per call (11.7 ms a call: the same ~1 ms a call). A CUPTI trace of the graph's kernels
# shows whether that ms is one gap per call (the graph's update or upload: then keeping every
# buffer's address fixed removes it) or spread between the kernels; and the fused kernel with
# command buffers at 1, 4 and 8 tokens per call, against 4 without.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
CB="--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL --xla_gpu_temp_buffer_use_separate_color=true"
G="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --runs 1 --backend cuda --attention triton-fused"
run() { # label, flags... (XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((540 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (XLA_FLAGS=$XLA_FLAGS)" >> $L
  timeout $(( left < 120 ? left : 120 )) .gpu/r1go "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
XLA_FLAGS="$CB" run "command buffers, fused, 1 token per call, trace" $G --max-new 256 --kernel-trace-calls 4
XLA_FLAGS="$CB" run "command buffers, fused, 4 tokens per call, trace" $G --max-new 256 --tokens-per-call 4 --kernel-trace-calls 2
XLA_FLAGS="$CB" run "command buffers, fused, 4 tokens per call" $G --max-new 1024 --tokens-per-call 4
run "fused, 4 tokens per call, no command buffers" $G --max-new 1024 --tokens-per-call 4
XLA_FLAGS="$CB" run "command buffers, fused, 8 tokens per call" $G --max-new 1024 --tokens-per-call 8
grep -E "^==|^run|^bench|^kernel trace|FAILED|SKIPPED|idle" $L | head -150
