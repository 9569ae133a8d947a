import threading
import time

import pytest

from junco import pipe
from junco.engine import LocalEngine, RowError
from junco.operator import Operator


class Recorder(Operator):
    """A batched operator that records the batch sizes its forward sees."""

    batch_size = 8

    def __init__(self, fail_on=()):
        self.batches = []
        self.fail_on = set(fail_on)

    def preprocess(self, x):
        if x == "bad-pre":
            raise ValueError("cannot preprocess")
        return x

    def forward(self, batch):
        self.batches.append(len(batch))
        if self.fail_on & set(batch):
            raise RuntimeError("poisoned batch")
        return [x * 2 for x in batch]


def test_forward_sees_batches_of_the_size_asked():
    op = Recorder()
    p = pipe.input("x").map("x", "y", op, batch_size=5).output("y")
    assert p.batch(range(23)) == [[2 * i] for i in range(23)]
    assert max(op.batches) == 5 and sum(op.batches) == 23
    assert op.batches.count(5) >= 4


def test_operator_batch_size_hint_is_used():
    op = Recorder()
    pipe.input("x").map("x", "y", op).output("y").batch(range(40))
    assert max(op.batches) == 8


def test_micro_batching_collects_rows_across_small_blocks():
    """A stream that arrives in tiny blocks still reaches forward in full batches."""
    op = Recorder()
    p = pipe.input("x").map("x", "y", op, batch_size=8).output("y")
    p.set_engine(LocalEngine(block_size=2, max_wait=0.5))
    assert list(p.stream(range(32))) == [2 * i for i in range(32)]
    assert max(op.batches) == 8
    assert len(op.batches) < 16  # not one forward per 2-row block


def test_results_stay_in_input_order_with_parallel_threads():
    def slow(x):
        time.sleep(0.001 * (x % 5))
        return x

    p = pipe.input("x").map("x", "y", slow, parallel=4).map("y", "z", Recorder()).output("z")
    assert p.batch(range(200)) == [[2 * i] for i in range(200)]


def test_parallel_node_runs_concurrently():
    active, peak = [0], [0]
    lock = threading.Lock()

    def io_bound(x):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.03)
        with lock:
            active[0] -= 1
        return x

    t = time.perf_counter()
    out = pipe.input("x").map("x", "y", io_bound, parallel=4).output("y").batch(range(40))
    assert out == [[i] for i in range(40)]
    assert peak[0] >= 3
    assert time.perf_counter() - t < 0.75 * 40 * 0.03  # well under serial (4 threads: ~1/4)


def test_one_bad_row_among_1000_is_one_error_record():
    def f(x):
        if x == 537:
            raise ValueError("bad row")
        return x + 1

    p = pipe.input("x").map("x", "y", f).output("y")
    res = p.batch(range(1000))
    assert sum(len(r) for r in res) == 999 and res[537] == []
    assert len(res.errors) == 1
    err = res.errors[0]
    assert (err.row_id, err.exc_type, err.message) == (537, "ValueError", "bad row")
    assert "map" in err.node
    stats = list(res.report.nodes.values())[0]
    assert (stats.rows_in, stats.rows_out, stats.errors) == (1000, 999, 1)


def test_bad_rows_in_batched_operator_are_isolated():
    op = Recorder(fail_on={13})
    p = pipe.input("x").map("x", "y", op).output("y")
    inputs = list(range(20)) + ["bad-pre"]
    res = p.batch(inputs, ids=[f"item-{i}" for i in range(21)])
    assert [r for r in res if r] == [[2 * i] for i in range(20) if i != 13]
    assert sorted(e.row_id for e in res.errors) == ["item-13", "item-20"]
    assert {e.exc_type for e in res.errors} == {"RuntimeError", "ValueError"}


def test_strict_mode_raises_on_first_bad_row():
    p = pipe.input("x").map("x", "y", lambda x: 1 / x).output("y", strict=True)
    with pytest.raises(RowError) as e:
        p.batch([1, 0, 2])
    assert e.value.record.row_id == 1 and e.value.record.exc_type == "ZeroDivisionError"


def test_exception_in_threaded_stage_reaches_caller_in_strict_mode():
    p = pipe.input("x").map("x", "y", Recorder(fail_on={3})).output("y", strict=True)
    with pytest.raises(RowError, match="poisoned"):
        p.batch(range(10))


def test_report_counts_and_times():
    p = pipe.input("x").filter("x", "x", "x", lambda x: x % 3 == 0).map("x", "y", Recorder()).output("y")
    p.batch(range(30))
    r = p.report
    assert r.rows_in == 30 and r.rows_out == 10 and not r.errors
    names = list(r.nodes)
    assert r.nodes[names[0]].rows_out == 10 and r.nodes[names[1]].rows_in == 10
    assert all(s.seconds >= 0 for s in r.nodes.values())
    assert "30 in, 10 out" in r.summary()
    assert r.to_dict()["rows_out"] == 10


def test_stream_is_lazy_and_can_stop_early():
    seen = []

    def source():
        for i in range(10**9):
            seen.append(i)
            yield i

    p = pipe.input("x").map("x", "y", Recorder()).output("y")
    it = p.stream(source())
    first = [next(it) for _ in range(5)]
    assert first == [0, 2, 4, 6, 8]
    it.close()
    assert len(seen) < 10_000
