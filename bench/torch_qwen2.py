#!/usr/bin/env python3
"""Qwen2 / Llama decoder in plain PyTorch (no transformers), for peer timings where transformers
cannot be installed (the CPU machine of BENCHMARKS.md has Debian's python3-torch only).

It computes what transformers' Qwen2ForCausalLM / LlamaForCausalLM compute (eager attention,
RMSNorm in f32, rotate-half RoPE, tied or untied head); `--check DIR` proves it on r1go's fixtures:

    python3 bench/torch_qwen2.py --check model/testdata/tiny-qwen2
    python3 bench/torch_qwen2.py --check model/testdata/tiny-llama

loads the checkpoint transformers saved (safetensors, read without the safetensors package),
recomputes the log-probabilities transformers wrote in logprobs.json, and exits 1 if any differs
by more than 1e-4. Rope scaling: Llama 3's only.
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F


class Config:
    """The config.json fields the model needs, with transformers' defaults."""

    def __init__(self, **kw):
        self.model_type = kw.get("model_type", "qwen2")
        self.vocab_size = kw["vocab_size"]
        self.hidden_size = kw["hidden_size"]
        self.intermediate_size = kw["intermediate_size"]
        self.num_hidden_layers = kw["num_hidden_layers"]
        self.num_attention_heads = kw["num_attention_heads"]
        self.num_key_value_heads = kw.get("num_key_value_heads") or self.num_attention_heads
        self.head_dim = kw.get("head_dim") or self.hidden_size // self.num_attention_heads
        self.max_position_embeddings = kw.get("max_position_embeddings", 32768)
        self.rms_norm_eps = kw.get("rms_norm_eps", 1e-6)
        rp = kw.get("rope_parameters") or {}
        self.rope_theta = kw.get("rope_theta") or rp.get("rope_theta", 10000.0)
        self.rope_scaling = kw.get("rope_scaling") or (rp if rp.get("rope_type", "default") != "default" else None)
        self.tie_word_embeddings = kw.get("tie_word_embeddings", False)
        self.initializer_range = kw.get("initializer_range", 0.02)
        self.qkv_bias = self.model_type == "qwen2" or kw.get("attention_bias", False)
        self.o_bias = self.model_type == "llama" and kw.get("attention_bias", False)


class Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        D, F_, Q, KV = c.hidden_size, c.intermediate_size, c.num_attention_heads * c.head_dim, c.num_key_value_heads * c.head_dim
        self.input_layernorm = torch.nn.Parameter(torch.ones(D))
        self.post_attention_layernorm = torch.nn.Parameter(torch.ones(D))
        self.q_proj = torch.nn.Linear(D, Q, bias=c.qkv_bias)
        self.k_proj = torch.nn.Linear(D, KV, bias=c.qkv_bias)
        self.v_proj = torch.nn.Linear(D, KV, bias=c.qkv_bias)
        self.o_proj = torch.nn.Linear(Q, D, bias=c.o_bias)
        self.gate_proj = torch.nn.Linear(D, F_, bias=False)
        self.up_proj = torch.nn.Linear(D, F_, bias=False)
        self.down_proj = torch.nn.Linear(F_, D, bias=False)


