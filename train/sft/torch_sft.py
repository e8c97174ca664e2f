#!/usr/bin/env python3
"""The PyTorch peer of r1go's packed SFT step (BenchmarkStep in train/sft/bench_test.go).

    python3 train/sft/torch_sft.py --shape 0.5B --batch 8 --seq 4096 --steps 4

It builds exactly the rows the Go benchmark trains on: the same synthetic examples
(benchExamples: lengths spread over [seq/16, seq], the first quarter of each a prompt), packed
with the same best-fit-decreasing rule (sft.Pack: longest first, each into the leftmost row with
room), each example with its own positions. Qwen2ForCausalLM (transformers, random init from the
same configuration as `r1go init --shape`, f32 master weights, SDPA by default) gets input_ids and
position_ids and no attention mask: transformers detects the packed sequences from the restarting
position_ids and builds the block-diagonal causal mask (flash_attention_2 uses varlen kernels).
Before timing, the script checks that: the first example's log-probabilities from the packed row
equal those of the example alone (to bf16 tolerance), else it stops. The loss is r1go's: the mean
negative log-likelihood of the completion tokens (no target across an example boundary), under
torch.autocast(bfloat16), logits in f32; then clip_grad_norm_(1.0) and fused AdamW (lr 1e-5).
It prints one line in r1go's key=value format:
    bench=sft impl=torch attn=sdpa shape=0.5B ... step_s=... tokens_per_s=... useful_tokens_per_s=... mfu=...
MFU = 6 * params * useful tokens/s / peak, as r1go reports it. Not yet run by its author (no torch
on the CPU machine where it was written): the packing check above guards its main assumption.
"""
import argparse
import math
import os
import sys
import time

H200_PEAK_BF16 = 989e12


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def die(msg):
    log(f"torch_sft.py: error: {msg}")
    sys.exit(1)


