"""Named video pipeline: ``video-embedding`` (sampled frames -> image model -> temporal pooling)."""

from __future__ import annotations

from typing import Any

from junco.ops import create
from junco.pipeline import pipe, register_pipeline


@register_pipeline("video-embedding", aliases_prefix=True)
def video_embedding(model: str | None = None, *, pool: str = "mean", sample: str = "rate", fps: float = 1.0,
                    scene_threshold: float = 0.15, max_frames: int = 64, max_duration: float | None = 3600.0,
                    max_side: int | None = 512, **op_args: Any) -> Any:
    """Videos -> vectors: decode frames (flat_map) -> embed each with an image model (batched map) ->
    pool them per video (window_all).

    Args:
        model: the image model (default the packaged efficientnet-lite0; ``"mobilenetv2"``; any timm
            architecture with weights on disk).
        pool: ``"mean"`` / ``"max"`` (one unit vector per video) or ``"none"`` (one row per frame, with
            its ``timestamp``; vectors unit length).
        sample, fps, scene_threshold, max_frames, max_duration, max_side: frame sampling (see
            ``video-decode/av``).
        **op_args: passed to the image operator (``device``, ``backend``, ``layer``...).

    Returns:
        A pipeline: path / bytes -> ``vec`` (or rows ``timestamp, vec`` with ``pool="none"``). Broken
        videos become error rows.

    Example:
        >>> from junco import pipeline
        >>> pipeline("video-embedding", pool="none").plan.output_columns
        ('timestamp', 'vec')
    """
    from junco.pipelines.image import default_image_model, image_embedding_op

    if pool not in ("mean", "max", "none"):
        raise ValueError(f"pool must be 'mean', 'max' or 'none', got {pool!r}")
    image_op = image_embedding_op(model or default_image_model(), **op_args)
    decode = create("video-decode/av", sample=sample, fps=fps, scene_threshold=scene_threshold,
                    max_frames=max_frames, max_duration=max_duration, max_side=max_side)
    p = pipe.input("path").flat_map("path", ("frame", "timestamp"), decode).map("frame", "frame_vec", image_op)
    if pool == "none":
        return p.map("frame_vec", "vec", create("vector/normalize")).output("timestamp", "vec")
    return p.window_all(("frame_vec", "timestamp"), "vec", create("video-embedding/pool", mode=pool)).output("vec")
