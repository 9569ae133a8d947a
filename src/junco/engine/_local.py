"""The local engine: pipeline stages in threads, bounded queues, micro-batched forwards.

Consecutive light nodes (plain callables, filters, windows) are fused into one stage and run block by
block at plain-loop speed. Each batched operator's ``forward`` gets a stage of its own, so decoding
overlaps the model; a plan with no batched operator runs inline, with no threads at all. Queues hold a
few blocks, so memory stays flat on an endless stream. Order is kept: every stage handles blocks in
order.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from junco.engine._batched import ForwardRunner
from junco.engine._block import Block, rechunk
from junco.engine._report import RunReport
from junco.engine._runners import Context, Runner, make_runner
from junco.plan import Plan

_END = object()


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


def source_blocks(items: Iterable[Any], columns: tuple[str, ...], *, block_size: int,
                  ids: Iterable[Any] | None = None, grouped: bool = True,
                  report: RunReport | None = None) -> Iterator[Block]:
    """Cut a stream of inputs into blocks; ``ids`` default to the input's position.

    With one column, ``items`` are the bare values; with several, tuples of values.
    """
    it = iter(items)
    id_it = iter(ids) if ids is not None else None
    pos = 0
    single = len(columns) == 1
    while True:
        chunk = list(islice(it, block_size))
        if not chunk:
            return
        n = len(chunk)
        positions = range(pos, pos + n)
        rids: Any = list(islice(id_it, n)) if id_it is not None else positions
        if single:
            cols = {columns[0]: chunk}
        else:
            for x in chunk:
                if not isinstance(x, tuple | list) or len(x) != len(columns):
                    raise TypeError(f"expected {len(columns)} input values for {columns}, got {x!r}")
            cols = {c: list(v) for c, v in zip(columns, zip(*chunk))}
        pos += n
        if report is not None:
            report.rows_in += n
        yield Block(rids, cols, positions if grouped else None, pos)


def _push(runners: list[Runner], block: Block) -> list[Block]:
    blocks = [block]
    for r in runners:
        nxt: list[Block] = []
        for b in blocks:
            nxt.extend(r.run(b))
        blocks = nxt
    return blocks


def _flush(runners: list[Runner]) -> list[Block]:
    out: list[Block] = []
    for i, r in enumerate(runners):
        for b in r.run_flush():
            out.extend(_push(runners[i + 1:], b))
    return out


class LocalEngine:
    """Runs plans on this machine.

    Args:
        block_size: rows per block read from the source.
        queue_size: blocks buffered between two stages (bounds memory).
        max_wait: seconds a forward stage waits for more rows to fill a batch before running a partial one.
        workers: threads for nodes with ``parallel > 1`` and for preprocessing.
        strict: raise :class:`~junco.engine.RowError` at the first failing row instead of recording it.
        cache: a :class:`~junco.engine.DiskCache` for cacheable nodes (default: the shared one).
        progress: show a progress bar; ``None``: only when stderr is a terminal.

    Example:
        >>> from junco import pipe
        >>> pipe.input("x").map("x", "y", lambda x: x + 1).output("y").batch([1, 2])
        [[2], [3]]
    """

    name = "local"

    def __init__(self, *, block_size: int = 1024, queue_size: int = 4, max_wait: float = 0.01,
                 workers: int = 4, strict: bool = False, cache: Any = None, progress: bool | None = None):
        self.block_size = block_size
        self.queue_size = queue_size
        self.max_wait = max_wait
        self.workers = workers
        self.strict = strict
        self.cache = cache
        self.progress = progress

    def execute(self, plan: Plan, blocks: Iterable[Block], report: RunReport, *,
                total: int | None = None) -> Iterator[Block]:
        """Run ``plan`` over source ``blocks``; yield output blocks in order, filling ``report``."""
        report.engine = self.name
        cache = self.cache
        if cache is None and any(n.params.get("cache") or getattr(n.fn, "cacheable", False) for n in plan.steps):
            from junco.engine._cache import shared_cache

            cache = shared_cache()
        ctx = Context(report, strict=self.strict, cache=cache, workers=self.workers)
        for node in plan.steps:  # load models now: a missing model fails the run, not every row
            setup = getattr(node.fn, "setup", None)
            if callable(setup):
                setup()
            notes = getattr(node.fn, "warnings", None)  # ModelOperator: preprocessing fidelity etc.
            for w in notes if isinstance(notes, list) else ():
                report.warn(f"{node.name}: {w}")
        runners = [r for n in plan.steps for r in make_runner(n, ctx)]
        stages: list[list[Runner]] = [[]]
        for r in runners:
            if isinstance(r, ForwardRunner) and stages[-1]:
                stages.append([])
            stages[-1].append(r)
        t0 = time.perf_counter()
        bar = _Progress(total) if (self.progress or (self.progress is None and sys.stderr.isatty())) else None
        try:
            gen = self._inline(stages[0], blocks) if len(stages) == 1 else self._threaded(stages, blocks)
            for b in gen:
                report.rows_out += len(b)
                if bar:
                    bar.update(report.rows_in)
                if len(b) or not b.cols:
                    yield b
        finally:
            report.wall_seconds += time.perf_counter() - t0
            ctx.close()
            if bar:
                bar.close()

    def _inline(self, runners: list[Runner], blocks: Iterable[Block]) -> Iterator[Block]:
        for block in blocks:
            yield from _push(runners, block)
        yield from _flush(runners)

    def _threaded(self, stages: list[list[Runner]], blocks: Iterable[Block]) -> Iterator[Block]:
        stop = threading.Event()
        queues: list[queue.Queue[Any]] = [queue.Queue(self.queue_size) for _ in stages]

        def put(q: queue.Queue[Any], item: Any) -> bool:
            while not stop.is_set():
                try:
                    q.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def items(i: int) -> Iterator[Any]:
            if i == 0:  # feed the first forward a batch at a time, so its preprocessing overlaps the model
                first_forward = stages[1][0]
                yield from rechunk(blocks, first_forward.batch_size if isinstance(first_forward, ForwardRunner)
                                   else None)
                return
            q = queues[i - 1]
            first = stages[i][0]
            while not stop.is_set():
                try:
                    item = q.get(timeout=0.1)
                except queue.Empty:
                    continue
                if item is _END or isinstance(item, _Failure):
                    if isinstance(item, _Failure):
                        put(queues[i], item)
                    yield item
                    return
                if isinstance(first, ForwardRunner):
                    item = self._fill_batch(q, item, first.batch_size, stop)
                    if isinstance(item, tuple):  # the batch met the end marker
                        yield item[0]
                        yield item[1]
                        return
                yield item

        def work(i: int) -> None:
            out = queues[i]
            try:
                for item in items(i):
                    if item is _END:
                        break
                    if isinstance(item, _Failure):
                        return
                    for b in _push(stages[i], item):
                        if not put(out, b):
                            return
                for b in _flush(stages[i]):
                    if not put(out, b):
                        return
                put(out, _END)
            except BaseException as e:  # surfaced in the consumer
                put(out, _Failure(e))

        threads = [threading.Thread(target=work, args=(i,), daemon=True, name=f"junco-stage-{i}")
                   for i in range(len(stages))]
        for t in threads:
            t.start()
        last = queues[-1]
        try:
            while True:
                item = last.get()
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
        finally:
            stop.set()

    def _fill_batch(self, q: queue.Queue[Any], block: Block, batch_size: int,
                    stop: threading.Event) -> Any:
        """Micro-batching: wait up to ``max_wait`` for more blocks until a batch is full."""
        got = [block]
        rows = len(block)
        deadline = time.perf_counter() + self.max_wait
        while rows < batch_size and not stop.is_set():
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            try:
                nxt = q.get(timeout=left)
            except queue.Empty:
                break
            if nxt is _END or isinstance(nxt, _Failure):
                return (Block.concat(got), nxt)
            got.append(nxt)
            rows += len(nxt)
        return Block.concat(got)


class _Progress:
    def __init__(self, total: int | None):
        from rich.progress import Progress

        self.p = Progress(transient=True)
        self.p.start()
        self.task = self.p.add_task("junco", total=total)

    def update(self, done: int) -> None:
        self.p.update(self.task, completed=done)

    def close(self) -> None:
        self.p.stop()
