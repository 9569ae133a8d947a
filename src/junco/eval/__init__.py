"""Evaluation and insight on the user's own data: drift between embedding sets, duplicate finding.

``junco eval drift REF.npy NEW.npy`` and ``junco eval duplicates GLOB --threshold 0.95`` run from the
command line (see :func:`main`); :mod:`junco.eval.drift` and :mod:`junco.eval.duplicates` from Python.
"""

from __future__ import annotations

import argparse
import glob as _glob
import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["drift_report", "find_duplicates", "main", "write_duplicates_gallery"]


def __getattr__(name: str) -> Any:
    if name == "drift_report":
        from junco.eval.drift import drift_report

        return drift_report
    if name in ("find_duplicates", "write_duplicates_gallery"):
        from junco.eval import duplicates

        return getattr(duplicates, name)
    raise AttributeError(name)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="junco eval", description="drift and duplicate reports on embeddings")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("drift", help="MMD² drift test between two .npy vector files")
    d.add_argument("reference", help="reference vectors (.npy, shape n x d)")
    d.add_argument("new", help="new vectors (.npy, shape m x d)")
    d.add_argument("--permutations", type=int, default=200, help="permutations for the p-value")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--alpha", type=float, default=0.05, help="significance level for the drift flag")
    d.add_argument("--json", action="store_true", help="print JSON instead of a table")
    u = sub.add_parser("duplicates", help="near-duplicate image groups among files matching a glob")
    u.add_argument("pattern", help="file glob, e.g. 'photos/**/*.jpg' (quote it)")
    u.add_argument("--threshold", type=float, default=0.95, help="cosine similarity to call a duplicate")
    u.add_argument("--model", default=None, help="image-embedding model (default: the pipeline's)")
    u.add_argument("--html", default=None, metavar="OUT.html", help="also write an HTML gallery")
    u.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return p


def _table(rows: list[tuple[str, str]]) -> str:
    w = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{w}}  {v}" for k, v in rows)


def _embed_images(paths: list[str], model: str | None) -> tuple[list[str], Any]:
    import numpy as np

    from junco import pipeline

    p = pipeline("image-embedding", **({"model": model} if model else {}))
    res = p.batch(paths)
    ok, vecs = [], []
    for path, r in zip(paths, res, strict=True):
        if len(r) and r[0] is not None:
            ok.append(path)
            vecs.append(np.asarray(r[0], dtype=np.float32).ravel())
    return ok, (np.stack(vecs) if vecs else np.zeros((0, 1), dtype=np.float32))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``junco eval`` with ``argv`` (the arguments after ``eval``).

    Args:
        argv: command-line arguments; ``None`` reads ``sys.argv[1:]``.

    Returns:
        The exit status: 0 on success (drift found or not), 2 on bad input.
    """
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.cmd == "drift":
        import numpy as np

        from junco.eval.drift import drift_report

        try:
            rep = drift_report(np.load(args.reference), np.load(args.new), n_permutations=args.permutations,
                               seed=args.seed, alpha=args.alpha)
        except (OSError, ValueError) as e:
            print(f"junco eval drift: {e}", file=sys.stderr)
            return 2
        if args.json:
            print(json.dumps(rep.to_dict()))
        else:
            print(_table([("drift", "YES" if rep.drift else "no"), ("mmd2", f"{rep.mmd2:.6g}"),
                          ("p_value", f"{rep.p_value:.4g}"), ("alpha", f"{rep.alpha:g}"),
                          ("bandwidth", f"{rep.bandwidth:.4g}"),
                          ("n_reference", str(rep.n_reference)), ("n_new", str(rep.n_new))]))
        return 0
    from junco.eval.duplicates import find_duplicates, write_duplicates_gallery

    paths = sorted(_glob.glob(args.pattern, recursive=True))
    if not paths:
        print(f"junco eval duplicates: no files match {args.pattern!r}", file=sys.stderr)
        return 2
    ok, vecs = _embed_images(paths, args.model)
    groups = find_duplicates(ok, vecs, threshold=args.threshold) if ok else []
    if args.html:
        write_duplicates_gallery(groups, None, args.html)
    if args.json:
        print(json.dumps({"files": len(paths), "embedded": len(ok), "groups": groups}))
    else:
        print(f"{len(paths)} file(s), {len(ok)} embedded, {len(groups)} duplicate group(s) "
              f"at cosine >= {args.threshold:g}")
        for k, g in enumerate(groups, 1):
            for item in g:
                print(f"{k:>5}  {item}")
    return 0