class CausalLM(torch.nn.Module):
    """Decoder-only transformer; forward(input_ids) returns an object with .logits [B, T, V]."""

    def __init__(self, c):
        super().__init__()
        if c.rope_scaling and c.rope_scaling.get("rope_type", c.rope_scaling.get("type")) != "llama3":
            raise ValueError(f"rope scaling {c.rope_scaling} is not implemented here (only llama3)")
        self.c = c
        self.embed_tokens = torch.nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = torch.nn.ModuleList(Layer(c) for _ in range(c.num_hidden_layers))
        self.norm = torch.nn.Parameter(torch.ones(c.hidden_size))
        self.lm_head = None if c.tie_word_embeddings else torch.nn.Linear(c.hidden_size, c.vocab_size, bias=False)
        for m in self.modules():  # transformers' _init_weights
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.normal_(m.weight, 0.0, c.initializer_range)
                if getattr(m, "bias", None) is not None:
                    torch.nn.init.zeros_(m.bias)

    def rms(self, x, w):
        dt = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.c.rms_norm_eps)
        return w * x.to(dt)

    def forward(self, input_ids, use_cache=False):
        c = self.c
        B, T = input_ids.shape
        H, KV, HD = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        inv = 1.0 / (c.rope_theta ** (torch.arange(0, HD, 2, dtype=torch.int64, device=input_ids.device).float() / HD))
        if c.rope_scaling:  # Llama 3: stretch the low frequencies, keep the high, blend between
            rs = c.rope_scaling
            old, lo, hi, factor = rs["original_max_position_embeddings"], rs["low_freq_factor"], rs["high_freq_factor"], rs["factor"]
            wave = 2 * math.pi / inv
            scaled = torch.where(wave > old / lo, inv / factor, inv)
            smooth = (old / wave - lo) / (hi - lo)
            blended = (1 - smooth) * scaled / factor + smooth * scaled
            mid = ~(wave < old / hi) & ~(wave > old / lo)
            inv = torch.where(mid, blended, scaled)
        ang = torch.arange(T, device=input_ids.device).float()[:, None] * inv[None, :]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos(), emb.sin()  # [T, HD]

        def rope(x):  # [B, N, T, HD]
            x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
            return x * cos.to(x.dtype) + torch.cat([-x2, x1], -1) * sin.to(x.dtype)

        mask = torch.full((T, T), float("-inf"), device=input_ids.device).triu(1)
        x = self.embed_tokens(input_ids)
        for l in self.layers:
            h = self.rms(x, l.input_layernorm)
            q = rope(l.q_proj(h).view(B, T, H, HD).transpose(1, 2))
            k = rope(l.k_proj(h).view(B, T, KV, HD).transpose(1, 2))
            v = l.v_proj(h).view(B, T, KV, HD).transpose(1, 2)
            k = k.repeat_interleave(H // KV, dim=1)
            v = v.repeat_interleave(H // KV, dim=1)
            s = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(HD) + mask
            p = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
            o = torch.matmul(p, v).transpose(1, 2).reshape(B, T, H * HD)
            x = x + l.o_proj(o)
            h = self.rms(x, l.post_attention_layernorm)
            x = x + l.down_proj(F.silu(l.gate_proj(h)) * l.up_proj(h))
        x = self.rms(x, self.norm)
        w = self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        return type("Output", (), {"logits": F.linear(x, w)})()


def hf_name(name):
    """Maps a parameter of CausalLM to its Hugging Face tensor name."""
    name = name.replace("layers.", "model.layers.").replace("embed_tokens.", "model.embed_tokens.")
    for n in ("input_layernorm", "post_attention_layernorm"):
        name = name.replace(n, n + ".weight") if name.endswith(n) else name
    for p in ("q_proj", "k_proj", "v_proj", "o_proj"):
        name = name.replace("." + p, ".self_attn." + p)
    for p in ("gate_proj", "up_proj", "down_proj"):
        name = name.replace("." + p, ".mlp." + p)
    return "model.norm.weight" if name == "norm" else name


def read_safetensors(path):
    """Reads an F32 safetensors file into {name: tensor}."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}; only F32 is read here")
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(info["shape"])
    return out


def check(d):
    cfg = Config(**json.load(open(os.path.join(d, "config.json"))))
    model = CausalLM(cfg).float().eval()
    weights = read_safetensors(os.path.join(d, "model.safetensors"))
    used = set()
    for name, p in model.named_parameters():
        hf = hf_name(name)
        if hf not in weights:
            sys.exit(f"{d}: no tensor {hf} for parameter {name}")
        with torch.no_grad():
            p.copy_(weights[hf])
        used.add(hf)
    extra = set(weights) - used - {"lm_head.weight"}
    if extra:
        sys.exit(f"{d}: tensors not used: {sorted(extra)}")
    ref = json.load(open(os.path.join(d, "logprobs.json")))
    worst = 0.0
    with torch.no_grad():
        for s in ref["sequences"]:
            ids = torch.tensor([s["ids"]])
            lp = torch.log_softmax(model(ids).logits.float()[0], -1)
            got = lp[:-1].gather(1, ids[0, 1:, None])[:, 0]
            worst = max(worst, (got.double() - torch.tensor(s["logprobs"], dtype=torch.float64)).abs().max().item())
    print(f"{d}: max |Δ logprob| = {worst:.2e} against transformers {ref['transformers']} (torch {torch.__version__})")
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", nargs="+", required=True, metavar="DIR", help="fixture directories to check")
    args = ap.parse_args()
    bad = 0
    for d in args.check:
        try:
            if check(d) > 1e-4:
                bad += 1
        except ValueError as e:
            print(f"{d}: {e}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
