"""``video-decode/av``: sample frames from a video with PyAV, by rate or at scene changes, with timestamps.

Decoding is sequential and stops at ``max_frames`` sampled frames or ``max_duration`` seconds, so an
hour-long file costs what its first minutes cost. Empty, corrupt and frame-less inputs raise
:class:`VideoDecodeError` (an error row).
"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from junco.operator import Operator
from junco.ops import register

SAMPLE_MODES = ("rate", "scene", "all")
_THUMB = 64  # side of the grey thumbnail the scene detector compares


class VideoDecodeError(ValueError):
    """An input that is not a decodable video: empty, corrupt, no video stream, or no frames."""


def open_video(source: Any) -> Any:
    """A path or binary stream PyAV can open; refuses empty inputs and URLs."""
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise VideoDecodeError("empty input (0 bytes)")
        return io.BytesIO(bytes(source))
    if hasattr(source, "read"):
        return source
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if "://" in str(path):
            raise VideoDecodeError(f"{path!r} looks like a URL; junco decodes local files and bytes only")
        if os.path.getsize(path) == 0:
            raise VideoDecodeError(f"empty file (0 bytes): {path}")
        return str(path)
    raise VideoDecodeError(f"cannot decode a video from {type(source).__name__}")


def scene_score(a: np.ndarray, b: np.ndarray) -> float:
    """How different two grey thumbnails are: mean absolute difference in [0, 1].

    Example:
        >>> scene_score(np.zeros((4, 4), np.uint8), np.full((4, 4), 255, np.uint8))
        1.0
    """
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean() / 255.0)


@register("video-decode/av")
class VideoDecode(Operator):
    """Decode a video (anything FFmpeg reads) into sampled RGB frames with their timestamps.

    Args:
        sample: ``"rate"`` (``fps`` frames per second of video), ``"scene"`` (the first frame and every
            frame that differs from the previous one by more than ``scene_threshold``) or ``"all"``.
        fps: frames per second kept in ``"rate"`` mode.
        scene_threshold: mean absolute grey-level change (0-1, on 64x64 thumbnails) that starts a scene.
        min_scene_gap: seconds a new scene must be after the last one kept (tames flashes and fast pans).
        max_frames: stop after this many sampled frames.
        max_duration: stop decoding at this many seconds of video (None: the whole file).
        max_side: scale frames down so their longer side is at most this (None: native size).

    Returns:
        Called on a path, bytes or binary file-like: ``[(frame, timestamp_seconds), ...]`` with
        ``frame`` an RGB ``uint8`` array ``(H, W, 3)``; for ``flat_map(..., ("frame", "timestamp"), ...)``.

    Example:
        >>> from junco import ops
        >>> ops.video_decode.av(sample="scene").sample
        'scene'
    """

    def __init__(self, *, sample: str = "rate", fps: float = 1.0, scene_threshold: float = 0.15,
                 min_scene_gap: float = 0.5, max_frames: int = 256, max_duration: float | None = 3600.0,
                 max_side: int | None = None):
        if sample not in SAMPLE_MODES:
            raise ValueError(f"sample must be one of {SAMPLE_MODES}, got {sample!r}")
        if fps <= 0 or max_frames < 1 or not 0 < scene_threshold < 1:
            raise ValueError("need fps > 0, max_frames >= 1 and 0 < scene_threshold < 1")
        self.sample, self.fps, self.scene_threshold = sample, float(fps), float(scene_threshold)
        self.min_scene_gap, self.max_frames = float(min_scene_gap), int(max_frames)
        self.max_duration, self.max_side = max_duration, max_side

    def __call__(self, source: Any) -> list[tuple[np.ndarray, float]]:
        import av

        src = open_video(source)
        try:
            container = av.open(src, mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, OSError, ValueError) as e:
            raise VideoDecodeError(f"cannot open video: {e}") from e
        with container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                raise VideoDecodeError("no video stream in the file")
            stream.thread_type = "AUTO"
            try:
                out = self._sample(container, stream)
            except (av.error.FFmpegError, ValueError) as e:
                raise VideoDecodeError(f"corrupt video stream: {e}") from e
        if not out:
            raise VideoDecodeError("no decodable video frames")
        return out

    def _sample(self, container: Any, stream: Any) -> list[tuple[np.ndarray, float]]:
        origin = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
        rate = float(stream.average_rate or 25)
        out: list[tuple[np.ndarray, float]] = []
        next_t, last_thumb, last_kept = 0.0, None, -1e9
        for i, frame in enumerate(container.decode(stream)):
            t = float(frame.time) - origin if frame.time is not None else i / rate
            if self.max_duration is not None and t > self.max_duration:
                break
            if self.sample == "rate":
                keep = t >= next_t - 1e-6
                if keep:
                    next_t = (np.floor(t * self.fps + 1e-6) + 1) / self.fps
            elif self.sample == "scene":
                thumb = frame.reformat(width=_THUMB, height=_THUMB, format="gray").to_ndarray()
                keep = last_thumb is None or (scene_score(thumb, last_thumb) > self.scene_threshold
                                              and t - last_kept >= self.min_scene_gap)
                last_thumb = thumb
            else:
                keep = True
            if keep:
                out.append((self._rgb(frame), round(max(t, 0.0), 6)))
                last_kept = t
                if len(out) >= self.max_frames:
                    break
        return out

    def _rgb(self, frame: Any) -> np.ndarray:
        w, h = frame.width, frame.height
        if self.max_side and max(w, h) > self.max_side:
            s = self.max_side / max(w, h)
            w, h = max(2, round(w * s)), max(2, round(h * s))
            return frame.reformat(width=w, height=h, format="rgb24").to_ndarray()
        return frame.to_ndarray(format="rgb24")
