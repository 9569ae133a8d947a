"""Model-owned preprocessing, user overrides and the fidelity differences."""

import numpy as np
import pytest
import torch
from PIL import Image

from _embedding_support import sample_images
from junco.models import ImagePreprocess


def test_override_reports_each_departure_from_the_training_transform():
    base = ImagePreprocess(interpolation="bicubic", mean=(0.5,) * 3, std=(0.5,) * 3)
    same, issues = base.override(interpolation="bicubic", mean=(0.5, 0.5, 0.5))
    assert same == base and issues == []
    new, issues = base.override(size=256, interpolation="nearest", mean=(0.485, 0.456, 0.406),
                                channel_order="bgr")
    assert new.input_size == (3, 256, 256) and new.channel_order == "BGR"
    assert len(issues) == 4 and any("nearest" in i for i in issues)


def test_bad_override_values_fail_at_once():
    with pytest.raises(ValueError, match="interpolation"):
        ImagePreprocess().override(interpolation="cubic")
    with pytest.raises(ValueError, match="channel_order"):
        ImagePreprocess().override(channel_order="RGBA")


@pytest.mark.parametrize("cfg", [
    ImagePreprocess(interpolation="bicubic", mean=(0.5,) * 3, std=(0.5,) * 3),  # efficientnet-lite0
    ImagePreprocess(interpolation="bilinear"),  # torchvision ResNet-50
    ImagePreprocess((3, 224, 224), "bilinear", 1.0, "squash"),  # MobileNetV2
    ImagePreprocess((3, 240, 240), "bicubic", 0.95, "center"),
])
def test_fast_transform_equals_timms_on_real_photos(cfg):
    from timm.data import create_transform

    ref = create_transform(input_size=cfg.input_size, interpolation=cfg.interpolation, mean=cfg.mean,
                           std=cfg.std, crop_pct=cfg.crop_pct, crop_mode=cfg.crop_mode)
    fast, norm = cfg.transform(), cfg.normalizer()
    for name in ("chelsea", "china", "astronaut", "camera"):
        img = sample_images()[name]
        out = fast(img)
        assert out.dtype == np.uint8 and out.shape == (*cfg.input_size[1:], 3)
        ours = norm(torch.from_numpy(out.copy())[None])[0]
        diff = (ours - ref(Image.fromarray(img))).abs().max().item() * 255 * max(cfg.std)
        assert diff <= 1.5, f"{name}: {diff:.2f} grey levels"  # PIL rounding of the box edges


def test_bgr_flips_channels_and_input_forms_agree():
    img = sample_images()["chelsea"]
    rgb = ImagePreprocess().transform()
    bgr = ImagePreprocess(channel_order="BGR").transform()
    np.testing.assert_array_equal(bgr(img)[..., ::-1], rgb(img))
    np.testing.assert_array_equal(rgb(Image.fromarray(img)), rgb(img))
    gray = img.mean(2).astype(np.uint8)
    assert rgb(gray).shape == (224, 224, 3)
    assert rgb(img[::2, ::2]).shape == (224, 224, 3)  # non-contiguous views are fine


def test_other_crop_modes_use_timms_transform():
    from timm.data import create_transform

    cfg = ImagePreprocess((3, 224, 224), "bicubic", 1.0, "border")
    ref = create_transform(input_size=cfg.input_size, interpolation="bicubic", crop_pct=1.0, crop_mode="border",
                           mean=cfg.mean, std=cfg.std)
    img = sample_images()["coffee"]
    ours = cfg.normalizer()(torch.from_numpy(np.ascontiguousarray(cfg.transform()(img)))[None])[0]
    assert (ours - ref(Image.fromarray(img))).abs().max() < 0.05  # border fill rounds to uint8
