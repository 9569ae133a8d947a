"""One suite for every backend in the index registry (see conftest.py): same calls, same answers."""

from __future__ import annotations

import numpy as np
import pytest

from junco.index import DuplicateIdError, FingerprintMismatchError, Metric, SearchResult
from junco.index._exact import exact_topk


def vecs(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)


def fill(idx, n=300, dim=16, seed=0, fingerprint=None):
    v = vecs(n, dim, seed)
    ids = [f"img/{i:04d}.jpg" for i in range(n)]
    meta = [{"label": i % 3, "score": i / n, "name": f"n{i}"} for i in range(n)]
    assert idx.add(ids, v, meta, fingerprint=fingerprint) == n
    return ids, v, meta


def test_add_count_get_ids(store):
    idx = store.open(metric="cosine")
    ids, v, meta = fill(idx)
    assert idx.count() == len(idx) == 300
    assert sorted(idx.ids()) == sorted(ids)
    got = idx.get([ids[5], "missing", ids[7]])
    assert [r.id for r in got] == [ids[5], ids[7]]
    np.testing.assert_allclose(got[0].vector, v[5], rtol=1e-6)
    assert got[1].metadata == meta[7]
    assert ids[3] in idx and "nope" not in idx


@pytest.mark.parametrize("metric", ["L2", "IP", "cosine"])
def test_search_matches_exact_ground_truth(store, metric):
    idx = store.open(metric=metric)
    ids, v, _ = fill(idx, n=400)
    q = vecs(25, seed=1)
    res = idx.search(q, topk=10)
    assert isinstance(res, SearchResult) and len(res) == 25
    pos, scores = exact_topk(v, q, 10, Metric.parse(metric))
    recall = np.mean([len(set(res[i].ids) & {ids[p] for p in pos[i]}) / 10 for i in range(25)])
    assert recall >= (0.8 if store.opts.get("kind") == "ivfpq" else 0.97), recall
    for i in range(25):
        h = res[i]
        assert len(h.ids) == len(h.scores) == 10 and isinstance(h.scores, np.ndarray)
        s = h.scores
        assert np.all(np.diff(s) <= 1e-5) if Metric.parse(metric).higher_is_better else np.all(np.diff(s) >= -1e-5)
        if h.ids[0] == ids[pos[i][0]]:  # the best hit's score is the exact one
            assert s[0] == pytest.approx(scores[i][0], rel=1e-3, abs=1e-3)
    assert res.ids[0] == res[0].ids and res.metadata[0][0]["name"].startswith("n")


def test_self_query_and_single_vector(store):
    idx = store.open(metric="L2")
    ids, v, _ = fill(idx)
    res = idx.search(v[42], topk=3)  # one vector: still one result per query
    assert len(res) == 1 and res[0].ids[0] == ids[42] and res[0].scores[0] == pytest.approx(0, abs=1e-3)
    assert res[0].best == ids[42] and list(res[0])[0][0] == ids[42]


def test_int_ids_and_mixed_ids_refused(store):
    idx = store.open(metric="IP")
    v = vecs(50)
    idx.add(list(range(100, 150)), v)
    assert idx.search(v[3], topk=1)[0].ids == [103]
    assert sorted(idx.ids()) == list(range(100, 150))
    with pytest.raises(TypeError):
        idx.add(["a"], v[:1])


def test_upsert_replaces_and_add_is_idempotent(store):
    idx = store.open(metric="cosine")
    ids, v, meta = fill(idx, n=100)
    assert idx.add(ids[:10], v[:10], meta[:10]) == 0  # a re-run adds nothing
    assert idx.count() == 100
    with pytest.raises(DuplicateIdError, match="upsert"):
        idx.add([ids[0]], v[1:2])
    new = vecs(1, seed=9)
    assert idx.upsert([ids[0]], new, [{"label": 7}]) == 1
    assert idx.count() == 100
    rec = idx.get([ids[0]])[0]
    np.testing.assert_allclose(rec.vector, new[0], rtol=1e-6)
    assert rec.metadata == {"label": 7}
    assert idx.search(new, topk=1)[0].ids == [ids[0]]


def test_delete(store):
    idx = store.open(metric="L2")
    ids, v, _ = fill(idx, n=200)
    gone = ids[:50]
    assert idx.delete(gone + ["never-there"]) == 50
    assert idx.count() == 150
    assert idx.get(gone) == []
    res = idx.search(v[:50], topk=5)
    assert not set(gone) & {i for h in res for i in h.ids}
    assert idx.delete(gone) == 0


