"""Metadata filters: one portable dict form, compiled to a Python predicate or a Milvus expression.

The portable form is a dict of metadata keys, ANDed together. A value is an equality test, a list is
a membership test, and a dict holds operators: ``$eq $ne $gt $gte $lt $lte $in $nin``::

    {"label": "cat", "year": {"$gte": 2000}, "source": ["a", "b"]}

A row whose metadata lacks a key does not match a test on that key. In-process backends also take a
callable ``f(metadata) -> bool``; Milvus also takes a raw Milvus expression string.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from typing import Any

Filter = Any  # dict | Callable[[dict], bool] | str (Milvus only) | None

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": operator.eq, "$ne": operator.ne, "$gt": operator.gt, "$gte": operator.ge,
    "$lt": operator.lt, "$lte": operator.le,
    "$in": lambda a, b: a in b, "$nin": lambda a, b: a not in b,
}
_MILVUS = {"$eq": "==", "$ne": "!=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_MISSING = object()


def _tests(flt: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    out = []
    for key, cond in flt.items():
        if isinstance(cond, Mapping):
            for op, val in cond.items():
                if op not in _OPS:
                    raise ValueError(f"unknown filter operator {op!r} on {key!r}; use one of {sorted(_OPS)}")
                out.append((str(key), op, list(val) if op in ("$in", "$nin") else val))
        elif isinstance(cond, list | tuple | set | frozenset):
            out.append((str(key), "$in", list(cond)))
        else:
            out.append((str(key), "$eq", cond))
    return out


def to_predicate(flt: Filter) -> Callable[[Mapping[str, Any]], bool] | None:
    """A Python predicate over one row's metadata.

    Args:
        flt: a portable dict filter, a callable, or ``None``.

    Returns:
        ``f(metadata) -> bool``, or ``None`` when there is no filter.

    Example:
        >>> f = to_predicate({"label": "cat", "year": {"$gte": 2000}})
        >>> f({"label": "cat", "year": 2001}), f({"label": "cat"})
        (True, False)
    """
    if flt is None:
        return None
    if callable(flt):
        return flt
    if isinstance(flt, str):
        raise TypeError("a string filter is a Milvus expression; this backend takes a dict filter such as "
                        "{'label': 'cat'} or a callable f(metadata) -> bool")
    tests = [(k, _OPS[op], v) for k, op, v in _tests(flt)]

    def pred(meta: Mapping[str, Any]) -> bool:
        for key, fn, val in tests:
            got = meta.get(key, _MISSING) if meta else _MISSING
            if got is _MISSING:
                return False
            try:
                if not fn(got, val):
                    return False
            except TypeError:  # e.g. "a" < 3: not a match, as in Milvus
                return False
        return True

    return pred


def to_milvus(flt: Filter, field: str = "meta") -> str:
    """A Milvus boolean expression over the JSON metadata field.

    Example:
        >>> to_milvus({"label": "cat", "year": {"$gte": 2000}})
        'meta["label"] == "cat" and meta["year"] >= 2000'
    """
    if flt is None:
        return ""
    if isinstance(flt, str):
        return flt
    if callable(flt):
        raise TypeError("Milvus filters are dicts such as {'label': 'cat'} or Milvus expression strings, "
                        "not Python callables")
    parts = []
    for k, op, v in _tests(flt):
        ref = f"{field}[{json.dumps(k)}]"
        if op in ("$in", "$nin"):
            # Milvus Lite has no `in` on JSON keys: spell it as a chain of (in)equalities
            eq, join = ("==", " or ") if op == "$in" else ("!=", " and ")
            chain = join.join(f"{ref} {eq} {_literal(x)}" for x in v)
            parts.append(f"({chain})" if chain else ("false" if op == "$in" else "true"))
        else:
            parts.append(f"{ref} {_MILVUS[op]} {_literal(v)}")
    return " and ".join(parts)


def _literal(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_literal(x) for x in v) + "]"
    if isinstance(v, int | float | str):
        return json.dumps(v)
    raise TypeError(f"filter values must be str, int, float, bool or lists of them, got {type(v).__name__}")
