"""FAISS specifics: kinds chosen by size, tuning to a recall target, tombstones, selector filters."""

from __future__ import annotations

import numpy as np
import pytest

faiss = pytest.importorskip("faiss")

from junco.index import Metric, _faiss, _faiss_build, open_index  # noqa: E402
from junco.index._exact import exact_topk  # noqa: E402


def clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Vectors around 50 centres: closer to real embeddings than uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, dim)) * 3
    return (centres[rng.integers(0, 50, n)] + rng.standard_normal((n, dim))).astype(np.float32)


def recall(idx, v, q, metric, k=10):
    truth, _ = exact_topk(v, q, k, metric)
    res = idx.search(q, topk=k)
    return np.mean([len(set(res[i].ids) & set(truth[i].tolist())) / k for i in range(len(q))])


@pytest.mark.parametrize("kind", ["hnsw", "ivfpq"])
@pytest.mark.parametrize("metric", [Metric.L2, Metric.COSINE])
def test_approximate_kinds_reach_target_recall(tmp_path, kind, metric):
    data = clustered(4050)
    v, q = data[:4000], data[4000:]  # held-out queries from the same distribution
    idx = open_index(f"faiss://{tmp_path / kind}", metric=metric, kind=kind)
    idx.add(list(range(len(v))), v)
    assert recall(idx, v, q, metric) >= 0.9
    assert idx.kind == kind and idx.tuning["sample_recall_at_10"] >= 0.95
    idx.close()
    again = open_index(f"faiss://{tmp_path / kind}")
    assert again.kind == kind and again.tuning == idx.tuning  # the saved index, not a rebuild
    assert recall(again, v, q, metric) >= 0.9


def test_auto_kind_grows_from_flat_to_hnsw(monkeypatch):
    monkeypatch.setattr(_faiss_build, "FLAT_MAX", 500)
    v = clustered(1200)
    idx = open_index(backend="faiss", metric="L2")
    idx.add(list(range(400)), v[:400])
    idx.search(v[:1], topk=1)
    assert idx.kind == "flat"
    idx.add(list(range(400, 1200)), v[400:])
    assert idx.search(v[700], topk=1)[0].ids == [700]
    assert idx.kind == "hnsw"


def test_tombstones_compaction_and_selector_filter(monkeypatch):
    monkeypatch.setattr(_faiss, "FLAT_MAX", 10)  # take the selector path even for a small filter
    v = clustered(3000)
    idx = open_index(backend="faiss", metric="L2", kind="hnsw")
    idx.add(list(range(3000)), v, [{"even": i % 2 == 0} for i in range(3000)])
    res = idx.search(v[:20], topk=5, filter={"even": True})
    assert all(i % 2 == 0 for h in res for i in h.ids)
    idx.delete(list(range(0, 1000)))  # 1000 of 3000 dead: past 25%, compacted at the next search
    res = idx.search(v[1000:1010], topk=3)
    assert [h.ids[0] for h in res] == list(range(1000, 1010))
    assert idx.table.dead == 0 and idx.count() == 2000


def test_missing_faiss_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(ImportError, match=r'pip install "junco\[faiss\]"'):
        open_index(backend="faiss")


def test_auto_falls_back_to_flat_on_hopeless_data(monkeypatch):
    monkeypatch.setattr(_faiss_build, "FLAT_MAX", 500)
    noise = np.random.default_rng(0).standard_normal((2000, 512)).astype(np.float32)
    idx = open_index(backend="faiss", metric="cosine")
    idx.add(list(range(2000)), noise)
    assert idx.search(noise[5], topk=1)[0].ids == [5]
    assert idx.kind == "flat" and "relative contrast" in idx.tuning["fallback"]


def test_auto_falls_back_to_flat_when_tuning_misses_the_target(monkeypatch):
    monkeypatch.setattr(_faiss_build, "FLAT_MAX", 500)
    monkeypatch.setattr(_faiss, "HARD_CONTRAST", 0.0)  # build the graph anyway
    monkeypatch.setattr(_faiss_build, "EF_STEPS", (1,))  # and make it hopeless
    v = clustered(2000)
    idx = open_index(backend="faiss", metric="L2")
    idx.add(list(range(2000)), v)
    idx.search(v[:1], topk=1)
    assert idx.kind == "flat" and "HNSW reached recall" in idx.tuning["fallback"]
    idx.add(list(range(2000, 2100)), clustered(100, seed=3))
    idx.search(v[:1], topk=1)
    assert idx.kind == "flat"  # no new graph until the set has doubled
