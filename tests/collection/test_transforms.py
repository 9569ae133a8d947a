"""Transforms: map / filter / flat_map in both modes, batch / unbatch, window / rolling, head, sample,
shuffle, zip, select and select_from."""

import pytest

from junco import DataCollection
from junco.collection import Row
from junco.plan import NodeKind, PlanError


def rows():
    return DataCollection.from_rows([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": "z"}])


def test_map_value_mode_in_place():
    dc = DataCollection.range(3).map(lambda x: x + 1)
    assert dc.to_list() == [1, 2, 3]
    assert dc.plan.steps[0].inputs == dc.plan.steps[0].outputs == ("_",)


def test_map_column_mode_three_args_and_whole_row():
    dc = rows().map("a", "c", lambda a: a * 10)
    assert dc.columns == ("a", "b", "c")
    assert dc.to_list()[0] == Row(a=1, b="x", c=10)
    two = rows().map(("a", "b"), ("s", "t"), lambda a, b: (b * a, a))
    assert two["s"].to_list() == ["x", "yy", "zzz"]
    whole = rows().map(lambda r: f"{r.b}{r.a}")
    assert whole.mode == "value" and whole.to_list() == ["x1", "y2", "z3"]
    replaced = rows().map("a", "a", lambda a: -a)
    assert replaced.columns == ("a", "b") and replaced["a"].to_list() == [-1, -2, -3]


def test_map_value_to_column_mode_with_the_value_column():
    dc = DataCollection(["a", "bb"]).map("_", "n", len)
    assert dc.mode == "columns" and dc.to_list() == [Row(_="a", n=1), Row(_="bb", n=2)]


def test_map_argument_errors_at_build_time():
    with pytest.raises(TypeError, match="callable"):
        DataCollection.range(2).map(3)
    with pytest.raises(TypeError, match="map\\(fn\\)"):
        DataCollection.range(2).map("a", str)
    with pytest.raises(KeyError, match="no column"):
        rows().map("nope", "c", str)


def test_map_cache_and_batch_size_params_reach_the_node():
    node = DataCollection.range(2).map(str, cache=True, batch_size=8).plan.steps[0]
    assert node.params["cache"] is True and node.params["batch_size"] == 8


def test_filter_both_modes():
    assert DataCollection.range(6).filter(lambda x: x % 2 == 0).to_list() == [0, 2, 4]
    assert rows().filter(lambda r: r.a != 2)["b"].to_list() == ["x", "z"]
    assert rows().filter("b", lambda b: b > "x")["a"].to_list() == [2, 3]
    assert rows().filter(("a", "b"), lambda a, b: a == 1 or b == "z").ids() == [0, 2]
    with pytest.raises(TypeError):
        rows().filter("a", "b", str)
    with pytest.raises(TypeError, match="callable"):
        rows().filter(1)


def test_flat_map_both_modes_ids_are_parent_k():
    dc = DataCollection([2, 0, 3]).flat_map(range)
    assert dc.to_list() == [0, 1, 0, 1, 2]
    assert dc.ids() == ["0#0", "0#1", "2#0", "2#1", "2#2"]
    col = rows().flat_map("a", "i", range)
    assert col.columns == ("a", "b", "i") and len(col.to_list()) == 6
    assert col.to_list()[-1] == Row(a=3, b="z", i=2)
    assert rows().flat_map(lambda r: r.b * r.a).to_list() == ["x", "y", "y", "z", "z", "z"]


def test_batch_unbatch_value_mode_ids():
    b = DataCollection.range(7).batch(3)
    assert b.to_list() == [[0, 1, 2], [3, 4, 5], [6]]
    assert b.ids() == [0, 3, 6]
    assert b.plan.steps[0].kind == NodeKind.WINDOW
    u = b.unbatch()
    assert u.to_list() == list(range(7))
    assert u.ids()[:4] == ["0#0", "0#1", "0#2", "3#0"]


def test_batch_unbatch_column_mode():
    b = rows().batch(2)
    assert b.to_list() == [Row(a=[1, 2], b=["x", "y"]), Row(a=[3], b=["z"])]
    assert b.unbatch().to_list() == rows().to_list()


def test_batches_over_many_blocks_never_split_early():
    # more rows than a block: a window must span blocks, and chained windows stay whole
    out = DataCollection.range(5000).batch(3).batch(2).to_list()
    assert len(out) == 834 and all(len(x) == 2 for x in out[:-1])
    assert [v for pair in out for batch in pair for v in batch] == list(range(5000))


def test_window_and_rolling():
    assert DataCollection.range(5).window(2).to_list() == [[0, 1], [2, 3], [4]]
    assert DataCollection.range(5).window(3, 2).to_list() == [[0, 1, 2], [2, 3, 4], [4]]
    assert DataCollection.range(5).window(2, fn=sum).to_list() == [1, 5, 4]
    assert DataCollection.range(5).rolling(3).to_list() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert DataCollection.range(5).rolling(3, drop_tail=False).to_list()[-1] == [4]
    assert DataCollection.range(6).rolling(2, step=2, fn=sum).to_list() == [1, 5, 9]
    assert rows().rolling(2).to_list() == [Row(a=[1, 2], b=["x", "y"]), Row(a=[2, 3], b=["y", "z"])]
    with pytest.raises(TypeError, match="value mode"):
        rows().window(2, fn=len)
    with pytest.raises(ValueError):
        DataCollection.range(3).window(0)


def test_head_stops_upstream_work_early():
    calls = []
    dc = DataCollection.range(10**7).map(lambda x: calls.append(x) or x * 2).head(3)
    assert dc.to_list() == [0, 2, 4]
    assert len(calls) <= 2048  # a block or two, never the ten million
    assert dc.ids() == [0, 1, 2]
    assert DataCollection.range(5).head(2).to_list() == [0, 1]
    assert DataCollection.range(5).head(0).to_list() == []
    assert DataCollection.range(3).map(str).head(10).to_list() == ["0", "1", "2"]
    assert DataCollection(iter([1, 2, 3])).head(2).to_list() == [1, 2]
    after = DataCollection.range(10).filter(lambda x: x % 2).head(3).map(lambda x: -x)
    assert after.to_list() == [-1, -3, -5] and after.ids() == [1, 3, 5]


def test_head_keeps_errors_of_the_upstream_stage():
    dc = DataCollection([1, 0, 2, 4]).map(lambda x: 1 / x).head(2)
    assert dc.to_list() == [1.0, 0.5]
    assert [e.row_id for e in dc.errors] == [1]


def test_sample_is_seeded_and_reproducible():
    a = DataCollection.range(2000).sample(0.25, seed=7)
    first = a.to_list()
    assert first == a.to_list()  # reseeded at each run
    assert 400 < len(first) < 600
    assert DataCollection.range(10).sample(1.0).to_list() == list(range(10))
    assert DataCollection.range(10).sample(0.0).to_list() == []
    with pytest.raises(ValueError):
        DataCollection.range(3).sample(2)


def test_shuffle_seed_and_ids_travel_with_rows():
    dc = DataCollection(["a", "b", "c", "d", "e"]).shuffle(seed=3)
    vals, ids = dc.to_list(), dc.ids()
    assert sorted(vals) == ["a", "b", "c", "d", "e"] and vals != ["a", "b", "c", "d", "e"]
    assert vals == dc.to_list()
    assert [ "abcde"[i] for i in ids] == vals
    assert rows().shuffle(seed=1).to_list()[0] in rows().to_list()


def test_zip_value_and_column_modes():
    z = DataCollection(["a", "b", "c"]).zip(DataCollection.range(2), DataCollection([True, False]))
    assert z.to_list() == [("a", 0, True), ("b", 1, False)]
    other = DataCollection.from_rows([{"c": 10}, {"c": 20}, {"c": 30}, {"c": 40}])
    assert rows().zip(other).to_list()[2] == Row(a=3, b="z", c=30)
    paths = DataCollection.from_rows([{"p": "x"}, {"p": "y"}], columns=["p"])
    assert DataCollection.range(2).map(str).zip(DataCollection.range(2)).ids() == [0, 1]
    with pytest.raises(TypeError, match="same mode"):
        DataCollection.range(2).zip(paths)
    with pytest.raises(ValueError, match="several"):
        rows().zip(rows())
    with pytest.raises(TypeError):
        rows().zip([1, 2])
    with pytest.raises(TypeError):
        rows().zip()
    single = DataCollection.from_rows([{"a": 1}]).zip(DataCollection.from_rows([{"b": 2}]))
    assert single.to_list() == [Row(a=1, b=2)]


def test_select_and_column_access():
    assert rows().select("b").to_list() == [Row(b="x"), Row(b="y"), Row(b="z")]
    assert rows()[["b", "a"]].columns == ("b", "a")
    # a dropped column cannot be read again
    with pytest.raises(KeyError):
        rows().select("b").map("a", "c", str)


def test_select_from_value_mode_ids_to_values():
    data = DataCollection.from_rows([{"p": "x.jpg"}, {"p": "y.jpg"}])["p"]
    assert DataCollection([[1, 0], 1]).select_from(data).to_list() == [["y.jpg", "x.jpg"], "y.jpg"]


def test_select_from_uses_source_ids_like_paths(tmp_path):
    for n in ("a", "b", "c"):
        (tmp_path / f"{n}.jpg").write_bytes(b"")
    dataset = DataCollection.from_glob(str(tmp_path / "*.jpg")).unstream()
    sizes = dataset.map(lambda p: p.rsplit("/", 1)[-1].upper())
    hits = DataCollection([[str(tmp_path / "c.jpg"), str(tmp_path / "a.jpg")]])
    assert hits.select_from(sizes).to_list() == [["C.JPG", "A.JPG"]]
    assert hits.select_from(dataset).to_list() == [[str(tmp_path / "c.jpg"), str(tmp_path / "a.jpg")]]


def test_select_from_missing_id_is_a_row_error_and_column_mode():
    names = DataCollection(["zero", "one"])
    dc = DataCollection([[0], [5], [1]]).select_from(names)
    assert dc.to_list() == [["zero"], ["one"]]
    assert [e.row_id for e in dc.errors] == [1] and "5" in dc.errors[0].message
    col = DataCollection.from_rows([{"q": "a", "hits": [1, 0]}]).select_from(names, column="hits", output="names")
    assert col.to_list() == [Row(q="a", hits=[1, 0], names=["one", "zero"])]
    with pytest.raises(TypeError, match="column="):
        rows().select_from(names)


def test_build_time_plan_errors_say_which_column():
    with pytest.raises((KeyError, PlanError)):
        rows().filter("c", bool)
