"""DataCollection: an immutable, lazy chain of steps that compiles to a plan and runs on an engine."""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from junco.collection._constructors import SourcesMixin
from junco.collection._index_sinks import IndexSinksMixin
from junco.collection._modes import ModesMixin
from junco.collection._row import Row
from junco.collection._safe import Empty, SafeFn, SafeOperator
from junco.collection._sinks import SinksMixin
from junco.collection._sources import ColumnsSource, Source, iterable_source
from junco.collection._transforms import TransformsMixin
from junco.engine import Block, ErrorRecord, LocalEngine, RunReport
from junco.plan import Node, NodeKind, Plan
from junco.plan._nodes import as_columns


class StreamConsumedError(RuntimeError):
    """A stream (single-pass collection) was asked for its rows a second time."""


class _Once:
    """Shared by a stream and everything built on it: the rows can be read once."""

    __slots__ = ("used",)

    def __init__(self) -> None:
        self.used = False

    def take(self) -> None:
        if self.used:
            raise StreamConsumedError(
                "this DataCollection is a stream (single pass) and its rows were already read; call "
                ".unstream() on it before the first pass to keep the rows and reuse them")
        self.used = True


@dataclass(frozen=True)
class Options:
    """Settings a collection hands to the collections built from it."""

    engine: Any = None  # an engine object; None: a LocalEngine per run
    parallel: int | None = None  # ``parallel`` of later map nodes (set_parallel)
    safe: bool = False  # later maps turn failures into Empty values (exception_safe)
    empties: bool = False  # some node upstream is exception-safe: report Empty values at the sink
    once: tuple[_Once, ...] = ()  # non-empty for streams


