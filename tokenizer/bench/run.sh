#!/usr/bin/env bash
# Tokenizer throughput, r1go against Hugging Face tokenizers (Rust, via npm) and
# @lenml/tokenizers (JS), side by side in one run on the same corpus (~2 MB, see
# corpus.js). Prints a Markdown table per tokenizer: throughput by wall time and by
# process CPU time (robust when other jobs share the machine), and r1go's ratio to each.
# Usage (repository root): bash tokenizer/bench/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
bash scripts/setup.d/tokenizers.sh
go mod download golang.org/x/text
out=.cache/tokbench
mkdir -p "$out"
node tokenizer/bench/corpus.js "$(go env GOROOT)" "$(go env GOMODCACHE)" "$out/corpus.jsonl"
go build -o "$out/tokbench" ./tokenizer/internal/tokbench
models=.cache/tokenizers/node_modules/@lenml
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for m in qwen3 deepseek_v3; do
  dir=$models/tokenizer-$m/models
  res=$out/$m.jsonl
  : >"$res"
  # Rounds interleave the implementations so that load from other processes on the
  # machine falls on all of them alike; each reports its best timed run.
  for round in $(seq "$rounds"); do
    "$out/tokbench" --tokenizer "$dir" --corpus "$out/corpus.jsonl" --mode single --runs 2 >>"$res"
    TOKENIZERS_PARALLELISM=false RAYON_NUM_THREADS=1 node tokenizer/bench/bench.js rust "$dir/tokenizer.json" "$out/corpus.jsonl" 2 >>"$res"
    "$out/tokbench" --tokenizer "$dir" --corpus "$out/corpus.jsonl" --mode regexp2 --runs 1 >>"$res"
    "$out/tokbench" --tokenizer "$dir" --corpus "$out/corpus.jsonl" --mode batch --runs 2 >>"$res"
    node tokenizer/bench/bench.js rust "$dir/tokenizer.json" "$out/corpus.jsonl" 2 | sed 's/"rust"/"rust-parallel"/' >>"$res"
    if [ "$round" = 1 ]; then
      node tokenizer/bench/bench.js lenml "$dir" "$out/corpus.jsonl" 1 >>"$res"
    fi
  done
  node -e '
    const all = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
    const by = {};
    for (const r of all) if (!by[r.impl] || r.seconds < by[r.impl].seconds) by[r.impl] = r;
    const order = ["r1go-single", "rust", "r1go-regexp2", "lenml", "r1go-batch", "rust-parallel"];
    const rows = order.filter((k) => by[k]).map((k) => by[k]);
    const mbs = (r) => r.bytes / r.seconds / 1e6;
    const mbc = (r) => r.bytes / r.cpu_seconds / 1e6;
    console.log(`\n### ${process.argv[2]} (${(rows[0].bytes / 1e6).toFixed(2)} MB, ${rows[0].tokens} tokens)\n`);
    console.log("| implementation | threads | MB/s (wall) | MB per CPU-second | r1go single-thread ÷ this (wall) | (CPU) |");
    console.log("|---|---|---|---|---|---|");
    const names = { "r1go-single": ["r1go Encode (hand-written pre-tokenizer)", "1"], "rust": ["HF tokenizers (Rust) encodeBatch", "1"],
      "r1go-regexp2": ["r1go Encode with regexp2", "1"], "lenml": ["@lenml/tokenizers (JS) encode", "1"],
      "r1go-batch": ["r1go EncodeBatch", "all"], "rust-parallel": ["HF tokenizers (Rust) encodeBatch", "all"] };
    for (const r of rows) {
      const [n, th] = names[r.impl];
      console.log(`| ${n} | ${th} | ${mbs(r).toFixed(2)} | ${mbc(r).toFixed(2)} | ${(mbs(by["r1go-single"]) / mbs(r)).toFixed(2)}× | ${(mbc(by["r1go-single"]) / mbc(r)).toFixed(2)}× |`);
      if (r.tokens !== rows[0].tokens) console.log(`  (token count ${r.tokens} differs from r1go ${rows[0].tokens})`);
    }
    console.log(`\nr1go EncodeBatch ÷ Rust parallel: ${(mbs(by["r1go-batch"]) / mbs(by["rust-parallel"])).toFixed(2)}×`);
  ' "$res" "$m"
done
