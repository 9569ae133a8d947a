"""Per-row engine overhead: a trivial map/filter chain through junco vs a plain Python loop.

Run: ``python -m bench.overhead [--rows N]``. Aim: at most 2x the plain loop.
"""

from __future__ import annotations

import argparse

from bench._harness import compare, table, write


def f(x: int) -> int:
    return x * 3 + 1


def g(y: int) -> bool:
    return y % 2 == 0


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    n = args.rows
    from junco import DataCollection, pipe

    p = pipe.input("x").map("x", "y", f).filter("y", "y", "y", g).output("y")

    def plain():
        out = []
        for x in range(n):
            y = f(x)
            if g(y):
                out.append(y)
        return out

    def junco_stream():
        return list(p.stream(range(n)))

    def dc():
        return DataCollection.range(n).map(f).filter(g).to_list()

    expected = plain()
    assert junco_stream() == expected and dc() == expected
    rows = compare({"plain python loop": plain, "junco pipe.stream": junco_stream,
                    "junco DataCollection": dc}, repeats=args.repeats, units=n, unit="rows/s")
    sections = [table(f"map + filter over {n:,} rows (ratio = time / plain loop; aim <= 2x)", rows)]
    write("overhead", sections, rows)
    return {r["case"]: r for r in rows}


if __name__ == "__main__":
    main()
