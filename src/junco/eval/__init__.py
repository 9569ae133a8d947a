"""Evaluation and insight on the user's own data: drift between embedding sets, duplicate finding,
model / layer selection and preprocessing sensitivity (``junco eval select`` / ``preprocess``).

``junco eval drift REF.npy NEW.npy`` (or ``--reference-index URI NEW.npy --html report.html``) and
``junco eval duplicates GLOB --threshold 0.95`` (or ``--index URI``) run from the command line (see
:func:`main`); :mod:`junco.eval.drift` and :mod:`junco.eval.duplicates` from Python.
"""

from __future__ import annotations

import argparse
import glob as _glob
import json
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["Candidate", "analyze_drift", "drift_report", "find_duplicates", "find_duplicates_in_index",
           "load_labeled", "main", "preprocessing_sensitivity", "sample_vectors", "select_model",
           "write_duplicates_gallery"]


def __getattr__(name: str) -> Any:
    if name in ("drift_report", "analyze_drift", "sample_vectors"):
        from junco.eval import drift

        return getattr(drift, name)
    if name in ("select_model", "load_labeled", "Candidate"):
        from junco.eval import selection

        return getattr(selection, name)
    if name == "preprocessing_sensitivity":
        from junco.eval.sensitivity import preprocessing_sensitivity

        return preprocessing_sensitivity
    if name in ("find_duplicates", "find_duplicates_in_index", "write_duplicates_gallery"):
        from junco.eval import duplicates

        return getattr(duplicates, name)
    raise AttributeError(name)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="junco eval", description="drift and duplicate reports on embeddings")
    sub = p.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("drift", help="input (MMD², classifier test) and prediction drift of new vectors")
    d.add_argument("vectors", nargs="+", metavar="NPY",
                   help="REFERENCE.npy NEW.npy (shape n x d each), or only NEW.npy with --reference-index")
    d.add_argument("--reference-index", metavar="URI", default=None,
                   help="sample the reference from a stored collection (any open_index URI)")
    d.add_argument("--collection", default=None, help="Milvus collection of --reference-index")
    d.add_argument("--sample", type=int, default=2000, help="stored vectors to sample as the reference")
    d.add_argument("--test", choices=["mmd", "classifier", "both"], default="mmd", help="input-drift test(s)")
    d.add_argument("--reference-predictions", metavar="NPY", default=None,
                   help="a classifier's outputs on the reference rows (labels n, or scores n x classes)")
    d.add_argument("--new-predictions", metavar="NPY", default=None, help="the same for the new rows")
    d.add_argument("--html", default=None, metavar="OUT.html", help="also write the HTML report with plots")
    d.add_argument("--permutations", type=int, default=200, help="permutations for the p-value")
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--alpha", type=float, default=0.05, help="significance level for the drift flag")
    d.add_argument("--json", action="store_true", help="print JSON instead of a table")
    u = sub.add_parser("duplicates", help="near-duplicate groups among image files or a stored collection")
    u.add_argument("pattern", nargs="?", default=None, help="file glob, e.g. 'photos/**/*.jpg' (quote it)")
    u.add_argument("--index", metavar="URI", default=None,
                   help="instead of a glob: the vectors of a stored collection (any open_index URI)")
    u.add_argument("--collection", default=None, help="Milvus collection of --index")
    u.add_argument("--topk", type=int, default=10, help="neighbours the index is asked for per row (--index)")
    u.add_argument("--path-field", default="path", help="metadata key with each row's image path (--index)")
    u.add_argument("--threshold", type=float, default=0.95, help="cosine similarity to call a duplicate")
    u.add_argument("--model", default=None, help="image-embedding model (default: the pipeline's)")
    u.add_argument("--html", default=None, metavar="OUT.html", help="also write an HTML gallery")
    u.add_argument("--json", action="store_true", help="print JSON instead of a table")
    _add_selection_parsers(sub)
    return p


def _add_selection_parsers(sub: Any) -> None:
    s = sub.add_parser("select", help="rank installed models and layers on a labelled sample of your data")
    s.add_argument("data", help="a folder of class folders, or a CSV of path,label / text,label")
    s.add_argument("--models", nargs="+", default=None, help="model names (default: all installed that fit)")
    s.add_argument("--layers", nargs="+", default=None,
                   help="timm layers to try: pre-logits, feature-stage indices (-1, -2) or module names")
    s.add_argument("--k", type=int, default=5, help="cut-off for recall@k")
    s.add_argument("--folds", type=int, default=5, help="linear-probe cross-validation folds")
    s.add_argument("--rank-by", default="score", choices=("score", "map", "recall", "probe"))
    s.add_argument("--backend", default="torch", choices=("torch", "onnxruntime", "auto"))
    s.add_argument("--html", default=None, metavar="OUT.html", help="also write an HTML report")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    r = sub.add_parser("preprocess", help="score a model under variants of its preprocessing")
    r.add_argument("data", help="a folder of class folders, or a CSV of path,label")
    r.add_argument("--model", default="efficientnet-lite0", help="installed image model")
    r.add_argument("--k", type=int, default=5, help="cut-off for recall@k")
    r.add_argument("--folds", type=int, default=5, help="linear-probe cross-validation folds")
    r.add_argument("--backend", default="torch", choices=("torch", "onnxruntime", "auto"))
    r.add_argument("--html", default=None, metavar="OUT.html", help="also write an HTML report")
    r.add_argument("--json", action="store_true", help="print JSON instead of a table")


