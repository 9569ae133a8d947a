"""Decoded audio as data: :class:`AudioClip`, the errors, resampling, mono mix-down and windowing."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class AudioDecodeError(ValueError):
    """An input that is not decodable audio: empty, corrupt, unknown format or without samples."""


class SilentAudioError(ValueError):
    """Audio with nothing to embed: digital silence, or no voice activity for a speaker model."""


class AudioClip(NamedTuple):
    """Decoded audio: float32 samples in [-1, 1], their rate and where the clip starts in its file.

    A named tuple (not a class with hidden state), so the engine's cache hashes it by content and Ray
    ships it as plain data.

    Attributes:
        samples: ``(n,)`` mono or ``(n, channels)`` float32.
        sample_rate: samples per second.
        start: offset of the first sample in the source, in seconds.

    Example:
        >>> clip = AudioClip(np.zeros(8000, np.float32), 16000)
        >>> clip.duration
        0.5
    """

    samples: np.ndarray
    sample_rate: int
    start: float = 0.0

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return len(self.samples) / float(self.sample_rate)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of ``(n, channels)`` samples (what librosa's ``to_mono`` does).

    Example:
        >>> to_mono(np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)).tolist()
        [0.5, 0.5]
    """
    if samples.ndim == 1:
        return samples.astype(np.float32, copy=False)
    return samples.mean(axis=1, dtype=np.float32)


def resample(samples: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample along the first axis with soxr (high quality, librosa's default) or scipy's polyphase.

    Example:
        >>> resample(np.zeros(22050, np.float32), 22050, 16000).shape
        (16000,)
    """
    if orig_sr == target_sr or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    try:
        import soxr

        return np.asarray(soxr.resample(samples, orig_sr, target_sr, quality="HQ"), dtype=np.float32)
    except ImportError:  # pragma: no cover - soxr comes with librosa
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(orig_sr), int(target_sr))
        return resample_poly(samples, target_sr // g, orig_sr // g, axis=0).astype(np.float32)


def conform(clip: AudioClip, sample_rate: int | None, mono: bool) -> AudioClip:
    """``clip`` mixed down (when ``mono``) and resampled to ``sample_rate`` (None keeps it)."""
    samples = to_mono(clip.samples) if mono else clip.samples
    if sample_rate and sample_rate != clip.sample_rate:
        samples = resample(samples, clip.sample_rate, sample_rate)
        return AudioClip(samples, int(sample_rate), clip.start)
    return AudioClip(samples, clip.sample_rate, clip.start)


def windows(clip: AudioClip, window: float, hop: float | None = None) -> list[tuple[AudioClip, float]]:
    """Cut ``clip`` into windows of ``window`` seconds every ``hop`` seconds (default: no overlap).

    A tail shorter than a window is kept when it holds at least half a window (or is all there is);
    it is not padded (the embedding operators pad to their own input length).

    Returns:
        ``[(window_clip, start_seconds), ...]``: ready for ``flat_map(..., ("clip", "start"), ...)``.

    Example:
        >>> clip = AudioClip(np.zeros(16000 * 5, np.float32), 16000)
        >>> [start for _, start in windows(clip, 2.0)]
        [0.0, 2.0, 4.0]
    """
    hop = window if hop is None else hop
    if window <= 0 or hop <= 0:
        raise ValueError(f"window and hop must be > 0 seconds, got window={window}, hop={hop}")
    sr, n = clip.sample_rate, len(clip.samples)
    size, step = max(1, round(window * sr)), max(1, round(hop * sr))
    out: list[tuple[AudioClip, float]] = []
    pos = 0
    while pos < n:
        piece = clip.samples[pos:pos + size]
        if len(piece) < size and out and len(piece) < size / 2:
            break
        start = clip.start + pos / sr
        out.append((AudioClip(piece, sr, start), start))
        if pos + size >= n:
            break
        pos += step
    return out
