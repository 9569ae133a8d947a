"""``junco embed``: files, globs, stdin or texts -> JSONL or Parquet of id + vector + fingerprint."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from junco.cli._common import (
    FAILED,
    OK,
    USAGE,
    CliError,
    Source,
    default_pipeline,
    emit,
    expand,
    fingerprint_of,
    load_pipeline,
    parse_sets,
    progress,
    say,
    sources,
)

CHUNK = 256


def add_inputs(sp: argparse.ArgumentParser) -> None:
    """Input options shared by ``embed`` and ``index``."""
    sp.add_argument("inputs", nargs="*", metavar="INPUT",
                    help="files, folders or globs (quote globs: 'data/**/*.jpg'); '-' reads stdin "
                         "(image paths, or text lines)")
    sp.add_argument("-t", "--text", action="append", default=[], metavar="TEXT", help="a text to embed (repeatable)")
    sp.add_argument("-p", "--pipeline", help="named pipeline or spec file (default: image-embedding, or "
                                             "text-embedding for texts)")
    sp.add_argument("--modality", choices=("text", "image", "json"), help="what the inputs are (default: guessed)")
    sp.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="a pipeline option, e.g. backend=torch, model=mobilenetv2 (repeatable)")
    sp.add_argument("--engine", choices=("local", "ray"), default="local",
                    help="where to run: this machine, or a Ray cluster (same plan, same results)")
    sp.add_argument("--address", default=None,
                    help="Ray cluster address (ray://host:10001 or 'auto'); default: start a local runtime")


def add_arguments(sp: argparse.ArgumentParser) -> None:
    add_inputs(sp)
    sp.add_argument("-o", "--output", help="output file: .jsonl or .parquet (default: JSONL on stdout)")
    sp.add_argument("--format", choices=("jsonl", "parquet"), help="output format (default: from the suffix)")


def embed_all(p: Any, items: Iterable[Source], *, quiet: bool, errors: list[dict[str, Any]],
              total: int | None = None) -> Iterator[tuple[Source, Any]]:
    """``(source, vector)`` for every input that embeds, in chunks; failures go to ``errors`` with ids."""
    from junco.serve._model import ItemError, vector_of

    it = iter(items)
    with progress(total, quiet=quiet, label="embedding") as bar:
        while chunk := list(islice(it, CHUNK)):
            res = p.batch([s.value for s in chunk], ids=[s.id for s in chunk])
            failed = {e.row_id: e for e in res.report.errors}
            for s, rows in zip(chunk, res):
                e = failed.get(s.id)
                if e is not None:
                    errors.append({"id": s.id, "node": e.node, "error": f"{e.exc_type}: {e.message}"})
                    continue
                try:
                    yield s, vector_of(rows)
                except ItemError as err:
                    errors.append({"id": s.id, "node": "output", "error": str(err)})
            bar.advance(len(chunk))


def count_hint(files: list[str], texts: list[str], modality: str) -> int | None:
    """How many inputs there will be, when known without reading them (image files and texts)."""
    return len(files) + len(texts) if modality == "image" and "-" not in files else (len(texts) if not files else None)


def report_errors(errors: list[dict[str, Any]], *, quiet: bool) -> None:
    """One stderr line per failed input, with its id (the first 50; then a count)."""
    for e in errors[:50]:
        say(f"error: {e['id']}: {e['node']}: {e['error']}")
    if len(errors) > 50:
        say(f"error: ... and {len(errors) - 50} more failed inputs")


def resolve(args: argparse.Namespace) -> tuple[Any, str, list[str]]:
    """The pipeline, modality and files of ``args`` (a usage error when there is no input)."""
    files = expand(args.inputs)
    if not files and not args.text:
        if sys.stdin.isatty():
            raise CliError("nothing to embed: give files, globs, '-' (stdin) or --text", USAGE)
        files = ["-"]
    name = args.pipeline or default_pipeline(files, args.text)
    p, modality = load_pipeline(name, args.modality, prefer="text" if args.text else "image",
                                overrides=parse_sets(args.set))
    if getattr(args, "engine", "local") == "ray":
        p.set_engine("ray", address=args.address)
    return p, modality, files


def run(args: argparse.Namespace) -> int:
    p, modality, files = resolve(args)
    fp, fp_hash = fingerprint_of(p)
    fmt = args.format or ("parquet" if args.output and Path(args.output).suffix == ".parquet" else "jsonl")
    if fmt == "parquet" and not args.output:
        raise CliError("parquet goes to a file: add -o out.parquet", USAGE)
    errors: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    rows = ({"id": s.id, "vector": v, "fingerprint": fp_hash}
            for s, v in embed_all(p, sources(files, args.text, modality), quiet=args.quiet, errors=errors,
                                  total=count_hint(files, args.text, modality)))
    n = write_parquet(rows, args.output, fp) if fmt == "parquet" else write_jsonl(rows, args.output)
    report_errors(errors, quiet=False)
    summary = {"embedded": n, "failed": len(errors), "seconds": round(time.perf_counter() - t0, 3),
               "output": args.output or "-", "fingerprint": fp_hash, "errors": errors}
    if args.output:
        emit(summary, as_json=args.json, text=f"embedded {n} inputs ({len(errors)} failed) in "
                                              f"{summary['seconds']}s -> {args.output}")
    elif args.json:
        print(json.dumps(summary), file=sys.stderr)
    else:
        say(f"embedded {n} inputs ({len(errors)} failed) in {summary['seconds']}s", quiet=args.quiet)
    return FAILED if errors or n == 0 else OK


def write_jsonl(rows: Iterable[dict[str, Any]], path: str | None) -> int:
    out = open(path, "w", encoding="utf-8") if path else sys.stdout
    n = 0
    try:
        for r in rows:
            out.write(json.dumps({**r, "vector": r["vector"].tolist()}) + "\n")
            n += 1
    finally:
        if path:
            out.close()
        else:
            out.flush()
    return n


def write_parquet(rows: Iterable[dict[str, Any]], path: str, fp: Any) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise CliError('parquet output needs pyarrow: pip install "junco[io]" (or write .jsonl)', USAGE) from None
    schema = pa.schema([("id", pa.string()), ("vector", pa.list_(pa.float32())), ("fingerprint", pa.string())],
                       metadata={"junco_fingerprint": json.dumps(fp, default=str)})
    n = 0
    with pq.ParquetWriter(path, schema) as w:
        it = iter(rows)
        while batch := list(islice(it, 1024)):
            w.write_table(pa.Table.from_pylist(
                [{"id": r["id"], "vector": r["vector"].tolist(), "fingerprint": r["fingerprint"]} for r in batch],
                schema=schema))
            n += len(batch)
    return n
