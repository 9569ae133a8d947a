"""``junco index`` (build or update a store from files) and ``junco search`` (query it)."""

from __future__ import annotations

import argparse
import json
import os
import time
from itertools import islice
from typing import Any

from junco.cli._common import (
    FAILED,
    OK,
    USAGE,
    CliError,
    emit,
    fingerprint_of,
    load_pipeline,
    parse_sets,
    say,
    sources,
)
from junco.cli._embed import add_inputs, count_hint, embed_all, report_errors, resolve


def add_index_arguments(sp: argparse.ArgumentParser) -> None:
    add_inputs(sp)
    _store_options(sp)
    sp.add_argument("--add-only", action="store_true",
                    help="refuse to replace an id stored with another vector (default: upsert)")
    sp.add_argument("--delete", nargs="+", metavar="ID", default=[], help="remove these ids from the store")


def add_search_arguments(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("query", nargs="?", help="an image file, or a text (use --text / --image to be explicit)")
    sp.add_argument("-t", "--text", help="a text query")
    sp.add_argument("--image", help="an image file as the query")
    sp.add_argument("--vector", help="a JSON list of numbers as the query")
    sp.add_argument("-p", "--pipeline", help="the pipeline that filled the store (default: from the query kind)")
    sp.add_argument("-k", "--topk", type=int, default=5, help="number of hits (default 5)")
    sp.add_argument("--filter", help='metadata filter as JSON, e.g. \'{"label": "cat"}\'')
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a pipeline option, e.g. backend=torch (repeatable)")
    _store_options(sp)


def _store_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--index", required=True, metavar="URI",
                    help="store URI: store.db (Milvus Lite), faiss://DIR, exact://DIR, http://host:19530")
    sp.add_argument("--metric", help="cosine (default for a new store), L2 or IP")
    sp.add_argument("--backend", help="exact, faiss or milvus (overrides the URI's choice)")


def _open(args: argparse.Namespace, fp: Any) -> Any:
    from junco.index import open_index

    try:
        return open_index(args.index, metric=args.metric, fingerprint=fp, backend=args.backend)
    except (ValueError, KeyError) as e:
        raise CliError(f"cannot open store {args.index!r}: {e}", USAGE) from None


def run_index(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    if args.delete and not args.inputs and not args.text:
        store = _open(args, None)
        with store:
            n = store.delete(list(args.delete))
            data = {"deleted": n, "count": store.count(), "index": args.index}
        emit(data, as_json=args.json, text=f"deleted {n}; the store has {data['count']} items")
        return OK
    p, modality, files = resolve(args)
    fp, fp_hash = fingerprint_of(p)
    errors: list[dict[str, Any]] = []
    store = _open(args, fp)
    written = seen = 0
    with store:
        if args.delete:
            store.delete(list(args.delete))
        write = store.add if args.add_only else store.upsert
        pairs = embed_all(p, sources(files, args.text, modality), quiet=args.quiet, errors=errors,
                          total=count_hint(files, args.text, modality))
        while chunk := list(islice(pairs, 512)):
            import numpy as np

            try:
                written += write([s.id for s, _ in chunk], np.stack([v for _, v in chunk]),
                                 [s.metadata for s, _ in chunk], fingerprint=fp)
            except ValueError as e:  # fingerprint or dimension mismatch, changed ids with --add-only
                raise CliError(f"cannot write to {args.index}: {e}") from None
            seen += len(chunk)
        count = store.count()
    report_errors(errors, quiet=args.quiet)
    data = {"embedded": seen, "written": written, "failed": len(errors), "count": count, "index": args.index,
            "fingerprint": fp_hash, "seconds": round(time.perf_counter() - t0, 3), "errors": errors}
    emit(data, as_json=args.json, text=f"indexed {seen} inputs ({written} written, {seen - written} unchanged, "
                                       f"{len(errors)} failed) in {data['seconds']}s; the store has {count} items")
    return FAILED if errors or (seen == 0 and not args.delete) else OK


def run_search(args: argparse.Namespace) -> int:
    import numpy as np

    given = [x for x in (args.query, args.text, args.image, args.vector) if x is not None]
    if len(given) != 1:
        raise CliError("give exactly one query: QUERY, --text, --image or --vector", USAGE)
    flt = None
    if args.filter:
        try:
            flt = json.loads(args.filter)
        except json.JSONDecodeError as e:
            raise CliError(f"--filter is not valid JSON: {e}", USAGE) from None
    fp: Any = None
    if args.vector is not None:
        try:
            vec = np.asarray(json.loads(args.vector), dtype=np.float32)
        except (json.JSONDecodeError, ValueError, TypeError) as e:
            raise CliError(f"--vector must be a JSON list of numbers: {e}", USAGE) from None
    else:
        image = args.image or (args.query if args.query and os.path.isfile(args.query) else None)
        text = None if image else (args.text or args.query)
        if image and not os.path.isfile(image):
            raise CliError(f"{image}: no such file", USAGE)
        name = args.pipeline or ("image-embedding" if image else "text-embedding")
        p, modality = load_pipeline(name, "image" if image else "text", overrides=parse_sets(args.set))
        fp, _ = fingerprint_of(p)
        errors: list[dict[str, Any]] = []
        got = list(embed_all(p, sources([image] if image else [], [] if image else [text], modality),
                             quiet=True, errors=errors))
        if not got:
            raise CliError(f"cannot embed the query: {errors[0]['error'] if errors else 'no output'}")
        vec = got[0][1]
    store = _open(args, fp)
    t = time.perf_counter()
    with store:
        try:
            hits = store.search(vec, args.topk, filter=flt, fingerprint=fp)[0].to_list()
        except ValueError as e:
            raise CliError(f"search failed: {e}") from None
    ms = round(1000 * (time.perf_counter() - t), 2)
    lines = [f"{i + 1:>3}  {h['score']:.4f}  {h['id']}" for i, h in enumerate(hits)] or ["(no hits)"]
    emit({"hits": hits, "search_ms": ms, "index": args.index}, as_json=args.json, text="\n".join(lines))
    say(f"{len(hits)} hits in {ms} ms", quiet=args.quiet or args.json)
    return OK
