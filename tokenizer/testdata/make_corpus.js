// make_corpus.js writes corpus.jsonl, the text the tokenizer parity tests encode.
// Deterministic (seeded PRNG); run from this directory: node make_corpus.js
// Hand-written lines cover the cases that break tokenizers; seeded random lines over a
// pool of risky characters cover the rest; long lines cover the long-word BPE path.
"use strict";
const fs = require("fs");

let seed = 20261129;
function rnd() { // xorshift32
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296;
}
function pick(a) { return a[Math.floor(rnd() * a.length)]; }

const hand = [
  // English, contractions (Oniguruma folds case, and ſ folds to s)
  "Hello, world! It's a test: don't, won't, we'll, I'd, you're, they've, I'm.",
  "IT'S LOUD. WE'LL SEE. YOU'RE RIGHT. I'D SAY SO. THEY'VE GONE. I'M HERE. DON'T.",
  "it'S it'T it'Re it'rE it'VE it'Ll it'M it'D it'ſ it'ſt 'ſ 'S 'x ''s '",
  "The quick brown fox jumps over the lazy dog.  Two  spaces,   three   spaces.",
  "   leading spaces and trailing spaces   ",
  "tabs\tbetween\t\twords\t",
  "line one\nline two\n\nline four\r\nwindows line\r\n\r\nmore\rold mac\n",
  " \n \n\t\n  x",
  "trailing newline\n",
  "\n\n\n",
  "",
  " ",
  "a",
  // Chinese, Japanese, Korean, mixed with English
  "我们今天学习强化学习。DeepSeek-R1 使用 GRPO 算法训练推理能力，效果很好！",
  "混合English和中文mixed文本123个数字，还有标点：“引号”、《书名号》……",
  "日本語のテキストです。カタカナとひらがな、そして漢字。ｶﾀｶﾅ（半角）も。",
  "한국어 텍스트입니다. 안녕하세요! 강화 학습은 재미있어요.",
  "繁體中文：這是一個測試。簡體中文：这是一个测试。",
  "数学题：求解方程 x² + 2x − 3 = 0，答案是 x = 1 或 x = −3。",
  // Other scripts
  "Русский текст: Привет, мир! Ёжик в тумане.",
  "Ελληνικά: Γειά σου Κόσμε! αβγδε ΑΒΓΔΕ",
  "עברית: שלום עולם",
  "العربية: مرحبا بالعالم! ١٢٣٤٥ أرقام عربية",
  "हिन्दी: नमस्ते दुनिया! क्षत्रिय ज्ञान",
  "ไทย: สวัสดีชาวโลก ภาษาไทยไม่มีช่องว่าง",
  "Tiếng Việt: Xin chào thế giới! Đường phố Hà Nội.",
  "Tie\u0302\u0301ng Vie\u0323\u0302t decomposed: e\u0301 a\u0300 o\u0308 n\u0303 (NFD input)",
  "Ａｂｃ　ｆｕｌｌｗｉｄｔｈ　１２３　！？",
  // Code with tabs
  "func main() {\n\tfor i := 0; i < 10; i++ {\n\t\tfmt.Println(i)\n\t}\n}\n",
  "def f(x):\n    if x > 0:\n        return x ** 2  # square\n    return -x\n",
  "#include <stdio.h>\nint main(void){printf(\"%d\\n\", 42);return 0;}",
  "const re = /^[a-z]+$/i; let s = `template ${x}`; a->b; a::b; a=>b; x!==y && y>=z || !w",
  "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
  "<html><body class=\"main\"><p>Hello &amp; welcome</p></body></html>",
  "{\"id\": 1, \"text\": \"json \\\"escaped\\\"\", \"list\": [1, 2.5, -3e10, null, true]}",
  // LaTeX
  "The answer is $\\boxed{\\frac{1}{2}}$ and $x^2 + y^2 = r^2$.",
  "\\begin{align}\n\\int_0^\\infty e^{-x^2}\\,dx &= \\frac{\\sqrt{\\pi}}{2} \\\\\n\\sum_{n=1}^{\\infty} \\frac{1}{n^2} &= \\frac{\\pi^2}{6}\n\\end{align}",
  "\\left( \\frac{a}{b} \\right)^{n} \\cdot \\sqrt[3]{x} \\leq \\mathbb{R} \\times \\alpha\\beta\\gamma",
  // Numbers
  "1234567890 12 123 1234 12345 3.14159 -42 +7 1e-10 0x1F 1,000,000 1_000",
  "Phone: +1 (555) 123-4567. Year 2026. Ratio 16:9. Version v1.2.3-rc4.",
  "Superscripts x² y³ ¹²³, fractions ½ ¾ ⅓, Roman Ⅻ ⅷ, circled ① ⑳, Arabic-Indic ٣٤٥, Devanagari ४५६, fullwidth ７８９",
  "99999999999999999999999999999999999999999999999999",
  // Emoji
  "Emoji: 😀 😂 👍🏽 ❤️ 🇺🇸 🇨🇳 👨‍👩‍👧‍👦 🏳️‍🌈 1️⃣ #️⃣ 🧑🏿‍💻",
  "👍👍👍 ok👌 🤖🧠✨ ☕️ ©️ ®️ ™️",
  // Whitespace runs and unusual spaces
  "a    b\t\t\tc \t \t d\u00a0\u00a0e\u3000\u3000f\u2003g\u2028h\u2029i\u0085j\u000bk\u000cl",
  "x                                                                y",
  "\t\t\t\t\t\t\t\tindented with tabs",
  "     \n     \n     ",
  "end with spaces     ",
  // Unusual Unicode
  "control \u0000 \u0001 \u0007 \u001b[31mred\u001b[0m \u007f",
  "zero\u200bwidth\u200cjoiner\u200dhere \ufeffBOM\ufeff",
  "RTL \u202eevil\u202c marks \u200e\u200f",
  "private use \ue000\uf8ff astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙𝟚 𓀀 𐍈",
  "replacement char \ufffd and nonchar \uffff and \ufdd0",
  "combining on space \u0301 and alone \u0300\u0301\u0302 x\u20dd",
  "math symbols ∀x∈ℝ: x² ≥ 0 ⇒ √(x²) = |x| ≠ ∞ ∑∏∫∂∇",
  "quotes “double” ‘single’ «guillemets» „low” — en – em … ellipsis",
  "currency $100 €50 £30 ¥1000 ₹500 ₿0.5 ¢",
  "ﬁ ﬂ ligatures, Ⅸ, ㎏, ℃, ﬀ, Å (angstrom) vs Å, K (kelvin) vs K",
  // Things that look like special tokens
  "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
  "<|endoftext|><|endoftext|>text<|endoftext|>",
  "<|im_end| <|im_end|>> <<|im_end|> <|IM_END|> < |im_end|> <|im_end |>",
  "<think>\nreasoning here\n</think>\n<answer>42</answer>",
  "<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜>hello<｜end▁of▁sentence｜>",
  "<｜User｜ <｜end▁of▁sentence｜> <｜end of sentence｜> <|eot_id|> <|begin_of_text|>",
  "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
  "<tool_call>{\"name\": \"f\"}</tool_call> <|fim_prefix|>a<|fim_middle|>b<|fim_suffix|>",
  "<|vision_start|><|image_pad|><|vision_end|> <|box_start|>(1,2)<|box_end|>",
  "<s> </s> <unk> [CLS] [SEP] [MASK] <pad> <|reserved_special_token_0|>",
];

