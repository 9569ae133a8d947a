"""Sinks: to_list / items / ids / to_pandas / to_parquet / show (terminal and notebook) / explain."""

import sys
import types

import numpy as np
import pytest

from junco import DataCollection
from junco.collection import Row


def test_to_list_items_ids_and_iteration():
    dc = DataCollection(["a", "b", "c"]).filter(lambda s: s != "b")
    assert dc.to_list() == ["a", "c"] == list(dc)
    assert list(dc.items()) == [(0, "a"), (2, "c")]
    assert dc.ids() == [0, 2]
    col = DataCollection.from_rows([{"x": 1}])
    assert list(col.items()) == [(0, Row(x=1))]


def test_to_pandas_value_and_column_modes_indexed_by_id():
    pytest.importorskip("pandas")
    df = DataCollection(["a", "b", "c"]).filter(lambda s: s != "a").to_pandas()
    assert list(df.columns) == ["value"] and df.index.tolist() == [1, 2] and df.index.name == "id"
    cols = DataCollection.from_rows([{"p": "x", "n": 1}, {"p": "y", "n": 2}]).to_pandas()
    assert cols.to_dict("list") == {"p": ["x", "y"], "n": [1, 2]}


def test_to_parquet_roundtrip_with_arrays_ids_and_many_blocks(tmp_path):
    pytest.importorskip("pyarrow")
    vecs = DataCollection.range(3000).map("_", "vec", lambda i: np.full(4, i, dtype=np.float32))
    path = vecs.to_parquet(tmp_path / "v.parquet", with_ids=True)
    back = DataCollection.read_parquet(path)
    assert back.columns == ("id", "value", "vec")
    rows = back.to_list()
    assert len(rows) == 3000 and rows[2999].vec == [2999.0] * 4 and rows[5].id == 5
    assert vecs.report.rows_out == 3000


def test_to_parquet_writes_a_valid_file_for_no_rows_and_empty_values(tmp_path):
    pytest.importorskip("pyarrow")
    p = DataCollection.range(3).filter(lambda x: False).to_parquet(tmp_path / "e.parquet")
    assert DataCollection.read_parquet(p).to_list() == []
    safe = DataCollection([1, 0]).safe().map(lambda x: 1 / x).to_parquet(tmp_path / "s.parquet")
    assert DataCollection.read_parquet(safe)["value"].to_list() == [1.0, None]


def test_explain_shows_source_plan_and_stages():
    text = DataCollection.range(10).filter(bool).map(str).head(3).map(len).explain()
    assert "DataCollection (value mode, lazy) on local" in text
    assert "source: head(3)" in text and "source: range(10)" in text
    assert "filter[" in text and "map[" in text and "windows per stream" in text
    assert repr(text) == str(text)  # prints as is in a REPL
    zipped = DataCollection.range(2).zip(DataCollection.range(2)).explain()
    assert "input 1 of zip of 2" in zipped and "input 2 of zip of 2" in zipped


def image(h=40, w=60):
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[:, : w // 2] = (255, 0, 0)
    return img


def mixed():
    return DataCollection.from_rows([
        {"path": f"/data/img{i}.jpg", "img": image(), "vec": np.arange(1, 9, dtype=np.float32) * (i + 1),
         "label": "cat" if i % 2 else "dog"} for i in range(7)])


def test_show_in_a_terminal_prints_a_plain_table(capsys):
    mixed().show(3)
    out = capsys.readouterr().out
    assert "id" in out and "path" in out and "/data/img2.jpg" in out and "img3" not in out
    assert "image 40x60x3" in out and "vec[8]" in out and "norm=" in out
    assert "more follow" in out
    DataCollection.range(2).show()
    out = capsys.readouterr().out
    assert "value" in out and "more follow" not in out


def test_show_in_a_notebook_displays_html_with_thumbnails(monkeypatch):
    shown = []

    class ZMQInteractiveShell:  # what a Jupyter kernel's shell is called
        config = {}

    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: ZMQInteractiveShell()
    display_mod = types.ModuleType("IPython.display")
    display_mod.HTML = lambda markup: ("HTML", markup)
    display_mod.display = shown.append
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display_mod)

    mixed().show(2)
    ((kind, markup),) = shown
    assert kind == "HTML" and markup.startswith("<table")
    assert markup.count("data:image/png;base64,") == 2
    assert "vec[8] float32 norm=" in markup and "/data/img1.jpg" in markup
    assert "more follow" in markup


def test_to_html_and_notebook_repr():
    html = DataCollection(["<b>", "x"]).to_html()
    assert "&lt;b&gt;" in html and "<td style" in html and "<b>" not in html
    assert "<table" in DataCollection([1, 2])._repr_html_()
    lazy = DataCollection.range(3).map(str)._repr_html_()
    assert lazy.startswith("<pre>") and "map[" in lazy


def test_show_runs_only_what_it_needs():
    calls = []
    DataCollection.range(10**6).map(lambda x: calls.append(x) or x).to_html(3)
    assert len(calls) < 5000
