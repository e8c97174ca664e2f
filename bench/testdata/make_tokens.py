"""Writes tokens.json: the benchmark tokens bench/torch_train.py feeds PyTorch, so that the Go test
(TestBenchTokensMatchPython) proves r1go and its peer train on the same data.

    python3 bench/testdata/make_tokens.py > bench/testdata/tokens.json
"""
import json
import os
import sys

sys.dont_write_bytecode = True  # importing torch_train must not leave __pycache__ in the tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_train import bench_tokens  # stdlib-only at import time

cases = []
for vocab, batch, seq in [(151936, 3, 40), (512, 2, 600)]:
    inputs, targets = bench_tokens(vocab, batch, seq)
    cases.append({"vocab": vocab, "batch": batch, "seq": seq, "inputs": inputs, "targets": targets})
json.dump(cases, sys.stdout)
print()
