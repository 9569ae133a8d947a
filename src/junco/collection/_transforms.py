"""Row transforms: each adds one plan node (or, for head/shuffle/zip, starts a new plan stage)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from junco.collection._fns import IsFull, RowFn, Sample, SelectFrom, as_list, unbatch
from junco.collection._safe import SafeFilter, SafeFlatFn, SafeFn, SafeOperator
from junco.collection._sources import ColumnsSource, DerivedSource
from junco.operator import is_batched
from junco.plan import NodeKind
from junco.plan._nodes import as_columns


def _split(args: tuple[Any, ...], what: str) -> tuple[Any, Any, Callable[..., Any]]:
    if len(args) == 1:
        fn, ins, outs = args[0], None, None
    elif len(args) == 3:
        ins, outs, fn = args
    else:
        raise TypeError(f"{what}(fn) or {what}(input_columns, output_columns, fn); got {len(args)} arguments")
    if not callable(fn):
        raise TypeError(f"{what}: the function must be callable, got {type(fn).__name__}")
    return ins, outs, fn


class TransformsMixin:
    """map / filter / flat_map / windows / head / sample / shuffle / zip / select (mixed into DataCollection)."""

    _cols: tuple[str, ...]
    _value: bool
    _opts: Any
    _add: Any
    _derive: Any
    _need_cols: Any
    _node: Any
    _src: Any
    _of: Any

    def _wrap(self, fn: Any, kind: NodeKind) -> Any:
        """In safe mode, the node's function becomes its exception-safe form (otherwise: untouched)."""
        if not self._opts.safe:
            return fn
        if kind == NodeKind.FLAT_MAP:
            return SafeFlatFn(fn)
        return SafeOperator(fn) if is_batched(fn) else SafeFn(fn)

    def _columns_op(self, kind: NodeKind, ins: Any, outs: Any, fn: Any, what: str, **params: Any) -> Any:
        """The 3-argument form: read ``ins``, write ``outs``; the result is in column mode."""
        ins = self._need_cols(ins, what)
        outs = as_columns(outs)
        cols = self._cols + tuple(o for o in outs if o not in self._cols)
        return self._add(kind, ins, outs, self._wrap(fn, kind), cols=cols, value=False, **params)

    def _whole_row(self, kind: NodeKind, fn: Any, **params: Any) -> Any:
        """The 1-argument form: value mode maps the value in place; column mode passes a Row and
        returns to value mode (the results are the new values)."""
        if self._value:
            c = self._cols[0]
            return self._add(kind, c, c, self._wrap(fn, kind), **params)
        return self._add(kind, self._cols, "_", self._wrap(RowFn(fn, self._cols), kind), cols=("_",), value=True,
                         **params)

    def map(self, *args: Any, cache: bool | None = None, batch_size: int | None = None) -> Any:
        """One output per row.

        ``map(fn)``: ``fn(value)`` in value mode; in column mode ``fn(row)`` gets a :class:`Row` and the
        results become the values (value mode). ``map(in_cols, out_cols, fn)``: ``fn(*in_values)`` writes
        ``out_cols`` (a tuple for several), keeping the other fields (column mode, as ``pipe.map``).
        A failing row is dropped and reported in ``errors`` (see :meth:`exception_safe`).

        Args:
            *args: ``fn``, or ``in_cols, out_cols, fn``.
            cache: keep outputs on disk, keyed by input content + operator fingerprint.
            batch_size: largest batch for an operator with a batched ``forward``.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(3).map(lambda x: x * x).to_list()
            [0, 1, 4]
            >>> DataCollection.from_rows([{"a": 2}]).map("a", "b", lambda a: a + 1).to_list()
            [Row(a=2, b=3)]
        """
        ins, outs, fn = _split(args, "map")
        params = {"parallel": self._opts.parallel, "cache": cache, "batch_size": batch_size}
        if ins is None:
            return self._whole_row(NodeKind.MAP, fn, **params)
        return self._columns_op(NodeKind.MAP, ins, outs, fn, "map", **params)

    def flat_map(self, *args: Any) -> Any:
        """Each row becomes one row per item its function yields (ids ``parent#k``).

        Args:
            *args: ``fn`` (as :meth:`map`), or ``in_cols, out_cols, fn``.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection([[1, 2], [3]]).flat_map(lambda xs: xs).to_list()
            [1, 2, 3]
        """
        ins, outs, fn = _split(args, "flat_map")
        if ins is None:
            return self._whole_row(NodeKind.FLAT_MAP, fn)
        return self._columns_op(NodeKind.FLAT_MAP, ins, outs, fn, "flat_map")

    def filter(self, *args: Any) -> Any:
        """Keep the rows for which the predicate is true.

        Args:
            *args: ``fn`` (value mode: ``fn(value)``; column mode: ``fn(row)``), or ``columns, fn`` to call
                ``fn(*values of columns)``.

        Returns:
            A new collection (same mode and columns).

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(6).filter(lambda x: x % 2).to_list()
            [1, 3, 5]
        """
        if len(args) not in (1, 2):
            raise TypeError(f"filter(fn) or filter(columns, fn); got {len(args)} arguments")
        fn = args[-1]
        if not callable(fn):
            raise TypeError(f"filter: the predicate must be callable, got {type(fn).__name__}")
        if len(args) == 2:
            fcols = self._need_cols(args[0], "filter")
        else:
            fcols = self._cols
            if not self._value:
                fn = RowFn(fn, self._cols)
        if self._opts.empties:
            fn = SafeFilter(fn)
        return self._add(NodeKind.FILTER, fcols, fcols, fn, filter_columns=fcols)

    def batch(self, size: int) -> Any:
        """Group every ``size`` rows into one (the last may be shorter); the id is the first row's.

        Args:
            size: rows per batch.

        Returns:
            Value mode: list values. Column mode: each field holds the list of its values.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(5).batch(2).to_list()
            [[0, 1], [2, 3], [4]]
        """
        return self.window(size, size)

    def unbatch(self) -> Any:
        """Undo :meth:`batch`: every item of a list value (or of parallel list fields) becomes a row.

        Returns:
            A new collection; ids are ``batch_id#k``.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(5).batch(2).unbatch().to_list()
            [0, 1, 2, 3, 4]
        """
        return self._add(NodeKind.FLAT_MAP, self._cols, self._cols, unbatch, name="unbatch")

    def window(self, size: int, step: int | None = None, fn: Callable[..., Any] | None = None) -> Any:
        """Windows of ``size`` rows starting every ``step`` rows, over the whole stream; the last
        windows may be shorter.

        Args:
            size: rows per window.
            step: rows between window starts (default ``size``: no overlap).
            fn: value mode only: reduce each window's list to one value (e.g. ``sum``).

        Returns:
            Windows as lists (per field in column mode), or ``fn``'s results.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(5).window(3, 2).to_list()
            [[0, 1, 2], [2, 3, 4], [4]]
            >>> DataCollection.range(5).window(2, fn=sum).to_list()
            [1, 5, 4]
        """
        size, step = int(size), int(step or size)
        if size < 1 or step < 1:
            raise ValueError(f"window size and step must be >= 1, got size={size}, step={step}")
        dc = self._add(NodeKind.WINDOW, self._cols, self._cols, as_list, size=size, step=step,
                       name="window" if step != size else "batch")
        return dc._reduce(fn)

    def rolling(self, size: int, step: int = 1, *, drop_tail: bool = True,
                fn: Callable[..., Any] | None = None) -> Any:
        """Sliding windows: ``size`` rows starting at every ``step``-th row.

        Args:
            size: rows per window.
            step: rows between window starts.
            drop_tail: drop the shorter windows at the end of the stream.
            fn: value mode only: reduce each window's list to one value (e.g. a moving average).

        Returns:
            Windows as lists (per field in column mode), or ``fn``'s results.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(5).rolling(3).to_list()
            [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
        """
        dc = self._add(NodeKind.WINDOW, self._cols, self._cols, as_list, size=int(size), step=int(step),
                       name="rolling")
        if drop_tail:
            c = self._cols[:1]
            dc = dc._add(NodeKind.FILTER, c, c, IsFull(int(size)), filter_columns=c, name="drop_tail")
        return dc._reduce(fn)

    def _reduce(self, fn: Callable[..., Any] | None) -> Any:
        if fn is None:
            return self
        if not self._value:
            raise TypeError("a window function needs value mode; in column mode add .map(fn) after the window")
        return self.map(fn)

    def head(self, n: int) -> Any:
        """The first ``n`` rows; upstream work stops once they are out.

        Args:
            n: how many rows.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(10**9).map(str).head(2).to_list()
            ['0', '1']
        """
        if self._node.kind == NodeKind.INPUT and isinstance(self._src, ColumnsSource) and self._cols == self._src.columns:
            src = self._src
            part = ColumnsSource(src.ids[:n], {c: v[:n] for c, v in src.cols.items()}, f"{src.describe()}[:{n}]")
            return self._of(part, self._value, self._opts)
        return self._of(DerivedSource("head", (self,), self._cols, int(n)), self._value, self._opts)

    def sample(self, ratio: float, *, seed: int | None = None) -> Any:
        """Keep each row with probability ``ratio`` (the same rows at every run when ``seed`` is set).

        Args:
            ratio: probability in ``[0, 1]``.
            seed: random seed.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> len(DataCollection.range(1000).sample(0.1, seed=1).to_list()) in range(70, 130)
            True
        """
        c = self._cols[:1]
        return self._add(NodeKind.FILTER, c, c, Sample(float(ratio), seed), filter_columns=c, name="sample")

    def shuffle(self, seed: int | None = None) -> Any:
        """All rows in a random order (ids travel with their rows); reads the whole input first.

        Args:
            seed: random seed, for the same order at every run.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> sorted(DataCollection.range(5).shuffle(seed=0).to_list())
            [0, 1, 2, 3, 4]
        """
        return self._of(DerivedSource("shuffle", (self,), self._cols, seed), self._value, self._opts)

    def zip(self, *others: Any) -> Any:
        """Pair rows up position by position, stopping at the shortest; ids are this collection's.

        Args:
            *others: collections in the same mode (column mode: no shared field names).

        Returns:
            Value mode: tuple values. Column mode: rows with every field.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection(["a", "b"]).zip(DataCollection.range(5)).to_list()
            [('a', 0), ('b', 1)]
        """
        from dataclasses import replace

        ups = (self,) + others
        if not others or any(not isinstance(o, TransformsMixin) for o in others):
            raise TypeError("zip() takes one or more other DataCollections")
        if len({u._value for u in ups}) > 1:
            raise TypeError("zip() needs collections in the same mode (all value mode or all column mode)")
        cols: tuple[str, ...] = ("_",)
        if not self._value:
            cols = tuple(c for u in ups for c in u._cols)
            dup = sorted({c for c in cols if cols.count(c) > 1})
            if dup:
                raise ValueError(f"zip(): field(s) {dup} are in several collections; select or rename them first")
        opts = replace(self._opts, once=tuple(t for u in ups for t in u._opts.once))
        return self._of(DerivedSource("zip", ups, cols, self._value), self._value, opts)

    def select(self, *columns: str) -> Any:
        """Only these fields (column mode); ``dc["a", "b"]`` is the same, ``dc["a"]`` gives values.

        Args:
            *columns: field names.

        Returns:
            A column-mode collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.from_rows([{"a": 1, "b": 2}]).select("b").to_list()
            [Row(b=2)]
        """
        return self._derive(cols=self._need_cols(columns, "select"), value=False)

    def select_from(self, other: Any, *, column: str | None = None, output: str | None = None) -> Any:
        """Look ids up in ``other``: a row whose value is an id (or a list of ids) gets ``other``'s
        value(s) for them, e.g. search results' ids -> the data set's paths.

        Args:
            other: the collection to read; it runs once per run of this one.
            column: column mode: the field holding the ids.
            output: column mode: the field to write (default: ``column``).

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> names = DataCollection(["zero", "one", "two"])
            >>> DataCollection([[2, 0], [1]]).select_from(names).to_list()
            [['two', 'zero'], ['one']]
        """
        fn = SelectFrom(other)
        if self._value:
            c = self._cols[0]
            return self._add(NodeKind.MAP, c, c, self._wrap(fn, NodeKind.MAP), name="select_from")
        if column is None:
            raise TypeError("column mode: say which field holds the ids: select_from(other, column='ids')")
        return self._columns_op(NodeKind.MAP, column, output or column, fn, "select_from", name="select_from")
