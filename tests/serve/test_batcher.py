"""The dynamic batcher on its own: batches grow with concurrency, deadlines drop, failures stay local."""

import asyncio
import threading
import time

import pytest

from junco.serve import Batcher, Batching, DeadlineError, QueueFullError


def run(coro):
    return asyncio.run(coro)


class Model:
    def __init__(self, delay=0.0):
        self.delay = delay
        self.batches = []
        self.seen = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, items):
        self.gate.wait(10)
        self.batches.append(len(items))
        self.seen.extend(items)
        time.sleep(self.delay)
        return [ValueError(f"bad {x}") if x == "bad" else x * 2 for x in items]


async def _with(batcher, fn):
    await batcher.start()
    try:
        return await fn()
    finally:
        await batcher.stop()


def test_concurrent_inputs_share_batches_and_keep_their_order():
    m = Model(delay=0.02)
    b = Batcher(m, Batching(max_batch_size=16, max_wait_s=0.01))
    out = run(_with(b, lambda: asyncio.gather(*(b.submit(i) for i in range(64)))))
    assert out == [2 * i for i in range(64)]
    assert max(m.batches) == 16 and sum(m.batches) == 64
    assert len(m.batches) <= 6  # not 64 calls


def test_max_batch_size_one_turns_batching_off():
    m = Model()
    b = Batcher(m, Batching(max_batch_size=1, max_wait_s=0.01))
    run(_with(b, lambda: asyncio.gather(*(b.submit(i) for i in range(10)))))
    assert m.batches == [1] * 10


def test_a_lone_request_waits_at_most_max_wait():
    m = Model()
    b = Batcher(m, Batching(max_batch_size=32, max_wait_s=0.05))

    async def one():
        t = time.perf_counter()
        await b.submit(1)
        return time.perf_counter() - t

    took = run(_with(b, one))
    assert took < 0.5 and m.batches == [1]


def test_a_failing_item_fails_alone_and_a_failing_batch_does_not_stop_the_loop():
    calls = {"n": 0}

    def flaky(items):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("first batch crashes")
        return [ValueError("bad") if x == "bad" else x for x in items]

    b = Batcher(flaky, Batching(max_batch_size=8, max_wait_s=0.0))

    async def go():
        with pytest.raises(RuntimeError, match="first batch crashes"):
            await b.submit("a")
        return await b.submit_many(["x", "bad", "y"])

    out = run(_with(b, go))
    assert out[0] == "x" and out[2] == "y" and isinstance(out[1], ValueError)


def test_expired_inputs_are_dropped_not_computed():
    m = Model()
    m.gate.clear()  # the model is stuck on the first batch
    b = Batcher(m, Batching(max_batch_size=1, max_wait_s=0.0, timeout_s=5))

    async def go():
        first = asyncio.ensure_future(b.submit("first"))
        await asyncio.sleep(0.05)
        with pytest.raises(DeadlineError):
            await b.submit("late", timeout=0.1)  # queued behind the stuck batch, expires there
        m.gate.set()
        assert await first == "firstfirst"
        assert await b.submit("next") == "nextnext"
        return b.metrics.counter("junco_items_total", outcome="dropped_abandoned")

    dropped = run(_with(b, go))
    assert "late" not in m.seen and dropped == 1


def test_a_full_queue_answers_at_once():
    m = Model()
    m.gate.clear()
    b = Batcher(m, Batching(max_batch_size=1, max_wait_s=0.0, max_queue=2, timeout_s=5))

    async def go():
        tasks = [asyncio.ensure_future(b.submit(0))]
        await asyncio.sleep(0.05)  # the loop takes it: the model is now stuck on it
        tasks += [asyncio.ensure_future(b.submit(i)) for i in (1, 2)]
        await asyncio.sleep(0.05)  # two queued: the queue is full
        with pytest.raises(QueueFullError):
            await b.submit(99)
        m.gate.set()
        return await asyncio.gather(*tasks)

    assert run(_with(b, go)) == [0, 2, 4]
