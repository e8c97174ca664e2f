#!/usr/bin/env bash
# Session 6, fourth call (two H200s of one host): tuning the decode attention kernel (slots per
# loop step, warps, pipelining stages). GPU 0: r1go's 0.5B, 256-row benchmark (512 + 1024
# tokens) with the default tuning (64,4,2) and five others (`--attention-tuning`). GPU 1 at the
# same time: transformers on the same shape (the peer of this call), then the Python kernel
# swept over 36 tunings at the 0.5B and 1.5B head shapes; and the XLA flags this plugin knows
# about GEMM splitting (the q/k/v product is split over K, and its reduction is a kernel of
# its own in every layer: call 32's trace).
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
A="--shape 0.5B --prompts 256 --n 1 --prompt-len 512 --max-new 1024 --runs 1"
step() { # log, timeout, command...
  local log=$1 t=$2; shift 2
  local left=$((500 - SECONDS)); (( t > left )) && t=$left
  (( t < 20 )) && { echo "SKIPPED $*" >> $log; return; }
  echo "== $*" >> $log
  timeout $t "$@" >> $log 2>&1 || echo "FAILED rc=$? $*" >> $log
}
( export CUDA_VISIBLE_DEVICES=0; for t in 64,4,2 64,4,3 128,4,2 64,4,4 32,4,2 64,8,3; do
    step $OUT/r1go.log 80 .gpu/r1go bench generate --backend cuda $A --attention-tuning $t
  done ) &
( export CUDA_VISIBLE_DEVICES=1
  step $OUT/hf.log 150 python3 bench/hf_generate.py $A
  step $OUT/sweep.log 90 python3 bench/triton_decode_attention.py --rows 256 --sweep
  step $OUT/sweep.log 90 python3 bench/triton_decode_attention.py --rows 256 --heads 12 --kv-heads 2 --head-dim 128 --sweep
  step $OUT/sweep.log 90 python3 bench/triton_decode_attention.py --rows 1024 --sweep ) &
python3 - /opt/torch/.venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so > $OUT/xla_flags.txt <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
for f in sorted(set(re.findall(rb"xla_gpu_[a-z0-9_]+", data))):
    if re.search(rb"split|gemm|triton|dot|cublas|autotun|fusion|command_buffer", f):
        print(f.decode())
PY
wait
grep -hE "^==|^run 1|^bench|FAILED|SKIPPED" $OUT/r1go.log $OUT/hf.log; grep -vE "^(r1go|init)" $OUT/sweep.log | sort -k4 -n | head -60; grep -i split $OUT/xla_flags.txt