def bench_examples(n, T, vocab):
    """benchExamples in bench_test.go: (tokens, loss flags) of n examples."""
    lo = max(2, T // 16)
    out = []
    for i in range(n):
        L = lo + (i * 7919 + i * i * 31) % (T - lo + 1)
        toks = [(i * 7919 + j * 104729 + j * j * 31) % vocab for j in range(L)]
        out.append((toks, [j >= L // 4 for j in range(L)]))
    return out


def pack(exs, T):
    """sft.Pack: stable sort by decreasing length, each example into the leftmost row with room."""
    order = sorted(range(len(exs)), key=lambda i: -len(exs[i][0]))
    rows, free = [], []
    for i in order:
        L = len(exs[i][0])
        r = next((k for k, f in enumerate(free) if f >= L), None)
        if r is None:
            rows.append([])
            free.append(T)
            r = len(rows) - 1
        rows[r].append(exs[i])
        free[r] -= L
    return rows


def layout(row, T):
    """Row.append + Batch: tokens, targets, weights, positions of one row padded to T."""
    tok, tgt, w, pos = [0] * T, [0] * T, [0.0] * T, [0] * T
    o = 0
    for toks, loss in row:
        for j, t in enumerate(toks):
            tok[o + j], pos[o + j] = t, j
            if j + 1 < len(toks):
                tgt[o + j] = toks[j + 1]
                w[o + j] = 1.0 if loss[j + 1] else 0.0
        o += len(toks)
    # Padding: positions continue from 0 as one more segment (r1go gives it its own segment).
    for j in range(o, T):
        pos[j] = j - o
    return tok, tgt, w, pos, o


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", default="0.5B", help="tiny, 0.5B or 1.5B (bench/torch_train.py's SHAPES)")
    ap.add_argument("--batch", type=int, default=8, help="rows per update")
    ap.add_argument("--seq", type=int, default=4096, help="packed row length")
    ap.add_argument("--steps", type=int, default=4, help="timed updates (after one untimed)")
    ap.add_argument("--attn", default="sdpa", help="transformers attention implementation: sdpa, flash_attention_2, eager")
    ap.add_argument("--device", default="cuda", help="cuda, or cpu for a functional check")
    ap.add_argument("--peak-tflops", type=float, default=H200_PEAK_BF16 / 1e12, help="peak for MFU")
    args = ap.parse_args()
    try:
        import torch
        from transformers import Qwen2Config, Qwen2ForCausalLM
        import transformers
    except ImportError as e:
        die(f"{e} (needs torch and transformers)")
    sys.dont_write_bytecode = True
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
    from torch_train import SHAPES  # the shapes of model/shapes.go

    dev = torch.device(args.device)
    torch.manual_seed(0)
    cfg = Qwen2Config(**SHAPES[args.shape], rms_norm_eps=1e-6, initializer_range=0.02, use_cache=False)
    cfg._attn_implementation = args.attn
    with torch.device(dev):
        model = Qwen2ForCausalLM(cfg)
    model = model.to(dev).float().train()
    n_params = sum(p.numel() for p in model.parameters())
    B, T = args.batch, args.seq
    n = 1
    while True:
        rows = pack(bench_examples(n, T, cfg.vocab_size), T)
        if len(rows) >= (args.steps + 1) * B:
            break
        n *= 2
    rows = rows[: (args.steps + 1) * B]
    batches, useful = [], []
    for s in range(0, len(rows), B):
        lay = [layout(r, T) for r in rows[s : s + B]]
        t = lambda k, dt: torch.tensor([l[k] for l in lay], dtype=dt, device=dev)
        batches.append((t(0, torch.long), t(1, torch.long), t(2, torch.float32), t(3, torch.long)))
        useful.append(sum(l[4] for l in lay))
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, {args.shape} ({n_params / 1e9:.3f}B), "
        f"{len(rows)} packed rows of {T}, attn {args.attn}")

    def token_logp(tok, tgt, pos, dtype=torch.bfloat16):
        with torch.autocast(device_type=dev.type, dtype=dtype, enabled=dtype != torch.float32):
            logits = model(input_ids=tok, position_ids=pos, use_cache=False).logits
        return torch.log_softmax(logits.float(), -1).gather(-1, tgt.unsqueeze(-1)).squeeze(-1)

    # The packing check: the first example of row 0, packed vs alone, in f32 so that only a
    # leak across examples (differences of order 1), not bf16 rounding (measured up to 0.07 for
    # the 1.5B shape at 4096 tokens, in the first example too, which a leak cannot reach),
    # makes it fail.
    f32 = lambda tok, tgt, pos: token_logp(tok, tgt, pos, torch.float32)  # noqa: E731
    with torch.no_grad():
        first = rows[0][0]
        L = len(first[0])
        tok, tgt, _, pos = batches[0][0][:1], batches[0][1][:1], None, batches[0][3][:1]
        packed = f32(tok, tgt, pos)[0, : L - 1]
        alone = f32(tok[:, :L], tgt[:, :L], pos[:, :L])[0, : L - 1]
        second = len(rows[0]) > 1
        if second:  # and an example packed after another must not see it
            L2 = len(rows[0][1][0])
            p2 = f32(tok, tgt, pos)[0, L : L + L2 - 1]
            a2 = f32(tok[:, L : L + L2], tgt[:, L : L + L2], pos[:, L : L + L2])[0, : L2 - 1]
            diff2 = (p2 - a2).abs().max().item()
        else:
            diff2 = 0.0
        diff = (packed - alone).abs().max().item()
        log(f"packing check: max |logp packed - alone| = {diff:.4f} (first example), {diff2:.4f} (second)")
        if diff > 0.01 or diff2 > 0.01:
            die("packed rows attend across examples in this transformers version: the comparison would be unfair")

    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                            **({"fused": True} if args.device == "cuda" else {}))

    def sync():
        if args.device == "cuda":
            torch.cuda.synchronize()

    times, losses = [], []
    for i, (tok, tgt, w, pos) in enumerate(batches):
        sync()
        t0 = time.time()
        lp = token_logp(tok, tgt, pos)
        loss = -(lp * w).sum() / w.sum().clamp(min=1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        lv = float(loss)
        sync()
        el = time.time() - t0
        if not math.isfinite(lv):
            die(f"update {i}: loss {lv}")
        losses.append(lv)
        log(f"update {i} ({'first' if i == 0 else 'timed'}): {el:.4f}s loss {lv:.4f}")
        if i > 0:
            times.append(el)
    sec = sum(times)
    tps = len(times) * B * T / sec
    utps = sum(useful[1:]) / sec
    mfu = "n/a" if args.device != "cuda" else f"{6 * n_params * utps / (args.peak_tflops * 1e12):.4f}"
    print(f"bench=sft impl=torch attn={args.attn} shape={args.shape} params={n_params} batch={B} seq={T} "
          f"step_s={sec / len(times):.4f} tokens_per_s={tps:.0f} useful_tokens_per_s={utps:.0f} mfu={mfu} "
          f"loss_first={losses[0]:.4f} loss_last={losses[-1]:.4f} torch={torch.__version__} "
          f"transformers={transformers.__version__}", flush=True)


if __name__ == "__main__":
    main()
