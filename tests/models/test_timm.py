"""timm loading: packaged weights, checkpoints the test saves itself, the missing-model error."""

import numpy as np
import pytest
import torch

from junco import ops
from junco.models import ModelNotFoundError
from junco.models._timm import load_timm, locate_timm


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("JUNCO_ALLOW_DOWNLOAD", raising=False)
    return tmp_path


def test_missing_model_names_every_place_and_the_fixes(empty_caches):
    with pytest.raises(ModelNotFoundError) as e:
        locate_timm("resnet50")
    msg = str(e.value)
    for place in ("checkpoint_path: not given", "Hugging Face cache", "timm/resnet50.a1_in1k",
                  "torch hub cache", "hub: not allowed", "JUNCO_ALLOW_DOWNLOAD=1", "checkpoint_path="):
        assert place in msg
    assert "random" in msg  # says it never falls back to random weights


def test_missing_model_fails_at_build_of_the_named_pipeline(empty_caches):
    from junco import pipeline

    with pytest.raises(ModelNotFoundError):
        pipeline("image-embedding-resnet50")


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown timm architecture"):
        locate_timm("resnet_does_not_exist")


def test_packaged_efficientnet_maps_to_the_tf_variant():
    model, weights, notes = load_timm("efficientnet_lite0")
    assert model.pretrained_cfg["architecture"] == "tf_efficientnet_lite0"
    assert weights.source == "package" and notes == []


def test_a_checkpoint_saved_by_the_test_loads_and_reproduces_the_model(tmp_path, empty_caches):
    import timm

    torch.manual_seed(0)
    ref = timm.create_model("resnet18", num_classes=7).eval()
    torch.save({"state_dict": ref.state_dict()}, tmp_path / "resnet18.pth")
    op = ops.image_embedding.timm(model_name="resnet18", checkpoint_path=str(tmp_path / "resnet18.pth"),
                                  layer="logits", backend="torch")
    x = np.random.default_rng(0).integers(0, 255, (120, 90, 3), dtype=np.uint8)
    got = op(x)
    with torch.no_grad():
        pixels = op.preprocess_config.normalizer()(torch.from_numpy(np.array(op.preprocess(x)))[None])
        want = ref(pixels)[0].numpy()
    assert op.weights.source == "checkpoint" and op.model.num_classes == 7  # head size read from the file
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_a_safetensors_checkpoint_with_another_head_is_reinitialized_and_said(tmp_path, empty_caches):
    import timm
    from safetensors.torch import save_file

    save_file(timm.create_model("resnet18").state_dict(), str(tmp_path / "model.safetensors"))
    model, weights, notes = load_timm("resnet18", str(tmp_path), num_classes=3)  # a folder works too
    assert model.num_classes == 3 and weights.path.endswith("model.safetensors")
    assert notes and "re-initialized" in notes[0]


def test_a_checkpoint_of_another_architecture_is_refused(tmp_path):
    import timm

    torch.save(timm.create_model("resnet18").state_dict(), tmp_path / "m.pth")
    with pytest.raises(RuntimeError):
        load_timm("efficientnet_lite0", str(tmp_path / "m.pth"))


def test_missing_checkpoint_path_is_a_model_not_found_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no such file"):
        locate_timm("resnet18", str(tmp_path / "nope.pth"))
