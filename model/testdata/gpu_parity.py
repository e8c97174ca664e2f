"""Checks, on the GPU machine, that transformers loads directories r1go writes and agrees with
r1go's log-probabilities. Run by gpu_parity.sh (which makes the directories and r1go's numbers).

python3 gpu_parity.py MODEL_DIR SEQS.jsonl R1GO_LOGPROBS.jsonl DTYPE DEVICE
Prints one line: name max|Δ| mean|Δ| over all completion tokens, r1go vs transformers.
"""
import json, sys
import torch
from transformers import AutoModelForCausalLM

model_dir, seqs_path, ours_path, dtype, device = sys.argv[1:6]
dt = {"f32": torch.float32, "bf16": torch.bfloat16}[dtype]
m = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dt, attn_implementation="eager" if dtype == "f32" else "sdpa").to(device).eval()
seqs = [json.loads(l) for l in open(seqs_path)]
ours = [json.loads(l) for l in open(ours_path)]
worst, tot, n = 0.0, 0.0, 0
with torch.no_grad():
    for s, o in zip(seqs, ours):
        ids = torch.tensor([s["prompt_ids"] + s["completion_ids"]], device=device)
        lp = torch.log_softmax(m(ids).logits.float()[0], -1)
        p = len(s["prompt_ids"])
        ref = lp[p - 1:-1].gather(1, ids[0, p:, None])[:, 0].cpu()
        d = (torch.tensor(o["logprobs"]) - ref).abs()
        worst, tot, n = max(worst, d.max().item()), tot + d.sum().item(), n + d.numel()
print(f"parity model={model_dir} dtype={dtype} device={device} tokens={n} max_abs_diff={worst:.3e} mean_abs_diff={tot / n:.3e}")
