#!/usr/bin/env bash
# GPU benchmarks of r1go against transformers + PyTorch on the same Qwen2.5-shaped models, one GPU,
# one run; prints Markdown tables (bench/table.go) for BENCHMARKS.md.
#   BENCH=train (default): a full training step at batch 8 × 2048 tokens, against PyTorch eager and
#                          torch.compile (bench/torch_train.py);
#   BENCH=generate:        GRPO rollouts, 32 prompts × 16 samples, 128 + 512 tokens, against
#                          transformers' generate() (bench/hf_generate.py);
#   BENCH=parity:          `r1go init --shape 0.5B`, then log-probabilities of 8 sequences (257–512
#                          tokens) by `r1go logprobs` and by transformers (bench/hf_logprobs.py,
#                          which also proves the directory loads in transformers), f32 and bf16,
#                          compared token by token;
#   BENCH=all:             all three (give it BUDGET_S=1300: more than one 10-minute call).
#
#   bash bench/gpu.sh                 # 0.5B and 1.5B, 8×2048, 5 timed steps each
#   BENCH=generate bash bench/gpu.sh
#   SHAPES="0.5B" STEPS=3 bash bench/gpu.sh
#   DEVICE=cpu SHAPES=tiny BATCH=2 SEQ=64 bash bench/gpu.sh   # functional check of this script without a GPU
#   BUDGET_S=530 (default; the build of r1go counts): runs that could not finish inside the budget are skipped, listed, and
#   make the script exit 1; the optional runs (torch.compile; r1go with GoMLX's default gradients
#   when WITH_DEFAULT_GRAD=1) go last.
#
# Needs: an NVIDIA GPU with nvidia-smi; python3 with torch, transformers and jax-cuda13-pjrt (whose
# PJRT plugin r1go runs on; or PJRT_PLUGIN_LIBRARY_PATH); Go to build r1go (cgo), or R1GO=/path/to/r1go.
# Everything goes to .cache/bench/<date>/: one log per run and results.txt (the bench= lines).
# Any failure is printed and makes the exit status non-zero; the table still shows what ran. When
# r1go runs out of device memory at BATCH (a risk for 1.5B at 8 × 2048: it materialises the f32
# attention scores), r1go and PyTorch are both measured again at half the batch.
set -euo pipefail
cd "$(dirname "$0")/.."

SHAPES=${SHAPES:-"0.5B 1.5B"}
BATCH=${BATCH:-8}
SEQ=${SEQ:-2048}
STEPS=${STEPS:-5}
BUDGET_S=${BUDGET_S:-530}
TORCH_COMPILE=${TORCH_COMPILE:-1}
WITH_DEFAULT_GRAD=${WITH_DEFAULT_GRAD:-0}
WITH_RECOMPUTE=${WITH_RECOMPUTE:-0} # 1: also r1go with --recompute-attention --lm-head-chunk 4096 (the memory-saving options)
FUSED=${FUSED:-1}                   # 1: r1go's training step runs cuDNN attention (--fused-attention; cuda only)
WITH_XLA_ATTENTION=${WITH_XLA_ATTENTION:-0} # 1: also r1go with attention written as XLA operations
BENCH=${BENCH:-train}
PROMPTS=${PROMPTS:-32}
GROUP=${GROUP:-16}
PROMPT_LEN=${PROMPT_LEN:-128}
MAX_NEW=${MAX_NEW:-512}
RUNS=${RUNS:-2}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda} # cuda, or cpu to check the script itself

die() { echo "bench/gpu.sh: $*" >&2; exit 1; }
start=$(date +%s) # the budget counts from here, the build of r1go included

case "$BENCH" in train | generate | parity | all) ;; *) die "BENCH=$BENCH: must be train, generate, parity or all" ;; esac
case "$DEVICE" in
cuda)
  command -v nvidia-smi >/dev/null || die "nvidia-smi not found: this benchmark needs an NVIDIA GPU"
  gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1) || die "nvidia-smi failed"
  "$PYTHON" -c 'import torch, transformers; assert torch.cuda.is_available(), "torch sees no GPU"' \
    || die "$PYTHON needs torch (with CUDA) and transformers"
  ;;
cpu)
  gpu="CPU ($(nproc) cores, functional check only)"
  "$PYTHON" -c 'import torch, transformers' || die "$PYTHON needs torch and transformers"
  ;;
*) die "DEVICE=$DEVICE: must be cuda or cpu" ;;
esac
echo "device: $gpu"

