#!/usr/bin/env bash
# Session 7 (one H200): checks of the session's final build (scripts/gpu-build.sh: asynchronous
# calls, 1 token per decode call, no split attention). (1) The fused kernel's GPU tests after
# the split kernels' removal. (2) Asynchronous calls give the same samples as waiting ones,
# with rows finishing early (a 0.5B-shaped model with the tiny byte-level vocabulary, so that
# EOS and the stop strings end rows and the engine compacts them), at 1 and 4 tokens per call.
# (3) Compile time: the same 0.5B, 1024-row benchmark (64 new tokens) in two processes, the
# first with XLA's autotuning cache (~/.cache/r1go/xla-autotune) emptied, the second reusing it.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0 PYTHONUNBUFFERED=1
L=$OUT/gen.log
run() { # label, command... (GOXLA_ASYNC_EXECUTE and XLA_FLAGS from the environment)
  local label=$1; shift
  local left=$((380 - SECONDS)); (( left < 30 )) && { echo "SKIPPED $label" >> $L; return; }
  echo "== $label (GOXLA_ASYNC_EXECUTE=${GOXLA_ASYNC_EXECUTE-unset})" >> $L
  timeout $(( left < 120 ? left : 120 )) "$@" >> $L 2>&1 || echo "FAILED rc=$? $label" >> $L
}
timeout 60 .gpu/triton.test -test.run 'OnGPU' -test.v 2>&1 | grep -E "^(=== RUN|--- |PASS|FAIL|ok)|max|panic|error" > $OUT/triton.log; echo "triton test rc=${PIPESTATUS[0]}" >> $OUT/triton.log
M=/tmp/m05; .gpu/r1go init --shape 0.5B --vocab-size 264 --out $M --tokenizer internal/tiny/files --seed 1 --dtype bf16 > /dev/null
python3 -c '
import json, random
r = random.Random(0)
for i in range(24): print(json.dumps({"prompt": "".join(r.choice("abcdefghij 0123456789") for _ in range(20 + 7 * i))}))' > /tmp/p.jsonl
G="generate --backend cuda --model $M --input /tmp/p.jsonl --n 4 --max-new-tokens 96 --temperature 1 --seed 3 --stop 7 --stop q"
for k in 1 4; do
  GOXLA_ASYNC_EXECUTE=0 run "waiting, $k per call" .gpu/r1go $G --output $OUT/wait$k.jsonl --tokens-per-call $k
  run "asynchronous, $k per call" .gpu/r1go $G --output $OUT/async$k.jsonl --tokens-per-call $k
  cmp -s $OUT/wait$k.jsonl $OUT/async$k.jsonl && echo "SAME wait$k async$k" >> $L || echo "DIFFERENT wait$k async$k" >> $L
done
python3 -c '
import json, sys, collections
for f in sys.argv[1:]:
    rows = [json.loads(l) for l in open(f)]
    print("samples", f.split("/")[-1], len(rows), dict(collections.Counter(r["finish_reason"] for r in rows)), "tokens", sum(r["num_tokens"] for r in rows))' $OUT/wait1.jsonl $OUT/async1.jsonl $OUT/wait4.jsonl $OUT/async4.jsonl >> $L
A=".gpu/r1go bench generate --backend cuda --shape 0.5B --prompts 1024 --n 1 --prompt-len 512 --max-new 64 --runs 1"
rm -rf ~/.cache/r1go/xla-autotune
run "compile, empty autotuning cache" $A
ls ~/.cache/r1go/xla-autotune | wc -l >> $L
run "compile, second process (cache filled)" $A
grep -E "^---|max \|" $OUT/triton.log | head -20; tail -1 $OUT/triton.log
grep -E "^==|^run|^bench|SAME|DIFFERENT|^samples|^[0-9]+$|FAILED|SKIPPED|panic|rror" $L
