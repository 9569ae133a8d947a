"""Parallel Parquet in and out of the Ray engine.

* :func:`read_parquet`: one Ray task per row group reads the input rows where they are processed. Row
  ids are ``"<file>:<row>"`` and rows keep file order, so a run gives the same rows, ids and windows as
  feeding the same values through ``pipeline.batch``.
* :func:`write_parquet`: the last Ray stage writes each block's output rows to its own part file
  (``part-<wave>-<block>.parquet``, named by position, so a re-run overwrites rather than duplicates);
  only the run's report comes back to the driver.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from junco.engine._block import Block
from junco.engine._report import RunReport


@dataclass(frozen=True)
class Piece:
    """One row group of one file: where its first row sits in the file and in the whole source."""

    file: str
    row_group: int
    offset: int  # position in the source
    first: int  # row number in the file
    rows: int


class ParquetSource:
    """Rows of Parquet files for :func:`run`/:func:`write_parquet` (read in parallel on Ray).

    Args:
        paths: files, directories (every ``*.parquet`` inside) or glob patterns; read in sorted order.
        columns: the file columns that feed the plan's input columns, in order; default: the plan's
            input column names.
    """

    def __init__(self, paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
                 columns: Sequence[str] | None = None):
        items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        files: list[str] = []
        for p in map(str, items):
            if os.path.isdir(p):
                files.extend(sorted(glob.glob(os.path.join(p, "*.parquet"))))
            elif any(ch in p for ch in "*?["):
                files.extend(sorted(glob.glob(p)))
            else:
                files.append(p)
        if not files:
            raise FileNotFoundError(f"no Parquet files in {paths!r}")
        self.files = files
        self.columns = tuple(columns) if columns else None
        self._pieces: list[Piece] | None = None

    def pieces(self) -> list[Piece]:
        """Row groups in order, from the files' footers (no data is read)."""
        if self._pieces is None:
            import pyarrow.parquet as pq

            out, pos = [], 0
            for f in self.files:
                meta = pq.ParquetFile(f).metadata
                first = 0
                for rg in range(meta.num_row_groups):
                    n = meta.row_group(rg).num_rows
                    out.append(Piece(f, rg, pos, first, n))
                    pos += n
                    first += n
            self._pieces = out
        return self._pieces

    @property
    def num_rows(self) -> int:
        return sum(p.rows for p in self.pieces())

    def blocks(self, input_columns: tuple[str, ...]) -> Iterator[Block]:
        """The same blocks, read on this process (for the local engine, or a plan that starts with a
        window)."""
        for piece in self.pieces():
            yield read_piece(piece, self.columns or input_columns, input_columns)


def read_parquet(paths: Any, *, columns: Sequence[str] | None = None) -> ParquetSource:
    """A Parquet source for :func:`run` and :func:`write_parquet`.

    Example:
        >>> from junco.engine.ray import read_parquet
        >>> src = read_parquet("images/*.parquet", columns=["path"])  # doctest: +SKIP
    """
    return ParquetSource(paths, columns=columns)


def read_piece(piece: Piece, file_columns: Sequence[str], input_columns: tuple[str, ...]) -> Block:
    """One row group as a block: ids ``"<file>:<row>"``, one window group per row (as ``pipe`` inputs)."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(piece.file).read_row_group(piece.row_group, columns=list(file_columns))
    if len(file_columns) != len(input_columns):
        raise ValueError(f"{len(file_columns)} Parquet columns {tuple(file_columns)} for the plan's "
                         f"{len(input_columns)} input columns {input_columns}")
    cols = {c: table.column(f).to_pylist() for c, f in zip(input_columns, file_columns)}
    name = os.path.basename(piece.file)
    ids = [f"{name}:{piece.first + i}" for i in range(piece.rows)]
    end = piece.offset + piece.rows
    return Block(ids, cols, range(piece.offset, end), end)


@dataclass(frozen=True)
class ParquetSink:
    """Where and what :func:`write_parquet` writes: a folder of part files."""

    path: str
    columns: tuple[str, ...]
    with_ids: bool = True

    def write(self, block: Block, name: str) -> int:
        """Write one block's rows to ``<path>/<name>.parquet``; returns the rows written."""
        if not len(block):
            return 0
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = {c: [_plain(v) for v in block.cols[c]] for c in self.columns}
        if self.with_ids:
            data = {"id": [str(i) for i in block.ids], **data}
        pq.write_table(pa.table(data), os.path.join(self.path, f"{name}.parquet"))
        return len(block)


def _plain(v: Any) -> Any:
    if hasattr(v, "tolist") and hasattr(v, "dtype"):
        return v.tolist()
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


def run(pipeline: Any, source: Any) -> Any:
    """Run ``pipeline`` on Ray over ``source`` (a :class:`ParquetSource` or any iterable of inputs);
    returns its output rows (one list, in order) with the report attached, like ``pipeline.stream``.

    Example:
        >>> from junco import pipeline
        >>> from junco.engine.ray import read_parquet, run
        >>> rows = run(pipeline("image-embedding"), read_parquet("paths.parquet"))  # doctest: +SKIP
    """
    from junco.pipeline._runnable import Results

    engine, report, blocks = _prepare(pipeline, source)
    rows: list[Any] = []
    for b in engine.execute(pipeline.plan, blocks, report):
        rows.extend(pipeline._rows(b))
    pipeline.report = report
    return Results(rows, report)


def write_parquet(pipeline: Any, source: Any, path: str | os.PathLike[str], *, with_ids: bool = True) -> RunReport:
    """Run ``pipeline`` on Ray over ``source`` and write its output columns (and row ids) to a folder of
    Parquet part files, written in parallel by the workers. Returns the run's report.

    Example:
        >>> from junco.engine.ray import read_parquet, write_parquet
        >>> write_parquet(p, read_parquet("in/"), "out/")  # doctest: +SKIP
    """
    Path(path).mkdir(parents=True, exist_ok=True)
    engine, report, blocks = _prepare(pipeline, source)
    sink = ParquetSink(str(Path(path).resolve()), pipeline.plan.output_columns, with_ids)
    for _ in engine.execute(pipeline.plan, blocks, report, sink=sink):
        pass
    pipeline.report = report
    return report


def _prepare(pipeline: Any, source: Any) -> tuple[Any, RunReport, Any]:
    from junco.engine import source_blocks
    from junco.engine.ray._engine import RayEngine

    engine = pipeline.engine if isinstance(pipeline.engine, RayEngine) else RayEngine(strict=pipeline.strict)
    report = RunReport()
    if isinstance(source, ParquetSource):
        return engine, report, source
    blocks = source_blocks(source, pipeline.plan.input_columns, block_size=engine.block_size, report=report)
    return engine, report, blocks
