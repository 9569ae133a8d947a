"""Operators with a batched ``forward``: preprocess per row (threads), then forward per micro-batch.

The two halves run in different pipeline stages, so the next block's decoding overlaps the current
block's model forward. A batch whose forward fails is retried row by row, so one bad row costs one
error record, never its neighbours.
"""

from __future__ import annotations

from typing import Any

from junco.engine._block import Block
from junco.engine._runners import FAILED, Context, Runner, _parallel_each, apply_each
from junco.operator import op_fingerprint
from junco.operator._base import _inference
from junco.plan import Node


class _Cached:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class PreprocessRunner(Runner):
    """Runs ``op.preprocess`` on each row; cached rows skip it (and the forward)."""

    count_out = False  # the node's rows_out is counted after forward

    def __init__(self, node: Node, ctx: Context):
        super().__init__(node, ctx)
        self.col = f"__pre_{node.uid}"
        self.key_col = f"__key_{node.uid}"
        op = node.fn
        self.parallel = int(node.params.get("parallel") or getattr(op, "preprocess_workers", 0) or 2)
        use_cache = node.params.get("cache")
        self.cache = ctx.cache if (use_cache or (use_cache is None and op.cacheable)) else None
        self.fp = op_fingerprint(op) if self.cache is not None else ""

    def process(self, block: Block) -> list[Block]:
        values, star = self.inputs(block)
        pre = self.node.fn.preprocess
        bad: dict[int, BaseException] = {}
        keys: list[str] = []
        if self.cache is not None:
            from junco.engine._cache import content_hash

            keys = [self.fp + content_hash(v if star else (v,)) for v in values]
            hits = self.cache.get_many(keys)
            self.stats.cache_hits += len(hits)
        else:
            hits = {}
        todo = [i for i in range(len(values)) if not keys or keys[i] not in hits]
        sub = [values[i] for i in todo]
        sub_bad: dict[int, BaseException] = {}
        if self.parallel > 1 and len(sub) > 1:
            done = _parallel_each(self.ctx, pre, sub, star, sub_bad.__setitem__)
        else:
            done = apply_each(pre, sub, star, sub_bad.__setitem__)
        items: list[Any] = [_Cached(hits[k]) if k in hits else None for k in keys] if keys else [None] * len(values)
        for j, i in enumerate(todo):
            items[i] = done[j]
        for j, e in sub_bad.items():
            bad[todo[j]] = e
        if bad:
            for i in sorted(bad):
                self.ctx.fail(self.node, block.ids[i], bad[i])
            mask = [i not in bad for i in range(len(items))]
            block = block.keep(mask)
            items = [x for i, x in enumerate(items) if i not in bad]
            keys = [k for i, k in enumerate(keys) if i not in bad] if keys else keys
        cols = {self.col: items}
        if self.cache is not None:  # even when every row failed: the forward stage concatenates blocks
            cols[self.key_col] = keys
        return [block.with_cols(cols)]


class ForwardRunner(Runner):
    """Runs ``op.forward`` on micro-batches of at most ``batch_size`` rows, then ``postprocess``."""

    count_in = False  # counted by the preprocess half

    def __init__(self, node: Node, ctx: Context, pre: PreprocessRunner):
        super().__init__(node, ctx)
        self.pre = pre
        self.batch_size = int(node.params.get("batch_size") or getattr(node.fn, "batch_size", 32) or 32)

    def process(self, block: Block) -> list[Block]:
        items = block.cols.pop(self.pre.col) if self.pre.col in block.cols else []
        keys = block.cols.pop(self.pre.key_col, None)
        results: list[Any] = [None] * len(items)
        bad: dict[int, BaseException] = {}
        todo = [i for i, x in enumerate(items) if not isinstance(x, _Cached)]
        for i, x in enumerate(items):
            if isinstance(x, _Cached):
                results[i] = x.value
        for s in range(0, len(todo), self.batch_size):
            idx = todo[s:s + self.batch_size]
            outs = self._forward([items[i] for i in idx], idx, bad)
            for i, r in zip(idx, outs):
                results[i] = r
        if keys is not None and self.pre.cache is not None:
            self.pre.cache.put_many({keys[i]: results[i] for i in todo if i not in bad})
        for i in bad:
            results[i] = FAILED
        return [self.finish_map(block, results, bad)]

    def _forward(self, batch: list[Any], idx: list[int], bad: dict[int, BaseException]) -> list[Any]:
        op = self.node.fn
        try:
            outs = op.postprocess(_inference(op.forward, batch))
            if len(outs) != len(batch):
                raise ValueError(f"{type(op).__name__} returned {len(outs)} outputs for {len(batch)} rows")
            return list(outs)
        except Exception as e:
            if len(batch) == 1:
                bad[idx[0]] = e
                return [FAILED]
        # isolate the bad row(s): retry one by one
        out = []
        for i, x in zip(idx, batch):
            out.extend(self._forward([x], [i], bad))
        return out
