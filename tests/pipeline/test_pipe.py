import pytest

from junco import ops, pipe, register
from junco.plan import PlanError


@register("demo/add-one", overwrite=True)
def add_one(x):
    return x + 1


def example():
    return (pipe.input("x")
                .map("x", "y", ops.demo.add_one())
                .flat_map("y", "z", lambda y: range(y))
                .filter("z", "z", "z", lambda z: z % 2 == 0)
                .window("z", "zs", 2, 2, sum)
                .output("x", "zs"))


def test_issue_example_call_batch_stream_explain():
    p = example()
    assert p(3) == [(3, 2)]
    assert p(3).get() == [3, 2]
    # y = x + 1; z = even numbers below y; windows of two summed
    assert p(6) == [(6, 2), (6, 10)]
    assert p(8) == [(8, 2), (8, 10), (8, 8)]  # the last window is partial
    assert p.batch([1, 2, 3]) == [[(1, 0)], [(2, 2)], [(3, 2)]]
    assert list(p.stream(iter([3, 6]))) == [(3, 2), (6, 2), (6, 10)]
    text = p.explain()
    for word in ("input(x)", "demo/add-one", "flat_map", "filter", "window", "output(x, zs)"):
        assert word in text


def test_rows_have_named_fields():
    row = example()(3)[0]
    assert (row.x, row.zs) == (3, 2)


def test_map_multiple_columns_in_and_out():
    p = pipe.input("a", "b").map(("a", "b"), ("s", "d"), lambda a, b: (a + b, a - b)).output("s", "d")
    assert p(5, 3) == [(8, 2)]
    assert p.batch([(1, 1), (2, 0)]) == [[(2, 0)], [(2, 2)]]


def test_filter_copies_to_other_columns_and_filters_on_other_column():
    p = (pipe.input("x").map("x", "keep", lambda x: x > 1)
         .filter("x", "y", "keep", bool).output("y"))
    assert p.batch([0, 1, 2, 3]) == [[], [], [2], [3]]


def test_window_step_smaller_than_size_overlaps_and_tail_is_partial():
    p = pipe.input("n").flat_map("n", "v", range).window("v", "w", 3, 1, list).output("w")
    assert p(4) == [[0, 1, 2], [1, 2, 3], [2, 3], [3]]


def test_windows_never_span_two_inputs():
    p = pipe.input("n").flat_map("n", "v", range).window("v", "w", 2, 2, list).output("w")
    assert p.batch([3, 3]) == [[[0, 1], [2]], [[0, 1], [2]]]


def test_time_window():
    p = (pipe.input("n").flat_map("n", ("v", "t"), lambda n: [(i, i * 0.5) for i in range(n)])
         .time_window("v", "w", "t", 1.0, 1.0, list).output("w"))
    assert p(5) == [[0, 1], [2, 3], [4]]


def test_window_all():
    p = pipe.input("n").flat_map("n", "v", range).window_all("v", "total", sum).output("n", "total")
    assert p.batch([3, 4]) == [[(3, 3)], [(4, 6)]]


def test_concat_joins_branch_columns():
    base = pipe.input("x")
    a = base.map("x", "a", lambda x: x + 1)
    b = base.map("x", "b", lambda x: x * 10)
    p = a.concat(b).map(("a", "b"), "c", lambda a, b: a + b).output("a", "b", "c")
    assert p(2) == [(3, 20, 23)]


def test_concat_rejects_row_count_changes_in_a_branch():
    base = pipe.input("x")
    a = base.filter("x", "x", "x", bool)
    b = base.map("x", "b", str)
    with pytest.raises(PlanError, match="changes the row count"):
        a.concat(b).output("x", "b")


def test_plan_validation_names_column_and_node():
    with pytest.raises(PlanError, match=r"reads column 'nope'.*available: x, y"):
        pipe.input("x").map("x", "y", str).map("nope", "z", str).output("z")
    with pytest.raises(PlanError, match="'missing'"):
        pipe.input("x").output("missing")


def test_non_callable_operator_fails_at_build_time():
    with pytest.raises(TypeError, match="must be callable"):
        pipe.input("x").map("x", "y", 42)


def test_wrong_number_of_outputs_is_an_error_row():
    p = pipe.input("x").map("x", ("a", "b"), lambda x: (x,) * x).output("a")
    res = p.batch([1, 2, 3])
    assert res == [[], [2], []]
    assert [e.row_id for e in res.errors] == [0, 2]
    assert "expected 2 values" in res.errors[0].message
