#!/usr/bin/env bash
# Session 5, call 27 (one H200): where a decode step's 3.3 ms go with the Triton attention.
# (1) ncu over three decode steps of a short run (64 new tokens: the products and norms are
# the same kernels as in the 1024-token run; the attention reads ~540 slots), (2) the full
# 0.5B 256-row benchmark with XLA's command buffers (CUDA graphs) on again, now that the
# attention is one custom call per layer.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
G="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --runs 1 --backend cuda"
L=$OUT/gen.log
date -u > $L
echo "== profile (64 new tokens)" >> $L
FROM_START=off timeout 200 bash bench/profile.sh $OUT/prof $G --max-new 64 --cuda-profile-calls 3 >> $L 2>&1 || echo "FAILED rc=$?" >> $L
left=$((300 - SECONDS))
echo "== command buffers on (timeout $left)" >> $L
XLA_FLAGS=--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL timeout $left .gpu/r1go $G --max-new 1024 >> $L 2>&1 || echo "FAILED rc=$?" >> $L
grep -E "^==|^run|^bench|FAILED" $L
head -70 $OUT/prof/summary.txt 2>/dev/null
