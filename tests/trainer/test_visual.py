"""Pictures: Grad-CAM on a transformer's tokens, the embedding map, the curves."""

import numpy as np
import pytest

from junco.trainer import grad_cam, plot_curves, plot_embedding_map


def test_grad_cam_on_vit_tokens():
    timm = pytest.importorskip("timm")
    import torch

    torch.manual_seed(0)
    vit = timm.create_model("vit_tiny_patch16_224", pretrained=False, img_size=32, num_classes=3)
    cams, preds, rgb = grad_cam(vit, [np.random.default_rng(0).random((3, 32, 32), dtype=np.float32)] * 2)
    assert cams.shape == (2, 32, 32) and rgb.shape == (2, 32, 32, 3) and preds.shape == (2,)
    assert 0.0 <= cams.min() and cams.max() <= 1.0


def test_maps_and_curves_are_files(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    emb = np.r_[rng.normal(0, 1, (20, 8)), rng.normal(4, 1, (20, 8))]
    for method in ("tsne", "pca", "umap"):  # umap falls back to t-SNE when not installed
        path = plot_embedding_map(emb, [0] * 20 + [1] * 20, tmp_path / f"{method}.png", method=method,
                                  classes=["a", "b"])
        assert path.stat().st_size > 1000
    hist = [{"epoch": 0, "val/loss": 2.0, "val/accuracy": 0.1},
            {"epoch": 1, "train/loss": 1.0, "val/loss": 1.5, "val/accuracy": 0.5}]
    assert plot_curves(hist, tmp_path / "c.png").stat().st_size > 1000
