"""Text embeddings on the packaged all-MiniLM-L6-v2: meaning, masked pooling, length batching."""

import numpy as np
import pytest

from _embedding_support import embed, minilm
from junco import ops
from junco.models import ModelNotFoundError
from junco.ops._text_model import length_batches

PARA = ["A man is playing a guitar.", "Someone is strumming a guitar.", "The stock market fell sharply today."]


def test_paraphrase_is_nearer_than_an_unrelated_sentence():
    v = embed(minilm(), PARA)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > 0.6 > 0.3 > v[0] @ v[2]


def test_matches_sentence_transformers_encode():
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(minilm().weights.path, device="cpu")
    np.testing.assert_allclose(embed(minilm(), PARA), st.encode(PARA), atol=1e-5)


@pytest.fixture(scope="module")
def mean_pooled():
    op = ops.text_embedding.transformers(pooling="mean", normalize=True, backend="torch")
    op.setup()
    return op


def test_masked_mean_pooling_equals_the_sentence_transformer(mean_pooled):
    np.testing.assert_allclose(embed(mean_pooled, PARA), embed(minilm(), PARA), atol=1e-5)


def test_padding_does_not_change_a_vector(mean_pooled):
    short = "a cat"
    alone = embed(mean_pooled, [short])[0]
    padded = embed(mean_pooled, [short, "a much longer sentence " * 20])[0]
    np.testing.assert_allclose(alone, padded, atol=1e-5)


def test_cls_pooling_is_another_vector(mean_pooled):
    cls = ops.text_embedding.transformers(pooling="cls", backend="torch")
    assert not np.allclose(embed(cls, PARA[:1])[0], embed(mean_pooled, PARA[:1])[0], atol=1e-3)
    assert cls.fingerprint()["pooling"] == "cls"
    with pytest.raises(ValueError, match="pooling"):
        ops.text_embedding.transformers(pooling="max")


def test_length_batches_sort_by_length_and_bound_tokens():
    groups = length_batches([5, 100, 7, 98, 6], max_rows=2)
    assert groups == [[1, 3], [2, 4], [0]]
    assert length_batches([300] * 4, max_rows=64, max_tokens=600) == [[0, 1], [2, 3]]
    lengths = [60] * 10 + [10] * 30  # long rows do not make the short ones pad to 60
    groups = length_batches(lengths, max_rows=256)
    assert len(groups) == 2 and all(lengths[g[-1]] == 10 for g in groups)
    padded = sum(len(g) * max(lengths[i] for i in g) for g in groups)
    assert padded <= 1.25 * sum(lengths)


def test_results_come_back_in_input_order_and_long_texts_truncate():
    texts = ["x", "a dog runs " * 200, "a cat sleeps", ""]
    batch = embed(minilm(), texts)
    for i, t in enumerate(texts):
        np.testing.assert_allclose(batch[i], embed(minilm(), [t])[0], atol=1e-5)
    assert len(minilm().preprocess(texts[1])) == minilm().max_length == 256


def test_onnx_matches_torch():
    onnx = ops.text_embedding.sentence_transformers(backend="onnxruntime")
    onnx.setup()
    assert onnx.active_backend == "onnxruntime"
    np.testing.assert_allclose(embed(onnx, PARA), embed(minilm(), PARA), atol=1e-4)


def test_save_and_load_back(tmp_path):
    from junco.operator import ModelOperator

    minilm().save(tmp_path / "st")
    back = ModelOperator.load(tmp_path / "st", backend="torch")
    np.testing.assert_allclose(embed(back, PARA), embed(minilm(), PARA), atol=1e-6)
    assert back.fingerprint()["dim"] == 384


def test_missing_text_model_names_the_places(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("JUNCO_ALLOW_DOWNLOAD", raising=False)
    op = ops.text_embedding.sentence_transformers(model_name_or_path="all-mpnet-base-v2")
    with pytest.raises(ModelNotFoundError) as e:
        op.check()
    assert "sentence-transformers/all-mpnet-base-v2" in str(e.value) and "JUNCO_ALLOW_DOWNLOAD" in str(e.value)
    with pytest.raises(TypeError):
        minilm().preprocess(42)
