"""How a collection runs: exception safety (Empty, fill_empty, drop_empty), set_parallel, set_engine."""

import importlib.util
import sys
import threading

import pytest

from junco import DataCollection
from junco.collection import Empty, Row
from junco.engine import LocalEngine
from junco.operator import Operator


class Inverse(Operator):
    """A batched operator: preprocess fails on strings, forward fails on a batch holding a zero."""

    batch_size = 4

    def preprocess(self, x):
        if isinstance(x, str):
            raise ValueError(f"not a number: {x}")
        return x

    def forward(self, batch):
        if 0 in batch:
            raise ZeroDivisionError("zero in batch")
        return [1 / x for x in batch]


def test_default_mode_drops_failed_rows_and_reports_them():
    dc = DataCollection([1, "s", 0, 2, 4]).map(Inverse())
    assert dc.to_list() == [1.0, 0.5, 0.25]
    assert [(e.row_id, e.exc_type) for e in dc.errors] == [(1, "ValueError"), (2, "ZeroDivisionError")]


def test_exception_safe_keeps_rows_as_empty_and_reports_them_at_the_sink():
    dc = DataCollection([1, 0, 2]).exception_safe().map(lambda x: 10 / x).map(lambda x: x + 1)
    out = dc.to_list()
    assert out[0] == 11.0 and out[2] == 6.0
    e = out[1]
    assert isinstance(e, Empty) and not e and e.exc_type == "ZeroDivisionError"
    assert e.node.startswith("map[") and "division" in repr(e)
    (rec,) = dc.errors
    assert rec.row_id == 1 and rec.node == e.node and rec.exc_type == "ZeroDivisionError"


def test_safe_is_an_alias_and_can_be_turned_off():
    assert DataCollection([0]).safe().map(lambda x: 1 / x).to_list()[0].exc_type == "ZeroDivisionError"
    off = DataCollection([0, 1]).safe().safe(False).map(lambda x: 1 / x)
    assert off.to_list() == [1.0]
    assert "exception-safe" in DataCollection([0]).safe().explain()


def test_fill_empty_and_drop_empty():
    base = DataCollection(["1", "x", "3"]).safe().map(int)
    assert base.fill_empty(0).to_list() == [1, 0, 3]
    dropped = base.drop_empty()
    assert dropped.to_list() == [1, 3]
    (rec,) = dropped.errors
    assert rec.row_id == 1 and rec.exc_type == "ValueError" and "(in map[" in rec.message
    assert dropped.to_list() == [1, 3] and len(dropped.errors) == 1  # a second run says the same


def test_safe_mode_with_a_batched_operator():
    dc = DataCollection([1, "s", 0, 2, 4]).safe().map(Inverse())
    out = dc.to_list()
    assert out[0] == 1.0 and out[3:] == [0.5, 0.25]
    assert out[1].exc_type == "ValueError" and out[2].exc_type == "ZeroDivisionError"
    assert [e.row_id for e in dc.errors] == [1, 2]
    assert dc.plan.steps[0].batched


def test_safe_mode_flat_map_filter_and_column_mode():
    flat = DataCollection([2, None, 1]).safe().flat_map(range)
    vals = flat.to_list()
    assert vals[:2] == [0, 1] and isinstance(vals[2], Empty) and vals[3] == 0
    kept = DataCollection([1, 0]).safe().map(lambda x: 1 / x).filter(lambda x: x > 0)
    assert len(kept.to_list()) == 2  # an Empty row waits for drop_empty / fill_empty
    col = DataCollection.from_rows([{"a": 1}, {"a": 0}]).safe().map("a", "inv", lambda a: 1 / a)
    assert col.fill_empty(-1).to_list() == [Row(a=1, inv=1.0), Row(a=0, inv=-1)]
    assert col.drop_empty().ids() == [0]


def test_set_parallel_sets_the_node_param_and_keeps_order():
    threads = set()

    def slow(x):
        threads.add(threading.get_ident())
        return x * 2

    dc = DataCollection.range(200).set_parallel(4).map(slow)
    assert dc.plan.steps[0].params["parallel"] == 4
    assert dc.to_list() == [x * 2 for x in range(200)]
    assert DataCollection.range(3).map(str).plan.steps[0].params.get("parallel") is None
    with pytest.raises(ValueError):
        DataCollection.range(3).set_parallel(0)


def test_set_engine_local_and_engine_objects():
    dc = DataCollection.range(5).set_engine("local", block_size=2).map(str)
    assert isinstance(dc._opts.engine, LocalEngine) and dc._opts.engine.block_size == 2
    assert dc.to_list() == ["0", "1", "2", "3", "4"]
    assert dc.filter(bool).to_list() == ["0", "1", "2", "3", "4"]  # the engine is inherited
    with pytest.raises(ValueError, match="unknown engine"):
        DataCollection.range(3).set_engine("spark")


def _ray_engine_available():
    try:
        from junco.engine.ray import RayEngine  # noqa: F401
    except ImportError:
        return False
    return importlib.util.find_spec("ray") is not None


def test_set_engine_ray_without_the_engine_fails_clearly(monkeypatch):
    monkeypatch.setitem(sys.modules, "junco.engine.ray", None)  # as if the module were absent
    with pytest.raises(ImportError, match=r"'ray' engine is not available.*set_engine\('local'\)"):
        DataCollection.range(3).set_engine("ray")


@pytest.mark.ray
@pytest.mark.skipif(not _ray_engine_available(), reason="junco.engine.ray is not importable")
def test_same_chain_on_the_ray_engine():
    def is_odd(x):
        return x % 2 == 1

    local = DataCollection.range(50).filter(is_odd).map(str)
    on_ray = local.set_engine("ray")
    assert on_ray.plan is local.plan or on_ray.explain().splitlines()[2:] == local.explain().splitlines()[2:]
    assert on_ray.to_list() == local.to_list()
    assert on_ray.report.engine == "ray"
    # operators holding a collection (select_from) and safe-mode wrappers travel to the workers too
    names = DataCollection(["zero", "one", "two"]).map(str.upper)
    safe = DataCollection([[2, 0], [1], [9]]).set_engine("ray").safe().select_from(names)
    out = safe.to_list()
    assert out[:2] == [["TWO", "ZERO"], ["ONE"]] and isinstance(out[2], Empty)
    assert [(e.row_id, e.exc_type) for e in safe.errors] == [(2, "KeyError")]
