"""Blocks: a run of rows stored column by column, the unit engines move between nodes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import compress
from typing import Any


class Block:
    """Rows ``ids[i]`` with values ``cols[name][i]``.

    Args:
        ids: the rows' stable ids (source index, path, ``parent#k`` for flat_map children).
        cols: column name -> list of values, all as long as ``ids``.
        groups: per-row group (the top-level input a row came from) or ``None`` when the whole
            stream is one group.
        src_end: every row descending from source inputs ``< src_end`` is in this block or before it,
            so windows may close groups below it.
    """

    __slots__ = ("ids", "cols", "groups", "src_end")

    def __init__(self, ids: Sequence[Any], cols: dict[str, list[Any]], groups: Sequence[int] | None = None,
                 src_end: int = 0):
        self.ids = ids
        self.cols = cols
        self.groups = groups
        self.src_end = src_end

    def __len__(self) -> int:
        return len(self.ids)

    def with_cols(self, updates: dict[str, list[Any]]) -> Block:
        cols = dict(self.cols)
        cols.update(updates)
        return Block(self.ids, cols, self.groups, self.src_end)

    def keep(self, mask: list[Any]) -> Block:
        """Only the rows whose ``mask`` entry is truthy."""
        return Block(list(compress(self.ids, mask)), {k: list(compress(v, mask)) for k, v in self.cols.items()},
                     None if self.groups is None else list(compress(self.groups, mask)), self.src_end)

    def rows(self, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
        return list(zip(*(self.cols[c] for c in columns)))

    @staticmethod
    def concat(blocks: list[Block]) -> Block:
        if len(blocks) == 1:
            return blocks[0]
        src_end = max(b.src_end for b in blocks)
        # an empty block may lack columns its stage adds to rows (every row of it failed)
        blocks = [b for b in blocks if len(b)] or blocks[-1:]
        if len(blocks) == 1:
            b = blocks[0]
            return b if b.src_end == src_end else Block(b.ids, b.cols, b.groups, src_end)
        names = list(blocks[0].cols)
        ids: list[Any] = []
        cols: dict[str, list[Any]] = {n: [] for n in names}
        groups: list[int] | None = None if blocks[0].groups is None else []
        for b in blocks:
            ids.extend(b.ids)  # ids and groups may be ranges: concat makes lists
            for n in names:
                cols[n].extend(b.cols[n])
            if groups is not None and b.groups is not None:
                groups.extend(b.groups)
        return Block(ids, cols, groups, src_end)


def rechunk(blocks: Iterable[Block], rows: int | None) -> Iterator[Block]:
    """Split blocks longer than ``rows`` (``None``/``0``: as they come); every piece but the last keeps
    the previous block's ``src_end`` (its groups may continue in the next piece), so windows never
    close a group early.

    Example:
        >>> [len(b) for b in rechunk([Block(range(10), {"x": list(range(10))})], 4)]
        [4, 4, 2]
    """
    if not rows:
        yield from blocks
        return
    prev_end = 0
    for b in blocks:
        n = len(b)
        for s in range(0, n, rows):
            e = min(n, s + rows)
            if s == 0 and e == n:
                yield b
                break
            yield Block(b.ids[s:e], {k: v[s:e] for k, v in b.cols.items()},
                        None if b.groups is None else b.groups[s:e], b.src_end if e == n else prev_end)
        if n == 0:
            yield b
        prev_end = b.src_end
