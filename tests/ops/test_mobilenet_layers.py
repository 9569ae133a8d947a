"""MobileNetV2 (the packaged ImageNet weights) at earlier layers: the same image, other depths."""

import os

import numpy as np
import pytest
import skimage.data

from junco import ops

COFFEE = os.path.join(os.path.dirname(skimage.data.__file__), "coffee.png")


def test_last_block_pooled_is_the_packaged_embedding_and_earlier_blocks_are_smaller():
    full = ops.image_embedding.mobilenetv2(backend="torch")(COFFEE)
    last = ops.image_embedding.mobilenetv2(backend="torch", layer=-1)(COFFEE)
    mid = ops.image_embedding.mobilenetv2(backend="torch", layer=-2)(COFFEE)
    assert full.shape == last.shape == (1280,)
    np.testing.assert_allclose(last, full, rtol=1e-4, atol=1e-5)
    assert mid.shape == (320,) and np.isfinite(mid).all() and np.abs(mid).sum() > 0


def test_layer_is_in_the_fingerprint_and_bad_layers_are_clear_errors():
    a = ops.image_embedding.mobilenetv2(backend="torch")
    b = ops.image_embedding.mobilenetv2(backend="torch", layer=-2)
    a.setup()
    b.setup()
    assert a.fingerprint() != b.fingerprint()
    with pytest.raises(TypeError, match="int index"):
        ops.image_embedding.mobilenetv2(layer="features.3")
    bad = ops.image_embedding.mobilenetv2(backend="torch", layer=99)
    with pytest.raises(ValueError, match="out of range"):
        bad.setup()
