"""Named image pipelines on real packaged weights: defaults, aliases, errors, text-image search."""

import numpy as np
import pytest

from _embedding_support import SKIMAGE_PHOTOS, skimage_path
from junco import pipeline
from junco.models import ModelNotFoundError


@pytest.fixture(scope="module")
def photos():
    return [skimage_path(n) for n in SKIMAGE_PHOTOS[:6]]


def test_image_embedding_defaults_to_the_packaged_efficientnet(photos, tmp_path):
    p = pipeline("image-embedding", backend="torch")
    embed_op = [n.fn for n in p.plan.steps if "image-embedding" in str(getattr(n.fn, "__junco_name__", ""))]
    assert embed_op and embed_op[0].model_name == "tf_efficientnet_lite0"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(open(photos[0], "rb").read()[:100])
    res = p.batch([*photos, str(broken)])
    vecs = [r[0] for r in res[:-1]]
    assert res[-1] == [] and len(res.errors) == 1  # a bad file is an error row, the rest go on
    assert all(v.shape == (1280,) and abs(np.linalg.norm(v) - 1) < 1e-5 for v in vecs)
    fp = p.fingerprint()["steps"][1]
    assert fp["architecture"] == "tf_efficientnet_lite0" and fp["weights_sha256"]


def test_alias_form_picks_the_model(photos):
    p = pipeline("image-embedding-mobilenetv2", backend="torch")
    assert p(photos[0])[0].shape == (1280,)


def test_a_model_that_is_not_installed_fails_at_build(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.delenv("JUNCO_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(ModelNotFoundError, match="resnet50"):
        pipeline("image-embedding", model="resnet50")


def test_layer_and_backend_pass_through(photos):
    p = pipeline("image-embedding", layer="stages.2", backend="torch")
    assert p(photos[1])[0].shape == (40,)


def test_text_image_search_answers_a_cat_offline(photos, monkeypatch):
    from junco.index import open_index

    monkeypatch.delenv("JUNCO_CLIP_MODEL", raising=False)
    monkeypatch.delenv("JUNCO_CLIP_CHECKPOINT", raising=False)
    images = pipeline("text-image-embedding", modality="image", backend="torch")  # no CLIP: the bridge
    vecs = [r[0] for r in images.batch(photos)]
    op = images.plan.steps[-1].fn
    index = open_index(dim=vecs[0].shape[0], metric="cosine")
    index.add(photos, np.stack(vecs), fingerprint=op.fingerprint())
    search = pipeline("text-image-search", index=index, topk=3, backend="torch")
    hits = search("a cat")[0]
    assert hits.ids[0].endswith("chelsea.png")
    assert search("a cup of coffee")[0].ids[0].endswith("coffee.png")


def test_text_image_search_uses_clip_when_one_is_configured(tmp_path, monkeypatch):
    import json

    import open_clip
    import torch

    cfg = {"embed_dim": 16, "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16},
           "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1}}
    (tmp_path / "open_clip_config.json").write_text(json.dumps({"model_cfg": cfg}))
    torch.save(open_clip.create_model(f"local-dir:{tmp_path}").state_dict(), tmp_path / "open_clip_pytorch_model.bin")
    monkeypatch.setenv("JUNCO_CLIP_CHECKPOINT", str(tmp_path))
    monkeypatch.delenv("JUNCO_CLIP_MODEL", raising=False)
    p = pipeline("text-image-search", backend="torch")
    assert type(p.plan.steps[-1].fn).__name__ == "ClipEmbedding"
    assert p("a cat")[0].shape == (16,)
