"""Attribute dispatch: ``dc.<namespace>.<operator>(...)`` maps registered operators over the rows."""

import pytest

from junco import DataCollection, register
from junco.collection import Pairs, Row, UnknownOperatorError
from junco.operator import Operator
from junco.registry import UnknownNameError


@register("dctest/scale", overwrite=True)
def scale(x, *, factor=2):
    return x * factor


@register("dctest/join", overwrite=True)
def join(a, b, *, sep="-"):
    return f"{a}{sep}{b}"


@register("dctest/nearest", overwrite=True)
class Nearest:
    """Per row: the id of the closest item of ``data`` (any iterable of (id, value) pairs)."""

    def __init__(self, *, data):
        self.data = data

    def __call__(self, x):
        return min(self.data, key=lambda pair: abs(pair[1] - x))[0]


@register("dctest/batched-square", overwrite=True)
class BatchedSquare(Operator):
    batch_size = 3
    seen = []

    def forward(self, batch):
        BatchedSquare.seen.append(len(batch))
        return [x * x for x in batch]


def test_value_mode_dispatch_maps_value_to_value():
    dc = DataCollection.range(4).dctest.scale(factor=10)
    assert dc.to_list() == [0, 10, 20, 30]
    node = dc.plan.steps[0]
    assert node.name.endswith("dctest/scale") and node.fn.__junco_spec__["args"] == {"factor": 10}
    assert DataCollection.range(2).dctest.scale().to_list() == [0, 2]


def test_column_mode_dispatch_names_fields_towhee_style():
    dc = DataCollection.from_rows([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}])
    out = dc.dctest.scale["a", "a2"](factor=3)
    assert out.to_list() == [Row(a=1, b="x", a2=3), Row(a=2, b="y", a2=6)]
    joined = out.dctest.join[("b", "a2"), "key"](sep=":")
    assert joined["key"].to_list() == ["x:3", "y:6"]
    with pytest.raises(TypeError, match=r"\['path', 'img'\]"):
        dc.dctest.scale()
    with pytest.raises(TypeError, match="name the input and output"):
        dc.dctest.scale["a"]
    with pytest.raises(KeyError, match="no column"):
        dc.dctest.scale["zz", "out"]()


def test_value_mode_dispatch_with_fields_switches_to_column_mode():
    dc = DataCollection.range(3).dctest.scale["_", "double"]()
    assert dc.to_list()[2] == Row(_=2, double=4)


def test_unknown_names_fail_at_once_with_the_closest_names():
    dc = DataCollection.range(3)
    with pytest.raises(UnknownNameError, match="dctest/scale") as err:
        _ = dc.dctest.scal
    assert isinstance(err.value, AttributeError) and "dctest/scale" in err.value.close
    with pytest.raises(UnknownOperatorError, match="Closest: .*dctest"):
        _ = dc.dctset
    with pytest.raises(UnknownOperatorError, match="Closest: filter"):
        dc.fliter(bool)
    assert not hasattr(dc, "no_such_namespace_or_method")
    with pytest.raises(AttributeError):
        _ = dc._private


def test_dir_lists_namespaces_and_operators():
    dc = DataCollection.range(1)
    assert "dctest" in dir(dc) and "map" in dir(dc)
    assert {"scale", "join", "nearest"} <= set(dir(dc.dctest))
    assert "dctest/scale" in repr(dc.dctest.scale)


def test_a_collection_argument_is_passed_as_is_and_pairs_give_ids():
    data = DataCollection.from_rows([{"k": "a", "v": 1}, {"k": "b", "v": 10}, {"k": "c", "v": 100}])
    values = data["v"]
    near = DataCollection([2, 90, 9]).dctest.nearest(data=values.pairs())
    assert near.to_list() == [0, 2, 1]  # ids of `values` (positions here)
    assert near.select_from(values).to_list() == [1, 100, 10]
    pairs = values.pairs()
    assert isinstance(pairs, Pairs) and list(pairs) == [(0, 1), (1, 10), (2, 100)] and len(pairs) == 3
    op = DataCollection([1]).dctest.nearest(data=values).plan.steps[0].fn
    assert op.data is values  # still lazy: the operator decides how to read it


def test_pairs_carry_source_ids_like_paths(tmp_path):
    for i, n in enumerate(("x", "y", "z")):
        (tmp_path / f"{n}.txt").write_text(str(i * 10))
    dataset = DataCollection.from_glob(str(tmp_path / "*.txt")).unstream()
    vectors = dataset.map(lambda p: int(open(p).read()))
    hits = DataCollection([19, 1]).dctest.nearest(data=vectors.pairs())
    assert [h.rsplit("/", 1)[-1] for h in hits.to_list()] == ["z.txt", "x.txt"]
    assert [h.rsplit("/", 1)[-1] for h in hits.select_from(dataset).to_list()] == ["z.txt", "x.txt"]


def test_batched_operator_is_micro_batched_by_the_engine():
    BatchedSquare.seen.clear()
    dc = DataCollection.range(7).dctest.batched_square()
    assert dc.plan.steps[0].batched
    assert dc.to_list() == [x * x for x in range(7)]
    assert max(BatchedSquare.seen) <= 3 and sum(BatchedSquare.seen) == 7
