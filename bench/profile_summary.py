"""Summarise Nsight Compute's raw CSV (one row per kernel, metric gpu__time_duration.sum):
time per kernel name, largest first, then every kernel in launch order.

    python3 bench/profile_summary.py kernels.csv [--order N]
"""
import collections
import csv
import sys


def rows(path):
    with open(path, newline="") as f:
        lines = [l for l in f if l.startswith('"')]  # ncu prefixes its own messages with ==PROF==
    r = csv.reader(lines)
    header = next(r)
    name_col = header.index("Kernel Name")
    t_col = header.index("gpu__time_duration.sum")
    unit = "ns"
    for row in r:
        if not row[0].isdigit():  # the units row
            unit = row[t_col] or unit
            continue
        t = float(row[t_col].replace(",", ""))
        scale = {"ns": 1e-3, "usecond": 1, "us": 1, "msecond": 1e3, "ms": 1e3, "nsecond": 1e-3}.get(unit, 1e-3)
        yield row[name_col], t * scale  # microseconds


def main():
    path = sys.argv[1]
    order = int(sys.argv[sys.argv.index("--order") + 1]) if "--order" in sys.argv else 3000
    ks = list(rows(path))
    total = sum(t for _, t in ks)
    by = collections.defaultdict(lambda: [0, 0.0])
    for n, t in ks:
        by[n][0] += 1
        by[n][1] += t
    print(f"kernels {len(ks)}  total {total/1e3:.2f} ms")
    print(f"{'ms':>9} {'share':>6} {'count':>6} {'mean us':>9}  name")
    for n, (c, t) in sorted(by.items(), key=lambda kv: -kv[1][1]):
        print(f"{t/1e3:9.3f} {100*t/max(total,1e-9):5.1f}% {c:6d} {t/c:9.1f}  {n[:150]}")
    print("\nlaunch order (us, name):")
    for i, (n, t) in enumerate(ks[:order]):
        print(f"{i:6d} {t:10.1f}  {n[:120]}")


main()
