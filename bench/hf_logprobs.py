#!/usr/bin/env python3
"""Log-probabilities with transformers, in `r1go logprobs`' formats, and a comparison of two results.

    python3 bench/hf_logprobs.py --model DIR --input in.jsonl --output out.jsonl [--dtype bf16|f32] [--device cuda]
    python3 bench/hf_logprobs.py --compare a.jsonl b.jsonl

The first form loads DIR with AutoModelForCausalLM.from_pretrained (so it also checks that a
directory `r1go init` wrote loads in transformers), reads {"prompt_ids":[...],"completion_ids":[...]}
lines, and writes {"logprobs":[...],"sum":x} lines in input order, like `r1go logprobs`. Each
sequence runs alone (no padding); weights and products in --dtype, log-softmax in f32.
--model-impl plain uses bench/torch_qwen2.py instead of transformers (F32 checkpoints only).

The second form prints the largest and the mean absolute difference between two such files,
line by line and token by token, and exits 1 if their shapes differ.
"""
import argparse
import json
import os
import sys

sys.dont_write_bytecode = True  # importing torch_train must not leave __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train import die, log  # noqa: E402


def read_jsonl(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                die(f"{path}: line {n}: {e}")
    return out


def compare(a, b):
    ra, rb = read_jsonl(a), read_jsonl(b)
    if len(ra) != len(rb):
        die(f"{a} has {len(ra)} lines, {b} has {len(rb)}")
    worst, total, n, worst_sum = 0.0, 0.0, 0, 0.0
    for i, (x, y) in enumerate(zip(ra, rb), 1):
        if len(x["logprobs"]) != len(y["logprobs"]):
            die(f"line {i}: {len(x['logprobs'])} log-probs in {a}, {len(y['logprobs'])} in {b}")
        for p, q in zip(x["logprobs"], y["logprobs"]):
            d = abs(p - q)
            worst, total, n = max(worst, d), total + d, n + 1
        worst_sum = max(worst_sum, abs(x["sum"] - y["sum"]))
    print(f"compare {os.path.basename(a)} {os.path.basename(b)}: tokens={n} max_abs_diff={worst:.3e} "
          f"mean_abs_diff={total / max(n, 1):.3e} max_abs_diff_sum={worst_sum:.3e}")


def score(args):
    import torch
    seqs = []
    for i, r in enumerate(read_jsonl(args.input), 1):
        if not r.get("prompt_ids") or "completion_ids" not in r:
            die(f"{args.input}: line {i}: needs prompt_ids (non-empty) and completion_ids")
        seqs.append((r["prompt_ids"], r["completion_ids"]))
    dev = torch.device(args.device)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32
    if args.model_impl == "plain":
        import torch_qwen2
        model = torch_qwen2.CausalLM(torch_qwen2.Config(**json.load(open(os.path.join(args.model, "config.json")))))
        weights = torch_qwen2.read_safetensors(os.path.join(args.model, "model.safetensors"))
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(weights[torch_qwen2.hf_name(name)])
        version = "plain PyTorch (bench/torch_qwen2.py)"
    else:
        try:
            import transformers
            from transformers import AutoModelForCausalLM
        except ImportError as e:
            die(f"{e} (use --model-impl plain without transformers)")
        model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32, attn_implementation="eager")
        version = "transformers " + transformers.__version__
    model = model.to(dev, dtype=dtype).eval()
    log(f"{version}, torch {torch.__version__}, {args.device}, {args.dtype}: {len(seqs)} sequences from {args.input}")
    lines = []
    with torch.no_grad():
        for prompt, completion in seqs:
            ids = torch.tensor([prompt + completion], device=dev)
            lp = torch.log_softmax(model(input_ids=ids).logits.float()[0], -1)
            tok = lp[len(prompt) - 1:-1].gather(1, ids[0, len(prompt):, None])[:, 0].tolist()
            if any(x != x or abs(x) == float("inf") for x in tok):
                die("non-finite log-prob")
            lines.append(json.dumps({"logprobs": tok, "sum": sum(tok)}, separators=(",", ":")))
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + ("\n" if lines else ""))
    os.replace(tmp, args.output)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model directory (config.json + safetensors)")
    ap.add_argument("--input", help="JSONL of prompt_ids/completion_ids")
    ap.add_argument("--output", help="JSONL file to write")
    ap.add_argument("--dtype", choices=["bf16", "f32"], default="f32", help="weights and products")
    ap.add_argument("--device", default="cuda", help="cuda or cpu")
    ap.add_argument("--model-impl", choices=["transformers", "plain"], default="transformers",
                    help="transformers, or plain PyTorch (bench/torch_qwen2.py)")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two log-prob files instead")
    args = ap.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.model and args.input and args.output:
        score(args)
    else:
        die("give --model, --input and --output, or --compare A B")


if __name__ == "__main__":
    main()