out=".cache/bench/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
results="$out/results.txt"
: >"$results"

if [[ -z "${R1GO:-}" ]]; then
  command -v go >/dev/null || die "no Go toolchain: build r1go elsewhere (CGO_ENABLED=1 go build -o r1go ./cmd/r1go) and set R1GO=/path/to/r1go"
  R1GO="$out/r1go"
  echo "== building r1go"
  t0=$(date +%s)
  CGO_ENABLED=1 go build -o "$R1GO" ./cmd/r1go || die "go build ./cmd/r1go failed"
  echo "   built in $(($(date +%s) - t0))s"
fi
[[ -x "$R1GO" ]] || die "R1GO=$R1GO is not an executable"
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0

failed=()
skipped=()
last_log=

# run NAME LIMIT_S CMD...: runs one benchmark if it fits the budget; its bench= line goes to results.
# Returns 1 when the run failed or was skipped (recorded in failed/skipped), with its log in last_log.
run() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET_S - ($(date +%s) - start)))
  if ((left < limit)); then
    echo "== $name: SKIPPED (${left}s of the budget left, the run may take ${limit}s)"
    skipped+=("$name")
    last_log=
    return 1
  fi
  echo "== $name (limit ${limit}s)"
  local log="$out/$name.log" t0=$(date +%s) rc=0
  last_log=$log
  timeout --kill-after=10 "$limit" "$@" >"$log.out" 2>"$log" || rc=$?
  local line
  line=$(grep '^bench=' "$log.out" | tail -1 || true)
  if ((rc != 0)) || [[ -z "$line" ]]; then
    echo "   FAILED (exit $rc after $(($(date +%s) - t0))s); last lines of $log:"
    tail -n 15 "$log" | sed 's/^/   | /'
    failed+=("$name")
    return 1
  fi
  echo "$line" | tee -a "$results" | sed 's/^/   /'
  echo "   ($(($(date +%s) - t0))s)"
}

