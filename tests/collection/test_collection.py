"""The core of DataCollection: the issue's prime example, one plan shared with ``pipe``, laziness,
immutability, stream vs materialized semantics, ids and per-row errors."""

import pytest

from junco import DataCollection, pipe
from junco.collection import Row, StreamConsumedError
from junco.engine import LocalEngine
from junco.plan import NodeKind


def is_prime(x):
    if x <= 1:
        return False
    for i in range(2, int(x / 2) + 1):
        if not x % i:
            return False
    return True


def ends_with_3(x):
    return x % 10 == 3


def test_issue_prime_example_as_written():
    dc = (DataCollection.range(100)
          .filter(is_prime)             # stage 1, find primes
          .filter(lambda x: x % 10 == 3)  # stage 2, primes ending with 3
          .map(str))                    # stage 3, to string
    assert dc.to_list() == ['3', '13', '23', '43', '53', '73', '83']


def _shape(plan):
    return [(n.kind, n.inputs, n.outputs, n.fn, n.params) for n in plan.nodes]


def test_compiles_to_the_same_plan_as_pipe():
    dc = DataCollection.range(100).filter(is_prime).filter(ends_with_3).map(str)
    p = (pipe.input("_").filter("_", "_", "_", is_prime).filter("_", "_", "_", ends_with_3)
         .map("_", "_", str).output("_"))
    assert _shape(dc.plan) == _shape(p.plan)
    assert dc.plan.window_scope == "stream"
    assert [n.kind for n in dc.plan.nodes] == [NodeKind.INPUT, NodeKind.FILTER, NodeKind.FILTER, NodeKind.MAP,
                                               NodeKind.OUTPUT]


