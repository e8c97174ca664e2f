#!/usr/bin/env bash
# Session 5, call 25 (one H200): with r1go's Triton decode attention now the default on CUDA:
# a kernel profile of three decode steps in the middle of the 0.5B, 256-row benchmark, the
# GRPO rollout shape (32 prompts x 16 samples, shared prompt caches), and the 0.5B GRPO step
# (call 19: 15.3 s with XLA's attention).
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
G="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1 --backend cuda"
L=$OUT/gen.log
date -u > $L
echo "== profile" >> $L
FROM_START=off timeout 260 bash bench/profile.sh $OUT/prof $G --cuda-profile-calls 3 >> $L 2>&1 || echo "FAILED rc=$?" >> $L
echo "== 32x16" >> $L
timeout 100 .gpu/r1go bench generate --shape 0.5B --prompts 32 --n 16 --prompt-len 512 --max-new 1024 --runs 1 --backend cuda >> $L 2>&1 || echo "FAILED rc=$?" >> $L
left=$((585 - SECONDS))
echo "== grpo step (timeout $left)" >> $L
R1GO=.gpu/r1go MB=128 EXTRA="--micro-batch=16" timeout $left bash bench/grpo_step.sh /tmp/g05 > $OUT/grpo05.log 2>&1 || echo "FAILED rc=$?" >> $L
grep -E "^==|^run|^bench|FAILED" $L; tail -5 $OUT/grpo05.log
head -60 $OUT/prof/summary.txt 2>/dev/null
