"""Makes the parity fixtures of package model with transformers (run on the GPU machine, CPU f32).

python3 make_fixtures.py OUTDIR
For each tiny architecture it writes OUTDIR/<name>/{config.json,model.safetensors,logprobs.json}:
a random-initialised checkpoint saved by transformers, and the log-probabilities transformers
computes (float32, eager attention, CPU) for fixed token sequences.
"""
import json, os, sys
import torch
import transformers
from transformers import Qwen2Config, Qwen2ForCausalLM, LlamaConfig, LlamaForCausalLM

out = sys.argv[1]
torch.manual_seed(0)

common = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512,
              initializer_range=0.1, rms_norm_eps=1e-6, bos_token_id=1, eos_token_id=2)
models = {
    "tiny-qwen2": (Qwen2Config(**common, rope_theta=1000000.0, tie_word_embeddings=True), Qwen2ForCausalLM),
    "tiny-llama": (LlamaConfig(**common, rope_theta=500000.0, tie_word_embeddings=False,
                               rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                             "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
                   LlamaForCausalLM),
}
g = torch.Generator().manual_seed(1)
lengths = [7, 19, 33, 64]
seqs = [torch.randint(0, 256, (n,), generator=g).tolist() for n in lengths]
for name, (cfg, cls) in models.items():
    cfg._attn_implementation = "eager"
    m = cls(cfg).float().eval()
    d = os.path.join(out, name)
    m.save_pretrained(d, safe_serialization=True)
    res = []
    with torch.no_grad():
        for s in seqs:
            ids = torch.tensor([s])
            logits = m(ids).logits.float()[0]  # [T, V]
            lp = torch.log_softmax(logits, -1)
            tok = lp[:-1].gather(1, ids[0, 1:, None])[:, 0]
            res.append({"ids": s, "logprobs": tok.tolist(), "logits_first": logits[0, :8].tolist(),
                        "logits_last": logits[-1, :8].tolist()})
    with open(os.path.join(d, "logprobs.json"), "w") as f:
        json.dump({"transformers": transformers.__version__, "torch": torch.__version__, "sequences": res}, f)
    print(name, "written", sum(p.numel() for p in m.parameters()), "params")
