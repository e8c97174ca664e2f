#!/usr/bin/env bash
# One GRPO step of a Qwen2.5-0.5B-shaped random model on the GPU (issue 6's benchmark): 32
# prompts × 16 samples, 512 prompt tokens, up to 1024 completion tokens, β = 0.001 (reference
# model kept), minibatches of MB completions per update; EXTRA adds grpo flags (e.g. EXTRA="--micro-batch 16
# --recompute-attention"). Prints the step's time split from
# metrics.jsonl. R1GO=.gpu/r1go SHAPE=0.5B MB=8 bash bench/grpo_step.sh OUTDIR
set -euo pipefail
R1GO=${R1GO:-.gpu/r1go}
SHAPE=${SHAPE:-0.5B}
MB=${MB:-8}
STEPS=${STEPS:-2}
BACKEND=${BACKEND:-cuda}
PROMPTS=${PROMPTS:-32}
GROUP=${GROUP:-16}
MAXNEW=${MAXNEW:-1024}
out=${1:-/tmp/grpo-bench}
rm -rf "$out" && mkdir -p "$out"
# The byte-level tokenizer of the embedded tiny model: 512 prompt characters are 512 tokens.
"$R1GO" init --shape "$SHAPE" --out "$out/model" --tokenizer internal/tiny/files --seed 1 --dtype bf16 >/dev/null
python3 - "$out/prompts.jsonl" <<'PY'
import json, random, sys
r = random.Random(0)
with open(sys.argv[1], "w") as f:
    for i in range(256):
        f.write(json.dumps({"prompt": "".join(r.choice("abcdefghij 0123456789") for _ in range(512)), "answer": str(i % 10)}) + "\n")
PY
"$R1GO" grpo --model "$out/model" --data "$out/prompts.jsonl" --template none --reward integer=1 \
  --steps "$STEPS" --prompts-per-step "$PROMPTS" --num-generations "$GROUP" --mini-batch "$MB" --max-prompt-tokens 512 \
  --max-completion-tokens "$MAXNEW" --beta 0.001 --lr 1e-6 --save-every 0 --keep-checkpoints 1 --out "$out/run" --backend "$BACKEND" ${EXTRA:-}
python3 - "$out/run/metrics.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    print("grpo_step step=%d time_step_s=%.1f generate_s=%.1f logprobs_s=%.1f update_s=%.1f gen_tokens_per_s=%.0f train_tokens_per_s=%.0f completions=%d len_mean=%.0f updates=%d" % (
        m["step"], m["time_step_s"], m["time_generate_s"], m["time_logprobs_s"], m["time_update_s"],
        m["gen_tokens_per_s"], m["train_tokens_per_s"], m["completions"], m["response_length_mean"], m["updates"]))
PY
