// corpus.js builds the ~2 MB mixed benchmark corpus, one JSON line per document of
// about 1 KB: Go source from GOROOT/src/net/http (code with tabs), English (the Go
// spec, the GPL and Apache licences), Chinese, Korean, Japanese and French prose
// (golang.org/x/text test data: Sunzi, Unsu joh-eun nal, Rashomon, Candide) and the
// tokenizer parity corpus (emoji, LaTeX, numbers, special-token look-alikes). The
// multilingual part is repeated three times so it is about a quarter of the bytes.
// Usage: node corpus.js GOROOT GOMODCACHE OUT.jsonl
"use strict";
const fs = require("fs");
const path = require("path");
const [goroot, modcache, out] = process.argv.slice(2);

function chunks(text, size) {
  const lines = text.split(/(?<=\n)/);
  const docs = [];
  let cur = "";
  for (const l of lines) {
    cur += l;
    if (cur.length >= size) { docs.push(cur); cur = ""; }
  }
  if (cur) docs.push(cur);
  return docs;
}
function readCapped(files, cap) {
  let s = "";
  for (const f of files) {
    if (s.length >= cap) break;
    s += fs.readFileSync(f, "utf8");
  }
  return s.slice(0, cap);
}

const httpDir = path.join(goroot, "src", "net", "http");
const goFiles = fs.readdirSync(httpDir).filter((f) => f.endsWith(".go")).sort().map((f) => path.join(httpDir, f));
const code = readCapped(goFiles, 1000000);
const english = readCapped([path.join(goroot, "doc", "go_spec.html"), "/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0"], 700000);
const xt = path.join(modcache, "golang.org", "x", "text@v0.44.0", "encoding", "testdata");
const multi = ["sunzi-bingfa-simplified-utf-8.txt", "sunzi-bingfa-traditional-utf-8.txt", "unsu-joh-eun-nal-utf-8.txt", "rashomon-utf-8.txt", "candide-utf-8.txt"]
  .map((f) => fs.readFileSync(path.join(xt, f), "utf8")).join("\n");
const parity = fs.readFileSync(path.join(__dirname, "..", "testdata", "corpus.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l).text).join("\n");

const docs = [];
for (const d of chunks(code, 1000)) docs.push(d);
for (const d of chunks(english, 1000)) docs.push(d);
for (let r = 0; r < 3; r++) {
  for (const d of chunks(multi, 1000)) docs.push(d);
  for (const d of chunks(parity, 1000)) docs.push(d);
}
const lines = docs.map((t, i) => JSON.stringify({ id: i, text: t }));
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, lines.join("\n") + "\n");
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
console.error(`corpus: ${docs.length} documents, ${bytes} bytes of text -> ${out}`);
