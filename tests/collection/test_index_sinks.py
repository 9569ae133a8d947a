"""Search and storage sinks: to_index / to_faiss / to_milvus write vectors under source ids."""

import importlib.util

import numpy as np
import pytest

from junco import DataCollection
from junco.collection._index_sinks import producer

pytest.importorskip("junco.index")


def vectors():
    return DataCollection.from_rows([
        {"path": "a.jpg", "vec": np.array([1.0, 0.0], np.float32), "label": "x"},
        {"path": "b.jpg", "vec": np.array([0.0, 1.0], np.float32), "label": "y"},
        {"path": "c.jpg", "vec": np.array([0.7, 0.7], np.float32), "label": "z"},
    ])


def test_to_index_value_mode_uses_row_ids():
    idx = DataCollection([[1.0, 0.0], [0.0, 1.0]]).filter(lambda v: True).to_index(metric="L2")
    assert len(idx) == 2
    assert idx.search([[0.1, 0.9]], topk=1)[0].ids == [1]


def test_to_index_column_mode_ids_metadata_and_rerun_is_idempotent():
    from junco.index import forget_memory

    forget_memory("dc-test")
    dc = vectors()
    idx = dc.to_index("memory://dc-test", vector="vec", id_field="path", metadata=["label"], metric="cosine")
    (hits,) = idx.search([[0.0, 1.0]], topk=2)
    assert hits.ids == ["b.jpg", "c.jpg"] and hits.metadata[0] == {"label": "y"}
    again = dc.to_index("memory://dc-test", vector="vec", id_field="path")
    assert again is idx and len(idx) == 3  # the same rows again: nothing added
    with pytest.raises(TypeError, match="vector="):
        dc.to_index()
    with pytest.raises(KeyError, match="nope"):
        dc.to_index(vector="nope")


def test_fingerprints_refuse_mixing_models():
    from junco.index import FingerprintMismatchError, forget_memory

    forget_memory("dc-fp")
    vectors().to_index("memory://dc-fp", vector="vec", fingerprint={"model": "m1"})
    with pytest.raises(FingerprintMismatchError):
        vectors().to_index("memory://dc-fp", vector="vec", fingerprint={"model": "m2"})
    assert producer(vectors().map("vec", "vec2", lambda v: v * 2), "vec2") is None  # no model upstream


def test_failed_rows_are_not_written_and_are_reported():
    dc = DataCollection([[1.0, 0.0], None, [0.0, 1.0]]).safe().map(lambda v: np.array([v[0], v[1]]) * 2)
    idx = dc.to_index(metric="IP")
    assert len(idx) == 2 and [e.row_id for e in dc.errors] == [1]


@pytest.mark.skipif(importlib.util.find_spec("faiss") is None, reason="faiss not installed")
def test_to_faiss_saves_to_a_folder(tmp_path):
    idx = vectors().to_faiss(tmp_path / "fx", vector="vec", id_field="path", metric="L2")
    assert idx.search([[0.0, 1.0]], topk=1)[0].ids == ["b.jpg"]
    from junco.index import open_index

    assert len(open_index(f"faiss://{tmp_path / 'fx'}")) == 3


@pytest.mark.skipif(importlib.util.find_spec("milvus_lite") is None, reason="milvus-lite not installed")
def test_to_milvus_lite_file(tmp_path):
    idx = vectors().to_milvus(tmp_path / "v.db", vector="vec", id_field="path", metadata=["label"], metric="L2")
    try:
        (hits,) = idx.search([[1.0, 0.0]], topk=1)
        assert hits.ids == ["a.jpg"] and hits.metadata[0]["label"] == "x"
    finally:
        idx.close()


def test_search_vectors_method_is_the_dispatched_operator():
    pytest.importorskip("junco.ops.search")
    data = DataCollection.from_rows([{"p": "a", "v": [1.0, 0.0]}, {"p": "b", "v": [0.0, 1.0]}])
    hits = DataCollection([[0.1, 0.9]]).search_vectors(data=data["v"], cal="L2", topk=2).to_list()
    assert list(hits[0].ids) == [1, 0] and len(hits[0].scores) == 2
