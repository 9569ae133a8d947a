"""The ONNX Runtime backend: export once, cache by fingerprint, verify against torch, serve."""

import warnings

import numpy as np
import pytest

from _embedding_support import efficientnet, sample_images
from junco import models, ops
from junco.models import TOLERANCE, OnnxMismatchError
from junco.models._onnx import check


def test_check_applies_the_stated_tolerance():
    ref = np.ones((2, 4), np.float32)
    assert check(ref, ref + 5e-5) <= TOLERANCE["atol"]
    with pytest.raises(OnnxMismatchError, match="max"):
        check(ref, ref + 0.1)


def test_onnx_matches_torch_and_is_exported_once():
    onnx_op = efficientnet(backend="onnxruntime")
    assert onnx_op.active_backend == "onnxruntime" and onnx_op.onnx_max_diff is not None
    files = sorted((models.cache_dir() / "onnx").glob("*.onnx"))
    assert files
    imgs = [sample_images()[n] for n in ("chelsea", "coffee", "china")]
    a = np.stack(onnx_op.forward([onnx_op.preprocess(i) for i in imgs]))
    t = efficientnet()
    b = np.stack(t.forward([t.preprocess(i) for i in imgs]))
    np.testing.assert_allclose(a, b, atol=TOLERANCE["atol"] + TOLERANCE["rtol"] * np.abs(b).max())
    mtimes = [f.stat().st_mtime_ns for f in files]
    again = ops.image_embedding.timm(model_name="efficientnet_lite0", backend="onnxruntime")
    again.setup()  # served from the cached file
    assert [f.stat().st_mtime_ns for f in files] == mtimes and again.active_backend == "onnxruntime"


def test_auto_falls_back_to_torch_and_says_so(monkeypatch):
    import junco.models._onnx as onnx_mod

    def broken(*a, **k):
        raise OnnxMismatchError("simulated")

    monkeypatch.setattr(onnx_mod, "load_or_export", broken)
    monkeypatch.setattr(models, "load_or_export", broken)
    op = ops.image_embedding.mobilenetv2(backend="auto", device="cpu")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        op.setup()
    assert op.active_backend == "torch"
    assert any("simulated" in w for w in op.warnings)
    assert any(issubclass(c.category, models.JuncoWarning) for c in caught)
    with pytest.raises(OnnxMismatchError):
        ops.image_embedding.mobilenetv2(backend="onnxruntime").setup()


def test_bad_backend_name_fails_at_build():
    with pytest.raises(ValueError, match="backend"):
        ops.image_embedding.timm(model_name="efficientnet_lite0", backend="tensorrt")
