#!/usr/bin/env bash
# Session 6, first call (one H200): the fused Triton decode attention (rotary embedding, cache
# write and attention in one kernel): its GPU tests against XLA and the Python version; CUPTI
# kernel traces of the 0.5B, 256-row decode step with the plain and the fused kernel; XLA's
# command buffers (CUDA graphs) with the temp buffer at a fixed address, with 1 and 4 tokens
# per call, and a VLOG of which allocations move between calls; the full-length benchmark
# with the fused kernel; two XLA GEMM settings that may fold elementwise kernels into products.
# Build first (carry [".gpu"], < 64 MiB):
#   CGO_ENABLED=1 go build -ldflags="-s -w" -o .gpu/r1go ./cmd/r1go
#   CGO_ENABLED=1 go test -ldflags="-s -w" -c -o .gpu/triton.test ./internal/triton
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
T="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 256 --runs 1 --backend cuda --kernel-trace-calls 5"
L=$OUT/trace.log
timeout 90 .gpu/triton.test -test.run 'OnGPU' -test.v 2>&1 | grep -E "^(=== RUN|--- |PASS|FAIL|ok)|max|panic|error" > $OUT/triton.log; echo "triton test rc=${PIPESTATUS[0]}" >> $OUT/triton.log
cat $OUT/triton.log
timeout 60 python3 bench/triton_decode_attention.py --rows 256 --ttir-dir $OUT/ttir > $OUT/triton_py.log 2>&1; tail -4 $OUT/triton_py.log
run() { # label, flags... (XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((560 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (XLA_FLAGS=$XLA_FLAGS)" >> $L
  timeout $(( left < 90 ? left : 90 )) .gpu/r1go "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
run "triton" $T --attention triton
run "triton-fused" $T --attention triton-fused
# CUDA graphs with XLA's temp buffer at a fixed address: call 27's command buffers lost 0.9 ms a
# step, likely from re-recording every command whose buffers moved (the temp buffer moves each
# run unless it has its own allocator: xla_gpu_temp_buffer_use_separate_color). The VMODULE run
# logs which allocations change per call and how many commands are updated.
G1024="bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1 --backend cuda"
CB="--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL --xla_gpu_temp_buffer_use_separate_color=true"
XLA_FLAGS="$CB" run "command buffers, temp buffer fixed, triton" $G1024 --attention triton
XLA_FLAGS="$CB" TF_CPP_VMODULE=gpu_executable=5,command_buffer_thunk=3,command_buffer_cmd=1 TF_CPP_MIN_LOG_LEVEL=0 \
  timeout 60 .gpu/r1go bench generate --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 8 --runs 1 --backend cuda --attention triton > $OUT/cmdbuf_vlog.log 2>&1
grep -E "address changed|Updated [0-9]+ commands|not lowered|command buffer" $OUT/cmdbuf_vlog.log | tail -30 > $OUT/cmdbuf_summary.txt; gzip -f $OUT/cmdbuf_vlog.log
XLA_FLAGS="$CB" run "command buffers, temp buffer fixed, triton, 4 tokens per call" $G1024 --attention triton --tokens-per-call 4
run "triton-fused, 1024 new tokens" $G1024 --attention triton-fused
XLA_FLAGS=--xla_gpu_triton_gemm_any=true run "triton-fused, triton_gemm_any" $T --attention triton-fused
XLA_FLAGS=--xla_gpu_enable_split_k_autotuning=false run "triton-fused, no split-K" $T --attention triton-fused
XLA_FLAGS="--xla_gpu_exhaustive_tiling_search=true --xla_gpu_per_fusion_autotune_cache_dir=/tmp/xla-exhaustive" run "triton-fused, exhaustive GEMM tiling search" $T --attention triton-fused
grep -E "^==|^run|^bench|^kernel trace|FAILED|SKIPPED| gemm_fusion| decode_attention| fusion$| loop_| input_| nvjet" $L | head -90
tail -12 $OUT/cmdbuf_summary.txt
