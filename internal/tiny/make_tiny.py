"""Writes files/tokenizer.json: a byte-level BPE with the 256 byte symbols and no merges (one token
per byte), plus the special tokens r1go's templates and rewards use; and files/config.json, a
2-layer Qwen2 small enough to train on a CPU in seconds. Run: python3 make_tiny.py"""
import json

def bytes_to_unicode():  # GPT-2's byte-to-symbol table, as Hugging Face's ByteLevel uses
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}

vocab = {s: i for i, s in enumerate(bytes_to_unicode()[b] for b in range(256))}
specials = ["<|endoftext|>", "<think>", "</think>", "<answer>", "</answer>"]
added = []
for s in specials:
    vocab[s] = len(vocab)
    added.append({"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": s == "<|endoftext|>"})
tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
       "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
       "post_processor": None,
       "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
       "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                 "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                 "vocab": vocab, "merges": []}}
json.dump(tok, open("files/tokenizer.json", "w"), ensure_ascii=False)
json.dump({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "bos_token": None, "add_bos_token": False},
          open("files/tokenizer_config.json", "w"))
cfg = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "vocab_size": 264, "hidden_size": 64,
       "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
       "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": True,
       "initializer_range": 0.02, "hidden_act": "silu", "eos_token_id": vocab["<|endoftext|>"]}
json.dump(cfg, open("files/config.json", "w"), indent=1)