class RecordingEngine(LocalEngine):
    """The real local engine, noting what it is asked to execute."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.calls = []

    def execute(self, plan, blocks, report, *, total=None):
        seen = []

        def tap():
            for b in blocks:
                seen.append(b)
                yield b

        self.calls.append((plan, seen))
        return super().execute(plan, tap(), report, total=total)


def test_runs_through_engine_execute_with_ungrouped_source_blocks():
    eng = RecordingEngine(block_size=7)
    dc = DataCollection.range(20).set_engine(eng).map(lambda x: x + 1)
    assert dc.to_list() == list(range(1, 21))
    (plan, blocks), = eng.calls
    assert plan is dc.plan
    assert [len(b) for b in blocks] == [7, 7, 6]
    assert all(b.groups is None for b in blocks)  # the whole stream is one window group


def test_lazy_nothing_runs_until_a_sink():
    calls = []

    def f(x):
        calls.append(x)
        return x

    dc = DataCollection.range(5).map(f).filter(lambda x: True).map(f)
    assert calls == []
    assert dc.report is None and dc.errors == []
    dc.explain()
    assert calls == []
    assert dc.to_list() == [0, 1, 2, 3, 4]
    assert len(calls) == 10


def test_immutable_each_method_returns_a_new_collection():
    base = DataCollection.range(4)
    doubled = base.map(lambda x: 2 * x)
    assert doubled is not base
    assert base.to_list() == [0, 1, 2, 3]
    assert doubled.to_list() == [0, 2, 4, 6]
    assert base.plan.steps == ()
    branch = base.filter(lambda x: x > 1)
    assert doubled.to_list() == [0, 2, 4, 6] and branch.to_list() == [2, 3]


def test_lazy_collection_reruns_each_time():
    calls = []
    dc = DataCollection.range(3).map(lambda x: calls.append(x) or x)
    assert dc.to_list() == dc.to_list() == [0, 1, 2]
    assert len(calls) == 6


def test_unstream_materializes_once_and_is_reusable_and_indexable():
    calls = []
    dc = DataCollection(x for x in range(4)).map(lambda x: calls.append(x) or x * 10).unstream()
    assert len(calls) == 4  # ran now
    assert not dc.is_stream
    assert len(dc) == 4 and dc[0] == 0 and dc[-1] == 30
    assert dc[1:3].to_list() == [10, 20] and dc[1:3].ids() == [1, 2]
    assert dc.to_list() == dc.to_list() == [0, 10, 20, 30]
    assert list(dc) == [0, 10, 20, 30]
    assert len(calls) == 4  # never again
    assert dc.unstream() is dc


def test_stream_is_single_pass_with_a_clear_error():
    s = DataCollection.range(3).stream()
    assert s.is_stream
    derived = s.map(str)
    assert derived.to_list() == ["0", "1", "2"]
    with pytest.raises(StreamConsumedError, match="unstream"):
        derived.to_list()
    with pytest.raises(StreamConsumedError):
        list(s)
    with pytest.raises(TypeError, match="unstream"):
        len(DataCollection.range(3).stream())
    with pytest.raises(TypeError, match="unstream"):
        DataCollection.range(3).stream()[0]


def test_generator_source_is_a_stream_and_unstream_keeps_it():
    gen = DataCollection(x * x for x in range(3))
    assert gen.is_stream
    kept = DataCollection(x * x for x in range(3)).unstream()
    assert kept.to_list() == [0, 1, 4] and kept.to_list() == [0, 1, 4]
    assert gen.to_list() == [0, 1, 4]
    with pytest.raises(StreamConsumedError):
        iter(gen).__next__()


def test_len_and_index_on_a_lazy_collection_materialize_once():
    calls = []
    dc = DataCollection.range(5).map(lambda x: calls.append(x) or x * x)
    assert len(dc) == 5 and dc[3] == 9 and dc[-1] == 16
    assert len(calls) == 5


def test_errors_are_reported_per_row_with_ids_and_the_stream_goes_on():
    dc = DataCollection([1, 0, 2, "x"]).map(lambda x: 10 / x)
    assert dc.to_list() == [10.0, 5.0]
    errs = dc.errors
    assert [(e.row_id, e.exc_type) for e in errs] == [(1, "ZeroDivisionError"), (3, "TypeError")]
    assert all(e.node.startswith("map[") for e in errs)
    rep = dc.report
    assert rep.rows_in == 4 and rep.rows_out == 2 and len(rep.errors) == 2
    assert "ZeroDivisionError" in rep.summary()


def test_error_ids_are_paths_for_glob_sources(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("1" if name == "a.txt" else "oops")
    dc = DataCollection.from_glob(str(tmp_path / "*.txt")).map(lambda p: int(open(p).read()))
    assert dc.to_list() == [1]
    assert [e.row_id for e in dc.errors] == [str(tmp_path / "b.txt")]


def test_column_mode_rows_and_value_access():
    dc = DataCollection.from_rows([{"path": "a", "n": 1}, {"path": "b", "n": 2}])
    assert dc.mode == "columns" and dc.columns == ("path", "n")
    rows = dc.to_list()
    assert rows == [{"path": "a", "n": 1}, {"path": "b", "n": 2}]
    assert isinstance(rows[0], Row) and rows[0].path == "a"
    assert dc["n"].mode == "value" and dc["n"].to_list() == [1, 2]
    assert dc["n", "path"].to_list() == [Row(n=1, path="a"), Row(n=2, path="b")]
    assert dc[1] == Row(path="b", n=2)
    with pytest.raises(KeyError, match="no column"):
        dc["nope"]
    with pytest.raises(AttributeError, match="no field"):
        _ = rows[0].nope


def test_repr_and_properties():
    assert "3 rows in memory" in repr(DataCollection([1, 2, 3]))
    assert "lazy, 1 steps" in repr(DataCollection.range(3).map(str))
    assert "stream" in repr(DataCollection.range(3).stream())
    assert DataCollection.range(2).mode == "value"


def test_exported_lazily_from_junco():
    import junco
    import junco.collection

    assert junco.DataCollection is junco.collection.DataCollection
    assert junco.collection.__all__ == sorted(junco.collection.__all__)
