"""Attribute dispatch: ``dc.image_decode.cv2(**kw)`` maps ``ops.image_decode.cv2(**kw)`` over the rows.

Value mode maps value -> value. Column mode names the fields Towhee-style:
``dc.image_decode.cv2["path", "img"]()`` reads ``path`` and writes ``img`` (tuples for several fields).
A collection passed as an operator argument (``data=dc``) is handed over as is: still lazy, iterable
over its values, with ``items()`` / ``pairs()`` / ``ids()`` for the source ids and ``to_index()`` for
its vectors, so results that carry ids (search hits) carry the source ids (paths).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from junco.ops import OPERATORS, create
from junco.registry import UnknownNameError, normalize_name


class UnknownOperatorError(UnknownNameError, AttributeError):  # type: ignore[misc]
    """An attribute that is neither a method nor a registered operator; lists the closest names."""

    def __init__(self, err: UnknownNameError):
        KeyError.__init__(self, err.args[0])
        self.name = err.name
        self.close = err.close


def namespaces() -> list[str]:
    """Operator namespaces as attribute names (``image_decode``, ``junco``, ...)."""
    return [ns.replace("-", "_") for ns in OPERATORS.namespaces()]


def namespace(dc: Any, name: str) -> OpNamespace:
    """``dc.<name>``: an operator namespace, or :class:`UnknownOperatorError` with the closest names."""
    if OPERATORS.has_namespace(name):
        return OpNamespace(dc, normalize_name(name))
    methods = [m for m in dir(type(dc)) if not m.startswith("_")]
    raise UnknownOperatorError(UnknownNameError("DataCollection method or operator namespace", name,
                                                methods + namespaces()))


class OpNamespace:
    """``dc.image_decode``: its attributes are the namespace's operators."""

    __slots__ = ("_dc", "_ns")

    def __init__(self, dc: Any, ns: str):
        self._dc = dc
        self._ns = ns

    def __getattr__(self, name: str) -> BoundOp:
        if name.startswith("__"):
            raise AttributeError(name)
        key = f"{self._ns}/{normalize_name(name)}"
        try:
            OPERATORS.get(key)  # fail now, with the closest names, not at run time
        except UnknownNameError as e:
            raise UnknownOperatorError(e) from None
        return BoundOp(self._dc, key, f"{self._ns.replace('-', '_')}.{name}")

    def __dir__(self) -> list[str]:
        pre = self._ns + "/"
        return [n[len(pre):].replace("-", "_") for n in OPERATORS.names() if n.startswith(pre)]

    def __repr__(self) -> str:
        return f"<operators {self._ns}/* over {self._dc!r}>"


class BoundOp:
    """``dc.image_decode.cv2``: call it with the operator's arguments; index it to name fields."""

    __slots__ = ("_dc", "_key", "_label", "_cols")

    def __init__(self, dc: Any, key: str, label: str, cols: tuple[Any, Any] | None = None):
        self._dc = dc
        self._key = key
        self._label = label
        self._cols = cols

    def __getitem__(self, cols: Any) -> BoundOp:
        if not isinstance(cols, tuple) or len(cols) != 2:
            raise TypeError(f"name the input and output fields: {self._label}['in', 'out'] "
                            f"(tuples for several: {self._label}[('a', 'b'), 'out'])")
        return BoundOp(self._dc, self._key, self._label, cols)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Build the operator and map it over the rows.

        Args:
            *args: the operator's positional arguments (classes only).
            **kwargs: its keyword arguments (a DataCollection is passed as is; ``dc.pairs()`` is an
                iterable of ``(id, value)`` pairs for operators that know only iterables).

        Returns:
            A new collection.
        """
        op = create(self._key, *args, **kwargs)
        return self._dc._apply_op(op, self._cols, self._label)

    def __repr__(self) -> str:
        return f"<operator {self._key}>"


class Pairs:
    """A collection seen as ``(id, value)`` pairs (``dc.pairs()``); it runs each time it is iterated.

    Args:
        dc: the collection.

    Returns:
        A re-iterable view; ``len()`` materializes a lazy collection once.

    Example:
        >>> from junco import DataCollection
        >>> list(Pairs(DataCollection(["a", "b"])))
        [(0, 'a'), (1, 'b')]
    """

    def __init__(self, dc: Any):
        self.dc = dc

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        return self.dc.items()

    def __len__(self) -> int:
        return len(self.dc)

    def __repr__(self) -> str:
        return f"Pairs({self.dc!r})"
