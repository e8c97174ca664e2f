"""Peer of BenchmarkAdamWUpdate: the same AdamW update (global-norm clipping to 1, decoupled
weight decay 0.1 on matrices, bias correction) of one Qwen2-0.5B decoder layer's parameters
(14.9M f32) with numpy, in place, op by op as torch.optim.AdamW(foreach=True) does on CPU.

Usage: /usr/bin/python3 train/testdata/bench_adamw.py [updates]   (needs Debian's python3-numpy)
Prints CPU ms per update (time.process_time) and parameters per wall second.
"""
import math
import sys
import time

import numpy as np

SHAPES = [(896, 896), (896,), (128, 896), (128,), (128, 896), (128,), (896, 896),
          (4864, 896), (4864, 896), (896, 4864), (896,), (896,)]
BETA1, BETA2, EPS, WD, CLIP, LR = 0.9, 0.999, 1e-8, 0.1, 1.0, 1e-4


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    p = [np.zeros(s, np.float32) for s in SHAPES]
    g = [(np.sin(np.arange(math.prod(s), dtype=np.float64)) * 1e-3).astype(np.float32).reshape(s) for s in SHAPES]
    m = [np.zeros(s, np.float32) for s in SHAPES]
    v = [np.zeros(s, np.float32) for s in SHAPES]
    total = sum(x.size for x in p)
    tmp = [np.empty(s, np.float32) for s in SHAPES]

    def update(t):
        norm = math.sqrt(sum(float(np.dot(x.ravel(), x.ravel())) for x in g))
        coef = np.float32(min(1.0, CLIP / (norm + 1e-6)))
        bc1 = 1 - BETA1 ** t
        sbc2 = math.sqrt(1 - BETA2 ** t)
        for pi, gi, mi, vi, ti, s in zip(p, g, m, v, tmp, SHAPES):
            np.multiply(gi, coef, out=ti)                     # clipped gradient
            if len(s) >= 2:
                pi *= np.float32(1 - LR * WD)
            mi *= np.float32(BETA1); mi += np.float32(1 - BETA1) * ti
            vi *= np.float32(BETA2); np.multiply(ti, ti, out=ti); ti *= np.float32(1 - BETA2); vi += ti
            np.sqrt(vi, out=ti); ti /= np.float32(sbc2); ti += np.float32(EPS)
            np.divide(mi, ti, out=ti); ti *= np.float32(LR / bc1)
            pi -= ti

    update(1)
    c0, w0 = time.process_time(), time.perf_counter()
    for i in range(n):
        update(i + 2)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    print(f"numpy {np.__version__} AdamW, {total} params: {cpu * 1e3 / n:.1f} cpu-ms/op, {total * n / wall / 1e6:.2f} Mparams/s (wall)")


if __name__ == "__main__":
    main()
