// bench.js times the reference tokenizers on the benchmark corpus, in one process per
// measurement (run.sh calls it):
//   node bench.js rust   TOKENIZER.json CORPUS.jsonl  Hugging Face tokenizers (Rust, napi):
//        one encodeBatch call over all documents; run.sh sets TOKENIZERS_PARALLELISM=false
//        for the single-thread figure (the batch is then encoded on one thread).
//   node bench.js lenml  TOKENIZER_DIR  CORPUS.jsonl  @lenml/tokenizers (JS): encode each
//        document.
// Prints {"impl", "seconds" (best wall time of the runs after one warm-up),
// "cpu_seconds" (best process CPU time, all threads), "bytes", "tokens"}.
"use strict";
const fs = require("fs");
const path = require("path");
const mods = path.join(__dirname, "..", "..", ".cache", "tokenizers", "node_modules");
const [which, tokPath, corpusPath, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const texts = fs.readFileSync(corpusPath, "utf8").trim().split("\n").map((l) => JSON.parse(l).text);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

async function main() {
  let encodeAll;
  if (which === "rust") {
    const { Tokenizer } = require(path.join(mods, "tokenizers"));
    const tok = Tokenizer.fromFile(tokPath);
    encodeAll = async () => {
      const encs = await tok.encodeBatch(texts, { addSpecialTokens: false });
      let n = 0;
      for (const e of encs) n += e.getLength();
      return n;
    };
  } else if (which === "lenml") {
    const { TokenizerLoader } = require(path.join(mods, "@lenml", "tokenizers"));
    const tok = TokenizerLoader.fromPreTrained({
      tokenizerJSON: JSON.parse(fs.readFileSync(path.join(tokPath, "tokenizer.json"), "utf8")),
      tokenizerConfig: JSON.parse(fs.readFileSync(path.join(tokPath, "tokenizer_config.json"), "utf8")),
    });
    encodeAll = async () => {
      let n = 0;
      for (const t of texts) n += tok.encode(t, { add_special_tokens: false }).length;
      return n;
    };
  } else {
    throw new Error("usage: node bench.js rust|lenml TOKENIZER CORPUS [RUNS]");
  }
  let tokens = await encodeAll(); // warm-up (caches, JIT)
  let best = Infinity, bestCPU = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    tokens = await encodeAll();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    bestCPU = Math.min(bestCPU, (c.user + c.system) / 1e6);
  }
  console.log(JSON.stringify({ impl: which, seconds: best, cpu_seconds: bestCPU, bytes, tokens }));
}
main();
