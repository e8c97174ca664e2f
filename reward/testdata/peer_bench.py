#!/usr/bin/env python3
"""Python peers for the composite reward benchmark (math accuracy + format), run on the
same corpus (bench_samples.jsonl) as BenchmarkCompositeMathFormat. Written for r1go; no
third-party reward library is installable here (no PyPI), so the peers are the two
approaches Python RL stacks use when Math-Verify is absent:

  string  the format regex of TRL's think_format_reward (re-written) + the last \\boxed{}
          content compared after MATH-style string normalisation (verl's default math
          reward works this way): fast, but blind to 0.5 = \\frac{1}{2} and the like.
  sympy   the same format check + the boxed answers turned into sympy expressions and
          compared with simplify(gold - pred) == 0 (tuples element-wise): the symbolic
          approach of Qwen-Math-style graders.

Throughput is samples per CPU-second of this process (time.process_time), one core.
The countdown peer (TinyZero's check: regex validation, then eval) scores the same
answer as BenchmarkCountdown.

Usage: python3 peer_bench.py bench_samples.jsonl [min_seconds]
       python3 peer_bench.py countdown [min_seconds]
"""
import json
import re
import sys
import time

THINK_RE = re.compile(r"^<think>(?!.*<think>)(.*?)</think>.*$", re.DOTALL)


def format_reward(prompt, completion):
    if prompt.rstrip().endswith("<think>") and not completion.lstrip().startswith("<think>"):
        completion = "<think>" + completion
    return 1.0 if THINK_RE.match(completion) else 0.0


def answer_region(prompt, completion):
    full = completion
    if prompt.rstrip().endswith("<think>") and not completion.lstrip().startswith("<think>"):
        full = "<think>" + completion
    if "</think>" in full:
        return full.rsplit("</think>", 1)[1]
    return "" if "<think>" in full else full


def last_boxed(text):
    i = text.rfind("\\boxed")
    if i < 0:
        return None
    j = text.find("{", i)
    if j < 0:
        return None
    depth = 0
    for k in range(j, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return text[j + 1:k]
    return None


FRAC_SHORT = re.compile(r"\\frac(\d)(\d)")


def normalize(s):
    s = s.replace("\n", "").replace("\\!", "").replace("\\left", "").replace("\\right", "")
    s = s.replace("dfrac", "frac").replace("tfrac", "frac").replace("^\\circ", "").replace("^{\\circ}", "")
    s = s.replace("\\$", "").replace("\\%", "").replace("%", "").replace(" ", "")
    s = FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = re.sub(r"(\d),(\d{3})", r"\1\2", s)
    if s.endswith(".0"):
        s = s[:-2]
    if s.startswith("."):
        s = "0" + s
    return s


def string_equal(gold, pred):
    return normalize(gold) == normalize(pred)


def latex_to_sympy(s):
    s = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace(" ", "")
    s = FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = re.sub(r"(\d),(\d{3})", r"\1\2", s)
    for _ in range(8):
        t = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", s)
        t = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", t)
        if t == s:
            break
        s = t
    s = s.replace("\\pi", "pi").replace("\\cdot", "*").replace("^", "**").replace("{", "(").replace("}", ")")
    return s


def sympy_equal(gold, pred, parse, simplify, transformations):
    try:
        g = parse(latex_to_sympy(gold), transformations=transformations)
        p = parse(latex_to_sympy(pred), transformations=transformations)
        if isinstance(g, tuple) or isinstance(p, tuple):
            return isinstance(g, tuple) and isinstance(p, tuple) and len(g) == len(p) and all(
                simplify(a - b) == 0 for a, b in zip(g, p))
        return simplify(g - p) == 0
    except Exception:
        return string_equal(gold, pred)


def run(name, samples, equal, min_seconds):
    correct_hits = 0
    n = 0
    t0 = time.process_time()
    while True:
        for s in samples:
            fmt = format_reward(s["prompt"], s["pred"])
            box = last_boxed(answer_region(s["prompt"], s["pred"]))
            ok = box is not None and equal(s["gold"], box)
            _ = fmt + (1.0 if ok else 0.0)
            if n < len(samples) and ok == s["correct"]:
                correct_hits += 1
            n += 1
        if time.process_time() - t0 >= min_seconds:
            break
    cpu = time.process_time() - t0
    print(f"peer={name} samples={n} cpu_s={cpu:.3f} samples_per_cpu_s={n / cpu:.0f} "
          f"agreement_with_labels={correct_hits}/{len(samples)}")


COUNTDOWN_COMPLETION = ("<think>Try 95 - 21 = 74, then 74 + 3 = 77, not 82. Try (95 - 21) + 8 = 82.</think>\n"
                        "<answer>(95 - 21) + 8</answer>")
ANSWER_RE = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
ALLOWED_RE = re.compile(r"^[\d+\-*/().\s]+$")


def countdown_score(completion, numbers, target):
    """TinyZero's approach, re-written: last <answer>, a character whitelist, the numbers
    found by a regex checked against the given ones (each at most once, r1go's default;
    TinyZero itself requires every number exactly once), then Python eval without builtins."""
    matches = ANSWER_RE.findall(completion)
    if not matches:
        return 0.0
    eq = matches[-1].strip()
    used = sorted(int(n) for n in re.findall(r"\d+", eq))
    pool = sorted(numbers)
    for n in used:
        if n in pool:
            pool.remove(n)
        else:
            return 0.0
    if not ALLOWED_RE.match(eq):
        return 0.0
    try:
        value = eval(eq, {"__builtins__": None}, {})
    except Exception:
        return 0.0
    return 1.0 if abs(value - target) < 1e-5 else 0.0


def run_countdown(min_seconds):
    n = 0
    t0 = time.process_time()
    while time.process_time() - t0 < min_seconds:
        for _ in range(1000):
            if countdown_score(COUNTDOWN_COMPLETION, [95, 21, 8, 3], 82) != 1.0:
                raise SystemExit("countdown peer: wrong verdict")
        n += 1000
    cpu = time.process_time() - t0
    print(f"peer=countdown samples={n} cpu_s={cpu:.3f} samples_per_cpu_s={n / cpu:.0f}")


def main():
    if sys.argv[1] == "countdown":
        run_countdown(float(sys.argv[2]) if len(sys.argv) > 2 else 2.0)
        return
    path = sys.argv[1]
    min_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    with open(path) as f:
        samples = [json.loads(line) for line in f if line.strip()]
    run("string", samples, string_equal, min_seconds)
    try:
        from sympy import simplify
        from sympy.parsing.sympy_parser import (parse_expr, standard_transformations,
                                                implicit_multiplication_application)
    except ImportError:
        print("peer=sympy skipped: sympy is not installed")
        return
    tr = standard_transformations + (implicit_multiplication_application,)
    run("sympy", samples, lambda g, p: sympy_equal(g, p, parse_expr, simplify, tr), min_seconds)


if __name__ == "__main__":
    main()
