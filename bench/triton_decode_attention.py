"""Decode attention over a KV cache as one Triton kernel, on the GPU machine: checks it against
a PyTorch reference, times it against the three-kernel form r1go's XLA graph had (scores,
softmax, weighted sum), and writes its Triton IR for the shapes asked, so that r1go's kernels,
written as IR text (internal/triton), can be compared with what Triton makes of the same
kernel. Also the shared-prompt form, and the fused form that rotates the new query and key and
writes the cache before attending.

One program per (row, KV head): the G query heads of the group (padded to 16 rows for tl.dot)
attend to that head's cache slots pad[row] .. at, read once, in blocks of BLOCK_S slots with
an online softmax; only the valid blocks are read.

    python3 bench/triton_decode_attention.py --rows 256 --slots 1536 --at 1023 --ttir-dir /tmp/ttir
"""
import argparse
import math
import os
import time

import torch
import triton
import triton.language as tl


@triton.jit
def decode_attention(q_ptr, k_ptr, v_ptr, pad_ptr, at_ptr, o_ptr,
                     S: tl.constexpr, KV: tl.constexpr, G: tl.constexpr, GP: tl.constexpr,
                     HD: tl.constexpr, BLOCK_S: tl.constexpr, SCALE: tl.constexpr):
    r = tl.program_id(0)
    h = tl.program_id(1)
    g = tl.arange(0, GP)
    d = tl.arange(0, HD)
    gmask = g < G
    heads = (r * KV + h) * G + g  # q and o are [R, KV * G, HD]: head h * G + g of row r
    q = tl.load(q_ptr + heads[:, None] * HD + d[None, :], mask=gmask[:, None], other=0.0)
    pad = tl.load(pad_ptr + r)
    at = tl.load(at_ptr)
    m = tl.full([GP], -1e30, tl.float32)
    l = tl.zeros([GP], tl.float32)
    acc = tl.zeros([GP, HD], tl.float32)
    base = (r * KV + h) * S * HD  # caches are [R, KV, S, HD]
    for s0 in range((pad // BLOCK_S) * BLOCK_S, at + 1, BLOCK_S):
        s = s0 + tl.arange(0, BLOCK_S)
        m, l, acc = _attend_block(q, k_ptr, v_ptr, base, s, (s >= pad) & (s <= at), m, l, acc, HD, SCALE)
    o = acc / l[:, None]
    tl.store(o_ptr + heads[:, None] * HD + d[None, :], o.to(o_ptr.dtype.element_ty), mask=gmask[:, None])


@triton.jit
def _attend_block(q, k_ptr, v_ptr, base, s, valid, m, l, acc, HD: tl.constexpr, SCALE: tl.constexpr):
    d = tl.arange(0, HD)
    k = tl.load(k_ptr + base + s[:, None] * HD + d[None, :], mask=valid[:, None], other=0.0)
    qk = tl.where(valid[None, :], tl.dot(q, tl.trans(k)) * SCALE, -1e30)
    m_new = tl.maximum(m, tl.max(qk, 1))
    p = tl.where(valid[None, :], tl.exp(qk - m_new[:, None]), 0.0)
    alpha = tl.exp(m - m_new)
    v = tl.load(v_ptr + base + s[:, None] * HD + d[None, :], mask=valid[:, None], other=0.0)
    return m_new, l * alpha + tl.sum(p, 1), acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)


@triton.jit
def decode_attention_shared(q_ptr, pk_ptr, pv_ptr, ppad_ptr, k_ptr, v_ptr, at_ptr, o_ptr,
                            TP: tl.constexpr, S: tl.constexpr, N: tl.constexpr, KV: tl.constexpr,
                            G: tl.constexpr, GP: tl.constexpr, HD: tl.constexpr, BLOCK_S: tl.constexpr,
                            SCALE: tl.constexpr):
    """The samples of a prompt share its cache (r1go's model.DecodeStepShared): row r reads
    prompt r // N's cache [Pb, KV, TP, HD] from its padding on, then its own [R, KV, S, HD]
    (generated tokens only) up to slot at, with one softmax over both."""
    r = tl.program_id(0)
    h = tl.program_id(1)
    g = tl.arange(0, GP)
    d = tl.arange(0, HD)
    gmask = g < G
    heads = (r * KV + h) * G + g
    q = tl.load(q_ptr + heads[:, None] * HD + d[None, :], mask=gmask[:, None], other=0.0)
    pr = r // N
    ppad = tl.load(ppad_ptr + pr)
    at = tl.load(at_ptr)
    m = tl.full([GP], -1e30, tl.float32)
    l = tl.zeros([GP], tl.float32)
    acc = tl.zeros([GP, HD], tl.float32)
    pbase = (pr * KV + h) * TP * HD
    for s0 in range((ppad // BLOCK_S) * BLOCK_S, TP, BLOCK_S):
        s = s0 + tl.arange(0, BLOCK_S)
        m, l, acc = _attend_block(q, pk_ptr, pv_ptr, pbase, s, (s >= ppad) & (s < TP), m, l, acc, HD, SCALE)
    base = (r * KV + h) * S * HD
    for s0 in range(0, at + 1, BLOCK_S):
        s = s0 + tl.arange(0, BLOCK_S)
        m, l, acc = _attend_block(q, k_ptr, v_ptr, base, s, s <= at, m, l, acc, HD, SCALE)
    o = acc / l[:, None]
    tl.store(o_ptr + heads[:, None] * HD + d[None, :], o.to(o_ptr.dtype.element_ty), mask=gmask[:, None])


@triton.jit
def decode_attention_fused(qkv_ptr, qkvb_ptr, cos_ptr, sin_ptr, k_ptr, v_ptr, pad_ptr, at_ptr, o_ptr,
                           S: tl.constexpr, KV: tl.constexpr, G: tl.constexpr, GP: tl.constexpr,
                           HD: tl.constexpr, BLOCK_S: tl.constexpr, SCALE: tl.constexpr):
    """decode_attention that also adds the q/k/v biases (qkvb [(KV·G + 2·KV)·HD]), rotates the
    new query and key (rotate-half rotary embedding,
    cos and sin [R, HD/2] of each row's position), writes the new key and value at slot at of
    the caches (in place) and attends to slots pad .. at, the new one from registers: what
    r1go's internal/triton FusedKernel does. q, k and v come stacked, qkv [R, (KV·G + 2·KV)·HD]
    (each row's query heads, key heads, value heads), as the stacked product gives them."""
    r = tl.program_id(0)
    h = tl.program_id(1)
    g = tl.arange(0, GP)
    d = tl.arange(0, HD)
    dsh = (d + HD // 2) % HD
    gmask = g < G
    heads = (r * KV + h) * G + g
    row = r * (KV * G + 2 * KV) * HD
    cos = tl.load(cos_ptr + r * (HD // 2) + d % (HD // 2))
    sin = tl.load(sin_ptr + r * (HD // 2) + d % (HD // 2))
    sin = tl.where(d < HD // 2, -sin, sin)
    qrow = row + (h * G + g) * HD
    qbias = (h * G + g) * HD
    qa = tl.load(qkv_ptr + qrow[:, None] + d[None, :], mask=gmask[:, None], other=0.0).to(tl.float32) + \
        tl.load(qkvb_ptr + qbias[:, None] + d[None, :], mask=gmask[:, None], other=0.0).to(tl.float32)
    qb = tl.load(qkv_ptr + qrow[:, None] + dsh[None, :], mask=gmask[:, None], other=0.0).to(tl.float32) + \
        tl.load(qkvb_ptr + qbias[:, None] + dsh[None, :], mask=gmask[:, None], other=0.0).to(tl.float32)
    q = (qa * cos[None, :] + qb * sin[None, :]).to(tl.bfloat16)
    nk = row + (KV * G + h) * HD
    nv = nk + KV * HD
    bk = (KV * G + h) * HD
    bv = bk + KV * HD
    ka = tl.load(qkv_ptr + nk + d).to(tl.float32) + tl.load(qkvb_ptr + bk + d).to(tl.float32)
    kb = tl.load(qkv_ptr + nk + dsh).to(tl.float32) + tl.load(qkvb_ptr + bk + dsh).to(tl.float32)
    kn = (ka * cos + kb * sin).to(tl.bfloat16)
    vn = (tl.load(qkv_ptr + nv + d).to(tl.float32) + tl.load(qkvb_ptr + bv + d).to(tl.float32)).to(tl.bfloat16)
    pad = tl.load(pad_ptr + r)
    at = tl.load(at_ptr)
    base = (r * KV + h) * S * HD
    tl.store(k_ptr + base + at * HD + d, kn)
    tl.store(v_ptr + base + at * HD + d, vn)
    m = tl.full([GP], -1e30, tl.float32)
    l = tl.zeros([GP], tl.float32)
    acc = tl.zeros([GP, HD], tl.float32)
    for s0 in range((pad // BLOCK_S) * BLOCK_S, at, BLOCK_S):
        s = s0 + tl.arange(0, BLOCK_S)
        m, l, acc = _attend_block(q, k_ptr, v_ptr, base, s, (s >= pad) & (s < at), m, l, acc, HD, SCALE)
    s_new = tl.sum(q.to(tl.float32) * kn.to(tl.float32)[None, :], 1) * SCALE
    m_fin = tl.maximum(m, s_new)
    a_old, a_new = tl.exp(m - m_fin), tl.exp(s_new - m_fin)
    l = l * a_old + a_new
    acc = acc * a_old[:, None] + a_new[:, None] * vn.to(tl.float32)[None, :]
    o = acc / l[:, None]
    tl.store(o_ptr + heads[:, None] * HD + d[None, :], o.to(o_ptr.dtype.element_ty), mask=gmask[:, None])


def rope(x, cos, sin):
    """x [R, N, HD] rotated as transformers does, cos and sin [R, HD/2] (f32); bf16 out."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half].float(), x[..., half:].float()
    c, s = cos[:, None, :], sin[:, None, :]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], -1).to(x.dtype)


def reference(q, k, v, pad, at, scale):
    """The three-kernel form: q [R, H, HD], k, v [R, KV, S, HD] → [R, H, HD]."""
    R, H, HD = q.shape
    KV, S = k.shape[1], k.shape[2]
    G = H // KV
    qg = q.view(R, KV, G, HD)
    scores = torch.einsum("rkgd,rksd->rkgs", qg.float(), k.float()) * scale
    s = torch.arange(S, device=q.device)
    valid = (s[None, :] >= pad[:, None]) & (s[None, :] <= at)
    scores = scores.masked_fill(~valid[:, None, None, :], -1e30)
    p = torch.softmax(scores, -1).to(q.dtype)
    return torch.einsum("rkgs,rksd->rkgd", p, v).reshape(R, H, HD)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=256)
    ap.add_argument("--heads", type=int, default=14, help="query heads (0.5B: 14, 1.5B: 12)")
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--head-dim", type=int, default=64, help="0.5B: 64, 1.5B: 128")
    ap.add_argument("--slots", type=int, default=1536, help="cache length S")
    ap.add_argument("--at", type=int, default=1023, help="the last valid slot")
    ap.add_argument("--block", type=int, default=64, help="cache slots per block")
    ap.add_argument("--warps", type=int, default=4)
    ap.add_argument("--stages", type=int, default=2, help="software pipelining stages (r1go's kernels: 2)")
    ap.add_argument("--sweep", action="store_true", help="time the plain kernel over block sizes, warps and stages, then stop")
    ap.add_argument("--samples", type=int, default=16, help="samples per prompt for the shared-prompt kernel (GRPO's group)")
    ap.add_argument("--ttir-dir", default="", help="write the kernel's Triton IR here")
    a = ap.parse_args()
    torch.manual_seed(0)
    R, H, KV, HD, S = a.rows, a.heads, a.kv_heads, a.head_dim, a.slots
    G = H // KV
    dev, dt = "cuda", torch.bfloat16
    q = torch.randn(R, H, HD, device=dev, dtype=dt)
    k = torch.randn(R, KV, S, HD, device=dev, dtype=dt)
    v = torch.randn(R, KV, S, HD, device=dev, dtype=dt)
    pad = torch.randint(0, 300, (R,), device=dev, dtype=torch.int32)
    at = torch.tensor([a.at], device=dev, dtype=torch.int32)
    o = torch.empty_like(q)
    scale = 1 / math.sqrt(HD)
    run = lambda: decode_attention[(R, KV)](q, k, v, pad, at, o, S=S, KV=KV, G=G, GP=max(16, triton.next_power_of_2(G)),
                                            HD=HD, BLOCK_S=a.block, SCALE=scale, num_warps=a.warps, num_stages=a.stages)
    compiled = run()
    want = reference(q, k, v, pad, a.at, scale)
    err = (o.float() - want.float()).abs().max().item()
    print(f"max |triton - reference| = {err:.4f} (bf16 outputs)")

    def timeit(f, n=50):
        f()
        torch.cuda.synchronize()
        t0 = time.time()
        for _ in range(n):
            f()
        torch.cuda.synchronize()
        return (time.time() - t0) / n * 1e6

    read = 2 * R * KV * (a.at + 1 - pad.float().mean().item()) * HD * 2  # valid K and V bytes
    if a.sweep:
        print(f"rows {R}, heads {H}/{KV}, head dim {HD}, at {a.at}: block warps stages µs TB/s max-error")
        for block in (32, 64, 128):
            for warps in (2, 4, 8):
                for stages in (1, 2, 3, 4):
                    f = lambda: decode_attention[(R, KV)](q, k, v, pad, at, o, S=S, KV=KV, G=G, GP=max(16, triton.next_power_of_2(G)),
                                                          HD=HD, BLOCK_S=block, SCALE=scale, num_warps=warps, num_stages=stages)
                    try:
                        t = timeit(f, 100)
                    except Exception as e:  # e.g. out of shared memory
                        print(f"  {block:4d} {warps} {stages} failed: {str(e).splitlines()[0][:80]}")
                        continue
                    e = (o.float() - want.float()).abs().max().item()
                    print(f"  {block:4d} {warps} {stages} {t:7.1f} {read / t / 1e6:5.2f} {e:.4f}")
        return
    t_tri, t_ref = timeit(run), timeit(lambda: reference(q, k, v, pad, a.at, scale))
    print(f"rows {R}, heads {H}/{KV}, head dim {HD}, slots {S}, at {a.at}: triton {t_tri:.1f} µs "
          f"({read / t_tri / 1e6:.2f} TB/s of valid K, V), reference (torch, three kernels) {t_ref:.1f} µs")
    # Shared prompt caches: prompts of TP = 512 slots, N samples each, own caches of S - TP slots.
    N, TP = a.samples, 512
    if R % N == 0 and S > TP and a.at >= TP:
        Pb, Sg, at_own = R // N, S - TP, a.at - TP
        pk = torch.randn(Pb, KV, TP, HD, device=dev, dtype=dt)
        pv = torch.randn(Pb, KV, TP, HD, device=dev, dtype=dt)
        ppad = torch.randint(0, 300, (Pb,), device=dev, dtype=torch.int32)
        own_k, own_v = k[:, :, :Sg].contiguous(), v[:, :, :Sg].contiguous()
        at_t = torch.tensor([at_own], device=dev, dtype=torch.int32)
        o2 = torch.empty_like(q)
        run2 = lambda: decode_attention_shared[(R, KV)](q, pk, pv, ppad, own_k, own_v, at_t, o2, TP=TP, S=Sg, N=N, KV=KV, G=G,
                                                        GP=max(16, triton.next_power_of_2(G)), HD=HD, BLOCK_S=a.block,
                                                        SCALE=scale, num_warps=a.warps, num_stages=a.stages)
        compiled2 = run2()
        rows_prompt = torch.arange(R, device=dev) // N
        full_k = torch.cat([pk[rows_prompt], own_k], 2)
        full_v = torch.cat([pv[rows_prompt], own_v], 2)
        want2 = reference(q, full_k, full_v, ppad[rows_prompt], TP + at_own, scale)
        err2 = (o2.float() - want2.float()).abs().max().item()
        t2 = timeit(run2)
        print(f"shared prompts ({Pb} prompts × {N} samples, {TP} + {Sg} slots, at {at_own}): max |triton - reference| = {err2:.4f}, "
              f"triton {t2:.1f} µs, reference on per-row caches {timeit(lambda: reference(q, full_k, full_v, ppad[rows_prompt], TP + at_own, scale)):.1f} µs")
        if a.ttir_dir:
            os.makedirs(a.ttir_dir, exist_ok=True)
            with open(os.path.join(a.ttir_dir, f"decode_attention_shared_N{N}_H{H}_KV{KV}_HD{HD}.ttir"), "w") as f:
                f.write(compiled2.asm["ttir"])
    # Fused: rotary embedding and cache write in the kernel, against the same in PyTorch.
    qn = torch.randn(R, H, HD, device=dev, dtype=dt)
    kn = torch.randn(R, KV, HD, device=dev, dtype=dt)
    vn = torch.randn(R, KV, HD, device=dev, dtype=dt)
    pos = (a.at - pad).float()
    inv = 1e6 ** (-torch.arange(0, HD, 2, device=dev).float() / HD)
    ang = pos[:, None] * inv[None, :]
    cos, sin = torch.cos(ang).contiguous(), torch.sin(ang).contiguous()
    kf, vf = k.clone(), v.clone()
    o3 = torch.empty_like(q)
    qkv = torch.cat([qn.reshape(R, -1), kn.reshape(R, -1), vn.reshape(R, -1)], 1).contiguous()
    bias = torch.randn((H + 2 * KV) * HD, device=dev, dtype=dt)
    run3 = lambda: decode_attention_fused[(R, KV)](qkv, bias, cos, sin, kf, vf, pad, at, o3, S=S, KV=KV, G=G,
                                                   GP=max(16, triton.next_power_of_2(G)), HD=HD, BLOCK_S=a.block,
                                                   SCALE=scale, num_warps=a.warps, num_stages=a.stages)
    compiled3 = run3()
    bq, bk, bv = bias.float().split([H * HD, KV * HD, KV * HD])
    qb_, kb_ = qn.float() + bq.reshape(H, HD), kn.float() + bk.reshape(KV, HD)  # biased, in f32 as the kernel
    vb_ = (vn.float() + bv.reshape(KV, HD)).to(dt)
    kw, vw = k.clone(), v.clone()
    kw[:, :, a.at] = rope(kb_, cos, sin).to(dt)
    vw[:, :, a.at] = vb_
    want3 = reference(rope(qb_, cos, sin).to(dt), kw, vw, pad, a.at, scale)
    err3 = (o3.float() - want3.float()).abs().max().item()
    errk = (kf.float() - kw.float()).abs().max().item()
    errv = (vf.float() - vw.float()).abs().max().item()

    def separate():  # rotate q and k, write k and v, attend (as XLA did before the fused kernel; without the biases, which XLA's product adds)
        kk, vv = k, v
        kk[:, :, a.at] = rope(kn, cos, sin)
        vv[:, :, a.at] = vn
        run_q = rope(qn, cos, sin)
        decode_attention[(R, KV)](run_q, kk, vv, pad, at, o, S=S, KV=KV, G=G, GP=max(16, triton.next_power_of_2(G)),
                                  HD=HD, BLOCK_S=a.block, SCALE=scale, num_warps=a.warps, num_stages=a.stages)
    print(f"fused (biases, rotary embedding and cache write in the kernel): max |triton - reference| = {err3:.4f}, "
          f"caches {errk:.4f} / {errv:.4f}; fused {timeit(run3):.1f} µs, rotate + write (no biases) + plain kernel in torch {timeit(separate):.1f} µs")
    if a.ttir_dir:
        os.makedirs(a.ttir_dir, exist_ok=True)
        with open(os.path.join(a.ttir_dir, f"decode_attention_fused_R{R}_H{H}_KV{KV}_HD{HD}_S{S}.ttir"), "w") as f:
            f.write(compiled3.asm["ttir"])
        path = os.path.join(a.ttir_dir, f"decode_attention_R{R}_H{H}_KV{KV}_HD{HD}_S{S}.ttir")
        with open(path, "w") as f:
            f.write(compiled.asm["ttir"])
        print("wrote", path)


if __name__ == "__main__":
    main()
