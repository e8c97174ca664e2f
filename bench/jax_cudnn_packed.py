"""cuDNN fused attention over packed rows (several examples per row, no attention across them)
as XLA runs it for JAX: prints the StableHLO custom calls of the forward and the gradient (the
operands, backend config and layouts r1go would have to emit), and checks outputs and
gradients against attention with an explicit block-diagonal causal mask.

    python3 bench/jax_cudnn_packed.py [--hlo-out DIR]
"""
import argparse
import inspect
import os

import jax
import jax.numpy as jnp
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--hlo-out", default="")
a = ap.parse_args()
print("jax", jax.__version__, jax.devices())
from jax._src.cudnn import fused_attention_stablehlo as fa  # noqa: E402

print("signature:", inspect.signature(fa.dot_product_attention))
src = inspect.getsource(fa)
for i, line in enumerate(src.splitlines()):
    if "offsets" in line or "max_seg" in line or "PADDING" in line:
        print("src %5d: %s" % (i, line))

B, T, N, K, H = 2, 256, 14, 2, 64
# JAX's convention (its docstring: "q_offsets = [[0,1,2,-1], [0,1,-1,-1]]"): seqlen [B, M] holds
# each segment's length and offsets [B, M+1] its start, both padded with -1 where a row has
# fewer segments (JAX keeps the entries ≥ 0). Session 3's first run (call 15) gave a 0-length
# third segment and an end offset instead, and cuDNN's output differed from the reference by
# up to 3.1.
lens = [[100, 156], [50, 60, 146]]
S = max(len(x) for x in lens)
seqlen = np.full((B, S), -1, np.int32)
offsets = np.full((B, S + 1), -1, np.int32)
for b in range(B):
    seqlen[b, :len(lens[b])] = lens[b]
    offsets[b, :len(lens[b])] = np.cumsum([0] + lens[b][:-1])
seg = np.zeros((B, T), np.int32) - 1
for b in range(B):
    for s, (o, n) in enumerate(zip(offsets[b], seqlen[b])):
        if n > 0:
            seg[b, o:o + n] = s
print("seqlen", seqlen.tolist(), "offsets", offsets.tolist())
kq, kk, kv, kd = jax.random.split(jax.random.PRNGKey(0), 4)
q = jax.random.normal(kq, (B, T, N, H), jnp.bfloat16)
k = jax.random.normal(kk, (B, T, K, H), jnp.bfloat16)
v = jax.random.normal(kv, (B, T, K, H), jnp.bfloat16)
do = jax.random.normal(kd, (B, T, N, H), jnp.float32)
mask = (seg[:, :, None] == seg[:, None, :]) & (np.arange(T)[:, None] >= np.arange(T)[None, :])[None]


def ref(q, k, v):
    qf = q.astype(jnp.float32).reshape(B, T, K, N // K, H)
    s = jnp.einsum("btkgh,bskh->bkgts", qf, k.astype(jnp.float32)) * 0.125
    s = jnp.where(mask[:, None, None], s, -1e30)
    p = jax.nn.softmax(s, -1)
    o = jnp.einsum("bkgts,bskh->btkgh", p, v.astype(jnp.float32))
    return o.reshape(B, T, N, H)


def fused(q, k, v):
    return fa.dot_product_attention(q, k, v, None, None, seqlen, seqlen, offsets, offsets,
                                    scale=0.125, mask_type=fa.MaskType.PADDING_CAUSAL)


def loss(f):
    return lambda q, k, v: jnp.sum(f(q, k, v).astype(jnp.float32) * do)


try:
    fwd = jax.jit(fused)
    txt = fwd.lower(q, k, v).as_text()
    gtxt = jax.jit(jax.grad(loss(fused), argnums=(0, 1, 2))).lower(q, k, v).as_text()
    for t in (txt, gtxt):
        for line in t.splitlines():
            if "custom_call" in line:
                print("HLO:", line.strip())
    if a.hlo_out:
        os.makedirs(a.hlo_out, exist_ok=True)
        open(os.path.join(a.hlo_out, "packed_fwd.mlir"), "w").write(txt)
        open(os.path.join(a.hlo_out, "packed_grad.mlir"), "w").write(gtxt)
    o = fwd(q, k, v)
    r = ref(q, k, v)
    valid = seg >= 0
    d = np.abs(np.asarray(o, np.float32) - np.asarray(r))[valid]
    print("forward max |cudnn - reference| over tokens in a segment: %.4g (mean %.4g)" % (d.max(), d.mean()))
    g = jax.grad(loss(fused), argnums=(0, 1, 2))(q, k, v)
    gr = jax.grad(loss(ref), argnums=(0, 1, 2))(q, k, v)
    for name, x, y in zip("qkv", g, gr):
        x, y = np.asarray(x, np.float32), np.asarray(y, np.float32)
        print("grad %s max |cudnn - reference| %.4g (reference max %.4g)" % (name, np.abs(x - y)[valid].max(), np.abs(y).max()))
except Exception as e:  # the text of the failure is the finding
    import traceback
    traceback.print_exc()
    print("FAILED:", type(e).__name__, str(e)[:2000])
