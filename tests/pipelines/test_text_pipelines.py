"""Named text pipelines on the packaged all-MiniLM-L6-v2."""

import numpy as np
import pytest

from junco import pipeline
from junco.models import ModelNotFoundError


def test_text_embedding_default_and_batch():
    p = pipeline("text-embedding", backend="torch")
    a, b, c = (r[0] for r in p.batch(["A man plays a guitar.", "Someone strums a guitar.", "Taxes rose."]))
    assert a.shape == (384,) and a @ b > a @ c


def test_plain_transformers_folder_uses_masked_pooling(tmp_path):
    # a transformers-only copy of MiniLM (no modules.json): the transformers operator, mean pooling
    import shutil

    from junco.models import PACKAGED

    src = PACKAGED["all-MiniLM-L6-v2"].find()
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json"):
        shutil.copy(src / name, tmp_path / name)
    p = pipeline("text-embedding", model=str(tmp_path), backend="torch")
    ref = pipeline("text-embedding", backend="torch")
    assert type(p.plan.steps[0].fn).__name__ == "TransformersEmbedding"
    np.testing.assert_allclose(p("hello there")[0], ref("hello there")[0], atol=1e-5)


def test_unknown_text_model_fails_at_build(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("JUNCO_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(ModelNotFoundError):
        pipeline("text-embedding-all-mpnet-base-v2")
