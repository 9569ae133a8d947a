"""Sources: range, lists and iterables, rows, globs, CSV, JSON, JSON lines, Parquet, pandas, Arrow."""

import json

import pytest

from junco import DataCollection
from junco.collection import Row


def test_range_forms_and_ids_are_positions():
    assert DataCollection.range(3).to_list() == [0, 1, 2]
    dc = DataCollection.range(10, 20, 5)
    assert dc.to_list() == [10, 15] and dc.ids() == [0, 1]
    assert len(DataCollection.range(10**12)) == 10**12  # in memory as a range: nothing materialized


def test_constructor_and_from_list_on_any_iterable():
    assert DataCollection([3, 1]).to_list() == [3, 1]
    assert DataCollection(("a", "b")).to_list() == ["a", "b"]
    assert DataCollection.from_list(iter([1, 2])).to_list() == [1, 2]
    assert sorted(DataCollection({"x", "y"}).to_list()) == ["x", "y"]
    assert DataCollection({"k": 1}.keys()).to_list() == ["k"]
    assert DataCollection().to_list() == []
    assert DataCollection("ab").to_list() == ["a", "b"]
    reusable = DataCollection({1, 2})
    assert reusable.to_list() == reusable.to_list() and not reusable.is_stream


def test_from_rows_keeps_given_columns_and_fills_missing_keys():
    dc = DataCollection.from_rows([{"a": 1, "b": 2}, {"a": 3}], columns=["b", "a"])
    assert dc.to_list() == [Row(b=2, a=1), Row(b=None, a=3)]


def test_from_glob_sorted_recursive_ids_are_paths_and_lists_again_each_run(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.jpg", "a.jpg", "sub/c.jpg", "x.txt"):
        (tmp_path / name).write_bytes(b"")
    flat = DataCollection.from_glob(str(tmp_path / "*.jpg"))
    assert flat.to_list() == [str(tmp_path / "a.jpg"), str(tmp_path / "b.jpg")]
    assert flat.ids() == flat.to_list()
    deep = DataCollection.from_glob(str(tmp_path / "**" / "*.jpg"), recursive=True)
    assert [p.rsplit("/", 1)[-1] for p in deep] == ["a.jpg", "b.jpg", "c.jpg"]
    assert len(DataCollection.from_glob(str(tmp_path / "**" / "*.jpg"))) == 1  # ** is one level
    both = DataCollection.from_glob(tmp_path / "*.txt", tmp_path / "a.*")
    assert [p.rsplit("/", 1)[-1] for p in both] == ["a.jpg", "x.txt"]
    (tmp_path / "0.jpg").write_bytes(b"")
    assert flat.to_list()[0].endswith("0.jpg")  # lazy: the folder is listed at each run
    with pytest.raises(ValueError, match="pattern"):
        DataCollection.from_glob()


def test_read_csv(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("path,label,score\na.jpg,cat,0.5\nb.jpg,dog,1.5\n")
    dc = DataCollection.read_csv(f)
    assert dc.mode == "columns" and dc.columns == ("path", "label", "score")
    rows = dc.to_list()
    assert rows[1].label == "dog" and rows[1].score == 1.5 and dc.ids() == [0, 1]
    assert DataCollection.read_csv(f, columns=["score"]).to_list() == [Row(score=0.5), Row(score=1.5)]
    with pytest.raises(ValueError, match="no column"):
        DataCollection.read_csv(f, columns=["nope"])


def test_read_json_array_and_lines(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]))
    assert DataCollection.read_json(arr).to_list() == [Row(a=1, b="x"), Row(a=2, b="y")]
    lines = tmp_path / "l.jsonl"
    lines.write_text('{"a": 1}\n\n{"a": 2, "extra": 0}\n{"b": 5}\n')
    assert DataCollection.read_json(lines).to_list() == [Row(a=1), Row(a=2), Row(a=None)]
    assert DataCollection.read_jsonl(lines, columns=["b"])["b"].to_list() == [None, None, 5]
    values = tmp_path / "v.json"
    values.write_text("[1, 2, 3]")
    assert DataCollection.read_json(values).mode == "value"
    assert DataCollection.read_json(values).map(lambda x: x * 2).to_list() == [2, 4, 6]
    vlines = tmp_path / "v.jsonl"
    vlines.write_text('"x"\n"y"\n')
    assert DataCollection.read_jsonl(vlines).to_list() == ["x", "y"]


def test_read_json_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:2"):
        DataCollection.read_jsonl(bad).to_list()
    obj = tmp_path / "o.json"
    obj.write_text('{"a": 1}')
    assert DataCollection.read_json(obj, lines=True).to_list() == [Row(a=1)]
    obj.write_text('  [{"a": 1}, 3]')
    with pytest.raises(TypeError, match="record 1"):
        DataCollection.read_json(obj)


def test_read_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    f = tmp_path / "t.parquet"
    pq.write_table(pa.table({"id": ["a", "b", "c"], "vec": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]}), f)
    dc = DataCollection.read_parquet(f)
    assert dc.columns == ("id", "vec") and dc.ids() == [0, 1, 2]
    assert dc["vec"].to_list()[2] == [1.0, 1.0]
    assert DataCollection.read_parquet(f, columns=["id"]).to_list() == [Row(id="a"), Row(id="b"), Row(id="c")]
    with pytest.raises(ValueError, match="no column"):
        DataCollection.read_parquet(f, columns=["x"])


def test_from_pandas_ids_come_from_the_index():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"path": ["a", "b"], "n": [1, 2]}, index=["r1", "r2"])
    dc = DataCollection.from_pandas(df)
    assert dc.to_list() == [Row(path="a", n=1), Row(path="b", n=2)]
    assert dc.ids() == ["r1", "r2"]
    assert type(dc.to_list()[0].n) is int


def test_from_arrow_table_and_batch():
    pa = pytest.importorskip("pyarrow")
    t = pa.table({"a": [1, 2], "b": ["x", "y"]})
    assert DataCollection.from_arrow(t).to_list() == [Row(a=1, b="x"), Row(a=2, b="y")]
    assert DataCollection.from_arrow(t.to_batches()[0])["b"].to_list() == ["x", "y"]
