#!/usr/bin/env python3
"""The peer of `r1go bench train`: one full training step of the same model in transformers + PyTorch.

    python3 bench/torch_train.py --shape 0.5B --batch 8 --seq 2048 --steps 5 --mode eager
    python3 bench/torch_train.py --shape 0.5B --batch 8 --seq 2048 --steps 5 --mode compile

What it measures, matched to r1go's step (bench/train.go):
  * Qwen2ForCausalLM built from the same configuration as `r1go init --shape` (model/shapes.go),
    random-initialised, f32 master weights; SDPA attention (transformers' default);
  * forward under torch.autocast(bfloat16) (bf16 products, f32 norms/softmax), logits cast to
    f32, mean cross-entropy over every position against the same fixed tokens as r1go
    (bench.BenchTokens), backward, clip_grad_norm_(1.0), AdamW(fused, lr 1e-5, wd 0.01);
  * one first step (compilation for --mode compile), --warmup untimed steps, then --steps timed
    steps, each synchronised.
It prints progress on stderr and one result line on stdout in r1go's key=value format:
    bench=train impl=torch mode=eager attn=sdpa shape=0.5B params=... step_s=... tokens_per_s=... mfu=...
peak_mem_gib is the growth of the GPU's used memory (nvidia-smi) from before CUDA was
initialised to the end of the run, measured exactly as r1go measures itself; torch_reserved_gib
is PyTorch's own peak reservation. Any failure (import, CUDA, out of memory, a non-finite loss)
exits with a non-zero status and a message: nothing is skipped silently.
"""
import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time

H200_PEAK_BF16 = 989e12

# model/shapes.go, as Qwen2Config arguments.
SHAPES = {
    "tiny": dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
                 rope_theta=10000.0, tie_word_embeddings=True),
    "0.5B": dict(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                 num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                 rope_theta=1e6, tie_word_embeddings=True),
    "1.5B": dict(vocab_size=151936, hidden_size=1536, intermediate_size=8960, num_hidden_layers=28,
                 num_attention_heads=12, num_key_value_heads=2, max_position_embeddings=131072,
                 rope_theta=1e6, tie_word_embeddings=True),
}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def die(msg):
    log(f"{os.path.basename(sys.argv[0])}: error: {msg}")
    sys.exit(1)


def bench_tokens(vocab, batch, seq):
    """bench.BenchTokens: row r, position j holds (r*7919 + j*104729 + j*j*31) mod vocab."""
    rows = [[(r * 7919 + j * 104729 + j * j * 31) % vocab for j in range(seq + 1)] for r in range(batch)]
    return [row[:seq] for row in rows], [row[1:] for row in rows]


