"""Video embeddings: frame embeddings from an image model operator, pooled over time.

Two forms of the same computation. In a pipeline, ``video-decode/av`` (flat_map) -> an image embedding
operator (map, batched by the engine) -> ``video-embedding/pool`` (window_all). As one operator,
``video-embedding/frames`` composes the same decoder and image operator (no model code of its own).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from junco.operator import Operator
from junco.ops import create, register
from junco.ops.video._decode import VideoDecode

POOLS = ("mean", "max", "none")


class FrameEmbeddings(NamedTuple):
    """Per-frame vectors ``(n, D)`` and their timestamps in seconds ``(n,)``."""

    vectors: np.ndarray
    timestamps: np.ndarray


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norm, 1e-12)).astype(np.float32)


@register("video-embedding/pool")
def temporal_pool(vectors: list[Any], timestamps: list[float] | None = None, *, mode: str = "mean",
                  normalize: bool = True) -> np.ndarray:
    """Pool a video's frame vectors into one (for ``window_all`` over a video's frames).

    Args:
        vectors: one vector per frame.
        timestamps: the frames' times (unused by mean / max; accepted so the node can pass them).
        mode: ``"mean"`` or ``"max"``.
        normalize: L2-normalise each frame before pooling and the result after (cosine-ready).

    Returns:
        A float32 vector.

    Example:
        >>> temporal_pool([np.array([3.0, 4.0]), np.array([0.0, 1.0])], normalize=False).tolist()
        [1.5, 2.5]
    """
    if mode not in ("mean", "max"):
        raise ValueError(f"mode must be 'mean' or 'max', got {mode!r}")
    if len(vectors) == 0:
        raise ValueError("no frame vectors to pool")
    x = np.stack([np.asarray(v, np.float32) for v in vectors])
    if normalize:
        x = _unit(x)
    pooled = x.mean(axis=0) if mode == "mean" else x.max(axis=0)
    return _unit(pooled) if normalize else pooled.astype(np.float32)


def image_operator(model: str, *, device: str | None = None, backend: str = "auto") -> Any:
    """The image embedding operator for ``model``: a packaged model's own operator, else timm's."""
    from junco.models import find_packaged

    p = find_packaged(model)
    if p is not None and p.modality == "image" and p.op != "image-embedding/timm":
        return create(p.op, **p.op_args, device=device, backend=backend)
    return create("image-embedding/timm", model_name=model, device=device, backend=backend)


@register("video-embedding/frames")
class VideoFrameEmbedding(Operator):
    """Embed a video: sample frames, embed each with an image model, pool over time.

    Args:
        image_model: the image model (``"efficientnet_lite0"``, ``"mobilenetv2"`` or any timm name).
        pool: ``"mean"`` / ``"max"`` (one vector per video) or ``"none"`` (a :class:`FrameEmbeddings`).
        normalize: L2-normalise frames before pooling and the pooled vector.
        sample, fps, scene_threshold, max_frames, max_duration: frame sampling (see ``video-decode/av``).
        device, backend: for the image model operator.

    Returns:
        Called on a path or bytes: a float32 vector, or with ``pool="none"`` a :class:`FrameEmbeddings`.

    Example:
        >>> from junco import ops
        >>> op = ops.video_embedding.frames(fps=2.0, pool="mean")
        >>> op.decoder.fps
        2.0
    """

    batch_size = 4  # videos per forward; their frames go to the image model in its own batch size
    cacheable = True

    def __init__(self, *, image_model: str = "efficientnet_lite0", pool: str = "mean", normalize: bool = True,
                 sample: str = "rate", fps: float = 1.0, scene_threshold: float = 0.15, max_frames: int = 64,
                 max_duration: float | None = 3600.0, device: str | None = None, backend: str = "auto"):
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        self.pool, self.normalize = pool, normalize
        self.decoder = VideoDecode(sample=sample, fps=fps, scene_threshold=scene_threshold,
                                   max_frames=max_frames, max_duration=max_duration)
        self.image = image_operator(image_model, device=device, backend=backend)
        self.device = device

    def setup(self) -> None:
        self.image.setup()

    def fingerprint(self) -> dict[str, Any]:
        d = self.decoder
        return {"op": "video-embedding/frames", "image": self.image.fingerprint(), "pool": self.pool,
                "normalize": self.normalize, "decode": {"sample": d.sample, "fps": d.fps,
                "scene_threshold": d.scene_threshold, "max_frames": d.max_frames, "max_duration": d.max_duration}}

    def preprocess(self, video: Any) -> tuple[Any, np.ndarray]:
        """A video -> the image model's input tensors for its sampled frames, and their timestamps."""
        frames = self.decoder(video)
        # the image operator's own per-frame preprocessing (uint8 HWC arrays, normalized in forward)
        pixels = np.stack([np.asarray(self.image.preprocess(f)) for f, _ in frames])
        return pixels, np.array([t for _, t in frames], np.float64)

    def forward(self, batch: list[tuple[Any, np.ndarray]]) -> list[Any]:
        pixels = np.concatenate([p for p, _ in batch])
        step = int(getattr(self.image, "batch_size", 32) or 32)
        vecs = np.concatenate([np.asarray(self.image.forward(list(pixels[i:i + step])), np.float32)
                               for i in range(0, len(pixels), step)])
        out: list[Any] = []
        pos = 0
        for p, ts in batch:
            v = vecs[pos:pos + len(p)]
            pos += len(p)
            if self.pool == "none":
                out.append(FrameEmbeddings(_unit(v) if self.normalize else v, ts))
            else:
                out.append(temporal_pool(list(v), mode=self.pool, normalize=self.normalize))
        return out
