"""GPU peer of BenchmarkAdamWUpdate: torch.optim.AdamW (fused) with clip_grad_norm_ on one
Qwen2-0.5B decoder layer's parameters (14.9M f32), the same settings (lr 1e-4, betas
0.9/0.999, eps 1e-8, weight decay 0.1 on matrices only, max_norm 1).

Usage (GPU machine): python3 train/testdata/bench_adamw_torch.py [updates]
Prints milliseconds per update (CUDA-synchronised wall time).
"""
import math
import sys
import time

import torch

SHAPES = [(896, 896), (896,), (128, 896), (128,), (128, 896), (128,), (896, 896),
          (4864, 896), (4864, 896), (896, 4864), (896,), (896,)]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    dev = "cuda"
    params = [torch.zeros(s, device=dev, requires_grad=True) for s in SHAPES]
    for p, s in zip(params, SHAPES):
        p.grad = (torch.sin(torch.arange(math.prod(s), dtype=torch.float64)) * 1e-3).float().reshape(s).to(dev)
    groups = [{"params": [p for p, s in zip(params, SHAPES) if len(s) >= 2], "weight_decay": 0.1},
              {"params": [p for p, s in zip(params, SHAPES) if len(s) < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, fused=True)

    def update():
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    for _ in range(3):
        update()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        update()
    torch.cuda.synchronize()
    dt = (time.perf_counter() - t0) / n
    total = sum(p.numel() for p in params)
    print(f"torch {torch.__version__} fused AdamW + clip_grad_norm_, {total} params: {dt * 1e3:.3f} ms/update")


if __name__ == "__main__":
    main()
