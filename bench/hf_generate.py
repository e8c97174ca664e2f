#!/usr/bin/env python3
"""The peer of `r1go bench generate`: GRPO-style rollouts with transformers' generate().

    python3 bench/hf_generate.py --shape 0.5B --prompts 32 --n 16 --prompt-len 128 --max-new 512

Matched to r1go's benchmark (bench/generate.go): the same random-initialised Qwen2.5-shaped
model (bf16 weights on the GPU, SDPA attention), the same prompts (bench.BenchPrompts), n samples
per prompt decoded together (prompts × n rows in one generate() call, as TRL does without vLLM),
sampling at the given temperature with top-k and top-p off, and exactly --max-new new tokens per
sample (min_new_tokens = max_new_tokens, so EOS cannot end a sample early). One untimed run,
then --runs timed runs. Prints progress on stderr and one key=value line on stdout; every failure
exits non-zero.
"""
import argparse
import contextlib
import os
import sys
import time

sys.dont_write_bytecode = True  # importing torch_train must not leave __pycache__ in the tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_train import SHAPES, bench_tokens, die, gpu_memory_used_bytes, log  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True, help="built-in shape (model/shapes.go)")
    ap.add_argument("--prompts", type=int, default=32, help="distinct prompts")
    ap.add_argument("--n", type=int, default=16, help="samples per prompt")
    ap.add_argument("--prompt-len", type=int, default=128, help="tokens per prompt")
    ap.add_argument("--max-new", type=int, default=512, help="new tokens per sample")
    ap.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (0: greedy)")
    ap.add_argument("--runs", type=int, default=2, help="timed runs after one untimed run")
    ap.add_argument("--warmup-new", type=int, default=0,
                    help="new tokens of the untimed run (0: --max-new); torch compiles nothing, so a short one warms up as well")
    ap.add_argument("--attn", default="sdpa", help="transformers attention implementation")
    ap.add_argument("--cache", default="dynamic", choices=["dynamic", "static"], help="KV cache implementation")
    ap.add_argument("--device", default="cuda", help="cuda, or cpu for a functional check of this script")
    ap.add_argument("--dtype", choices=["bf16", "f32"], default="bf16", help="dtype of the weights while generating")
    ap.add_argument("--seed", type=int, default=0, help="initialisation and sampling seed")
    args = ap.parse_args()
    if min(args.prompts, args.n, args.prompt_len, args.max_new, args.runs) <= 0 or args.temperature < 0:
        die("--prompts, --n, --prompt-len, --max-new and --runs must be positive, --temperature >= 0")

    mem_before = gpu_memory_used_bytes() if args.device == "cuda" else None
    try:
        import torch
        import transformers
        from transformers import Qwen2Config, Qwen2ForCausalLM
    except ImportError as e:
        die(f"{e} (this script needs torch and transformers)")
    if args.device == "cuda" and not torch.cuda.is_available():
        die("--device cuda but torch.cuda.is_available() is False")
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)
    cfg = Qwen2Config(**SHAPES[args.shape], rms_norm_eps=1e-6, initializer_range=0.02)
    if args.prompt_len + args.max_new > cfg.max_position_embeddings:
        die(f"--prompt-len + --max-new exceed max_position_embeddings {cfg.max_position_embeddings}")
    cfg._attn_implementation = args.attn
    where = torch.device(dev) if hasattr(torch.device, "__enter__") else contextlib.nullcontext()
    t0 = time.time()
    with where:
        model = Qwen2ForCausalLM(cfg)
    model = model.to(dev, dtype=torch.bfloat16 if args.dtype == "bf16" else torch.float32).eval()
    n_params = sum(p.numel() for p in model.parameters())
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, {args.device}, shape {args.shape} "
        f"({n_params / 1e9:.3f}B parameters), {args.prompts} prompts x {args.n} samples, "
        f"{args.prompt_len} + {args.max_new} tokens; init {time.time() - t0:.1f}s")

    prompts, _ = bench_tokens(cfg.vocab_size, args.prompts, args.prompt_len)
    ids = torch.tensor(prompts, dtype=torch.long, device=dev).repeat_interleave(args.n, dim=0)  # [prompts*n, len]
    mask = torch.ones_like(ids)
    gen = dict(max_new_tokens=args.max_new, min_new_tokens=args.max_new, pad_token_id=0,
               do_sample=args.temperature > 0, top_k=0, top_p=1.0)
    if args.temperature > 0:
        gen["temperature"] = args.temperature
    if args.cache == "static":
        gen["cache_implementation"] = "static"

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize()

    rows = args.prompts * args.n
    new_tokens = rows * args.max_new
    times, first = [], 0.0
    for i in range(1 + args.runs):
        torch.manual_seed(args.seed + i)
        sync()
        s0 = time.time()
        g = dict(gen)
        if i == 0 and args.warmup_new > 0:
            g["max_new_tokens"] = g["min_new_tokens"] = args.warmup_new
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, **g)
        sync()
        el = time.time() - s0
        if i == 0:
            first = el
            log(f"run 0 (untimed): {el:.3f}s, {rows * g['max_new_tokens']} new tokens")
            continue
        if tuple(out.shape) != (rows, args.prompt_len + args.max_new):
            die(f"run {i}: generate() returned shape {tuple(out.shape)}, want {(rows, args.prompt_len + args.max_new)}")
        times.append(el)
        log(f"run {i} (timed): {el:.3f}s, {new_tokens / el:.0f} tokens/s")

    run_s = sum(times) / len(times)
    peak = "n/a"
    if args.device == "cuda":
        after = gpu_memory_used_bytes()
        if mem_before is not None and after is not None:
            peak = f"{(after - mem_before) / 2**30:.2f}"
    print(f"bench=generate impl=transformers mode={args.cache}-cache attn={args.attn} shape={args.shape} params={n_params} "
          f"prompts={args.prompts} n={args.n} prompt_len={args.prompt_len} max_new={args.max_new} "
          f"temperature={args.temperature:g} dtype={args.dtype} first_s={first:.2f} run_s={run_s:.4f} "
          f"tokens_per_s={new_tokens / run_s:.0f} peak_mem_gib={peak} torch={torch.__version__} "
          f"transformers={transformers.__version__}", flush=True)


if __name__ == "__main__":
    main()
