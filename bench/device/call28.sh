#!/usr/bin/env bash
# Session 5, call 28 (one H200): where a decode step's time goes, from CUPTI's kernel trace of
# five decode calls in the middle of a 0.5B, 256-row run (512 + 256 tokens: the products and
# norms are the same kernels as in the 1024-token run; the attention reads ~640 slots).
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
ls /usr/local/cuda*/extras/CUPTI/lib64/libcupti.so* /opt/torch/.venv/lib/python3*/site-packages/nvidia/*/lib/libcupti.so* 2>&1 | head -5
timeout 150 .gpu/r1go bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 256 --runs 1 --backend cuda --kernel-trace-calls 5 > $OUT/trace.log 2>&1 || echo "FAILED rc=$?" >> $OUT/trace.log
grep -v "^E1130\|Source Location\|cuda_status\|cuda_device_allocator" $OUT/trace.log | tail -75
