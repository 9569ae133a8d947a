"""Where a collection's rows come from. A source cuts its rows into ungrouped blocks for the engine
(the whole stream is one window group) and gives every row a stable id."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from junco.engine import Block, RunReport, source_blocks


class Source:
    """Base class. ``columns``: what the rows hold; ``length``: row count when known without a run."""

    columns: tuple[str, ...] = ("_",)
    length: int | None = None
    reusable = True

    def blocks(self, block_size: int, report: RunReport | None) -> Iterator[Block]:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__


def column_blocks(ids: Sequence[Any], cols: Mapping[str, Sequence[Any]], block_size: int,
                  report: RunReport | None) -> Iterator[Block]:
    """Blocks sliced straight from column lists (no per-row tuples: the fast path)."""
    n = len(ids)
    for a in range(0, n, block_size):
        b = min(a + block_size, n)
        if report is not None:
            report.rows_in += b - a
        yield Block(list(ids[a:b]), {c: list(v[a:b]) for c, v in cols.items()}, None, b)


class ColumnsSource(Source):
    """Rows held in memory as columns: ``range``, lists, materialized collections, data frames."""

    def __init__(self, ids: Sequence[Any] | None, cols: Mapping[str, Sequence[Any]], label: str, *,
                 origin: Any = None):
        self.origin = origin  # the collection these rows were materialized from (lineage, fingerprints)
        self.cols = cols
        self.columns = tuple(cols)
        n = len(next(iter(cols.values()))) if cols else 0
        self.ids: Sequence[Any] = range(n) if ids is None else ids
        self.length = n
        self.label = label

    def blocks(self, block_size: int, report: RunReport | None) -> Iterator[Block]:
        return column_blocks(self.ids, self.cols, block_size, report)

    def describe(self) -> str:
        return self.label


class IterSource(Source):
    """Rows made by ``make()`` at each run: ``(id, row_tuple)`` pairs when ``pairs``; else row tuples
    (``tuples``, or several columns) or bare values, with positions as ids. A one-shot iterator is not
    reusable."""

    def __init__(self, make: Callable[[], Iterable[Any]], columns: tuple[str, ...], label: str, *,
                 pairs: bool = False, tuples: bool = False, reusable: bool = True, length: int | None = None):
        self.make = make
        self.columns = columns
        self.label = label
        self.pairs = pairs
        self.tuples = tuples  # rows are tuples even with one column (file readers)
        self.reusable = reusable
        self.length = length

    def blocks(self, block_size: int, report: RunReport | None) -> Iterator[Block]:
        if self.pairs:
            return _pair_blocks(iter(self.make()), self.columns, block_size, report)
        rows = self.make()
        if self.tuples and len(self.columns) == 1:
            rows = (t[0] for t in rows)
        return source_blocks(rows, self.columns, block_size=block_size, grouped=False, report=report)

    def describe(self) -> str:
        return self.label


def _pair_blocks(it: Iterator[tuple[Any, tuple[Any, ...]]], columns: tuple[str, ...], block_size: int,
                 report: RunReport | None) -> Iterator[Block]:
    pos = 0
    while True:
        chunk = list(islice(it, block_size))
        if not chunk:
            return
        pos += len(chunk)
        if report is not None:
            report.rows_in += len(chunk)
        ids = [p[0] for p in chunk]
        cols = {c: [p[1][j] for p in chunk] for j, c in enumerate(columns)}
        yield Block(ids, cols, None, pos)


def iterable_source(data: Iterable[Any], label: str = "") -> Source:
    """Value-mode rows over any iterable: in memory for sequences, a single-pass stream for iterators."""
    if isinstance(data, range):
        return ColumnsSource(None, {"_": data}, label or repr(data))
    if isinstance(data, list | tuple):
        return ColumnsSource(None, {"_": data}, label or f"list of {len(data)}")
    if iter(data) is data:  # an iterator or generator: one pass only
        return IterSource(lambda: data, ("_",), label or f"stream {type(data).__name__}", reusable=False)
    n = len(data) if isinstance(data, set | frozenset | dict | str | bytes) else None  # cheap lengths only
    return IterSource(lambda: data, ("_",), label or f"iterable {type(data).__name__}", length=n)


class DerivedSource(Source):
    """Rows from running other collections: ``head``, ``shuffle`` and ``zip`` start a new plan here.

    Each of these needs more than one row at a time (or two streams), which plan nodes do not express;
    the collections upstream run on the same engine and feed this plan's input.
    """

    def __init__(self, kind: str, ups: tuple[Any, ...], columns: tuple[str, ...], arg: Any = None):
        self.kind = kind
        self.ups = ups
        self.columns = columns
        self.arg = arg
        self.reusable = True

    def describe(self) -> str:
        return {"head": f"head({self.arg})", "shuffle": f"shuffle(seed={self.arg!r})",
                "zip": f"zip of {len(self.ups)}"}[self.kind]

    def blocks(self, block_size: int, report: RunReport | None) -> Iterator[Block]:
        if self.kind == "zip":
            return self._zip(block_size, report)
        if self.kind == "shuffle":
            return self._shuffle(block_size, report)
        return self._head(report)

    def _rename(self, up: Any, b: Block, n: int | None = None) -> dict[str, list[Any]]:
        return {new: b.cols[old][:n] if n is not None else b.cols[old] for new, old in zip(self.columns, up.columns)}

    def _head(self, report: RunReport | None) -> Iterator[Block]:
        up, left, pos = self.ups[0], int(self.arg), 0
        if left <= 0:
            return
        gen = up._engine_blocks(report)
        try:
            for b in gen:
                n = min(len(b), left)
                pos += n
                yield Block(b.ids[:n], self._rename(up, b, n), None, pos)
                left -= n
                if left <= 0:
                    return
        finally:
            gen.close()  # stops the upstream run (and its threads) early

    def _shuffle(self, block_size: int, report: RunReport | None) -> Iterator[Block]:
        up = self.ups[0]
        ids: list[Any] = []
        cols: dict[str, list[Any]] = {c: [] for c in self.columns}
        for b in up._engine_blocks(report):
            ids.extend(b.ids)
            for c, vals in self._rename(up, b).items():
                cols[c].extend(vals)
        order = list(range(len(ids)))
        random.Random(self.arg).shuffle(order)
        yield from column_blocks([ids[i] for i in order], {c: [v[i] for i in order] for c, v in cols.items()},
                                 block_size, None)

    def _zip(self, block_size: int, report: RunReport | None) -> Iterator[Block]:
        gens = [up._engine_blocks(report) for up in self.ups]
        streams = [_pairs(up, g) for up, g in zip(self.ups, gens)]
        value = bool(self.arg)  # value mode: each row becomes one tuple
        try:
            zipped = (_merge(ps, value) for ps in zip(*streams))
            yield from _pair_blocks(zipped, self.columns, block_size, None)
        finally:
            for g in gens:
                g.close()


def _pairs(up: Any, gen: Iterator[Block]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    cols = up.columns
    for b in gen:
        yield from zip(b.ids, zip(*(b.cols[c] for c in cols)))


def _merge(ps: tuple[tuple[Any, tuple[Any, ...]], ...], value: bool) -> tuple[Any, tuple[Any, ...]]:
    """One zipped row: the first collection's id; one tuple value (value mode) or all fields."""
    if value:
        return ps[0][0], (tuple(p[1][0] for p in ps),)
    return ps[0][0], tuple(v for p in ps for v in p[1])
