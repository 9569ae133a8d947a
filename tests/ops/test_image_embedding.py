"""Image embeddings on real packaged weights: they mean something, layers, fidelity, save / load."""

import warnings

import numpy as np
import pytest

from _embedding_support import crop_retrieval_accuracy, efficientnet, embed, sample_images
from junco import ops
from junco.models import PreprocessingFidelityWarning


def _classes(op, img, k=5):
    logits = embed(op, [img])[0]
    return list(np.argsort(-logits)[:k])


def test_efficientnet_crops_retrieve_their_source_far_above_chance():
    acc, chance = crop_retrieval_accuracy(efficientnet(backend="onnxruntime"))  # the default CPU backend
    assert acc >= 0.85 and acc > 8 * chance


def test_mobilenetv2_crops_retrieve_their_source_far_above_chance():
    op = ops.image_embedding.mobilenetv2(backend="torch")
    acc, chance = crop_retrieval_accuracy(op, copies=1)
    assert acc >= 0.85 and acc > 8 * chance
    assert op.dim == 1280 and op.fingerprint()["architecture"] == "mobilenetv2_bottle"


def test_packaged_classifier_is_right_on_sample_photos():
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    logits = efficientnet(layer="logits")
    top1 = {n: info.index_to_description(_classes(logits, sample_images()[n], 1)[0]) for n in ("china", "flower")}
    assert top1 == {"china": "palace", "flower": "daisy"}


@pytest.mark.parametrize("layer,dim", [(None, 1280), ("stages.2", 40), (-1, 320), ("blocks.3", 80),
                                       ("logits", 1000)])
def test_layer_selection(layer, dim):
    op = efficientnet(layer=layer)
    assert op.dim == dim
    assert embed(op, [sample_images()["chelsea"]]).shape == (1, dim)


def test_layer_names_index_and_stage_aliases_agree():
    from junco.models._layers import resolve_layer

    model = efficientnet().model
    assert resolve_layer(model, 2) == resolve_layer(model, "stages.2") == resolve_layer(model, "blocks.2") == 2
    assert resolve_layer(model, "2") == 2 and resolve_layer(model, -1) == 4
    assert resolve_layer(model, "blocks.3") == "blocks.3"  # not a feature stage: hooked
    assert resolve_layer(model, None) is None and resolve_layer(model, "logits") == "logits"


def test_earlier_layers_are_pooled_and_max_pool_differs():
    img = sample_images()["coffee"]
    avg = ops.image_embedding.timm(model_name="efficientnet_lite0", layer=2, pool="avg", backend="torch")(img)
    mx = ops.image_embedding.timm(model_name="efficientnet_lite0", layer=2, pool="max", backend="torch")(img)
    assert avg.shape == mx.shape == (40,) and np.all(mx >= avg - 1e-5) and not np.allclose(mx, avg)


def test_unknown_layer_lists_the_choices():
    with pytest.raises(ValueError, match="blocks.0"):
        ops.image_embedding.timm(model_name="efficientnet_lite0", layer="stages.9", backend="torch").setup()
    with pytest.raises(ValueError, match="pool"):
        ops.image_embedding.timm(model_name="efficientnet_lite0", pool="median")


def test_fidelity_warning_nearest_vs_bicubic_changes_embeddings_and_classes():
    """The seeds' example: nearest instead of the model's bicubic on a large real photo."""
    from PIL import Image

    big = np.asarray(Image.fromarray(sample_images()["chelsea"]).resize((1804, 1200), Image.LANCZOS))
    right = efficientnet(layer="logits")
    with pytest.warns(PreprocessingFidelityWarning, match="nearest"):
        wrong = ops.image_embedding.timm(model_name="efficientnet_lite0", layer="logits",
                                         interpolation="nearest", backend="torch")
        wrong.setup()
    assert any("interpolation 'nearest'" in w for w in wrong.warnings)  # for the run report
    a, b = embed(right, [big])[0], embed(wrong, [big])[0]
    pa, pb = np.exp(a - a.max()) / np.exp(a - a.max()).sum(), np.exp(b - b.max()) / np.exp(b - b.max()).sum()
    assert np.abs(pa - pb).sum() > 0.05  # the class distribution moves
    assert _classes(right, big) != _classes(wrong, big)
    pre_a = embed(efficientnet(), [big])[0]
    with pytest.warns(PreprocessingFidelityWarning):
        pre_b = embed(ops.image_embedding.timm(model_name="efficientnet_lite0", interpolation="nearest",
                                               backend="torch"), [big])[0]
    cos = float(pre_a @ pre_b / np.linalg.norm(pre_a) / np.linalg.norm(pre_b))
    assert cos < 0.998  # same photo, same model: only the resize filter differs


def test_fidelity_warning_reaches_the_run_report():
    from junco import pipe

    with pytest.warns(PreprocessingFidelityWarning):
        op = ops.image_embedding.timm(model_name="efficientnet_lite0", channel_order="BGR", backend="torch")
        res = pipe.input("img").map("img", "vec", op).output("vec")(sample_images()["coffee"])
    assert any("channel_order 'BGR'" in w for w in res.report.warnings)


def test_no_warning_when_overrides_match_the_model():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PreprocessingFidelityWarning)
        op = ops.image_embedding.timm(model_name="efficientnet_lite0", interpolation="bicubic", size=224,
                                      mean=(0.5, 0.5, 0.5), backend="torch")
        op.setup()
    assert op.warnings == []


def test_save_and_load_back_by_path(tmp_path):
    from junco.operator import ModelOperator

    op = ops.image_embedding.timm(model_name="efficientnet_lite0", num_classes=10, backend="torch")
    op.save(tmp_path / "saved")
    back = ModelOperator.load(tmp_path / "saved", backend="torch")
    img = sample_images()["rocket"]
    np.testing.assert_allclose(back(img), op(img), rtol=1e-5, atol=1e-6)
    assert back.model.num_classes == 10 and back.weights.source == "checkpoint"
    fp_a, fp_b = op.fingerprint(), back.fingerprint()
    assert fp_a["weights_sha256"] != fp_b["weights_sha256"]  # a new head was drawn and saved
    assert {k: v for k, v in fp_a.items() if k != "weights_sha256"} == \
        {k: v for k, v in fp_b.items() if k != "weights_sha256"}


def test_inputs_may_be_paths_bytes_or_pil():
    from PIL import Image

    from _embedding_support import skimage_path

    op = efficientnet()
    path = skimage_path("coffee.png")
    a = embed(op, [path])[0]
    b = embed(op, [open(path, "rb").read()])[0]
    c = embed(op, [Image.open(path)])[0]
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, c, atol=1e-6)
    assert op.model.training is False and op.device in ("cpu", "cuda")
