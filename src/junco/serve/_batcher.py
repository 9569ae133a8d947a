"""Dynamic batching: concurrent requests' inputs go through the model together, in one call.

Each request puts its inputs in one queue and awaits them. A single loop takes up to ``max_batch_size``
queued inputs — as soon as that many wait, or when the oldest has waited ``max_wait_s`` — and runs them
as one batch in a worker thread, while new inputs queue for the next batch. So batches grow with load
by themselves: one client gets batches of one with no added latency, 32 clients get batches of ~32.
An input past its deadline, or whose request has gone, is dropped from the queue, not computed.
A batch that raises fails only its own inputs; the loop goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from junco.serve._config import Batching
from junco.serve._metrics import BATCH_BUCKETS, Metrics


class QueueFullError(RuntimeError):
    """The queue holds ``max_queue`` inputs already: the service is overloaded (503)."""


class DeadlineError(TimeoutError):
    """The input's deadline passed before it was computed (504)."""


class _Pending:
    __slots__ = ("item", "deadline", "future", "queued_at")

    def __init__(self, item: Any, deadline: float, future: asyncio.Future[Any]):
        self.item = item
        self.deadline = deadline
        self.future = future
        self.queued_at = time.monotonic()


class Batcher:
    """Collects inputs from concurrent requests into batches for ``run_batch``.

    Args:
        run_batch: ``f(items) -> outcomes``, one outcome per item (a value, or an exception instance
            for an item that failed); runs in a worker thread, one batch at a time.
        batching: sizes and waits (see :class:`~junco.serve.Batching`).
        metrics: where batch sizes, queue depth and drops are counted.

    Example:
        >>> import asyncio
        >>> async def main():
        ...     b = Batcher(lambda xs: [2 * x for x in xs], Batching())
        ...     await b.start()
        ...     out = await asyncio.gather(*(b.submit(i) for i in range(3)))
        ...     await b.stop()
        ...     return out
        >>> asyncio.run(main())
        [0, 2, 4]
    """

    def __init__(self, run_batch: Callable[[list[Any]], Sequence[Any]], batching: Batching,
                 metrics: Metrics | None = None):
        self.run_batch = run_batch
        self.cfg = batching
        self.metrics = metrics or Metrics()
        self._queue: deque[_Pending] = deque()
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="junco-batch")
        self.batches = 0

    @property
    def depth(self) -> int:
        """Inputs waiting in the queue."""
        return len(self._queue)

    async def start(self) -> None:
        """Start the batching loop on the running event loop."""
        if self._task is None:
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="junco-batcher")

    async def stop(self) -> None:
        """Stop the loop; inputs still queued fail with :class:`DeadlineError`."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        while self._queue:
            p = self._queue.popleft()
            if not p.future.done():
                p.future.set_exception(DeadlineError("the service is shutting down"))
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def submit(self, item: Any, *, timeout: float | None = None) -> Any:
        """Queue one input and wait for its outcome.

        Raises:
            QueueFullError: too many inputs wait already.
            DeadlineError: ``timeout`` (default ``batching.timeout_s``) passed first.
            Exception: the item's own failure, as ``run_batch`` returned it.
        """
        if self._task is None or self._wake is None:
            raise RuntimeError("Batcher.start() was not awaited")
        if len(self._queue) >= self.cfg.max_queue:
            self.metrics.inc("junco_items_total", outcome="rejected_queue_full")
            raise QueueFullError(f"{len(self._queue)} inputs are queued (max_queue={self.cfg.max_queue}); "
                                 "retry later")
        timeout = self.cfg.timeout_s if timeout is None else min(timeout, self.cfg.timeout_s)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        p = _Pending(item, time.monotonic() + timeout, fut)
        self._queue.append(p)
        self._wake.set()
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout=max(timeout, 0.0))
        except asyncio.TimeoutError:
            raise DeadlineError(f"no result within the request's deadline ({timeout:.3g}s)") from None
        finally:
            if not fut.done():
                fut.cancel()  # still queued: the loop drops it instead of computing it

    async def submit_many(self, items: Sequence[Any], *, timeout: float | None = None) -> list[Any]:
        """Queue several inputs (one request's); returns one outcome or exception per input, in order."""
        res = await asyncio.gather(*(self.submit(x, timeout=timeout) for x in items), return_exceptions=True)
        for r in res:
            if isinstance(r, asyncio.CancelledError):
                raise r
        return list(res)

    # -- the loop -------------------------------------------------------------------------------------
    def _take(self) -> list[_Pending]:
        """Up to ``max_batch_size`` live inputs from the queue; expired or abandoned ones are dropped."""
        now = time.monotonic()
        batch: list[_Pending] = []
        while self._queue and len(batch) < self.cfg.max_batch_size:
            p = self._queue.popleft()
            if p.future.done():  # the request gave up (deadline, client gone)
                self.metrics.inc("junco_items_total", outcome="dropped_abandoned")
            elif p.deadline <= now:
                self.metrics.inc("junco_items_total", outcome="dropped_deadline")
                p.future.set_exception(DeadlineError("the request's deadline passed while it was queued; "
                                                     "it was dropped, not computed"))
            else:
                batch.append(p)
        return batch

    async def _loop(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            # wait for a full batch, or until the oldest input has waited max_wait_s
            oldest = self._queue[0].queued_at
            while len(self._queue) < self.cfg.max_batch_size:
                left = oldest + self.cfg.max_wait_s - time.monotonic()
                if left <= 0:
                    break
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=left)
                except asyncio.TimeoutError:
                    break
            batch = self._take()
            self.metrics.set("junco_queue_depth", len(self._queue))
            if not batch:
                continue
            await self._run(loop, batch)

    async def _run(self, loop: asyncio.AbstractEventLoop, batch: list[_Pending]) -> None:
        items = [p.item for p in batch]
        t0 = time.perf_counter()
        try:
            outcomes = await loop.run_in_executor(self._pool, self.run_batch, items)
            if len(outcomes) != len(items):
                raise RuntimeError(f"the model returned {len(outcomes)} outcomes for {len(items)} inputs")
        except Exception as e:  # noqa: BLE001 - the batch fails, the service goes on
            outcomes = [e] * len(items)
        self.batches += 1
        self.metrics.observe("junco_batch_size", len(items), buckets=BATCH_BUCKETS)
        self.metrics.observe("junco_batch_seconds", time.perf_counter() - t0)
        for p, out in zip(batch, outcomes):
            ok = not isinstance(out, BaseException)
            self.metrics.inc("junco_items_total", outcome="ok" if ok else "error")
            if p.future.done():
                continue
            if ok:
                p.future.set_result(out)
            else:
                p.future.set_exception(out)