class DataCollection(SourcesMixin, TransformsMixin, ModesMixin, SinksMixin, IndexSinksMixin):
    """A data set as a lazy chain of steps: build it in one readable chain, run it on any engine.

    Every method returns a new collection wrapping a new plan node; nothing runs until a sink
    (``to_list``, iteration, ``show``, ``to_pandas``, ``to_parquet``, ``unstream``, ``len``, ``[i]``).
    The chain compiles to the same :class:`~junco.plan.Plan` as ``pipe`` (with one window group for the
    whole stream) and runs on the same engines. Rows are plain values (*value mode*, one column named
    ``"_"``) or :class:`Row` objects with named fields (*column mode*). Every row keeps the id its source
    gave it (position, path, row number), and a failing row is reported under that id in ``dc.errors``.

    Args:
        data: any iterable. A list, tuple or range is held in memory (reusable, indexable); an iterator
            or generator makes a single-pass stream.

    Returns:
        A value-mode collection.

    Example:
        >>> from junco import DataCollection
        >>> DataCollection([1, 2, 3]).map(lambda x: x * 10).to_list()
        [10, 20, 30]
    """

    _src: Source
    _node: Node
    _cols: tuple[str, ...]
    _value: bool
    _opts: Options

    def __init__(self, data: Iterable[Any] = ()) -> None:
        src = iterable_source(data)
        self._setup(src, None, None, True, Options(once=() if src.reusable else (_Once(),)))

    def _setup(self, src: Source, node: Node | None, cols: tuple[str, ...] | None, value: bool,
               opts: Options) -> None:
        self._src = src
        self._node = node or Node(NodeKind.INPUT, outputs=src.columns)
        self._cols = cols or src.columns
        self._value = value
        self._opts = opts
        self._plan: Plan | None = None
        self._report: RunReport | None = None
        self._memo: DataCollection | None = None

    @classmethod
    def _of(cls, src: Source, value: bool, opts: Options | None = None) -> DataCollection:
        obj = cls.__new__(cls)
        once = () if src.reusable else (_Once(),)
        obj._setup(src, None, None, value, opts or Options(once=once))
        return obj

    def _derive(self, *, node: Node | None = None, cols: tuple[str, ...] | None = None,
                value: bool | None = None, opts: Options | None = None) -> DataCollection:
        obj = type(self).__new__(type(self))
        obj._setup(self._src, node or self._node, cols or self._cols, self._value if value is None else value,
                   opts or self._opts)
        return obj

    def _add(self, kind: NodeKind, inputs: Any, outputs: Any, fn: Any, *, cols: tuple[str, ...] | None = None,
             value: bool | None = None, **params: Any) -> DataCollection:
        """A new collection whose plan ends with one more node (validated now, at build time)."""
        params = {k: v for k, v in params.items() if v is not None}
        node = Node(kind, as_columns(inputs), as_columns(outputs), fn, (self._node,), params)
        opts = self._opts
        if isinstance(fn, SafeFn | SafeOperator):
            fn.node = node.name
            opts = replace(opts, empties=True)
        new = self._derive(node=node, cols=cols, value=value, opts=opts)
        new.plan  # noqa: B018 - raises PlanError now rather than at run time
        return new

    def _need_cols(self, cols: Iterable[str], what: str) -> tuple[str, ...]:
        cols = as_columns(tuple(cols) if not isinstance(cols, str) else cols)
        missing = [c for c in cols if c not in self._cols]
        if missing:
            raise KeyError(f"{what}: no column(s) {missing}; this collection has {list(self._cols)}")
        return cols

    # -- state --------------------------------------------------------------------------------------
    @property
    def plan(self) -> Plan:
        """The plan of this collection's last stage (the one ``pipe`` would build), validated."""
        if self._plan is None:
            # uid -1: node uids come from a per-process counter, so an output node made in another
            # process (a Ray worker running select_from's collection) could reuse an upstream node's uid
            out = Node(NodeKind.OUTPUT, inputs=self._cols, parents=(self._node,), uid=-1)
            self._plan = Plan.from_output(out, window_scope="stream")
        return self._plan

    @property
    def columns(self) -> tuple[str, ...]:
        """The visible columns (value mode: the one value column, ``("_",)`` unless selected by name)."""
        return self._cols

    @property
    def mode(self) -> str:
        """``"value"`` (each row is one value) or ``"columns"`` (rows with named fields)."""
        return "value" if self._value else "columns"

    @property
    def is_stream(self) -> bool:
        """True for a single-pass collection (from an iterator, or after :meth:`stream`)."""
        return bool(self._opts.once)

    @property
    def report(self) -> RunReport | None:
        """The :class:`~junco.engine.RunReport` of this collection's last run (``None`` before one)."""
        return self._report

    @property
    def errors(self) -> list[ErrorRecord]:
        """The failed rows of the last run: ``(row_id, node, exc_type, message)`` records."""
        return list(self._report.errors) if self._report is not None else []

    @property
    def _in_memory(self) -> bool:
        return (isinstance(self._src, ColumnsSource) and self._node.kind == NodeKind.INPUT
                and self._cols == self._src.columns and not self._opts.once)

    # -- running ------------------------------------------------------------------------------------
    def _engine(self) -> Any:
        return self._opts.engine if self._opts.engine is not None else LocalEngine()

    def _engine_blocks(self, report: RunReport | None) -> Generator[Block, None, None]:
        """Run this stage's plan over its source (upstream stages run inside the source)."""
        engine = self._engine()
        blocks = self._src.blocks(getattr(engine, "block_size", 256), report)
        if not self.plan.steps:
            yield from blocks
            return
        gen = engine.execute(self.plan, blocks, report if report is not None else RunReport(),
                             total=self._src.length)
        try:
            yield from gen
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                close()

    def _run(self) -> Generator[Block, None, None]:
        """One run from a sink: a fresh report (kept as ``self.report``), stream checks, Empty records."""
        for token in self._opts.once:
            token.take()
        report = self._report = RunReport()
        t0 = time.perf_counter()
        n = 0
        gen = self._engine_blocks(report)
        try:
            for b in gen:
                n += len(b)
                if self._opts.empties:
                    _record_empties(b, self._cols, report)
                yield b
        finally:
            gen.close()
            report.rows_out = n
            report.wall_seconds = time.perf_counter() - t0

    def _rows(self, b: Block) -> list[Any]:
        if self._value:
            return b.cols[self._cols[0]]
        cols = self._cols
        return [Row(zip(cols, vals)) for vals in zip(*(b.cols[c] for c in cols))]

    def _materialized(self) -> DataCollection:
        """Self when in memory; else the rows of one run, kept for later ``len``/``[i]``."""
        if self._in_memory:
            return self
        if self.is_stream:
            raise TypeError("a stream has no len() or [i]; call .unstream() first to keep its rows")
        if self._memo is None:
            self._memo = self.unstream()
        return self._memo

    # -- Python protocols ---------------------------------------------------------------------------
    def __iter__(self) -> Iterator[Any]:
        """Run and yield the rows: values (value mode) or :class:`Row` objects (column mode)."""
        for b in self._run():
            yield from self._rows(b)

    def __len__(self) -> int:
        m = self._materialized()
        return int(m._src.length or 0)

    def __getitem__(self, key: Any) -> Any:
        """``dc[i]``/``dc[a:b]``: rows (materializing a lazy collection once); ``dc["col"]``: that column as
        values; ``dc["a", "b"]``: those columns (column mode)."""
        if isinstance(key, str):
            return self.select(key)._derive(value=True)
        if isinstance(key, tuple | list) and all(isinstance(k, str) for k in key):
            return self.select(*key)
        m = self._materialized()
        src = m._src
        assert isinstance(src, ColumnsSource)
        if isinstance(key, slice):
            part = ColumnsSource(src.ids[key], {c: v[key] for c, v in src.cols.items()},
                                 f"{src.describe()}[{key.start}:{key.stop}:{key.step}]")
            return type(self)._of(part, self._value, replace(self._opts, once=()))
        i = int(key)
        if self._value:
            return src.cols[self._cols[0]][i]
        return Row((c, src.cols[c][i]) for c in self._cols)

    def __getattr__(self, name: str) -> Any:
        """``dc.<namespace>.<operator>(...)``: map a registered operator over the rows."""
        if name.startswith("_"):
            raise AttributeError(name)
        from junco.collection._dispatch import namespace

        return namespace(self, name)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the chain, not the last run (engines such as Ray ship operators holding collections)."""
        state = dict(self.__dict__)
        state.update(_plan=None, _report=None, _memo=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __dir__(self) -> list[str]:
        from junco.collection._dispatch import namespaces

        return sorted(set(super().__dir__()) | set(namespaces()))

    def __repr__(self) -> str:
        where = (f"{self._src.length} rows in memory" if self._in_memory else
                 "stream" if self.is_stream else f"lazy, {len(self.plan.steps)} steps")
        cols = "" if self._value else f" {list(self._cols)}"
        return f"<DataCollection {self.mode} mode{cols}, {where}, from {self._src.describe()}>"


def _record_empties(b: Block, cols: tuple[str, ...], report: RunReport) -> None:
    """Report each Empty reaching the output once per row (it may sit in several columns)."""
    for i, vals in enumerate(zip(*(b.cols[c] for c in cols))):
        seen: set[int] = set()
        for v in vals:
            if isinstance(v, Empty) and id(v) not in seen:
                seen.add(id(v))
                report.add_error(ErrorRecord(b.ids[i], v.node, v.exc_type, v.message))
