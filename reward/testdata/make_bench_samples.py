#!/usr/bin/env python3
"""Writes bench_samples.jsonl: 1,000 short R1-style math responses for the composite-reward
benchmark (reward/bench_test.go) and its Python peer (peer_bench.py). Deterministic.

Each line: {"prompt", "pred" (the completion), "gold", "correct" (the expected math
verdict: the hand-assigned equivalence of the boxed answer and gold, false when the answer
sits in a <think> the prompt opened and the model never closed), "format" (the expected
format reward)}. Run: python3 make_bench_samples.py > bench_samples.jsonl
"""
import json
import random

# (gold, boxed answer, equivalent?) written and checked by hand.
PAIRS = [
    ("72", "72", True), ("72", "71", False), ("\\frac{1}{2}", "0.5", True),
    ("\\frac{1}{2}", "\\frac12", True), ("\\frac{1}{2}", "\\frac{2}{4}", True),
    ("\\frac{1}{2}", "\\frac{1}{3}", False), ("2\\sqrt{2}", "\\sqrt{8}", True),
    ("2\\sqrt{2}", "2\\sqrt{3}", False), ("1,234", "1234", True), ("-7", "-7", True),
    ("-7", "7", False), ("x^2+2x+1", "(x+1)^2", True), ("x^2+2x+1", "(x-1)^2", False),
    ("\\frac{\\pi}{2}", "\\pi/2", True), ("3", "3.1", False), ("(1,2)", "(1, 2)", True),
    ("(1,2)", "(2,1)", False), ("\\dfrac{3}{4}", "0.75", True), ("2^{10}", "1024", True),
    ("\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", True), ("12", "13", False),
    ("5", "5.0", True), ("\\frac{7}{2}", "3.5", True), ("10", "\\sqrt{100}", True),
    ("0", "0", True), ("100", "10^2", True), ("\\frac{5}{6}", "\\frac{6}{5}", False),
    ("4", "4", True), ("36", "6^2", True), ("\\sqrt{2}", "1.41", False),
]

FILLER = [
    "First, let me restate the problem in my own words.",
    "We can set up an equation and solve for the unknown.",
    "Multiplying both sides by the denominator gives a linear equation.",
    "Wait, let me double-check the arithmetic in the previous step.",
    "Substituting back, the left-hand side equals the right-hand side.",
    "So the quantity we want is determined uniquely.",
]


def main():
    rng = random.Random(20261129)
    for i in range(1000):
        gold, pred, correct = PAIRS[i % len(PAIRS)]
        steps = " ".join(rng.choice(FILLER) for _ in range(rng.randint(3, 6)))
        chat = i % 2 == 0
        well_formed = i % 7 != 0
        think = steps + f"\nThe computation gives {pred}."
        if chat:
            prompt = "<|User|>Solve the problem.<|Assistant|><think>\n"
            body = think + ("\n</think>\n" if well_formed else "\n")
        else:
            prompt = "Solve the problem."
            body = ("<think>\n" + think + "\n</think>\n") if well_formed else think + "\n"
        body += f"The final answer is $\\boxed{{{pred}}}$."
        answered = well_formed or not chat
        print(json.dumps({"prompt": prompt, "pred": body, "gold": gold,
                          "correct": correct and answered, "format": 1 if well_formed else 0}))


if __name__ == "__main__":
    main()
