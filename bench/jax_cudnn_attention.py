"""cuDNN fused attention as XLA runs it for JAX, on the r1go training shapes: prints the
StableHLO of the forward and of the gradient (the exact custom calls, backend configs and
layouts that r1go would emit), checks them against plain XLA attention, and times both.

    python3 bench/jax_cudnn_attention.py [--batch 8 --seq 2048 --heads 14 --kv-heads 2 --head-dim 64] [--hlo-out DIR]
"""
import argparse
import os
import time

import jax
import jax.numpy as jnp

ap = argparse.ArgumentParser()
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--seq", type=int, default=2048)
ap.add_argument("--heads", type=int, default=14)
ap.add_argument("--kv-heads", type=int, default=2)
ap.add_argument("--head-dim", type=int, default=64)
ap.add_argument("--hlo-out", default="")
ap.add_argument("--reps", type=int, default=20)
a = ap.parse_args()
B, T, N, K, H = a.batch, a.seq, a.heads, a.kv_heads, a.head_dim
print("jax", jax.__version__, jax.devices())

kq, kk, kv, kd = jax.random.split(jax.random.PRNGKey(0), 4)
q = jax.random.normal(kq, (B, T, N, H), jnp.bfloat16)
k = jax.random.normal(kk, (B, T, K, H), jnp.bfloat16)
v = jax.random.normal(kv, (B, T, K, H), jnp.bfloat16)
do = jax.random.normal(kd, (B, T, N, H), jnp.float32)


def attn(impl):
    def f(q, k, v):
        return jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation=impl)
    return f


def grads(impl):
    def loss(q, k, v):
        return jnp.sum(attn(impl)(q, k, v).astype(jnp.float32) * do)
    return jax.jit(jax.grad(loss, argnums=(0, 1, 2)))


def bench(f, *args):
    out = f(*args)
    jax.block_until_ready(out)
    t0 = time.perf_counter()
    for _ in range(a.reps):
        out = f(*args)
    jax.block_until_ready(out)
    return (time.perf_counter() - t0) / a.reps, out


flops_fwd = 4 * B * N * T * T * H / 2  # causal: half the products
res = {}
for impl in ["cudnn", "xla"]:
    try:
        fwd = jax.jit(attn(impl))
        g = grads(impl)
        if a.hlo_out:
            os.makedirs(a.hlo_out, exist_ok=True)
            open(f"{a.hlo_out}/{impl}_fwd.stablehlo.txt", "w").write(fwd.lower(q, k, v).as_text())
            open(f"{a.hlo_out}/{impl}_grad.stablehlo.txt", "w").write(g.lower(q, k, v).as_text())
            open(f"{a.hlo_out}/{impl}_grad.hlo.txt", "w").write(g.lower(q, k, v).compile().as_text())
        tf, of = bench(fwd, q, k, v)
        tg, og = bench(g, q, k, v)
        res[impl] = (of, og)
        print(f"attention impl={impl} B={B} T={T} heads={N}/{K} hd={H} fwd_ms={tf*1e3:.3f} "
              f"fwd_tflops={flops_fwd/tf/1e12:.0f} grad_ms={tg*1e3:.3f} grad_tflops={3.5*flops_fwd/tg/1e12:.0f}")
    except Exception as e:  # noqa: BLE001
        print(f"attention impl={impl} failed: {type(e).__name__}: {str(e)[:2000]}")
if len(res) == 2:
    (fc, gc), (fx, gx) = res["cudnn"], res["xla"]
    d = jnp.max(jnp.abs(fc.astype(jnp.float32) - fx.astype(jnp.float32)))
    dg = [float(jnp.max(jnp.abs(x.astype(jnp.float32) - y.astype(jnp.float32)))) for x, y in zip(gc, gx)]
    print(f"cudnn vs xla: max |d out| {float(d):.3e}, max |d grad q,k,v| {dg}")
