"""The ``pipe`` builder: an immutable graph of nodes over named columns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from junco.plan import Node, NodeKind, Plan
from junco.plan._nodes import as_columns

Cols = str | tuple[str, ...] | list[str]


class Pipe:
    """A pipeline under construction; every method returns a new ``Pipe``.

    Example:
        >>> from junco import pipe
        >>> p = (pipe.input("x")
        ...          .map("x", "y", lambda x: x + 1)
        ...          .flat_map("y", "z", lambda y: range(y))
        ...          .filter("z", "z", "z", lambda z: z % 2 == 0)
        ...          .window("z", "zs", 2, 2, sum)
        ...          .output("x", "zs"))
        >>> p(3)
        [Row(x=3, zs=2)]
    """

    def __init__(self, node: Node):
        self._node = node

    @staticmethod
    def input(*columns: str) -> Pipe:
        """Start a pipe whose inputs are bound to ``columns``, in order."""
        cols = tuple(c for spec in columns for c in as_columns(spec))
        if not cols:
            raise ValueError("pipe.input() needs at least one column name")
        return Pipe(Node(NodeKind.INPUT, outputs=cols))

    def _add(self, kind: NodeKind, inputs: Cols | None, outputs: Cols | None, fn: Any,
             **params: Any) -> Pipe:
        if not callable(fn):  # None too: a step without an operator would fail on every row at run time
            raise TypeError(f"{kind.value}: the operator must be callable, got {type(fn).__name__}")
        params = {k: v for k, v in params.items() if v is not None}
        return Pipe(Node(kind, as_columns(inputs), as_columns(outputs), fn, (self._node,), params))

    def map(self, input: Cols, output: Cols, fn: Callable[..., Any], *, parallel: int | None = None,
            batch_size: int | None = None, cache: bool | None = None, name: str | None = None) -> Pipe:
        """One output per row: ``output = fn(*input)``.

        Args:
            parallel: threads for this node (for I/O-bound functions).
            batch_size: largest batch for an operator with a batched ``forward``.
            cache: keep outputs on disk keyed by input content + operator fingerprint.
        """
        return self._add(NodeKind.MAP, input, output, fn, parallel=parallel, batch_size=batch_size,
                         cache=cache, name=name)

    def flat_map(self, input: Cols, output: Cols, fn: Callable[..., Any], *, name: str | None = None) -> Pipe:
        """Each row becomes one row per item ``fn(*input)`` yields."""
        return self._add(NodeKind.FLAT_MAP, input, output, fn, name=name)

    def filter(self, input: Cols, output: Cols, filter_columns: Cols, fn: Callable[..., Any], *,
               name: str | None = None) -> Pipe:
        """Keep the rows where ``fn(*filter_columns)`` is true; ``input`` columns are copied to ``output``."""
        ins, outs = as_columns(input), as_columns(output)
        if len(ins) != len(outs):
            raise ValueError(f"filter copies input to output column by column: {ins} vs {outs}")
        return self._add(NodeKind.FILTER, ins, outs, fn, filter_columns=as_columns(filter_columns), name=name)

    def window(self, input: Cols, output: Cols, size: int, step: int, fn: Callable[..., Any], *,
               name: str | None = None) -> Pipe:
        """``fn(*lists)`` over windows of ``size`` rows every ``step`` rows (within one input)."""
        if int(size) < 1 or int(step) < 1:
            raise ValueError(f"window size and step must be >= 1, got size={size}, step={step}")
        return self._add(NodeKind.WINDOW, input, output, fn, size=int(size), step=int(step), name=name)

    def time_window(self, input: Cols, output: Cols, timestamp_col: str, size: float, step: float,
                    fn: Callable[..., Any], *, name: str | None = None) -> Pipe:
        """``fn(*lists)`` over windows ``[k*step, k*step+size)`` of ``timestamp_col``."""
        if size <= 0 or step <= 0:
            raise ValueError(f"time_window size and step must be > 0, got size={size}, step={step}")
        return self._add(NodeKind.TIME_WINDOW, input, output, fn, timestamp_col=timestamp_col, size=size,
                         step=step, name=name)

    def window_all(self, input: Cols, output: Cols, fn: Callable[..., Any], *, name: str | None = None) -> Pipe:
        """``fn(*lists)`` over every row of an input."""
        return self._add(NodeKind.WINDOW_ALL, input, output, fn, name=name)

    def concat(self, *pipes: Pipe) -> Pipe:
        """Join branches that forked from this pipe's input: their columns, row by row."""
        if not pipes:
            return self
        parents = (self._node,) + tuple(p._node for p in pipes)
        return Pipe(Node(NodeKind.CONCAT, parents=parents))

    def output(self, *columns: str, engine: Any = None, strict: bool = False) -> Any:
        """Close the pipe: the runnable :class:`~junco.pipeline.Pipeline` returning ``columns``."""
        from junco.pipeline._runnable import Pipeline

        cols = tuple(c for spec in columns for c in as_columns(spec))
        out = Node(NodeKind.OUTPUT, inputs=cols, parents=(self._node,))
        return Pipeline(Plan.from_output(out), engine=engine, strict=strict)


pipe = Pipe
