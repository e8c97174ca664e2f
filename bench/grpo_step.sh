#!/usr/bin/env bash
# One GRPO step of a Qwen2.5-0.5B-shaped random model on the GPU (issue 6's benchmark): 32
# prompts × 16 samples, 512 prompt tokens, up to 1024 completion tokens, β = 0.001 (reference
# model kept), minibatches of MB completions per update; EXTRA adds grpo flags (e.g.
# EXTRA="--micro-batch=16 --fused-attention=on"). Prints the step's time split from
# metrics.jsonl and, on a GPU, the peak device memory.
#   R1GO=.gpu/r1go SHAPE=0.5B MB=128 EXTRA="--micro-batch=16" bash bench/grpo_step.sh OUTDIR
#   BACKEND=cpu SHAPE=tiny PROMPTS=2 GROUP=2 PROMPT_LEN=64 MAXNEW=8 MB=4 STEPS=1 bash bench/grpo_step.sh /tmp/g   # functional check
set -euo pipefail
R1GO=${R1GO:-.gpu/r1go}
SHAPE=${SHAPE:-0.5B}
MB=${MB:-8}
STEPS=${STEPS:-2}
BACKEND=${BACKEND:-cuda}
PROMPTS=${PROMPTS:-32}
GROUP=${GROUP:-16}
MAXNEW=${MAXNEW:-1024}
PROMPT_LEN=${PROMPT_LEN:-512}
out=${1:-/tmp/grpo-bench}
rm -rf "$out" && mkdir -p "$out"
# The byte-level tokenizer of the embedded tiny model: PROMPT_LEN characters are PROMPT_LEN tokens.
"$R1GO" init --shape "$SHAPE" --out "$out/model" --tokenizer internal/tiny/files --seed 1 --dtype bf16 >/dev/null
python3 - "$out/prompts.jsonl" "$PROMPT_LEN" <<'PY'
import json, random, sys
r = random.Random(0)
with open(sys.argv[1], "w") as f:
    for i in range(256):
        f.write(json.dumps({"prompt": "".join(r.choice("abcdefghij 0123456789") for _ in range(int(sys.argv[2]))), "answer": str(i % 10)}) + "\n")
PY
# Peak device memory: the XLA allocator grows with the run instead of reserving the device at
# start (backend.New), and nvidia-smi is sampled every 200 ms while the run lasts.
export XLA_PYTHON_CLIENT_PREALLOCATE=false
poll=""
if [[ "$BACKEND" == cuda ]] && command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$out/mem.txt" 2>/dev/null &
  poll=$!
  trap 'kill "$poll" 2>/dev/null || true' EXIT
fi
"$R1GO" grpo --model "$out/model" --data "$out/prompts.jsonl" --template none --reward integer=1 \
  --steps "$STEPS" --prompts-per-step "$PROMPTS" --num-generations "$GROUP" --mini-batch "$MB" --max-prompt-tokens "$PROMPT_LEN" \
  --max-completion-tokens "$MAXNEW" --beta 0.001 --lr 1e-6 --save-every 0 --keep-checkpoints 1 --out "$out/run" --backend "$BACKEND" ${EXTRA:-}
python3 - "$out/run/metrics.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    print("grpo_step step=%d time_step_s=%.1f generate_s=%.1f logprobs_s=%.1f update_s=%.1f gen_tokens_per_s=%.0f train_tokens_per_s=%.0f completions=%d len_mean=%.0f updates=%d" % (
        m["step"], m["time_step_s"], m["time_generate_s"], m["time_logprobs_s"], m["time_update_s"],
        m["gen_tokens_per_s"], m["train_tokens_per_s"], m["completions"], m["response_length_mean"], m["updates"]))
PY
if [[ -n "$poll" ]]; then
  kill "$poll" 2>/dev/null || true
  sleep 0.3
  sort -n "$out/mem.txt" | tail -1 | awk '{ printf "grpo_step peak_mem_gib=%.1f (nvidia-smi, whole device)\n", $1 / 1024 }'
fi
