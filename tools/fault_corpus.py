"""Write the image fault corpus to a folder: ``python tools/fault_corpus.py OUT_DIR``."""

from __future__ import annotations

import argparse
import collections

from junco.testing.fault_corpus import make_corpus


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("folder", help="where to write the corpus")
    args = ap.parse_args(argv)
    cases = make_corpus(args.folder)
    for kind, n in sorted(collections.Counter(c.kind for c in cases).items()):
        print(f"{kind:24s} {n}")
    print(f"{len(cases)} files written to {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
