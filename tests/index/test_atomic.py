"""A save that dies halfway leaves the previous generation whole, and the next save cleans up."""

from __future__ import annotations

import json

import numpy as np
import pytest

from junco.index import open_index
from junco.index._atomic import MANIFEST, commit, read_manifest, write_atomic


def test_write_atomic_keeps_old_file_when_writer_fails(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("old")

    def boom(tmp):
        open(tmp, "w").write("half")
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(p, boom)
    assert p.read_text() == "old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.txt"]  # no temp file left behind


def test_commit_crash_between_files_keeps_previous_generation(tmp_path):
    commit(tmp_path, {"v": 1}, {"data": (".txt", lambda t: open(t, "w").write("one"))})

    def crash(tmp):
        raise KeyboardInterrupt  # the process dies while writing generation 2

    with pytest.raises(KeyboardInterrupt):
        commit(tmp_path, {"v": 2}, {"data": (".txt", lambda t: open(t, "w").write("two")),
                                    "more": (".txt", crash)})
    man = read_manifest(tmp_path)
    assert man["v"] == 1 and (tmp_path / man["files"]["data"]).read_text() == "one"
    commit(tmp_path, {"v": 3}, {"data": (".txt", lambda t: open(t, "w").write("three"))})
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([MANIFEST, json.loads((tmp_path / MANIFEST).read_text())["files"]["data"]])


@pytest.mark.parametrize("backend", ["exact", "faiss"])
def test_failed_save_leaves_last_saved_index_readable(tmp_path, backend, monkeypatch):
    uri = f"{backend}://{tmp_path / 'ix'}"
    idx = open_index(uri, metric="L2")
    v = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
    idx.add([f"r{i}" for i in range(30)], v[:30])
    idx.save()
    idx.add([f"r{i}" for i in range(30, 50)], v[30:])
    import junco.index._rows as rows

    def bad_files(self):
        out = dict(orig(self))
        out["rows"] = (".json", lambda t: (_ for _ in ()).throw(OSError("killed")))
        return out

    orig = rows.RowTable.files
    monkeypatch.setattr(rows.RowTable, "files", bad_files)
    with pytest.raises(OSError):
        idx.save()
    monkeypatch.undo()
    again = open_index(uri)
    assert again.count() == 30 and again.search(v[3], topk=1)[0].ids == ["r3"]
