"""Small callables the collection puts into plan nodes (whole-row functions, sampling, lookups)."""

from __future__ import annotations

import random
from typing import Any

from junco.collection._row import Row


class RowFn:
    """Column mode, one-argument form: call ``fn`` on the whole row as a :class:`Row`."""

    def __init__(self, fn: Any, columns: tuple[str, ...]):
        self.fn = fn
        self.columns = columns
        self.__qualname__ = getattr(fn, "__qualname__", type(fn).__qualname__)

    def __call__(self, *values: Any) -> Any:
        return self.fn(Row(zip(self.columns, values)))


class Sample:
    """Filter function keeping each row with probability ``ratio``; reseeded at every run."""

    def __init__(self, ratio: float, seed: int | None):
        if not 0.0 <= ratio <= 1.0:
            raise ValueError(f"sample ratio must be within [0, 1], got {ratio}")
        self.ratio = ratio
        self.seed = seed
        self._rng = random.Random(seed)

    def setup(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self, *_: Any) -> bool:
        return self._rng.random() < self.ratio


class SelectFrom:
    """Map function: an id (or a list of ids) -> the other collection's value(s) for those ids.

    The lookup table is built when a run starts (``setup``), so the other collection stays lazy until then.
    An id the other collection does not have, but which is a valid position in it, is read by position.
    """

    def __init__(self, other: Any):
        self.other = other
        self._by_id: dict[Any, Any] = {}
        self._by_pos: list[Any] = []

    def setup(self) -> None:
        pairs = list(self.other.items())
        self._by_pos = [v for _, v in pairs]
        self._by_id = {}
        for i, v in pairs:
            try:
                self._by_id[i] = v
            except TypeError:  # an unhashable id can only be read by position
                pass

    def _one(self, i: Any) -> Any:
        try:
            return self._by_id[i]
        except (KeyError, TypeError):
            pass
        if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(self._by_pos):
            return self._by_pos[i]
        raise KeyError(f"id {i!r} is not in the collection select_from() reads from")

    def __call__(self, ids: Any) -> Any:
        if isinstance(ids, str | bytes) or not hasattr(ids, "__iter__"):
            return self._one(ids)
        if hasattr(ids, "tolist"):  # numpy ids
            ids = ids.tolist()
        return [self._one(i) for i in ids]


def as_list(*lists: Any) -> Any:
    """Window function: the window's values as a list (one column) or one list per column."""
    return lists[0] if len(lists) == 1 else lists


def unbatch(*lists: Any) -> Any:
    """flat_map function: a list back to its items (one column), or columns of lists zipped to rows."""
    return lists[0] if len(lists) == 1 else zip(*lists)


class IsFull:
    """Filter function: true for windows of exactly ``size`` items (drops a rolling window's tail)."""

    def __init__(self, size: int):
        self.size = size

    def __call__(self, *lists: Any) -> bool:
        return len(lists[0]) == self.size
