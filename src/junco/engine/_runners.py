"""Block-at-a-time execution of each node kind, shared by every engine.

A runner takes a :class:`Block` and returns the blocks to pass on (windows may hold rows back until a
group is complete). Failing rows become :class:`ErrorRecord`s through the context and are dropped; the
rest of the block goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import starmap
from typing import Any

from junco.engine._block import Block
from junco.engine._report import ErrorRecord, RowError, RunReport
from junco.operator import op_fingerprint
from junco.plan import Node, NodeKind

FAILED = object()


class Context:
    """What runners share during one run: the report, strict mode, the cache, a thread pool."""

    def __init__(self, report: RunReport, *, strict: bool = False, cache: Any = None,
                 workers: int = 4):
        self.report = report
        self.strict = strict
        self.cache = cache
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="junco-node")
        return self._pool

    def fail(self, node: Node, row_id: Any, exc: BaseException) -> None:
        rec = ErrorRecord(row_id, node.name, type(exc).__name__, str(exc) or repr(exc))
        if self.strict:
            raise RowError(rec) from exc
        self.report.add_error(rec)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def apply_each(fn: Callable[..., Any], values: list[Any], star: bool,
               on_error: Callable[[int, BaseException], None]) -> list[Any]:
    """``[fn(v) for v in values]`` at C-loop speed; a failing item becomes ``FAILED``.

    ``list.extend`` keeps what an iterator produced before it raised, so after an error the loop
    resumes right after the failing item: nothing runs twice.
    """
    out: list[Any] = []
    start = 0
    n = len(values)
    while start < n:
        rest = values if start == 0 else values[start:]
        try:
            out.extend(starmap(fn, rest) if star else map(fn, rest))
            break
        except Exception as e:  # one row; the others go on
            i = len(out)
            on_error(i, e)
            out.append(FAILED)
            start = i + 1
    return out


def _parallel_each(ctx: Context, fn: Callable[..., Any], values: list[Any], star: bool,
                   on_error: Callable[[int, BaseException], None]) -> list[Any]:
    def one(v: Any) -> Any:
        try:
            return fn(*v) if star else fn(v)
        except Exception as e:
            return _Err(e)

    out = list(ctx.pool.map(one, values))
    for i, r in enumerate(out):
        if isinstance(r, _Err):
            on_error(i, r.exc)
            out[i] = FAILED
    return out


class _Err:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException):
        self.exc = exc


class Runner:
    """Base runner: per-node stats and the input values of a block."""

    count_in = True
    count_out = True

    def __init__(self, node: Node, ctx: Context):
        self.node = node
        self.ctx = ctx
        self.stats = ctx.report.node(node.name)

    def inputs(self, block: Block, cols: tuple[str, ...] | None = None) -> tuple[list[Any], bool]:
        cols = self.node.inputs if cols is None else cols
        if len(cols) == 1:
            return block.cols[cols[0]], False
        if not cols:
            return [()] * len(block), True
        return list(zip(*(block.cols[c] for c in cols))), True

    def process(self, block: Block) -> list[Block]:
        raise NotImplementedError

    def flush(self) -> list[Block]:
        return []

    def run(self, block: Block) -> list[Block]:
        t = time.perf_counter()
        if self.count_in:
            self.stats.rows_in += len(block)
        out = self.process(block)
        if self.count_out:
            self.stats.rows_out += sum(len(b) for b in out)
        self.stats.seconds += time.perf_counter() - t
        return out

    def run_flush(self) -> list[Block]:
        t = time.perf_counter()
        out = self.flush()
        self.stats.rows_out += sum(len(b) for b in out)
        self.stats.seconds += time.perf_counter() - t
        return out

    def finish_map(self, block: Block, results: list[Any], bad: dict[int, BaseException]) -> Block:
        """Write ``results`` to the output columns, turning bad rows into error records."""
        outs = self.node.outputs
        if len(outs) > 1:
            for i, r in enumerate(results):
                if r is not FAILED and (not isinstance(r, tuple | list) or len(r) != len(outs)):
                    bad[i] = ValueError(f"expected {len(outs)} values for columns {outs}, got {_short(r)}")
                    results[i] = FAILED
        if bad:
            for i in sorted(bad):
                self.ctx.fail(self.node, block.ids[i], bad[i])
            mask = [r is not FAILED for r in results]
            block = block.keep(mask)
            results = [r for r in results if r is not FAILED]
        if len(outs) == 1:
            return block.with_cols({outs[0]: results})
        if not results:
            return block.with_cols({c: [] for c in outs})
        cols = list(zip(*results))
        return block.with_cols({c: list(v) for c, v in zip(outs, cols)})


def _short(x: Any) -> str:
    s = repr(x)
    return s if len(s) < 80 else s[:77] + "..."


class MapRunner(Runner):
    """``map``: one output (or tuple of outputs) per row."""

    def __init__(self, node: Node, ctx: Context):
        super().__init__(node, ctx)
        self.parallel = int(node.params.get("parallel") or 1)
        self.cache: Any = ctx.cache if node.params.get("cache") else None
        self.fp = op_fingerprint(node.fn) if self.cache is not None else ""

    def process(self, block: Block) -> list[Block]:
        values, star = self.inputs(block)
        bad: dict[int, BaseException] = {}
        if self.cache is not None:
            results = self._cached(values, star, bad)
        elif self.parallel > 1 and len(values) > 1:
            results = _parallel_each(self.ctx, self.node.fn, values, star, bad.__setitem__)
        else:
            results = apply_each(self.node.fn, values, star, bad.__setitem__)
        return [self.finish_map(block, results, bad)]

    def _cached(self, values: list[Any], star: bool, bad: dict[int, BaseException]) -> list[Any]:
        from junco.engine._cache import content_hash

        keys = [self.fp + content_hash(v if star else (v,)) for v in values]
        hits = self.cache.get_many(keys)
        self.stats.cache_hits += len(hits)
        todo = [i for i, k in enumerate(keys) if k not in hits]
        sub_bad: dict[int, BaseException] = {}
        computed = apply_each(self.node.fn, [values[i] for i in todo], star, sub_bad.__setitem__)
        for j, e in sub_bad.items():
            bad[todo[j]] = e
        fresh = {keys[i]: r for i, r in zip(todo, computed) if r is not FAILED}
        self.cache.put_many(fresh)
        results = [hits.get(k, FAILED) for k in keys]
        for i, r in zip(todo, computed):
            results[i] = r
        return results


class FlatMapRunner(Runner):
    """``flat_map``: each row becomes as many rows as its function yields (ids ``parent#k``)."""

    def process(self, block: Block) -> list[Block]:
        values, star = self.inputs(block)
        fn = self.node.fn
        outs = self.node.outputs
        src_idx: list[int] = []
        produced: list[Any] = []
        for i, v in enumerate(values):
            try:
                items = list(fn(*v) if star else fn(v))
                if len(outs) > 1:
                    for it in items:
                        if not isinstance(it, tuple | list) or len(it) != len(outs):
                            raise ValueError(f"expected {len(outs)} values for columns {outs}, got {_short(it)}")
            except Exception as e:
                self.ctx.fail(self.node, block.ids[i], e)
                continue
            src_idx.extend([i] * len(items))
            produced.extend(items)
        counters: dict[int, int] = {}
        ids = []
        for i in src_idx:
            k = counters.get(i, 0)
            counters[i] = k + 1
            ids.append(f"{block.ids[i]}#{k}")
        cols = {c: [v[i] for i in src_idx] for c, v in block.cols.items()}
        if len(outs) == 1:
            cols[outs[0]] = produced
        else:
            for j, c in enumerate(outs):
                cols[c] = [p[j] for p in produced]
        groups = None if block.groups is None else [block.groups[i] for i in src_idx]
        return [Block(ids, cols, groups, block.src_end)]


class FilterRunner(Runner):
    """``filter``: keep rows where ``fn(*filter_columns)`` is true; copy inputs to outputs."""

    def process(self, block: Block) -> list[Block]:
        fcols = tuple(self.node.params.get("filter_columns") or self.node.inputs)
        values, star = self.inputs(block, fcols)
        bad: dict[int, BaseException] = {}
        mask = apply_each(self.node.fn, values, star, bad.__setitem__)
        for i in sorted(bad):
            self.ctx.fail(self.node, block.ids[i], bad[i])
        if bad:
            mask = [m is not FAILED and m for m in mask]
        out = block.keep(mask)
        if self.node.inputs != self.node.outputs:
            out = out.with_cols({o: out.cols[i] for i, o in zip(self.node.inputs, self.node.outputs)})
        return [out]


def make_runner(node: Node, ctx: Context) -> list[Runner]:
    """The runners for one node (a batched map becomes a preprocess and a forward runner)."""
    from junco.engine._batched import ForwardRunner, PreprocessRunner
    from junco.engine._windows import TimeWindowRunner, WindowAllRunner, WindowRunner

    kind = node.kind
    if kind == NodeKind.MAP:
        if node.batched:
            pre = PreprocessRunner(node, ctx)
            return [pre, ForwardRunner(node, ctx, pre)]
        return [MapRunner(node, ctx)]
    table: dict[NodeKind, type[Runner]] = {
        NodeKind.FLAT_MAP: FlatMapRunner, NodeKind.FILTER: FilterRunner, NodeKind.WINDOW: WindowRunner,
        NodeKind.TIME_WINDOW: TimeWindowRunner, NodeKind.WINDOW_ALL: WindowAllRunner,
    }
    return [table[kind](node, ctx)]
