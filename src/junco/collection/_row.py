"""Rows of a column-mode collection: a dict whose fields read as attributes."""

from __future__ import annotations

from typing import Any


class Row(dict):  # type: ignore[type-arg]
    """One row with named fields: ``row["path"]`` or ``row.path``.

    Args:
        *args: anything ``dict`` accepts (a mapping or ``(name, value)`` pairs).
        **kwargs: more fields.

    Returns:
        A ``dict`` subclass; it compares equal to a plain ``dict`` with the same fields.

    Example:
        >>> r = Row(path="a.jpg", label=3)
        >>> r.path, r["label"], r == {"path": "a.jpg", "label": 3}
        ('a.jpg', 3, True)
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            fields = ", ".join(map(str, self)) or "none"
            raise AttributeError(f"row has no field {name!r} (fields: {fields})") from None

    def __repr__(self) -> str:
        return "Row(" + ", ".join(f"{k}={v!r}" for k, v in self.items()) + ")"
