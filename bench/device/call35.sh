#!/usr/bin/env bash
# Ran at commit 3ebb710 (session 7, call 35). Since then the split kernels, --attention-tuning's
# fourth field and the Python --splits are gone (8689bff): run those parts from 3ebb710. And
# builds are now asynchronous unless GOXLA_ASYNC_EXECUTE=0, so the waiting run says so.
# Planned then (one H200): program calls that return without waiting for the device, and
# the split (flash-decoding) attention. Build with `ASYNC=1 bash scripts/gpu-build.sh`: go-xla
# patched at build time so that with GOXLA_ASYNC_EXECUTE=1 a call returns once its kernels are
# launched, and the host launches the next decode call while the GPU runs this one. Session 6
# measured about 0.7 ms a call beyond the kernels (the host launching ~250 kernels a token at
# ~7 µs each, then waiting). At 0.5B and 256 rows (512 + 1024 tokens), most important first:
# the split kernels' GPU tests; waiting (the default) against not, at 4 and 1 tokens per call;
# the attention in 4 parts (--attention-tuning 64,4,2,4); command buffers; a kernel trace; the
# tuning the Python sweep preferred; cuBLAS for every product (22% slower in session 3, when the
# step was bound by its own work); 1.5B; the Python split kernel at three shapes; the GRPO step
# if time is left.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
timeout 60 .gpu/triton.test -test.run 'FusedOnGPU' -test.v 2>&1 | grep -E "^(=== RUN|--- |PASS|FAIL|ok)|max|panic|error" > $OUT/triton.log; echo "triton test rc=${PIPESTATUS[0]}" >> $OUT/triton.log
A="bench generate --backend cuda --shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1"
CB="--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL --xla_gpu_temp_buffer_use_separate_color=true"
run() { # label, flags... (GOXLA_ASYNC_EXECUTE and XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((480 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (async=${GOXLA_ASYNC_EXECUTE:-0} XLA_FLAGS=$XLA_FLAGS)" >> $L
  timeout $(( left < 70 ? left : 70 )) .gpu/r1go "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
GOXLA_ASYNC_EXECUTE=0 run "waiting (default)" $A
GOXLA_ASYNC_EXECUTE=1 run "async" $A
GOXLA_ASYNC_EXECUTE=1 run "async, 1 token per call" $A --tokens-per-call 1
GOXLA_ASYNC_EXECUTE=1 run "async, attention in 4 parts" $A --attention-tuning 64,4,2,4
GOXLA_ASYNC_EXECUTE=1 XLA_FLAGS="$CB" run "async, command buffers" $A
GOXLA_ASYNC_EXECUTE=1 run "async, trace" ${A/--max-new 1024/--max-new 256} --kernel-trace-calls 2
GOXLA_ASYNC_EXECUTE=1 run "async, attention tuning 64,2,3 (the Python sweep's best at this shape)" $A --attention-tuning 64,2,3
GOXLA_ASYNC_EXECUTE=1 XLA_FLAGS=--xla_gpu_enable_triton_gemm=false run "async, cuBLAS for every product" $A
GOXLA_ASYNC_EXECUTE=1 run "async, 1.5B" ${A/0.5B/1.5B}
# The split form in Python: each row's blocks in 2, 4 or 8 parts and a combining kernel, against
# the plain kernel (0.5B at 256 and 1024 rows, 1.5B at 256).
for r in "--rows 256" "--rows 1024" "--rows 256 --heads 12 --kv-heads 2 --head-dim 128"; do
  (( SECONDS < 540 )) && timeout 30 python3 bench/triton_decode_attention.py $r --splits 2,4,8 >> $OUT/splits.log 2>&1
done
left=$((590 - SECONDS)); (( left > 150 )) && GOXLA_ASYNC_EXECUTE=1 R1GO=.gpu/r1go MB=128 EXTRA="--micro-batch=16" \
  timeout $left bash bench/grpo_step.sh /tmp/g05 > $OUT/grpo05.log 2>&1
cat $OUT/triton.log | grep -E "^---|max \|fused"
grep -E "^==|^run 1|^bench|^kernel trace|idle gaps|FAILED|SKIPPED|panic" $L; grep -E "parts|plain|Error" $OUT/splits.log; tail -4 $OUT/grpo05.log 2>/dev/null
