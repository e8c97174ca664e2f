#!/usr/bin/env bash
# Session 7 (one H200, the session's last 290 s): XLA without its cuBLAS fallback
# (--xla_gpu_cublas_fallback=false), so that every product is a Triton GEMM fusion. With
# asynchronous calls the host's launches limit 0.5B at 256 rows (about 8 µs a kernel, 250
# kernels a token), and two kernels a layer sit beside cuBLAS's down product: SiLU·up before it
# and the residual add after it, which a Triton GEMM fusion can take in (as the o product takes
# its residual add). Same-call baseline first; a kernel trace; 1.5B; the training step.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
NF=--xla_gpu_cublas_fallback=false
run() { # label, command... (XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((215 - SECONDS)); (( left < 20 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (XLA_FLAGS=$XLA_FLAGS)" >> $L
  timeout $(( left < 60 ? left : 60 )) "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
A=".gpu/r1go bench generate --backend cuda --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1"
run "default" $A
XLA_FLAGS=$NF run "no cuBLAS fallback" $A
XLA_FLAGS=$NF run "no cuBLAS fallback, trace" ${A/--max-new 1024/--max-new 256} --kernel-trace-calls 2
XLA_FLAGS=$NF run "no cuBLAS fallback, 1.5B" ${A/0.5B/1.5B}
XLA_FLAGS=$NF run "no cuBLAS fallback, training step" .gpu/r1go bench train --shape 0.5B --batch 8 --seq 2048 --steps 3 --backend cuda --fused-attention
grep -E "^==|^run 1|^bench|^kernel trace|idle gaps|^ +[0-9.]+ µs +[0-9.]+%|FAILED|SKIPPED|Unknown|rror" $L | head -60
