"""junco/search-vectors, index/insert and index/search: alone, batched, and inside a pipe."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from junco import ops, pipe
from junco.index import FingerprintMismatchError, Hits, Metric, forget_memory, open_index
from junco.index._exact import exact_topk

needs_milvus = pytest.mark.skipif(importlib.util.find_spec("milvus_lite") is None, reason="no milvus-lite")
needs_faiss = pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="no faiss")


def vecs(n, dim=8, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


class Listable:
    """Stands in for a DataCollection: something with ``to_list()``."""

    def __init__(self, items):
        self.items = items

    def to_list(self):
        return list(self.items)


@pytest.mark.parametrize("cal", ["L2", "IP", "cosine"])
def test_search_vectors_matches_exact(cal):
    data = vecs(200)
    q = vecs(16, seed=1)
    op = ops.junco.search_vectors(data=data, cal=cal, topk=5)
    out = op.forward([op.preprocess(x) for x in q])
    truth, _ = exact_topk(data, q, 5, Metric.parse(cal))
    assert [h.ids for h in out] == truth.tolist()
    assert all(isinstance(h, Hits) and len(h.scores) == 5 for h in out)


@pytest.mark.parametrize("make", [
    lambda d: [(f"id{i}", v) for i, v in enumerate(d)],
    lambda d: {f"id{i}": v for i, v in enumerate(d)},
    lambda d: Listable([(f"id{i}", v.tolist()) for i, v in enumerate(d)]),
    lambda d: [{"id": f"id{i}", "vec": v} for i, v in enumerate(d)],
])
def test_search_vectors_data_forms(make):
    data = vecs(30)
    op = ops.junco.search_vectors(data=make(data), cal="L2", topk=2)
    assert op(data[7]).ids[0] == "id7"


def test_search_vectors_plain_vectors_get_positions_and_faiss_backend():
    data = vecs(50)
    assert ops.junco.search_vectors(data=Listable(list(data)), topk=1)(data[3]).ids == [3]
    if importlib.util.find_spec("faiss"):
        op = ops.junco.search_vectors(data=data, cal="IP", topk=3, backend="faiss")
        assert op(data[9]).ids == exact_topk(data, data[9:10], 3, Metric.IP)[0][0].tolist()


def test_search_vectors_on_an_open_index_and_a_uri():
    forget_memory("sv")
    idx = open_index("memory://sv", metric="cosine")
    data = vecs(40)
    idx.add([f"r{i}" for i in range(40)], data)
    assert ops.junco.search_vectors(data=idx, topk=1)(data[5]).ids == ["r5"]
    assert ops.junco.search_vectors(data="memory://sv", cal="cosine", topk=1)(data[6]).ids == ["r6"]
    with pytest.raises(TypeError, match="data="):
        ops.junco.search_vectors()


def test_search_vectors_in_a_pipe():
    data = vecs(100)
    p = (pipe.input("vec")
         .map("vec", "hits", ops.junco.search_vectors(data=data, cal="L2", topk=3))
         .map("hits", "best", lambda h: h.ids[0])
         .output("best"))
    rows = p.batch(list(data[:20]))
    assert [r[0] for r in rows] == list(range(20))


@needs_milvus
def test_insert_then_search_milvus_lite_in_pipes(tmp_path):
    db = str(tmp_path / "photos.db")
    data = vecs(60)
    paths = [f"/photos/{i:03d}.jpg" for i in range(60)]
    fp = {"model": "test-embedder", "layer": "pool"}
    insert = ops.index.insert(uri=db, metric="L2", fingerprint=fp)
    ins = pipe.input("path", "vec", "meta").map(("path", "vec", "meta"), "id", insert).output("id")
    got = ins.batch([(p, v, {"label": i % 2}) for i, (p, v) in enumerate(zip(paths, data))])
    assert [r[0] for r in got] == paths
    ins.batch([(p, v, {"label": i % 2}) for i, (p, v) in enumerate(zip(paths, data))])  # a re-run: no dups

    search = ops.index.search(uri=db, topk=3, filter={"label": 1}, fingerprint=fp)
    srch = pipe.input("vec").map("vec", "hits", search).output("hits")
    hits = [r[0] for r in srch.batch(list(data[:10]))]
    assert [h.ids[0] for h in hits[1::2]] == paths[1:10:2]
    assert all(m["label"] == 1 for h in hits for m in h.metadata)
    assert search.index.count() == 60

    wrong = ops.index.search(uri=db, topk=1, fingerprint={"model": "other"})
    with pytest.raises(FingerprintMismatchError):
        wrong(data[0])
    for op in (insert, search, wrong):
        op.index.close()


@needs_faiss
def test_insert_into_faiss_folder_is_saved(tmp_path):
    uri = f"faiss://{tmp_path / 'fx'}"
    op = ops.index.insert(uri=uri, metric="cosine", save_every_s=3600)
    data = vecs(25)
    out = op.forward([op.preprocess(i, v) for i, v in enumerate(data)])
    assert out == list(range(25))
    assert open_index(uri).count() == 0  # not saved yet: the timer has not run out
    op.close()
    assert open_index(uri).search(data[4], topk=1)[0].ids == [4]


def test_insert_add_mode_refuses_changed_vectors():
    forget_memory("ins-add")
    op = ops.index.insert(uri="memory://ins-add", metric="L2", mode="add")
    op("k", [1.0, 2.0])
    op("k", [1.0, 2.0])  # the same row again is fine
    with pytest.raises(ValueError, match="upsert"):
        op("k", [5.0, 2.0])
    with pytest.raises(ValueError, match="mode"):
        ops.index.insert(uri="memory://x", mode="replace")
