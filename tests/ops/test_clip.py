"""CLIP on open_clip: loading mechanics on a tiny random-weight model the test saves itself.

No CLIP weights install offline here; the retrieval test runs only where one is configured.
"""

import json

import numpy as np
import pytest
import torch

from _embedding_support import embed, sample_images
from junco import models, ops
from junco.models import ModelNotFoundError

TINY = {"embed_dim": 32, "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    import open_clip

    folder = tmp_path_factory.mktemp("tiny-clip")
    (folder / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY, "preprocess_cfg": {}}))
    torch.manual_seed(0)
    model = open_clip.create_model(f"local-dir:{folder}").eval()  # random weights, on purpose
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")
    return folder, model


def test_loads_the_saved_checkpoint_and_reproduces_the_model(tiny_clip):
    import open_clip

    folder, model = tiny_clip
    text = ops.image_text_embedding.clip(checkpoint_path=str(folder), modality="text", backend="torch")
    image = ops.image_text_embedding.clip(checkpoint_path=str(folder), modality="image", backend="torch")
    t = embed(text, ["a photo of a cat", "a diagram"])
    i = embed(image, [sample_images()["chelsea"]])
    with torch.no_grad():
        tokens = open_clip.get_tokenizer(f"local-dir:{folder}")(["a photo of a cat", "a diagram"])
        want = torch.nn.functional.normalize(model.encode_text(tokens), dim=-1).numpy()
    np.testing.assert_allclose(t, want, atol=1e-5)
    assert t.shape == (2, 32) and i.shape == (1, 32)
    assert text.fingerprint() == image.fingerprint()  # one space
    assert text.weights.source == "checkpoint"


def test_onnx_matches_torch_for_both_towers(tiny_clip):
    folder, _ = tiny_clip
    for modality, items in (("text", ["a cat", "a dog on a mat"]), ("image", [sample_images()["coffee"]])):
        a = ops.image_text_embedding.clip(checkpoint_path=str(folder), modality=modality, backend="torch")
        b = ops.image_text_embedding.clip(checkpoint_path=str(folder), modality=modality, backend="onnxruntime")
        np.testing.assert_allclose(embed(a, items), embed(b, items), atol=1e-4)


def test_save_and_load_back(tiny_clip, tmp_path):
    from junco.operator import ModelOperator

    folder, _ = tiny_clip
    op = ops.image_text_embedding.clip(checkpoint_path=str(folder), modality="text", backend="torch")
    op.save(tmp_path / "saved")
    back = ModelOperator.load(tmp_path / "saved", backend="torch")
    np.testing.assert_allclose(embed(back, ["hello"]), embed(op, ["hello"]), atol=1e-6)


def test_missing_clip_weights_are_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv("JUNCO_ALLOW_DOWNLOAD", raising=False)
    with pytest.raises(ModelNotFoundError, match="checkpoint_path"):
        ops.image_text_embedding.clip(model_name="ViT-B-32").check()
    (tmp_path / "open_clip_config.json").write_text(json.dumps({"model_cfg": TINY}))
    with pytest.raises(ModelNotFoundError, match="weight file"):  # never a random model
        ops.image_text_embedding.clip(checkpoint_path=str(tmp_path)).check()
    with pytest.raises(ValueError, match="modality"):
        ops.image_text_embedding.clip(modality="video")


@pytest.mark.skipif(models.clip_checkpoint() is None, reason="no CLIP weights configured on this machine")
def test_real_clip_ranks_the_cat_first():
    name, ckpt = models.clip_checkpoint()
    names = list(sample_images())
    image = ops.image_text_embedding.clip(model_name=name, checkpoint_path=ckpt, modality="image")
    text = ops.image_text_embedding.clip(model_name=name, checkpoint_path=ckpt, modality="text")
    scores = embed(text, ["a photo of a cat"]) @ embed(image, [sample_images()[n] for n in names]).T
    assert names[int(scores.argmax())] == "chelsea"