def _run_selection(args: argparse.Namespace) -> int:
    """``junco eval select`` / ``junco eval preprocess``."""
    try:
        if args.cmd == "select":
            from junco.eval.selection import parse_layer, select_model

            layers = [parse_layer(x) for x in args.layers] if args.layers else None
            rep: Any = select_model(args.data, models=args.models, layers=layers, k=args.k, folds=args.folds,
                                    rank_by=args.rank_by, backend=args.backend)
        else:
            from junco.eval.sensitivity import preprocessing_sensitivity

            rep = preprocessing_sensitivity(args.data, model=args.model, k=args.k, folds=args.folds,
                                            backend=args.backend)
    except (OSError, ValueError) as e:
        print(f"junco eval {args.cmd}: {e}", file=sys.stderr)
        return 2
    if args.html:
        rep.write_html(args.html)
    print(json.dumps(rep.to_dict()) if args.json else rep.table())
    if args.html and not args.json:
        print(f"report: {args.html}")
    return 0


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


def _run_drift(args: argparse.Namespace) -> int:
    """``junco eval drift``: every error in the input is a message and exit status 2."""
    import numpy as np

    from junco.eval.drift import analyze_drift, sample_vectors

    want = 1 if args.reference_index else 2
    if len(args.vectors) != want:
        print("junco eval drift: give REFERENCE.npy NEW.npy, or NEW.npy with --reference-index URI",
              file=sys.stderr)
        return 2
    if args.reference_index and args.reference_predictions:
        print("junco eval drift: --reference-predictions must match REFERENCE.npy row by row; a sample of "
              "--reference-index has no such rows", file=sys.stderr)
        return 2
    try:
        if args.reference_index:
            opts = {"collection": args.collection} if args.collection else {}
            ref = sample_vectors(args.reference_index, args.sample, seed=args.seed, **opts)[1]
        else:
            ref = np.load(args.vectors[0])
        new = np.load(args.vectors[-1])
        rp = np.load(args.reference_predictions, allow_pickle=False) if args.reference_predictions else None
        npred = np.load(args.new_predictions, allow_pickle=False) if args.new_predictions else None
        tests = ("mmd", "classifier") if args.test == "both" else (args.test,)
        an = analyze_drift(ref, new, tests=tests, reference_predictions=rp, new_predictions=npred,
                           n_permutations=args.permutations, seed=args.seed, alpha=args.alpha)
        if args.html:
            an.write_html(args.html)
    except (OSError, ValueError, ImportError, TypeError) as e:
        print(f"junco eval drift: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(an.to_dict()))
        return 0
    rows = [("drift", "YES" if an.drift else "no"), ("alpha", f"{an.alpha:g}"),
            ("n_reference", str(an.n_reference)), ("n_new", str(an.n_new))]
    if an.mmd:
        rows += [("mmd2", f"{an.mmd.mmd2:.6g}"), ("mmd p_value", f"{an.mmd.p_value:.4g}"),
                 ("bandwidth", f"{an.mmd.bandwidth:.4g}")]
    if an.classifier:
        rows += [("classifier auc", f"{an.classifier.auc:.4g}"),
                 ("classifier p_value", f"{an.classifier.p_value:.4g}")]
    if an.prediction:
        rows += [("prediction chi2", f"{an.prediction.chi2:.4g}"),
                 ("prediction p_value", f"{an.prediction.p_value:.4g}"),
                 ("prediction psi", f"{an.prediction.psi:.4g}"), ("prediction js", f"{an.prediction.js:.4g}")]
    if args.html:
        rows.append(("report", str(args.html)))
    print(_table(rows))
    return 0


def _run_index_duplicates(args: argparse.Namespace) -> int:
    """``junco eval duplicates --index URI``: groups among a stored collection's vectors."""
    from junco.eval.duplicates import find_duplicates_in_index, gallery_paths, write_duplicates_gallery
    from junco.index import open_index

    try:
        idx = open_index(args.index, **({"collection": args.collection} if args.collection else {}))
    except (OSError, ValueError, ImportError) as e:
        print(f"junco eval duplicates: {e}", file=sys.stderr)
        return 2
    try:
        rows = idx.count()
        groups = find_duplicates_in_index(idx, threshold=args.threshold, topk=args.topk)
        if args.html:
            paths = gallery_paths(idx, [i for g in groups for i in g], field=args.path_field)
            write_duplicates_gallery(groups, paths, args.html)
    except (OSError, ValueError) as e:
        print(f"junco eval duplicates: {e}", file=sys.stderr)
        return 2
    finally:
        idx.close()
    if args.json:
        print(json.dumps({"index": args.index, "rows": rows, "groups": groups}))
    else:
        print(f"{rows} stored row(s), {len(groups)} duplicate group(s) at cosine >= {args.threshold:g}")
        for k, g in enumerate(groups, 1):
            for item in g:
                print(f"{k:>5}  {item}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``junco eval`` with ``argv`` (the arguments after ``eval``).

    Args:
        argv: command-line arguments; ``None`` reads ``sys.argv[1:]``.

    Returns:
        The exit status: 0 on success (drift found or not), 2 on bad input.
    """
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.cmd in ("select", "preprocess"):
        return _run_selection(args)
    if args.cmd == "drift":
        return _run_drift(args)
    if args.cmd == "duplicates" and args.index is not None:
        return _run_index_duplicates(args)
    from junco.eval.duplicates import find_duplicates, write_duplicates_gallery

    if args.pattern is None:
        print("junco eval duplicates: give a file glob or --index URI", file=sys.stderr)
        return 2
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
