"""The text-to-image bridge without CLIP: "a cat" finds the cat photo among the bundled images."""

import numpy as np
import pytest

from _embedding_support import bridge, embed, sample_images
from junco import ops


def test_text_queries_find_the_right_sample_photo():
    names = list(sample_images())
    gallery = embed(bridge("image"), [sample_images()[n] for n in names])
    queries = {"a cat": "chelsea", "a cup of coffee": "coffee", "a rocket": "rocket",
               "a palace": "china", "a flower": "flower", "a motorcycle": "motorcycle_left"}
    q = embed(bridge("text"), list(queries))
    found = [names[i] for i in (q @ gallery.T).argmax(1)]
    assert found == list(queries.values())
    assert np.allclose(np.linalg.norm(gallery, axis=1), 1.0, atol=1e-5)


def test_both_modalities_share_one_fingerprint():
    a, b = bridge("image").fingerprint(), bridge("text").fingerprint()
    assert a == b and a["top_k"] == 5 and a["image_model"]["architecture"] == "tf_efficientnet_lite0"


def test_arguments_are_checked_at_build():
    with pytest.raises(ValueError, match="modality"):
        ops.text_image_embedding.bridge(modality="audio")
    with pytest.raises(ValueError, match="template"):
        ops.text_image_embedding.bridge(template="a photo")
