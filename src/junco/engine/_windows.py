"""Window nodes: count windows, time windows and whole-group windows, closed per group.

A group is the set of rows one top-level input produced (``pipe``), or the whole stream
(``DataCollection``). Windows never span two groups. A group closes when a block says every source
input up to ``src_end`` has been seen, or at the end of the stream.
"""

from __future__ import annotations

import math
from typing import Any

from junco.engine._block import Block
from junco.engine._runners import Context, Runner
from junco.plan import Node


class _Buffer:
    __slots__ = ("ids", "rows", "start")

    def __init__(self) -> None:
        self.ids: list[Any] = []
        self.rows: list[dict[str, Any]] = []
        self.start = 0  # index (within rows) where the next window starts


class _GroupedRunner(Runner):
    """Buffers rows per group; subclasses turn a buffer into output rows."""

    def __init__(self, node: Node, ctx: Context):
        super().__init__(node, ctx)
        self.groups: dict[int, _Buffer] = {}
        self.columns: list[str] = []
        self.ungrouped = False  # stream scope: blocks carry no groups, and neither must ours

    def process(self, block: Block) -> list[Block]:
        if not self.columns:
            self.columns = list(block.cols) + [c for c in self.node.outputs if c not in block.cols]
        names = list(block.cols)
        self.ungrouped = block.groups is None
        groups = block.groups if block.groups is not None else [0] * len(block)
        for i, g in enumerate(groups):
            buf = self.groups.get(g)
            if buf is None:
                buf = self.groups[g] = _Buffer()
            buf.ids.append(block.ids[i])
            buf.rows.append({n: block.cols[n][i] for n in names})
        out: list[tuple[Any, int, dict[str, Any]]] = []
        for g in list(self.groups):
            buf = self.groups[g]
            closed = block.groups is not None and g < block.src_end
            out.extend((rid, g, row) for rid, row in self.emit(buf, final=closed))
            if closed:
                del self.groups[g]
        return [self._block(out, block.src_end)]

    def flush(self) -> list[Block]:
        out: list[tuple[Any, int, dict[str, Any]]] = []
        for g, buf in self.groups.items():
            out.extend((rid, g, row) for rid, row in self.emit(buf, final=True))
        self.groups.clear()
        return [self._block(out, 0)] if out else []

    def _block(self, out: list[tuple[Any, int, dict[str, Any]]], src_end: int) -> Block:
        cols = {c: [row.get(c) for _, _, row in out] for c in self.columns}
        groups = None if self.ungrouped else [g for _, g, _ in out]
        return Block([rid for rid, _, _ in out], cols, groups, src_end)

    def apply(self, ids: list[Any], rows: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]] | None:
        """One window: call fn on the lists of input values; base the output row on the first row."""
        args = [[r[c] for r in rows] for c in self.node.inputs]
        try:
            res = self.node.fn(*args)
            outs = self.node.outputs
            if len(outs) > 1 and (not isinstance(res, tuple | list) or len(res) != len(outs)):
                raise ValueError(f"expected {len(outs)} values for columns {outs}")
        except Exception as e:
            self.ctx.fail(self.node, ids[0], e)
            return None
        row = dict(rows[0])
        if len(outs) == 1:
            row[outs[0]] = res
        else:
            row.update(zip(outs, res))
        return ids[0], row

    def emit(self, buf: _Buffer, final: bool) -> list[tuple[Any, dict[str, Any]]]:
        raise NotImplementedError


class WindowRunner(_GroupedRunner):
    """``window(size, step)``: windows of ``size`` rows starting every ``step`` rows; the last ones
    of a group may be shorter."""

    def emit(self, buf: _Buffer, final: bool) -> list[tuple[Any, dict[str, Any]]]:
        size, step = int(self.node.params["size"]), int(self.node.params["step"])
        out = []
        while buf.start < len(buf.rows) and (final or buf.start + size <= len(buf.rows)):
            s = buf.start
            r = self.apply(buf.ids[s:s + size], buf.rows[s:s + size])
            if r is not None:
                out.append(r)
            buf.start += step
        if buf.start > 0:  # forget rows no future window needs
            drop = min(buf.start, len(buf.rows))
            del buf.ids[:drop], buf.rows[:drop]
            buf.start -= drop
        return out


class TimeWindowRunner(_GroupedRunner):
    """``time_window(timestamp_col, size, step)``: windows ``[k*step, k*step + size)`` in timestamp
    units; empty windows are skipped."""

    def emit(self, buf: _Buffer, final: bool) -> list[tuple[Any, dict[str, Any]]]:
        if not final or not buf.rows:
            return []
        ts_col = self.node.params["timestamp_col"]
        size, step = float(self.node.params["size"]), float(self.node.params["step"])
        stamps = [float(r[ts_col]) for r in buf.rows]
        k = math.floor(min(stamps) / step)
        last = max(stamps)
        out = []
        while k * step <= last:
            lo, hi = k * step, k * step + size
            idx = [i for i, t in enumerate(stamps) if lo <= t < hi]
            if idx:
                r = self.apply([buf.ids[i] for i in idx], [buf.rows[i] for i in idx])
                if r is not None:
                    out.append(r)
            k += 1
        return out


class WindowAllRunner(_GroupedRunner):
    """``window_all``: one window over every row of the group."""

    def emit(self, buf: _Buffer, final: bool) -> list[tuple[Any, dict[str, Any]]]:
        if not final or not buf.rows:
            return []
        r = self.apply(buf.ids, buf.rows)
        return [r] if r is not None else []
