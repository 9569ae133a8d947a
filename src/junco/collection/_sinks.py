"""Sinks: where a collection's rows go. Each runs the chain (once) and records the run's report."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any


class Text(str):
    """A string that shows as itself (no quotes, real line breaks) in a REPL or notebook."""

    def __repr__(self) -> str:
        return str(self)


def _plain(v: Any) -> Any:
    """A value Arrow can store: arrays -> lists, numpy scalars -> Python, Empty -> None."""
    from junco.collection._safe import Empty

    if isinstance(v, Empty):
        return None
    if hasattr(v, "tolist") and hasattr(v, "dtype"):
        return v.tolist()
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    return v


class SinksMixin:
    """to_list / items / ids / to_pandas / to_parquet / show / explain (mixed into DataCollection)."""

    _cols: tuple[str, ...]
    _value: bool
    _run: Any
    _rows: Any
    _src: Any
    _node: Any
    _opts: Any
    head: Any

    if TYPE_CHECKING:  # DataCollection's properties
        plan: Any = property()
        mode: Any = property()
        is_stream: Any = property()

    def to_list(self) -> list[Any]:
        """Run and return every row.

        Returns:
            Values (value mode) or :class:`Row` objects (column mode).

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(3).map(str).to_list()
            ['0', '1', '2']
        """
        out: list[Any] = []
        for b in self._run():
            out.extend(self._rows(b))
        return out

    def items(self) -> Iterator[tuple[Any, Any]]:
        """Run and yield ``(id, row)`` pairs: each row with the id its source gave it.

        Returns:
            An iterator of pairs.

        Example:
            >>> from junco import DataCollection
            >>> list(DataCollection(["a", "b", "c"]).filter(lambda s: s != "b").items())
            [(0, 'a'), (2, 'c')]
        """
        for b in self._run():
            yield from zip(b.ids, self._rows(b))

    def pairs(self) -> Any:
        """A lazy, re-iterable view of ``(id, row)`` pairs, e.g. ``data=`` for an operator that takes an
        iterable of ``(id, vector)`` pairs.

        Returns:
            A :class:`~junco.collection.Pairs` view (each iteration runs the chain).

        Example:
            >>> from junco import DataCollection
            >>> view = DataCollection(["a", "b"]).pairs()
            >>> list(view), list(view)
            ([(0, 'a'), (1, 'b')], [(0, 'a'), (1, 'b')])
        """
        from junco.collection._dispatch import Pairs

        return Pairs(self)

    def ids(self) -> list[Any]:
        """Run and return the rows' ids (positions, paths, row numbers; ``parent#k`` after flat_map).

        Returns:
            A list of ids.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(4).filter(lambda x: x > 1).ids()
            [2, 3]
        """
        out: list[Any] = []
        for b in self._run():
            out.extend(b.ids)
        return out

    def _names(self) -> list[str]:
        return ["value" if c == "_" else c for c in self._cols]

    def to_pandas(self) -> Any:
        """Run and return a pandas DataFrame: one column per field (``value`` in value mode), indexed by id.

        Returns:
            A ``pandas.DataFrame``.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection(["a", "b"]).to_pandas()["value"].tolist()
            ['a', 'b']
        """
        from junco.collection._readers import _need

        pd = _need("pandas", "io")
        ids: list[Any] = []
        cols: dict[str, list[Any]] = {c: [] for c in self._cols}
        for b in self._run():
            ids.extend(b.ids)
            for c in self._cols:
                cols[c].extend(b.cols[c])
        data = {n: cols[c] for n, c in zip(self._names(), self._cols)}
        return pd.DataFrame(data, index=pd.Index(ids, name="id"))

    def to_parquet(self, path: str | os.PathLike[str], *, with_ids: bool = False) -> Path:
        """Run and write the rows to a Parquet file, block by block (bounded memory).

        Args:
            path: the file to write.
            with_ids: add an ``id`` column with the rows' ids.

        Returns:
            The path written.

        Example:
            >>> import tempfile, pathlib
            >>> from junco import DataCollection
            >>> p = DataCollection.range(3).to_parquet(pathlib.Path(tempfile.mkdtemp()) / "r.parquet")
            >>> DataCollection.read_parquet(p)["value"].to_list()
            [0, 1, 2]
        """
        from junco.collection._readers import _need

        pa = _need("pyarrow", "io")
        pq = _need("pyarrow.parquet", "io")
        path = Path(path)
        names = (["id"] if with_ids else []) + self._names()
        writer = None
        try:
            for b in self._run():
                data = {n: [_plain(v) for v in b.cols[c]] for n, c in zip(self._names(), self._cols)}
                if with_ids:
                    data = {"id": [_plain(i) for i in b.ids], **data}
                if writer is None:
                    table = pa.table(data)
                    writer = pq.ParquetWriter(str(path), table.schema)
                else:
                    table = pa.Table.from_pydict(data, schema=writer.schema)
                writer.write_table(table)
            if writer is None:  # no rows: still a valid (empty) file
                pq.write_table(pa.table({n: pa.array([], pa.null()) for n in names}), str(path))
        finally:
            if writer is not None:
                writer.close()
        return path

    def show(self, limit: int = 5) -> None:
        """Display the first ``limit`` rows: an HTML table in a notebook (image thumbnails, vector
        summaries), a plain table in a terminal. Runs only as much of the chain as those rows need.

        Args:
            limit: how many rows.

        Returns:
            None.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(3).show(2)  # doctest: +SKIP
        """
        from junco.collection import _show

        ids, rows, more = self._peek(limit)
        if _show.in_notebook():
            _show.display_html(_show.html_table(self._names(), ids, rows, more))
        else:
            _show.print_table(self._names(), ids, rows, more)

    def to_html(self, limit: int = 5) -> str:
        """The HTML table :meth:`show` displays in a notebook.

        Args:
            limit: how many rows.

        Returns:
            An HTML string.

        Example:
            >>> from junco import DataCollection
            >>> "<table" in DataCollection.range(3).to_html(2)
            True
        """
        from junco.collection import _show

        ids, rows, more = self._peek(limit)
        return _show.html_table(self._names(), ids, rows, more)

    def _peek(self, limit: int) -> tuple[list[Any], list[tuple[Any, ...]], bool]:
        dc: Any = self.head(limit + 1)
        ids: list[Any] = []
        rows: list[tuple[Any, ...]] = []
        for b in dc._run():
            ids.extend(b.ids)
            rows.extend(zip(*(b.cols[c] for c in self._cols)))
        self._report = dc._report
        return ids[:limit], rows[:limit], len(rows) > limit

    def _repr_html_(self) -> str:
        """Notebook display: the rows of an in-memory collection, the plan of a lazy one (no run)."""
        import html

        if getattr(self, "_in_memory", False):
            return self.to_html(10)
        return f"<pre>{html.escape(self.explain())}</pre>"

    def explain(self) -> Text:
        """The chain as plan stages: source, nodes, engine (nothing runs).

        Returns:
            The description (a ``str``; it prints as is in a REPL).

        Example:
            >>> from junco import DataCollection
            >>> print(DataCollection.range(10).map(str).explain())  # doctest: +ELLIPSIS
            DataCollection (value mode, lazy) on local
              source: range(10)
              Plan (1 steps, windows per stream)
            ...
        """
        engine = self._opts.engine
        name = getattr(engine, "name", type(engine).__name__) if engine is not None else "local"
        kind = "stream" if self.is_stream else "lazy"
        flags = "".join([", exception-safe" if self._opts.safe else "",
                         f", parallel={self._opts.parallel}" if self._opts.parallel else ""])
        lines = [f"DataCollection ({self.mode} mode, {kind}{flags}) on {name}"]
        lines.extend("  " + line for line in _source_lines(self._src))
        lines.extend("  " + line for line in self.plan.explain().splitlines())
        return Text("\n".join(lines))


def _source_lines(src: Any) -> list[str]:
    ups = getattr(src, "ups", ())
    lines = [f"source: {src.describe()}"]
    for i, up in enumerate(ups):
        lines.append(f"  input {i + 1} of {src.describe()}:" if len(ups) > 1 else "  of:")
        lines.extend("    " + line for line in up.explain().splitlines())
    return lines
