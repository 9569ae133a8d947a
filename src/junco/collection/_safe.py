"""Exception-safe nodes: a failing row keeps its place with an :class:`Empty` value.

Without ``exception_safe()`` a failing row is dropped and reported (the engine's rule). In safe mode
the row stays, its value becomes ``Empty`` (which remembers the node and the error), later safe nodes
pass it through untouched, and ``drop_empty()`` / ``fill_empty(v)`` decide its fate. These wrappers
exist only in safe mode; ordinary nodes run the user's function bare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from junco.operator import Operator, op_name


class Empty:
    """The value of a row whose operator failed in safe mode; falsy.

    Args:
        node: the plan node that failed.
        error: the exception it raised.

    Returns:
        A marker object; ``str(e)`` reads ``"Empty(ZeroDivisionError: division by zero)"``.

    Example:
        >>> from junco import DataCollection
        >>> DataCollection([1, 0]).exception_safe().map(lambda x: 1 / x).to_list()
        [1.0, Empty(ZeroDivisionError: division by zero)]
    """

    __slots__ = ("node", "error")

    def __init__(self, node: str, error: BaseException):
        self.node = node
        self.error = error

    @property
    def exc_type(self) -> str:
        return type(self.error).__name__

    @property
    def message(self) -> str:
        return str(self.error) or repr(self.error)

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"Empty({self.exc_type}: {self.message})"

    __str__ = __repr__


def _first_empty(args: tuple[Any, ...]) -> Empty | None:
    for a in args:
        if isinstance(a, Empty):
            return a
    return None


class SafeFn:
    """``fn(*args)``, or an :class:`Empty` when it raises or when an input already is one."""

    def __init__(self, fn: Any):
        self.fn = fn
        self.node = op_name(fn)  # replaced by the node's name once the node exists
        # named like the function, but no __junco_spec__: engines would rebuild the bare operator from it
        self.__qualname__ = op_name(fn)

    def setup(self) -> None:
        setup = getattr(self.fn, "setup", None)
        if callable(setup):
            setup()

    def __call__(self, *args: Any) -> Any:
        e = _first_empty(args)
        if e is not None:
            return e
        try:
            return self.fn(*args)
        except Exception as exc:
            return Empty(self.node, exc)


class SafeFlatFn(SafeFn):
    """flat_map in safe mode: a failing row yields one ``Empty`` child."""

    def __call__(self, *args: Any) -> Any:
        e = _first_empty(args)
        if e is not None:
            return [e]
        try:
            return list(self.fn(*args))
        except Exception as exc:
            return [Empty(self.node, exc)]


class SafeFilter(SafeFn):
    """filter in safe mode: rows holding an ``Empty`` are kept for ``drop_empty``/``fill_empty``."""

    def __call__(self, *args: Any) -> Any:
        if _first_empty(args) is not None:
            return True
        return self.fn(*args)


class SafeOperator(Operator):
    """A batched operator in safe mode: failures in preprocess or forward become ``Empty`` rows."""

    def __init__(self, op: Operator):
        self.op = op
        self.node = op_name(op)
        self.batch_size = op.batch_size
        self.device = op.device
        self.cacheable = op.cacheable
        self.__qualname__ = op_name(op)  # no __junco_spec__: see SafeFn

    def __getattr__(self, name: str) -> Any:  # fidelity_warnings, preprocess_workers, ...
        if name.startswith("__") or name == "op":
            raise AttributeError(name)
        return getattr(self.op, name)

    def setup(self) -> None:
        self.op.setup()

    def fingerprint(self) -> dict[str, Any]:
        return self.op.fingerprint()

    def preprocess(self, *inputs: Any) -> Any:
        e = _first_empty(inputs)
        if e is not None:
            return e
        try:
            return self.op.preprocess(*inputs)
        except Exception as exc:
            return Empty(self.node, exc)

    def forward(self, batch: list[Any]) -> Sequence[Any]:
        live = [i for i, x in enumerate(batch) if not isinstance(x, Empty)]
        try:
            out = self.op.postprocess(self.op.forward([batch[i] for i in live])) if live else []
        except Exception as exc:
            if len(live) > 1:
                raise  # the engine retries row by row, so only the bad row becomes Empty
            out = [Empty(self.node, exc)] * len(live)
        merged = list(batch)
        for i, r in zip(live, out):
            merged[i] = r
        return merged


def drop_empty(*values: Any) -> bool:
    """Filter function: an ``Empty`` row is dropped and its original error reported under its id."""
    e = _first_empty(values)
    if e is not None:
        err, where = e.error, f" (in {e.node})"
        if not e.message.endswith(where):  # say which node failed, once, in the record's message
            try:
                err.args = (e.message + where,)
            except (AttributeError, TypeError):
                pass
        raise err
    return True


class FillEmpty:
    """Map function: replace ``Empty`` values by ``default`` (one column, or a tuple of several)."""

    def __init__(self, default: Any, width: int = 1):
        self.default = default
        self.width = width

    def __call__(self, *values: Any) -> Any:
        out = tuple(self.default if isinstance(v, Empty) else v for v in values)
        return out[0] if self.width == 1 else out