def test_persistence_across_reopen(store):
    idx = store.open(metric="IP", fingerprint={"model": "m1", "layer": -1})
    ids, v, meta = fill(idx)
    idx.delete(ids[:3])
    before = idx.search(v[10:20], topk=5)
    idx.save()
    idx.close()
    again = store.open()
    assert again.metric is Metric.IP and again.dim == 16
    assert again.fingerprint == {"model": "m1", "layer": -1}
    assert again.count() == 297 and sorted(again.ids()) == sorted(ids[3:])
    np.testing.assert_allclose(again.get([ids[9]])[0].vector, v[9], rtol=1e-6)
    after = again.search(v[10:20], topk=5)
    assert after.ids == before.ids
    again.close()
    with pytest.raises(ValueError, match="metric"):
        store.open(metric="L2")
    with pytest.raises(ValueError, match="8-d"):
        store.open(dim=8)


def test_metadata_filters(store):
    idx = store.open(metric="cosine")
    ids, v, meta = fill(idx)
    q = vecs(5, seed=3)
    for flt, ok in [({"label": 1}, lambda m: m["label"] == 1),
                    ({"label": [0, 2]}, lambda m: m["label"] in (0, 2)),
                    ({"score": {"$gte": 0.5}, "label": {"$ne": 0}}, lambda m: m["score"] >= 0.5 and m["label"] != 0)]:
        res = idx.search(q, topk=10, filter=flt)
        want = [i for i, m in zip(ids, meta) if ok(m)]
        truth, _ = exact_topk(v[[ids.index(w) for w in want]], q, 10, Metric.COSINE)
        for i, h in enumerate(res):
            assert len(h) == 10 and all(ok(m) for m in h.metadata)
            assert len(set(h.ids) & {want[p] for p in truth[i]}) >= 9
    assert all(len(h) == 0 for h in idx.search(q, topk=3, filter={"label": 99}))
    assert all(len(h) == 0 for h in idx.search(q, topk=3, filter={"label": []}))


def test_fingerprint_refusal(store):
    fp_a = {"model": "efficientnet_lite0", "weights": "57934424", "layer": "pre_logits"}
    fp_b = {"model": "mobilenetv2", "weights": "abc", "layer": "pre_logits"}
    idx = store.open(metric="cosine", fingerprint=fp_a)
    ids, v, _ = fill(idx, n=20)
    with pytest.raises(FingerprintMismatchError) as e:
        idx.add(["x"], v[:1], fingerprint=fp_b)
    assert "efficientnet_lite0" in str(e.value) and "mobilenetv2" in str(e.value)
    with pytest.raises(FingerprintMismatchError, match="query"):
        idx.search(v[:1], topk=1, fingerprint=fp_b)
    assert idx.search(v[:1], topk=1, fingerprint=fp_a)[0].ids == [ids[0]]
    idx.close()
    other = store.open(fingerprint=fp_b)  # reopened by a pipeline with another model
    with pytest.raises(FingerprintMismatchError):
        other.add(["y"], v[:1])
    with pytest.raises(FingerprintMismatchError):
        other.search(v[:1], topk=1)


def test_fingerprint_recorded_on_first_add_only(store):
    idx = store.open(metric="L2")
    v = vecs(4)
    idx.add(["a", "b"], v[:2])
    with pytest.raises(ValueError, match="no recorded fingerprint"):
        idx.add(["c"], v[2:3], fingerprint="model-x")


def test_empty_and_bad_input(store):
    idx = store.open(dim=16, metric="L2")
    res = idx.search(vecs(2), topk=5)
    assert len(res) == 2 and all(len(h) == 0 for h in res)
    assert idx.count() == 0 and idx.ids() == []
    with pytest.raises(ValueError, match="16-d"):
        idx.add(["a"], np.zeros((1, 8), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        idx.add(["a"], np.full((1, 16), np.nan, np.float32))
    with pytest.raises(ValueError, match="repeat"):
        idx.add(["a", "a"], vecs(2))
    fill(idx, n=5)
    with pytest.raises(ValueError):
        idx.search(np.zeros((1, 8), np.float32))
    assert len(idx.search(vecs(1), topk=50)[0]) == 5  # fewer rows than topk
