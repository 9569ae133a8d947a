"""`python -m bench` (`make bench`): run every benchmark, one after another, and print a summary.

Each benchmark alternates the compared commands, reports medians and spreads, and writes
`bench/results/<date>-<name>.md` + `.json` with the machine described. `--only NAME` runs a subset;
`train_semi` (about 15 minutes) runs only with `--full`.
"""

from __future__ import annotations

import argparse
import importlib
import time
import traceback

DEFAULT = ["overhead", "embed", "search", "engines", "serve", "modalities"]
FULL_ONLY = ["train_semi"]


def main() -> int:
    ap = argparse.ArgumentParser(prog="python -m bench")
    ap.add_argument("--only", nargs="*", help="benchmark modules to run")
    ap.add_argument("--full", action="store_true", help="also run the long ones")
    args = ap.parse_args()
    names = args.only or (DEFAULT + (FULL_ONLY if args.full else []))
    summary = []
    for name in names:
        t = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").main([])
            status = "ok"
        except Exception as e:  # one broken benchmark does not hide the others
            traceback.print_exc()
            status = f"failed: {type(e).__name__}: {e}"
        summary.append((name, time.perf_counter() - t, status))
    print("\n| benchmark | seconds | status |\n|---|---:|---|")
    for name, sec, status in summary:
        print(f"| {name} | {sec:.0f} | {status} |")
    return 0 if all(s == "ok" for _, _, s in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main())
