#!/usr/bin/env bash
# On the GPU machine: r1go writes random-initialised models, transformers loads them, and both
# compute log-probabilities of the same sequences. R1GO=path/to/r1go bash model/testdata/gpu_parity.sh OUTDIR
set -euo pipefail
R1GO=${R1GO:-.gpu/r1go}
out=${1:-/tmp/parity}
mkdir -p "$out"
python3 - "$out/seqs.jsonl" <<'PY'
import json, random, sys
r = random.Random(5)
with open(sys.argv[1], "w") as f:
    for n, m in [(5, 20), (40, 60), (100, 300)]:
        f.write(json.dumps({"prompt_ids": [r.randrange(256) for _ in range(n)], "completion_ids": [r.randrange(256) for _ in range(m)]}) + "\n")
PY
# A tiny Llama-3-style model (llama3 rope scaling, untied) in f32: CPU and GPU against transformers f32.
"$R1GO" init --config model/testdata/tiny-llama/config.json --out "$out/tiny-llama" --seed 3 --force
"$R1GO" logprobs --model "$out/tiny-llama" --input "$out/seqs.jsonl" --output "$out/tiny-cpu.jsonl" --backend cpu
"$R1GO" logprobs --model "$out/tiny-llama" --input "$out/seqs.jsonl" --output "$out/tiny-cuda.jsonl" --backend cuda --dtype f32
python3 model/testdata/gpu_parity.py "$out/tiny-llama" "$out/seqs.jsonl" "$out/tiny-cpu.jsonl" f32 cpu
python3 model/testdata/gpu_parity.py "$out/tiny-llama" "$out/seqs.jsonl" "$out/tiny-cuda.jsonl" f32 cpu
# Qwen2.5-0.5B shape, random weights: r1go bf16 on the GPU against transformers f32 and bf16.
"$R1GO" init --shape 0.5B --out "$out/q05" --seed 1 --force
"$R1GO" logprobs --model "$out/q05" --input "$out/seqs.jsonl" --output "$out/q05-cuda-bf16.jsonl" --backend cuda --dtype bf16
"$R1GO" logprobs --model "$out/q05" --input "$out/seqs.jsonl" --output "$out/q05-cuda-f32.jsonl" --backend cuda --dtype f32
python3 model/testdata/gpu_parity.py "$out/q05" "$out/seqs.jsonl" "$out/q05-cuda-f32.jsonl" f32 cuda
python3 model/testdata/gpu_parity.py "$out/q05" "$out/seqs.jsonl" "$out/q05-cuda-bf16.jsonl" f32 cuda
python3 model/testdata/gpu_parity.py "$out/q05" "$out/seqs.jsonl" "$out/q05-cuda-bf16.jsonl" bf16 cuda
