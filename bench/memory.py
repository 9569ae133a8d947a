"""Streaming memory: peak RSS of a trivial pipeline over 10k, 100k and 1M rows (it must stay flat).

Each (size, way) runs in a fresh Python process so peaks never mix: the child imports junco, builds the
pipeline, runs 1,000 rows once (so lazily imported code is loaded), records its peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``), streams the ``n`` rows from a generator (no length known, so
nothing can pre-size) counting them without keeping them, and records the peak again. "growth" is the
second peak minus the first: what the rows cost. A plain Python loop over the same generator is the
reference.

Ways: ``pipe.stream`` (map + filter), ``DataCollection`` iteration (map + filter), plain loop.
Run: ``python -m bench.memory [--sizes 10000,100000,1000000]``; ``--full`` adds 10M.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from typing import Any

from bench._harness import load_line, write

WAYS = ("plain python loop", "junco pipe.stream", "junco DataCollection")
FLAT_MB = 16.0  # growth from the smallest to the largest size that still counts as flat


def f(x: int) -> int:
    return x * 3 + 1


def g(y: int) -> bool:
    return y % 2 == 0


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def _child(way: str, n: int) -> dict[str, Any]:
    """Runs in the fresh process: returns peaks (MiB), growth, seconds and the count of rows out."""
    import time

    from junco import DataCollection, pipe

    def rows(k: int) -> Any:
        return (i for i in range(k))  # a generator: unsized

    def run(k: int) -> int:
        count = 0
        if way == "plain python loop":
            for x in rows(k):
                y = f(x)
                if g(y):
                    count += 1
        elif way == "junco pipe.stream":
            p = pipe.input("x").map("x", "y", f).filter("y", "y", "y", g).output("y")
            for _ in p.stream(rows(k)):
                count += 1
        elif way == "junco DataCollection":
            for _ in DataCollection(rows(k)).map(f).filter(g):
                count += 1
        else:
            raise ValueError(f"unknown way {way!r}")
        return count

    run(1000)
    before = _peak_mb()
    t = time.perf_counter()
    count = run(n)
    seconds = time.perf_counter() - t
    after = _peak_mb()
    return {"way": way, "rows": n, "peak_before_mb": before, "peak_mb": after, "growth_mb": after - before,
            "seconds": seconds, "out": count}


def measure(way: str, n: int) -> dict[str, Any]:
    """One (way, size) in a fresh interpreter."""
    code = f"import json; from bench.memory import _child; print(json.dumps(_child({way!r}, {n})))"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=1800)
    if res.returncode != 0:
        raise RuntimeError(f"{way} over {n:,} rows failed: {res.stderr.strip()[-1000:]}")
    row = dict(json.loads(res.stdout.strip().splitlines()[-1]))
    expected = sum(1 for x in range(n) if g(f(x)))
    if row["out"] != expected:
        raise AssertionError(f"{way} over {n:,} rows gave {row['out']} rows, expected {expected}")
    return row


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--full", action="store_true", help="add 10M rows")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.full:
        sizes.append(10_000_000)
    rows = [measure(way, n) for way in WAYS for n in sizes]
    verdict: dict[str, Any] = {}
    for way in WAYS:
        mine = sorted((r for r in rows if r["way"] == way), key=lambda r: r["rows"])
        spread = mine[-1]["peak_mb"] - mine[0]["peak_mb"]
        verdict[way] = {"peak_spread_mb": spread, "flat": spread <= FLAT_MB}
    data = {"rows": rows, "verdict": verdict, "load": load_line(), "flat_mb": FLAT_MB}
    write("memory", sections(data), data)
    return data


def sections(data: dict[str, Any]) -> list[str]:
    lines = ["### streaming memory: map + filter over n rows from a generator, each run in a fresh process",
             "", "| way | rows | peak RSS MiB (after 1k warm-up) | peak RSS MiB | growth MiB | rows/s |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in data["rows"]:
        lines.append(f"| {r['way']} | {r['rows']:,} | {r['peak_before_mb']:.1f} | {r['peak_mb']:.1f} | "
                     f"{r['growth_mb']:.1f} | {r['rows'] / max(r['seconds'], 1e-9):,.0f} |")
    notes = [f"- {way}: peak RSS spread smallest -> largest size **{v['peak_spread_mb']:.1f} MiB** "
             f"({'flat' if v['flat'] else 'NOT flat'}; flat means <= {data['flat_mb']:.0f} MiB)"
             for way, v in data["verdict"].items()]
    notes.append(f"- {data['load']} at the end")
    return ["\n".join(lines), "\n".join(notes)]


def summary(data: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for way, v in data["verdict"].items():
        if way == "plain python loop":
            continue
        mine = sorted((r for r in data["rows"] if r["way"] == way), key=lambda r: r["rows"])
        out.append({"comparison": f"streaming memory: {way}, {mine[0]['rows']:,} -> {mine[-1]['rows']:,} rows",
                    "result": f"peak {mine[0]['peak_mb']:.0f} -> {mine[-1]['peak_mb']:.0f} MiB "
                              f"({'flat' if v['flat'] else 'NOT flat'})",
                    "ratio": f"{v['peak_spread_mb']:+.1f} MiB"})
    return out


if __name__ == "__main__":
    main()
