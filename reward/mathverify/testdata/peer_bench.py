#!/usr/bin/env python3
"""Python peers for BenchmarkVerify, run on the same workload (bench_pairs.jsonl, written
by `go test -run TestBenchPairsFile -update-bench-pairs ./reward/mathverify`). Written for
r1go: Math-Verify cannot be installed here (no PyPI), so the peers are the two approaches
Python graders use without it:

  string  last \\boxed{} content compared with the gold after light string normalisation
          (spaces, \\left/\\right, \\! and \\, removed, \\dfrac as \\frac): fast but blind to
          0.5 = \\frac{1}{2};
  sympy   the string check, then both answers parsed by sympy's LaTeX parser (the lark
          backend; Debian's python3-lark) and compared with simplify(gold - pred) == 0,
          element-wise for comma lists: the symbolic approach of latex2sympy-based
          graders such as Math-Verify, without its normalisation layer.

Throughput is verifications per CPU-second of this process (time.process_time), one
core. Usage: python3 peer_bench.py bench_pairs.jsonl [min_seconds]
"""
import json
import signal
import sys
import time

sys.path.append("/usr/lib/python3/dist-packages")  # python3-lark, for sympy's parser


def last_boxed(text):
    i = text.rfind("\\boxed{")
    if i < 0:
        return None
    depth, j = 0, i + len("\\boxed")
    for k in range(j, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[j + 1 : k]
    return None


def norm(s):
    for a, b in (("\\left", ""), ("\\right", ""), ("\\!", ""), ("\\,", ""), ("\\dfrac", "\\frac"),
                 ("\\tfrac", "\\frac"), (" ", ""), ("$", "")):
        s = s.replace(a, b)
    return s.rstrip(".")


def string_peer(gold, response):
    pred = last_boxed(response)
    return pred is not None and norm(pred) == norm(gold)


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout()


def split_top(s):
    parts, depth, cur = [], 0, ""
    for c in s:
        if c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    return parts


def strip_brackets(s):
    s = s.strip()
    for o, c in (("(", ")"), ("\\{", "\\}"), ("[", "]")):
        if s.startswith(o) and s.endswith(c):
            return s[len(o) : len(s) - len(c)]
    return s


def sympy_peer(gold, response):
    from sympy import simplify
    from sympy.parsing.latex import parse_latex

    pred = last_boxed(response)
    if pred is None:
        return False
    if norm(pred) == norm(gold):
        return True
    g_parts = split_top(strip_brackets(norm(gold)))
    p_parts = split_top(strip_brackets(norm(pred)))
    if len(g_parts) != len(p_parts):
        return False
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(2)
    try:
        for g, p in zip(g_parts, p_parts):
            ge, pe = parse_latex(g, backend="lark"), parse_latex(p, backend="lark")
            if simplify(ge - pe) != 0:
                return False
        return True
    except Exception:
        return False
    finally:
        signal.alarm(0)


def main():
    path = sys.argv[1]
    min_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    pairs = [json.loads(line) for line in open(path, encoding="utf-8")]
    for name, fn in (("string", string_peer), ("sympy", sympy_peer)):
        agree = sum(fn(p["gold"], p["response"]) == p["want"] for p in pairs)
        n, t0 = 0, time.process_time()
        while True:
            for p in pairs:
                fn(p["gold"], p["response"])
            n += len(pairs)
            cpu = time.process_time() - t0
            if cpu >= min_seconds:
                break
        print(f"peer={name} verifications={n} cpu_s={cpu:.2f} verifications_per_cpu_s={n / cpu:.0f} agree={agree}/{len(pairs)}")


if __name__ == "__main__":
    main()
