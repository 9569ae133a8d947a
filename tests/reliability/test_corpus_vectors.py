"""NaN / inf / wrong-dimension vectors through ``vector/normalize`` and into every store.

Each bad vector must become one error row with a readable reason; the good rows around it must all be
stored, and the store must stay clean: only finite vectors of its dimension, searches with finite scores.
Real stores: exact (numpy), FAISS (saved folder, reopened) and Milvus Lite (a file).
"""

import numpy as np
import pytest

from junco import ops, pipe
from junco.index import open_index
from junco.testing.fault_corpus import run_bounded, tally, vector_cases

DIM = 16


def _store(backend, tmp_path):
    uri = {"exact": None, "faiss": f"faiss://{tmp_path}/faiss", "milvus": str(tmp_path / "m.db")}[backend]
    if backend == "milvus":
        pytest.importorskip("pymilvus")
    if backend == "faiss":
        pytest.importorskip("faiss")
    return uri, open_index(uri, dim=DIM, metric="cosine", backend=backend)


def _insert_pipeline(index, normalize):
    p = pipe.input("id", "vec")
    if normalize:
        p = p.map("vec", "vec", ops.vector.normalize())
    return p.map(("id", "vec"), "id", ops.index.insert(uri=index)).output("id")


def _assert_clean(index, good_ids):
    assert sorted(index.ids()) == sorted(good_ids)
    recs = index.get(sorted(good_ids))
    assert len(recs) == len(good_ids)
    assert all(r.vector.shape == (DIM,) and np.isfinite(r.vector).all() for r in recs)
    res = index.search(np.ones((2, DIM), np.float32), topk=len(good_ids))
    for hits in res:
        assert sorted(hits.ids) == sorted(good_ids) and np.isfinite(np.asarray(hits.scores)).all()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("normalize", [True, False], ids=["normalize", "raw"])
@pytest.mark.parametrize("backend", ["exact", "faiss", "milvus"])
def test_bad_vectors_rejected_per_row_and_store_stays_clean(backend, normalize, tmp_path):
    uri, index = _store(backend, tmp_path)
    # bad rows on both sides of the good ones, and several store batches (batch retries row by row)
    cases = vector_cases(DIM, seed=1, n_good=5) + vector_cases(DIM, seed=2, n_good=40)
    p = _insert_pipeline(index, normalize)
    status, out = run_bounded(lambda: p.batch([(c.path, c.value) for c in cases], ids=[c.path for c in cases]),
                              60)
    assert status == "ok", out
    t = tally(cases, out, out.report.errors)
    assert t.ok, t.problems()
    good = [c.path for c in cases if c.expect_ok]
    assert sum(t.processed.values()) == len(good)
    reasons = {e.row_id: e.message for e in out.report.errors}
    assert "NaN or infinity" in reasons["vec:1:nan"] and "NaN or infinity" in reasons["vec:2:neg-inf"]
    assert "16-d" in reasons["vec:1:dim-long"] or "shape" in reasons["vec:1:dim-long"]
    index.save()
    _assert_clean(index, good)
    if backend != "exact":  # persistent stores: what was saved reopens clean
        index.close()
        again = open_index(uri, backend=backend)
        _assert_clean(again, good)
        again.close()


def test_normalize_refuses_non_finite_and_non_vectors_with_a_reason():
    norm = ops.vector.normalize()
    for case in vector_cases(DIM, seed=3):
        if case.expect_ok:
            v = norm(case.value)
            assert v.shape == (DIM,) and abs(float(np.linalg.norm(v)) - 1) < 1e-5
        elif case.kind in ("nan", "inf", "neg-inf", "all-nan", "scalar", "empty-vector", "strings"):
            with pytest.raises(ValueError) as err:
                norm(case.value)
            assert str(err.value)
    assert norm(np.zeros(DIM)).tolist() == [0.0] * DIM  # a zero vector is finite: it stays zero


def test_direct_store_calls_refuse_a_poisoned_batch_and_keep_the_store_unchanged():
    index = open_index(dim=DIM, metric="L2")
    good = vector_cases(DIM, seed=4, n_good=3)[:3]
    index.add([c.path for c in good], np.stack([c.value for c in good]))
    poisoned = np.ones((2, DIM), np.float32)
    poisoned[1, 3] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        index.add(["x", "y"], poisoned)
    with pytest.raises(ValueError, match="16-d"):
        index.upsert(["z"], np.ones((1, DIM + 2), np.float32))
    assert sorted(index.ids()) == sorted(c.path for c in good)


@pytest.mark.parametrize("backend", ["exact", "faiss"])
def test_wrong_size_rows_first_do_not_set_the_dimension_of_a_store_opened_without_one(backend, tmp_path):
    uri = None if backend == "exact" else f"faiss://{tmp_path}/faiss"
    if backend == "faiss":
        pytest.importorskip("faiss")
    index = open_index(uri, metric="cosine", backend=backend)  # no dim=: the store learns it from the rows
    cases = vector_cases(DIM, seed=5, n_good=6)
    order = [c for c in cases if c.kind in ("dim-short", "dim-long")] + cases  # wrong sizes up front
    order = list({c.path: c for c in order}.values())
    p = _insert_pipeline(index, normalize=True)
    out = p.batch([(c.path, c.value) for c in order], ids=[c.path for c in order])
    t = tally(order, out, out.report.errors)
    assert t.ok, t.problems()
    assert index.dim == DIM
    _assert_clean(index, [c.path for c in order if c.expect_ok])
