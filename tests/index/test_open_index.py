"""The front door: which URI opens which backend, named memory indexes, hints for missing extras."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from junco.index import BACKENDS, VectorIndex, forget_memory, open_index, resolve
from junco.index._exact import ExactIndex


@pytest.mark.parametrize("uri,backend,where", [
    (None, "index/exact", None),
    ("memory://a", "index/exact", "memory://a"),
    ("faiss:///data/ix", "index/faiss", "/data/ix"),
    ("exact:///data/ix", "index/exact", "/data/ix"),
    ("http://milvus:19530", "index/milvus", "http://milvus:19530"),
    ("https://cloud.zilliz.com", "index/milvus", "https://cloud.zilliz.com"),
    ("milvus://milvus:19530", "index/milvus", "http://milvus:19530"),
    ("/data/store.db", "index/milvus", "/data/store.db"),
])
def test_resolve(uri, backend, where):
    assert resolve(uri) == (backend, where)


def test_backend_argument_overrides_and_relative_db_becomes_absolute(tmp_path, monkeypatch):
    assert resolve("memory://x", backend="faiss") == ("index/faiss", "memory://x")
    monkeypatch.chdir(tmp_path)
    assert resolve("s.db") == ("index/milvus", str(tmp_path / "s.db"))


def test_saved_folder_reopens_with_its_backend(tmp_path):
    idx = open_index(f"exact://{tmp_path / 'e'}", metric="L2")
    idx.add(["a"], [[1.0, 2.0]])
    idx.close()
    again = open_index(tmp_path / "e")
    assert isinstance(again, ExactIndex) and again.count() == 1


def test_unknown_plain_path_says_what_to_use(tmp_path):
    with pytest.raises(ValueError, match="faiss://"):
        open_index(tmp_path / "folder")


def test_named_memory_index_is_shared_in_process():
    forget_memory("shared")
    a = open_index("memory://shared", metric="IP")
    a.add([1], [[1.0, 0.0]])
    b = open_index("memory://shared")
    assert b is a and b.count() == 1
    with pytest.raises(ValueError, match="metric"):
        open_index("memory://shared", metric="L2")
    forget_memory("shared")
    assert open_index("memory://shared").count() == 0


def test_every_backend_follows_the_protocol(tmp_path):
    for name in BACKENDS.names():
        assert name.startswith("index/")
    assert isinstance(open_index(), VectorIndex)


def test_missing_milvus_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(ImportError, match=r'pip install "junco\[milvus\]"'):
        open_index(tmp_path / "x.db")


def test_import_is_light():
    import subprocess

    code = "import junco.index, sys; print([m for m in ('faiss', 'pymilvus', 'torch') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_exact_searches_any_metric():
    idx = open_index(metric="cosine")
    idx.add(["near", "far"], np.array([[1.0, 0.0], [10.0, 1.0]], np.float32))
    assert idx.search([[2.0, 0.0]], topk=1)[0].ids == ["near"]
    assert idx.search([[2.0, 0.0]], topk=1, metric="IP")[0].ids == ["far"]
