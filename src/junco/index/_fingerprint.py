"""Fingerprints of the operator that produced a store's vectors: normalize, compare, refuse mixes."""

from __future__ import annotations

import json
from typing import Any

from junco.index._types import FingerprintMismatchError


def canonical(fp: Any) -> str | None:
    """A stable string for a fingerprint: a string as is, a dict as sorted JSON, an operator's own.

    Args:
        fp: ``None``, a string, a JSON-able dict, or anything with a ``fingerprint()`` method
            (an embedding operator).

    Returns:
        The canonical string, or ``None`` when no fingerprint was given.

    Example:
        >>> canonical({"model": "m", "layer": -1}) == canonical({"layer": -1, "model": "m"})
        True
    """
    if fp is None:
        return None
    if hasattr(fp, "fingerprint") and callable(fp.fingerprint):
        fp = fp.fingerprint()
    if isinstance(fp, str):
        return fp
    return json.dumps(fp, sort_keys=True, separators=(",", ":"), default=str)


def check(stored: str | None, given: Any, *, what: str = "vectors") -> str | None:
    """Raise :class:`FingerprintMismatchError` when ``given`` differs from the ``stored`` one.

    A missing fingerprint on either side is not a mismatch (nothing is known to compare).

    Returns:
        The canonical form of ``given``.

    Example:
        >>> check("a", "a")
        'a'
    """
    g = canonical(given)
    if stored is not None and g is not None and g != stored:
        raise FingerprintMismatchError(_readable(stored), _readable(g), what)
    return g


def _readable(fp: str) -> Any:
    try:
        return json.loads(fp)
    except ValueError:
        return fp
