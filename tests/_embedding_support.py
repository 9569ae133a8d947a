"""Real models and bundled sample images shared by the embedding tests (loaded once per process).

Tests import this module directly (``tests/`` is on ``sys.path`` through the root ``conftest.py``).
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np

SKIMAGE_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg", "hubble_deep_field.jpg",
                  "motorcycle_left.png", "retina.jpg", "ihc.png", "camera.png", "coins.png", "brick.png")


def skimage_path(name: str) -> str:
    import skimage.data

    return os.path.join(os.path.dirname(skimage.data.__file__), name)


@cache
def sample_images() -> dict[str, np.ndarray]:
    """Bundled photos as RGB uint8 arrays: scikit-image's and scikit-learn's (china, flower)."""
    from sklearn.datasets import load_sample_images

    from junco import ops

    decode = ops.image_decode.pil()
    out = {name.split(".")[0]: decode(skimage_path(name)) for name in SKIMAGE_PHOTOS}
    china, flower = load_sample_images().images
    out["china"], out["flower"] = china, flower
    return out


def augment(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random crop (50-85% of each side), maybe flipped, with a brightness change."""
    h, w = img.shape[:2]
    ch, cw = int(h * rng.uniform(0.5, 0.85)), int(w * rng.uniform(0.5, 0.85))
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    crop = img[y:y + ch, x:x + cw].astype(np.float32)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    return np.clip(crop * rng.uniform(0.8, 1.2), 0, 255).astype(np.uint8)


def embed(op: Any, items: list[Any]) -> np.ndarray:
    """Run an operator the way the engine does: preprocess per row, one batched forward."""
    op.setup()
    return np.stack(op.postprocess(op.forward([op.preprocess(x) for x in items])))


def crop_retrieval_accuracy(op: Any, copies: int = 2, seed: int = 0) -> tuple[float, float]:
    """Top-1 accuracy of augmented crops retrieving their source image, and chance level."""
    images = sample_images()
    names = list(images)
    gallery = embed(op, [images[n] for n in names])
    rng = np.random.default_rng(seed)
    queries, truth = [], []
    for i, n in enumerate(names):
        for _ in range(copies):
            queries.append(augment(images[n], rng))
            truth.append(i)
    q = embed(op, queries)
    g = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    hits = (q @ g.T).argmax(1) == np.array(truth)
    return float(hits.mean()), 1.0 / len(names)


@cache
def efficientnet(layer: Any = None, backend: str = "torch") -> Any:
    from junco import ops

    op = ops.image_embedding.timm(model_name="efficientnet_lite0", layer=layer, backend=backend)
    op.setup()
    return op


@cache
def minilm(backend: str = "torch") -> Any:
    from junco import ops

    op = ops.text_embedding.sentence_transformers(backend=backend)
    op.setup()
    return op


@cache
def bridge(modality: str) -> Any:
    from junco import ops

    op = ops.text_image_embedding.bridge(modality=modality, backend="torch")
    op.setup()
    return op