if [[ "$BENCH" == train || "$BENCH" == all ]]; then
  declare -A batch_of
  fused=()
  [[ "$FUSED" == 1 && "$DEVICE" == cuda ]] && fused=(--fused-attention)
  for shape in $SHAPES; do
    b=$BATCH
    if ! run "r1go-$shape" 170 "$R1GO" bench train --shape "$shape" --batch "$b" --seq "$SEQ" --steps "$STEPS" --backend "$DEVICE" "${fused[@]}" &&
      [[ -n "$last_log" ]] && ((b > 1)) && grep -qiE 'RESOURCE_EXHAUSTED|out of memory' "$last_log"; then
      # Out of device memory: measure both implementations at half the batch rather than not at all
      # (the failure above stays listed and the exit status stays 1).
      b=$((b / 2))
      echo "   r1go ran out of device memory at batch $BATCH for $shape: measuring r1go and PyTorch at batch $b"
      run "r1go-$shape-batch$b" 170 "$R1GO" bench train --shape "$shape" --batch "$b" --seq "$SEQ" --steps "$STEPS" --backend "$DEVICE" "${fused[@]}" || true
    fi
    batch_of[$shape]=$b
    run "torch-eager-$shape" 100 "$PYTHON" bench/torch_train.py --shape "$shape" --batch "$b" --seq "$SEQ" --steps "$STEPS" --mode eager --device "$DEVICE" || true
  done
  if [[ "$TORCH_COMPILE" == 1 ]]; then
    for shape in $SHAPES; do
      run "torch-compile-$shape" 150 "$PYTHON" bench/torch_train.py --shape "$shape" --batch "${batch_of[$shape]}" --seq "$SEQ" --steps "$STEPS" --mode compile --device "$DEVICE" || true
    done
  fi
  if [[ "$WITH_XLA_ATTENTION" == 1 && ${#fused[@]} -gt 0 ]]; then
    for shape in $SHAPES; do
      run "r1go-xla-attention-$shape" 170 "$R1GO" bench train --shape "$shape" --batch "$BATCH" --seq "$SEQ" --steps "$STEPS" --backend "$DEVICE" || true
    done
  fi
  if [[ "$WITH_RECOMPUTE" == 1 ]]; then
    for shape in $SHAPES; do
      run "r1go-recompute-$shape" 170 "$R1GO" bench train --shape "$shape" --batch "$BATCH" --seq "$SEQ" --steps "$STEPS" --backend "$DEVICE" --recompute-attention --lm-head-chunk 4096
    done
  fi
  if [[ "$WITH_DEFAULT_GRAD" == 1 ]]; then
    for shape in $SHAPES; do
      run "r1go-defaultgrad-$shape" 200 "$R1GO" bench train --shape "$shape" --batch "${batch_of[$shape]}" --seq "$SEQ" --steps 2 --backend "$DEVICE" --grad default || true
    done
  fi
fi
if [[ "$BENCH" == generate || "$BENCH" == all ]]; then
  for shape in $SHAPES; do
    run "r1go-generate-$shape" 200 "$R1GO" bench generate --shape "$shape" --prompts "$PROMPTS" --n "$GROUP" \
      --prompt-len "$PROMPT_LEN" --max-new "$MAX_NEW" --runs "$RUNS" --backend "$DEVICE" || true
    run "hf-generate-$shape" 150 "$PYTHON" bench/hf_generate.py --shape "$shape" --prompts "$PROMPTS" --n "$GROUP" \
      --prompt-len "$PROMPT_LEN" --max-new "$MAX_NEW" --runs "$RUNS" --device "$DEVICE" || true
  done
fi

parity=()
# step NAME LIMIT_S CMD...: one step of the parity check, failing loudly.
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((BUDGET_S - ($(date +%s) - start)))
  if ((left < limit)); then
    echo "== $name: SKIPPED (${left}s of the budget left, the step may take ${limit}s)"
    skipped+=("$name")
    return 1
  fi
  echo "== $name"
  local log="$out/$name.log" rc=0
  timeout --kill-after=10 "$limit" "$@" >"$log.out" 2>"$log" || rc=$?
  if ((rc != 0)); then
    echo "   FAILED (exit $rc); last lines of $log:"
    tail -n 15 "$log" | sed 's/^/   | /'
    failed+=("$name")
    return 1
  fi
  cat "$log.out" | sed 's/^/   /'
}
if [[ "$BENCH" == parity || "$BENCH" == all ]]; then
  pshape=${PARITY_SHAPE:-0.5B}
  pdir="$out/parity-$pshape"
  if step "parity-init-$pshape" 120 "$R1GO" init --shape "$pshape" --out "$pdir" --seed 1; then
    "$PYTHON" - "$pdir/config.json" "$out/parity-input.jsonl" <<'PY'
import json, random, sys
vocab = json.load(open(sys.argv[1]))["vocab_size"]
r = random.Random(0)
with open(sys.argv[2], "w") as f:
    for n in [257, 300, 333, 380, 420, 450, 490, 512]:
        ids = [r.randrange(vocab) for _ in range(n)]
        f.write(json.dumps({"prompt_ids": ids[: n // 4], "completion_ids": ids[n // 4:]}) + "\n")
PY
    ok=1
    for dt in f32 bf16; do
      step "parity-r1go-$dt" 150 "$R1GO" logprobs --model "$pdir" --input "$out/parity-input.jsonl" \
        --output "$out/parity-r1go-$dt.jsonl" --dtype "$dt" --backend "$DEVICE" || ok=0
      step "parity-hf-$dt" 120 "$PYTHON" bench/hf_logprobs.py --model "$pdir" --input "$out/parity-input.jsonl" \
        --output "$out/parity-hf-$dt.jsonl" --dtype "$dt" --device "$DEVICE" ${PARITY_IMPL:+--model-impl "$PARITY_IMPL"} || ok=0
    done
    if ((ok)); then
      for pair in "r1go-f32 hf-f32" "r1go-bf16 hf-bf16" "r1go-bf16 hf-f32" "hf-bf16 hf-f32"; do
        set -- $pair
        parity+=("$("$PYTHON" bench/hf_logprobs.py --compare "$out/parity-$1.jsonl" "$out/parity-$2.jsonl")") || failed+=("parity-compare")
      done
    fi
  fi
fi

echo
echo "== results ($gpu, $(date -u +%F), total $(($(date +%s) - start))s; logs in $out)"
if [[ -s "$results" ]]; then
  "$R1GO" bench table "$results" || failed+=("table")
fi
if ((${#parity[@]})); then
  echo "log-prob parity, $pshape random checkpoint written by r1go init (files in $out):"
  printf '  %s\n' "${parity[@]}"
fi
status=0
if ((${#skipped[@]})); then
  echo "skipped (budget): ${skipped[*]}"
  status=1
fi
if ((${#failed[@]})); then
  echo "FAILED: ${failed[*]}"
  status=1
fi
exit $status
