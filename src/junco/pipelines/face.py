"""Named face pipeline: ``face-embedding`` (dlib HOG detector -> 5-point alignment -> ResNet, 128-d)."""

from __future__ import annotations

from typing import Any

from junco.ops import create
from junco.pipeline import pipe, register_pipeline


@register_pipeline("face-embedding", aliases_prefix=True)
def face_embedding(model: str = "dlib", *, decoder: str = "cv2", upsample: int = 1, min_score: float = 0.0,
                   max_faces: int | None = None, num_jitters: int = 0, normalize: bool = False) -> Any:
    """Images -> one row per face: detect -> align / crop -> embed (flat_map: no face, no row).

    Args:
        model: ``"dlib"`` (the only face model installed here).
        decoder: image decoder, ``"cv2"`` or ``"pil"``.
        upsample, min_score, max_faces: detector settings (see ``face-detect/dlib``).
        num_jitters: embedding jitters (see ``face-embedding/dlib``).
        normalize: L2-normalize the vectors. Off by default: dlib's same-person threshold (distance
            0.6) is defined on the raw descriptors.

    Returns:
        A pipeline: path / bytes -> rows ``face, vec`` (``face.box``, ``face.landmarks``, ``face.score``).

    Example:
        >>> from junco import pipeline
        >>> pipeline("face-embedding").plan.output_columns
        ('face', 'vec')
    """
    if model.lower() != "dlib":
        raise ValueError(f"unknown face model {model!r}; known: dlib")
    detect = create("face-detect/dlib", upsample=upsample, min_score=min_score, max_faces=max_faces)
    embed = create("face-embedding/dlib", num_jitters=num_jitters)
    detect.check()
    embed.check()
    p = (pipe.input("path")
         .map("path", "image", create(f"image-decode/{decoder}"))
         .flat_map("image", "face", detect)
         .map(("image", "face"), "vec", embed))
    if normalize:
        p = p.map("vec", "vec", create("vector/normalize"))
    return p.output("face", "vec")