def gpu_memory_used_bytes():
    """Used memory of the GPU this process computes on, from nvidia-smi (None without one)."""
    gpu = os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",")[0] or "0"
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", gpu],
                             check=True, capture_output=True, text=True).stdout
        return int(out.strip()) << 20
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), help="built-in shape (model/shapes.go)")
    ap.add_argument("--config", help="a config.json (e.g. written by `r1go init`) instead of --shape")
    ap.add_argument("--batch", type=int, default=8, help="sequences per step")
    ap.add_argument("--seq", type=int, default=2048, help="tokens per sequence")
    ap.add_argument("--steps", type=int, default=5, help="timed steps")
    ap.add_argument("--warmup", type=int, default=1, help="untimed steps after the first")
    ap.add_argument("--mode", choices=["eager", "compile"], default="eager", help="eager, or torch.compile(model)")
    ap.add_argument("--attn", default="sdpa", help="transformers attention implementation (sdpa, eager, flash_attention_2)")
    ap.add_argument("--model-impl", choices=["transformers", "plain"], default="transformers",
                    help="transformers' Qwen2ForCausalLM, or plain: bench/torch_qwen2.py, the same model in plain PyTorch "
                         "(checked against transformers' numbers) for machines without transformers")
    ap.add_argument("--device", default="cuda", help="cuda, or cpu for a functional check of this script")
    ap.add_argument("--dtype", choices=["bf16", "f32"], default="bf16", help="autocast dtype of the products")
    ap.add_argument("--lr", type=float, default=1e-5, help="AdamW learning rate")
    ap.add_argument("--seed", type=int, default=0, help="initialisation seed")
    ap.add_argument("--peak-tflops", type=float, default=H200_PEAK_BF16 / 1e12, help="peak for MFU (not reported on cpu)")
    args = ap.parse_args()
    if (args.shape is None) == (args.config is None):
        die("give --shape or --config")
    if min(args.batch, args.seq, args.steps) <= 0 or args.warmup < 0:
        die("--batch, --seq and --steps must be positive, --warmup >= 0")

    mem_before = gpu_memory_used_bytes() if args.device == "cuda" else None  # before CUDA is initialised

    plain = args.model_impl == "plain"
    try:
        import torch
        import torch.nn.functional as F
        if plain:
            sys.dont_write_bytecode = True
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            import torch_qwen2
            transformers = None
        else:
            import transformers
            from transformers import Qwen2Config, Qwen2ForCausalLM, AutoConfig, AutoModelForCausalLM
    except ImportError as e:
        die(f"{e} (this script needs torch, and transformers unless --model-impl plain)")
    if args.device == "cuda" and not torch.cuda.is_available():
        die("--device cuda but torch.cuda.is_available() is False")
    dev = torch.device(args.device)
    torch.manual_seed(args.seed)

    if plain:
        name = args.shape or args.config
        raw = dict(SHAPES[args.shape], model_type="qwen2") if args.shape else json.load(open(
            args.config if args.config.endswith(".json") else os.path.join(args.config, "config.json")))
        cfg = torch_qwen2.Config(**raw)
        args.attn = "eager"  # torch_qwen2 computes attention explicitly
    elif args.shape:
        name = args.shape
        cfg = Qwen2Config(**SHAPES[name], rms_norm_eps=1e-6, initializer_range=0.02, use_cache=False)
    else:
        name = args.config
        cfg = AutoConfig.from_pretrained(os.path.dirname(os.path.abspath(args.config)) if args.config.endswith(".json") else args.config)
        cfg.use_cache = False
    if args.seq > cfg.max_position_embeddings:
        die(f"--seq {args.seq} exceeds max_position_embeddings {cfg.max_position_embeddings}")
    if not plain:
        cfg._attn_implementation = args.attn
    t0 = time.time()
    # Build the model directly on the device when this torch can (2.0+): a 1.5B CPU init takes long.
    where = torch.device(dev) if hasattr(torch.device, "__enter__") else contextlib.nullcontext()
    with where:
        if plain:
            model = torch_qwen2.CausalLM(cfg)
        else:
            model = AutoModelForCausalLM.from_config(cfg) if args.config else Qwen2ForCausalLM(cfg)
    model = model.to(dev).float().train()
    n_params = sum(p.numel() for p in model.parameters())
    tf_version = transformers.__version__ if transformers else "none (plain PyTorch model)"
    log(f"torch {torch.__version__}, transformers {tf_version}, {args.device}, shape {name} "
        f"({n_params / 1e9:.3f}B parameters), batch {args.batch} x seq {args.seq}, mode {args.mode}, attn {args.attn}; "
        f"init {time.time() - t0:.1f}s")

    fused = args.device == "cuda"
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01,
                            **({"fused": True} if fused else {}))
    fwd = model
    if args.mode == "compile":
        if not hasattr(torch, "compile"):
            die(f"--mode compile: torch {torch.__version__} has no torch.compile")
        fwd = torch.compile(model)

    inputs, targets = bench_tokens(cfg.vocab_size, args.batch, args.seq)
    inputs = torch.tensor(inputs, dtype=torch.long, device=dev)
    targets = torch.tensor(targets, dtype=torch.long, device=dev)
    amp_dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float32

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize()

    def step():
        amp = torch.autocast(device_type=dev.type, dtype=amp_dtype) if args.dtype == "bf16" else contextlib.nullcontext()
        with amp:
            logits = fwd(input_ids=inputs, use_cache=False).logits
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        return loss.detach(), norm.detach()

    losses, times, first = [], [], 0.0
    for i in range(1 + args.warmup + args.steps):
        sync()
        s0 = time.time()
        loss, norm = step()
        loss, norm = float(loss), float(norm)  # synchronises
        sync()
        el = time.time() - s0
        if not math.isfinite(loss):
            die(f"step {i}: loss is {loss}")
        losses.append(loss)
        kind = "first" if i == 0 else ("warm-up" if i <= args.warmup else "timed")
        if i == 0:
            first = el
        elif i > args.warmup:
            times.append(el)
        log(f"step {i} ({kind}): {el:.4f}s loss {loss:.4f} grad_norm {norm:.4f}")

    step_s = sum(times) / len(times)
    tps = args.batch * args.seq / step_s
    mfu = "n/a" if args.device != "cuda" else f"{6 * n_params * tps / (args.peak_tflops * 1e12):.4f}"
    peak, reserved = "n/a", "n/a"
    if args.device == "cuda":
        reserved = f"{torch.cuda.max_memory_reserved() / 2**30:.2f}"
        mem_after = gpu_memory_used_bytes()
        if mem_before is not None and mem_after is not None:
            peak = f"{(mem_after - mem_before) / 2**30:.2f}"
    impl = "torch-plain" if plain else "torch"
    print(f"bench=train impl={impl} mode={args.mode} attn={args.attn} shape={name} params={n_params} "
          f"batch={args.batch} seq={args.seq} dtype={args.dtype} compile_s={max(first - step_s, 0):.2f} "
          f"step_s={step_s:.4f} tokens_per_s={tps:.0f} mfu={mfu} peak_mem_gib={peak} torch_reserved_gib={reserved} "
          f"loss_first={losses[0]:.4f} loss_last={losses[-1]:.4f} torch={torch.__version__} "
          f"transformers={transformers.__version__ if transformers else 'none'}", flush=True)


if __name__ == "__main__":
    main()
