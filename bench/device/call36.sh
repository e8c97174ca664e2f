#!/usr/bin/env bash
# Planned (session 7, one H200): compile time. With 4 tokens per decode call the first run at
# 1024 rows takes 85 s (0.5B) and 99 s (1.5B), the decode program compiling in 62-65 s (call 32),
# and the first GRPO step 97 s. Three runs of the same 0.5B, 1024-row benchmark (64 new tokens:
# the compile is the same), each a fresh process: (1) XLA's defaults as r1go sets them (the GEMM
# autotuning results kept in ~/.cache/r1go/xla-autotune, here emptied first); (2) LLVM modules
# compiled in parallel and compiled kernels kept in a file; (3) the same again, a second
# process reusing the autotuning results and the kernels.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
A="bench generate --backend cuda --shape 0.5B --prompts 1024 --n 1 --prompt-len 512 --max-new 64 --runs 1"
KC="--xla_gpu_enable_llvm_module_compilation_parallelism=true --xla_gpu_kernel_cache_file=/tmp/r1go-kernels.bin"
run() { # label, flags... (XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((560 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (XLA_FLAGS=$XLA_FLAGS)" >> $L
  timeout $(( left < 180 ? left : 180 )) .gpu/r1go "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
rm -rf ~/.cache/r1go/xla-autotune
run "defaults, empty autotuning cache" $A
rm -rf ~/.cache/r1go/xla-autotune
XLA_FLAGS="$KC" run "parallel LLVM, kernel cache file, empty caches" $A
XLA_FLAGS="$KC" run "the same, second process (caches filled)" $A
grep -E "^==|^run|^bench|FAILED|SKIPPED|Unknown flag" $L