// Seeded random lines over a pool of risky characters and fragments.
const pool = [
  "a", "Z", "é", "e\u0301", "ß", "İ", "ı", "ſ", "'", "'s", "'LL", "’", "\"", " ", "  ", "\t", "\n", "\r\n", "\r",
  "\u00a0", "\u3000", "\u2009", "0", "7", "42", "123456", "²", "½", "٣", "中", "文", "字", "の", "カ", "ｶ", "한",
  "ä", "ñ", "Ω", "ж", "ע", "ب", "क", "्", "ष", "ไ", "ั", "😀", "👍", "🏽", "\u200d", "\ufe0f", "🇺", "🇸",
  "!", "?", ".", ",", ";", ":", "(", ")", "[", "]", "{", "}", "<", ">", "/", "\\", "|", "_", "-", "+", "=", "*",
  "&", "#", "$", "%", "^", "~", "`", "@", "—", "…", "“", "”", "«", "€", "∑", "√", "\u0000", "\u001b", "\u200b",
  "\ufeff", "\ue000", "𝔘", "𓀀", "<|im_end|>", "<|endoftext|>", "<think>", "</think>", "<｜User｜>",
  "<｜end▁of▁sentence｜>", "<|eot_id|>", "<|", "|>", "<｜", "▁", "Ġ", "Ċ", "hello", "World", "GRPO", "the",
  "\\frac", "\\boxed{", "x^2", "def ", "return", "if", "我们", "学习", "ありがとう",
];
const random = [];
for (let i = 0; i < 250; i++) {
  const n = 1 + Math.floor(rnd() * 40);
  let s = "";
  for (let k = 0; k < n; k++) s += pick(pool);
  random.push(s);
}

// Long lines: the heap path of BPE and long pre-tokens.
const long = [
  " ".repeat(3000) + "x",
  "a".repeat(2000),
  "我".repeat(1500),
  "强化学习是一种机器学习方法智能体通过与环境交互获得奖励并学习最优策略".repeat(30),
  "1234567890".repeat(200),
  "\n".repeat(500) + "end",
  "ab".repeat(1000),
  hand.slice(0, 40).join(" ").repeat(5),
  (function () { let s = ""; for (let i = 0; i < 400; i++) s += pick(pool); return s; })(),
  "😀".repeat(300),
  "-".repeat(1000) + "=" .repeat(1000),
  "https://example.com/path/to/a/very/long/url?with=query&and=more#fragment".repeat(20),
];

const lines = [];
for (const t of hand) lines.push({ kind: "hand", text: t });
for (const t of random) lines.push({ kind: "random", text: t });
for (const t of long) lines.push({ kind: "long", text: t });
const out = lines.map((l, i) => JSON.stringify({ id: i, kind: l.kind, text: l.text })).join("\n") + "\n";
fs.writeFileSync("corpus.jsonl", out);
console.log(`corpus.jsonl: ${lines.length} lines, ${Buffer.byteLength(out)} bytes`);
