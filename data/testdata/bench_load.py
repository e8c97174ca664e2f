"""Peer for BenchmarkLoadGSM8KTrain: load a GSM8K JSONL file with Python's json module,
doing the work data.Load does (prompt, answer after ####, commas stripped, the rest
kept as fields). Prints the mean wall and CPU (process_time) milliseconds per load
over N runs.

Usage: python3 data/testdata/bench_load.py FILE [N]
"""
import json
import sys
import time


def load(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            ans = rec["answer"]
            fields = {k: v for k, v in rec.items() if k not in ("question", "answer")}
            if "####" in ans:
                fields.setdefault("solution", ans)
                ans = ans.rsplit("####", 1)[1].strip().replace(",", "")
            out.append({"id": str(len(out)), "prompt": rec["question"], "answer": ans, "fields": fields})
    return out


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    assert len(load(path)) == 7473
    t, c = time.perf_counter(), time.process_time()
    for _ in range(n):
        load(path)
    dt, dc = (time.perf_counter() - t) / n, (time.process_time() - c) / n
    print(f"python json: {dt * 1e3:.2f} ms/op wall, {dc * 1e3:.2f} cpu-ms/op ({n} runs)")


if __name__ == "__main__":
    main()
