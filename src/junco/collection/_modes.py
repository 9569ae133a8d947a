"""How a collection runs: stream vs materialized, exception safety, parallelism, the engine."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from junco.collection._safe import FillEmpty, drop_empty
from junco.collection._sources import ColumnsSource
from junco.plan import NodeKind


class ModesMixin:
    """stream / unstream / exception_safe / fill_empty / drop_empty / set_parallel / set_engine."""

    _cols: tuple[str, ...]
    _value: bool
    _opts: Any
    _add: Any
    _derive: Any
    _run: Any
    _of: Any

    if TYPE_CHECKING:  # DataCollection's property
        _in_memory: Any = property()
    _report: Any

    def unstream(self) -> Any:
        """Run now and keep the rows in memory: reusable, ``len(dc)``, ``dc[i]``, ``dc[a:b]``.

        Returns:
            A collection over the materialized rows (ids kept); its ``report`` is this run's.

        Example:
            >>> from junco import DataCollection
            >>> dc = DataCollection(x * x for x in range(4)).unstream()
            >>> len(dc), dc[2], dc.to_list() == dc.to_list()
            (4, 4, True)
        """
        if self._in_memory:
            return self
        ids: list[Any] = []
        cols: dict[str, list[Any]] = {c: [] for c in self._cols}
        for b in self._run():
            ids.extend(b.ids)
            for c in self._cols:
                cols[c].extend(b.cols[c])
        new = self._of(ColumnsSource(ids, cols, f"{len(ids)} materialized rows", origin=self), self._value,
                       replace(self._opts, once=()))
        new._report = self._report
        return new

    def stream(self) -> Any:
        """The same rows as a lazy single-pass stream: reading them a second time raises
        :class:`StreamConsumedError`; ``len``/``[i]`` need :meth:`unstream`.

        Returns:
            A stream collection (memory stays bounded whatever the input's length).

        Example:
            >>> from junco import DataCollection
            >>> s = DataCollection.range(3).stream()
            >>> s.to_list(), s.is_stream
            ([0, 1, 2], True)
        """
        if self._opts.once:
            return self
        from junco.collection._collection import _Once

        return self._derive(opts=replace(self._opts, once=(_Once(),)))

    def exception_safe(self, enabled: bool = True) -> Any:
        """From here on, a failing map keeps its row with an :class:`Empty` value instead of dropping it.

        An ``Empty`` passes through later maps untouched; :meth:`drop_empty` drops such rows (reporting
        each under its id), :meth:`fill_empty` replaces them. ``Empty`` values that reach a sink are
        reported in ``errors`` too.

        Args:
            enabled: ``False`` turns safe mode off again.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection([1, 0, 2]).safe().map(lambda x: 2 // x).fill_empty(-1).to_list()
            [2, -1, 1]
        """
        return self._derive(opts=replace(self._opts, safe=bool(enabled)))

    def safe(self, enabled: bool = True) -> Any:
        """Alias of :meth:`exception_safe`.

        Args:
            enabled: ``False`` turns safe mode off again.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection([0]).safe().map(lambda x: 1 / x).drop_empty().to_list()
            []
        """
        return self.exception_safe(enabled)

    def fill_empty(self, default: Any = None) -> Any:
        """Replace :class:`Empty` values (from failed rows in safe mode) by ``default``.

        Args:
            default: the value to put in their place.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection(["1", "x"]).safe().map(int).fill_empty(0).to_list()
            [1, 0]
        """
        return self._add(NodeKind.MAP, self._cols, self._cols, FillEmpty(default, len(self._cols)),
                         name="fill_empty")

    def drop_empty(self) -> Any:
        """Drop rows holding an :class:`Empty` value; each is reported in ``errors`` under its id.

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> dc = DataCollection(["1", "x"]).safe().map(int).drop_empty()
            >>> dc.to_list(), [e.row_id for e in dc.errors]
            ([1], [1])
        """
        return self._add(NodeKind.FILTER, self._cols, self._cols, drop_empty, filter_columns=self._cols,
                         name="drop_empty")

    def set_parallel(self, n: int) -> Any:
        """Run later maps (and operators' per-row preprocessing) on ``n`` threads; order is kept.

        Args:
            n: threads per node (``1``: none).

        Returns:
            A new collection.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(4).set_parallel(3).map(lambda x: x + 1).to_list()
            [1, 2, 3, 4]
        """
        if int(n) < 1:
            raise ValueError(f"set_parallel needs n >= 1, got {n}")
        return self._derive(opts=replace(self._opts, parallel=int(n)))

    def set_engine(self, engine: Any = "local", **kwargs: Any) -> Any:
        """Run this chain (and what is built on it) on another engine.

        Args:
            engine: ``"local"``, ``"ray"`` or an engine object.
            **kwargs: the engine's options (``block_size``, ``workers``, ...).

        Returns:
            A new collection with the same plan.

        Example:
            >>> from junco import DataCollection
            >>> DataCollection.range(3).set_engine("local", block_size=2).map(str).to_list()
            ['0', '1', '2']
        """
        from junco.pipeline import make_engine

        try:
            eng = make_engine(engine, **kwargs)
        except ImportError as e:
            missing = e.name if isinstance(e, ModuleNotFoundError) else None
            if missing and not missing.startswith("junco"):
                raise ImportError(f"the {engine!r} engine needs {missing}: pip install \"junco[{engine}]\"") from e
            raise ImportError(f"the {engine!r} engine is not available in this junco installation ({e}); "
                              "use set_engine('local')") from e
        return self._derive(opts=replace(self._opts, engine=eng))

    def _apply_op(self, op: Any, cols: tuple[Any, Any] | None, label: str) -> Any:
        """Map a registry operator over the rows (attribute dispatch lands here)."""
        if cols is None:
            if not self._value:
                raise TypeError(f"column mode: say which fields {label} reads and writes, e.g. "
                                f"dc.{label}['path', 'img'](...)")
            c = self._cols[0]
            return self._add(NodeKind.MAP, c, c, self._wrap(op, NodeKind.MAP), parallel=self._opts.parallel)  # type: ignore[attr-defined]
        ins, outs = cols
        return self._columns_op(NodeKind.MAP, ins, outs, op, label,  # type: ignore[attr-defined]
                                parallel=self._opts.parallel)

