"""File and table sources: glob, CSV, JSON / JSON lines, Parquet, pandas, Arrow.

Each returns a source and whether its rows are plain values (``value``) or rows with named fields.
Files are read when a run starts (only their header or schema at build time), a block at a time.
"""

from __future__ import annotations

import glob as _glob
import json
import os
from collections.abc import Iterator, Sequence
from typing import Any

from junco.collection._sources import ColumnsSource, IterSource, Source


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{module} is needed here: pip install \"junco[{extra}]\"") from e


def glob_source(patterns: Sequence[str | os.PathLike[str]], recursive: bool) -> Source:
    """Paths matching any pattern, sorted; each path is both the row's value and its id."""
    pats = [os.fspath(p) for p in patterns]
    if not pats:
        raise ValueError("from_glob() needs at least one pattern, e.g. from_glob('images/*.jpg')")

    def make() -> Iterator[tuple[str, tuple[str]]]:
        paths = sorted({p for pat in pats for p in _glob.glob(pat, recursive=recursive)})
        return ((p, (p,)) for p in paths)

    return IterSource(make, ("_",), f"glob({', '.join(map(repr, pats))}, recursive={recursive})", pairs=True)


def csv_source(path: str | os.PathLike[str], columns: Sequence[str] | None, kwargs: dict[str, Any]) -> Source:
    """CSV through pandas, in chunks (types inferred as pandas does); ids are row numbers."""
    pd = _need("pandas", "io")
    path = os.fspath(path)
    header = list(pd.read_csv(path, nrows=0, **kwargs).columns)
    cols = tuple(str(c) for c in (columns or header))
    missing = [c for c in cols if c not in header]
    if missing:
        raise ValueError(f"{path}: no column(s) {missing}; the file has {header}")

    def make() -> Iterator[tuple[Any, ...]]:
        for chunk in pd.read_csv(path, chunksize=4096, usecols=list(cols), **kwargs):
            yield from zip(*(chunk[c].tolist() for c in cols))

    return IterSource(make, cols, f"read_csv({path!r})", tuples=True)


def json_source(path: str | os.PathLike[str], columns: Sequence[str] | None, lines: bool | None) -> tuple[Source, bool]:
    """A JSON array (or JSON lines: one value per line; ``lines=None`` guesses from the first character).

    Objects become rows with named fields (the first object's keys unless ``columns`` is given; a
    missing key reads ``None``); any other JSON values make a value-mode collection.
    """
    path = os.fspath(path)
    if lines is None:
        with open(path, encoding="utf-8") as f:
            head = f.read(4096).lstrip()
        lines = not head.startswith("[")
    if not lines:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, list):
            raise ValueError(f"{path}: expected a JSON array (or JSON lines), got {type(data).__name__}")
        return records_source(data, columns, f"read_json({path!r})")
    first = next(_json_lines(path), None)
    if columns is None and not isinstance(first, dict):
        return IterSource(lambda: _json_lines(path), ("_",), f"read_jsonl({path!r})"), True
    cols = tuple(columns or (first or {}).keys())

    def make() -> Iterator[tuple[Any, ...]]:
        return (tuple(r.get(c) for c in cols) for r in _json_lines(path))

    return IterSource(make, cols, f"read_jsonl({path!r})", tuples=True), False


def _json_lines(path: str) -> Iterator[Any]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not valid JSON: {e}") from e


def records_source(records: Sequence[Any], columns: Sequence[str] | None, label: str) -> tuple[Source, bool]:
    """In-memory records: mappings become named fields, anything else one value per row."""
    if columns is None and (not records or not isinstance(records[0], dict)):
        return ColumnsSource(None, {"_": list(records)}, label), True
    cols = tuple(columns or records[0].keys())
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise TypeError(f"{label}: record {i} is {type(r).__name__}, expected a mapping like the others")
    return ColumnsSource(None, {c: [r.get(c) for r in records] for c in cols}, label), False


def parquet_source(path: str | os.PathLike[str], columns: Sequence[str] | None) -> Source:
    """Parquet through pyarrow, batch by batch; ids are row numbers."""
    pq = _need("pyarrow.parquet", "io")
    path = os.fspath(path)
    names = list(pq.read_schema(path).names)
    cols = tuple(columns or names)
    missing = [c for c in cols if c not in names]
    if missing:
        raise ValueError(f"{path}: no column(s) {missing}; the file has {names}")

    def make() -> Iterator[tuple[Any, ...]]:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=4096, columns=list(cols)):
            yield from zip(*(batch.column(c).to_pylist() for c in cols))

    return IterSource(make, cols, f"read_parquet({path!r})", tuples=True)


def pandas_source(df: Any) -> Source:
    """A DataFrame's columns; its index gives the ids."""
    cols = {str(c): df[c].tolist() for c in df.columns}
    return ColumnsSource(df.index.tolist(), cols, f"pandas DataFrame {df.shape[0]}x{df.shape[1]}")


def arrow_source(table: Any) -> Source:
    """A pyarrow Table or RecordBatch; ids are row numbers."""
    cols = {str(n): table.column(n).to_pylist() for n in table.column_names}
    return ColumnsSource(None, cols, f"arrow table {table.num_rows}x{table.num_columns}")
