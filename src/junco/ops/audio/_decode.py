"""Audio decoding: path / bytes / file-like -> :class:`AudioClip` (or windows of it).

Decoding reads at most ``max_duration`` seconds, so a ten-hour file costs what ten minutes cost; the
rest is either dropped with a warning (``on_long="truncate"``) or refused (``on_long="error"``).
Empty, corrupt and sample-less inputs raise :class:`AudioDecodeError` (the engine makes it an error row).
"""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

import numpy as np

from junco.operator import Operator
from junco.ops import register
from junco.ops.audio._clip import AudioClip, AudioDecodeError, conform, windows

DEFAULT_MAX_DURATION = 600.0
ON_LONG = ("truncate", "error")
MAX_PEAK = 1e4  # |sample| above this (80 dB over full scale) is corrupt float data, not audio


def open_source(source: Any) -> Any:
    """A path (str) or a binary file object for ``source``; refuses empty inputs and URLs."""
    if isinstance(source, bytes | bytearray | memoryview):
        if len(source) == 0:
            raise AudioDecodeError("empty input (0 bytes)")
        return io.BytesIO(bytes(source))
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, str):
            raise AudioDecodeError("file-like object is in text mode; open it with 'rb'")
        if not data:
            raise AudioDecodeError("empty input (0 bytes)")
        return io.BytesIO(data)
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if "://" in str(path):
            raise AudioDecodeError(f"{path!r} looks like a URL; junco decodes local files and bytes only")
        if os.path.getsize(path) == 0:  # FileNotFoundError for a missing file says enough
            raise AudioDecodeError(f"empty file (0 bytes): {path}")
        return str(path)
    raise AudioDecodeError(f"cannot decode audio from {type(source).__name__}")


class AudioDecoder(Operator):
    """Shared arguments and windowing of the audio decoders (subclasses implement :meth:`read`).

    Args:
        sample_rate: resample to this rate (Hz); None keeps the file's rate.
        mono: average the channels into one.
        max_duration: read at most this many seconds (None: no limit — unbounded memory and time).
        on_long: what to do with a file longer than ``max_duration``: ``"truncate"`` (keep the start,
            warn once per operator) or ``"error"`` (an error row).
        window: when set, return windows of this many seconds, ``[(clip, start_seconds), ...]``, for
            ``flat_map``; None returns one :class:`AudioClip`.
        hop: seconds between window starts (default ``window``: no overlap).
    """

    def __init__(self, *, sample_rate: int | None = None, mono: bool = True,
                 max_duration: float | None = DEFAULT_MAX_DURATION, on_long: str = "truncate",
                 window: float | None = None, hop: float | None = None):
        if on_long not in ON_LONG:
            raise ValueError(f"on_long must be one of {ON_LONG}, got {on_long!r}")
        if max_duration is not None and max_duration <= 0:
            raise ValueError(f"max_duration must be > 0 seconds or None, got {max_duration}")
        if window is not None and (window <= 0 or (hop is not None and hop <= 0)):
            raise ValueError(f"window and hop must be > 0 seconds, got window={window}, hop={hop}")
        self.sample_rate, self.mono = sample_rate, mono
        self.max_duration, self.on_long = max_duration, on_long
        self.window, self.hop = window, hop
        self._warned = False

    def read(self, src: Any, max_seconds: float | None) -> tuple[np.ndarray, int]:
        """Decode at most ``max_seconds`` (plus a little) of ``src``: ``(samples (n, ch), rate)``."""
        raise NotImplementedError

    def decode(self, source: Any) -> AudioClip:
        """Decode ``source`` into one :class:`AudioClip` (mono / resampled as configured)."""
        limit = self.max_duration
        probe = None if limit is None else limit + 0.05  # a little more, to tell "long" from "exact"
        samples, sr = self.read(open_source(source), probe)
        if samples.size == 0:
            raise AudioDecodeError("no audio samples (zero-length audio)")
        if limit is not None and len(samples) > limit * sr + 1:
            if self.on_long == "error":
                raise AudioDecodeError(f"audio is longer than max_duration={limit:g} s; raise max_duration "
                                       "or pass on_long='truncate'")
            samples = samples[:int(round(limit * sr))]
            if not self._warned:
                self._warned = True
                from junco.models import JuncoWarning

                warnings.warn(f"audio longer than max_duration={limit:g} s was truncated (pass "
                              "max_duration=None to read whole files)", JuncoWarning, stacklevel=2)
        if not np.all(np.isfinite(samples)):
            raise AudioDecodeError("decoded samples contain NaN or infinity (corrupt file)")
        peak = float(np.abs(samples).max())
        if peak > MAX_PEAK:  # float files only: garbage floats (flipped bits) overflow the models' math
            raise AudioDecodeError(f"sample values up to {peak:.3g}, far outside [-1, 1] (corrupt float audio)")
        clip = conform(AudioClip(samples, int(sr)), self.sample_rate, self.mono)
        if clip.samples.size == 0:  # e.g. a corrupt header claiming a 1.5 GHz rate: nothing survives resampling
            raise AudioDecodeError(f"no audio samples left after resampling {len(samples)} samples from "
                                   f"{sr} Hz to {self.sample_rate} Hz (corrupt header?)")
        if not np.all(np.isfinite(clip.samples)):  # huge float samples (flipped bits) overflow when resampled
            raise AudioDecodeError("samples overflow to NaN or infinity when resampled or mixed down (corrupt file)")
        return clip

    def __call__(self, source: Any) -> Any:
        clip = self.decode(source)
        return clip if self.window is None else windows(clip, self.window, self.hop)


@register("audio-decode/soundfile")
class SoundfileDecode(AudioDecoder):
    """Decode WAV, FLAC, OGG/Vorbis, MP3 (libsndfile >= 1.1) and more with ``soundfile``.

    Args:
        sample_rate, mono, max_duration, on_long, window, hop: see :class:`AudioDecoder`.

    Returns:
        Called on a path, bytes or binary file-like: an :class:`AudioClip` (float32), or with
        ``window=`` a list of ``(AudioClip, start_seconds)``.

    Example:
        >>> import io, numpy as np, soundfile as sf
        >>> from junco import ops
        >>> buf = io.BytesIO(); sf.write(buf, np.zeros(44100, np.float32), 44100, format="WAV")
        >>> clip = ops.audio_decode.soundfile(sample_rate=16000)(buf.getvalue())
        >>> clip.sample_rate, clip.samples.shape
        (16000, (16000,))
    """

    def read(self, src: Any, max_seconds: float | None) -> tuple[np.ndarray, int]:
        import soundfile as sf

        try:
            with sf.SoundFile(src) as f:
                sr = int(f.samplerate)
                frames = -1 if max_seconds is None else int(max_seconds * sr)
                return f.read(frames=frames, dtype="float32", always_2d=True), sr
        except (RuntimeError, sf.SoundFileError, TypeError, ValueError) as e:
            raise AudioDecodeError(f"cannot decode audio with soundfile: {e}") from e


@register("audio-decode/av")
class AvDecode(AudioDecoder):
    """Decode any audio FFmpeg reads (MP3, AAC/M4A, Opus, the audio of a video...) with PyAV.

    Resampling and mixing down are done by FFmpeg's swresample while decoding.

    Args:
        sample_rate, mono, max_duration, on_long, window, hop: see :class:`AudioDecoder`.

    Returns:
        Called on a path, bytes or binary file-like: an :class:`AudioClip` (float32), or with
        ``window=`` a list of ``(AudioClip, start_seconds)``.

    Example:
        >>> import io, numpy as np, soundfile as sf
        >>> from junco import ops
        >>> buf = io.BytesIO(); sf.write(buf, np.zeros(8000, np.float32), 8000, format="FLAC")
        >>> ops.audio_decode.av()(buf.getvalue()).duration
        1.0
    """

    def read(self, src: Any, max_seconds: float | None) -> tuple[np.ndarray, int]:
        import av

        try:
            container = av.open(src, mode="r", metadata_errors="ignore")
        except (av.error.FFmpegError, OSError, ValueError) as e:
            raise AudioDecodeError(f"cannot open audio with PyAV: {e}") from e
        with container:
            stream = next((s for s in container.streams if s.type == "audio"), None)
            if stream is None:
                raise AudioDecodeError("no audio stream in the file")
            rate = int(self.sample_rate or stream.codec_context.sample_rate or 0)
            if rate <= 0:
                raise AudioDecodeError("audio stream has no sample rate")
            layout = "mono" if self.mono else None
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
            limit = None if max_seconds is None else int(max_seconds * rate)
            chunks: list[np.ndarray] = []
            count = 0
            try:
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray())
                        count += chunks[-1].shape[1]
                    if limit is not None and count >= limit:
                        break
                else:
                    chunks.extend(out.to_ndarray() for out in resampler.resample(None))
            except (av.error.FFmpegError, ValueError) as e:
                raise AudioDecodeError(f"corrupt audio stream: {e}") from e
        if not chunks:
            return np.zeros((0, 1), np.float32), rate
        samples = np.concatenate(chunks, axis=1).T.astype(np.float32, copy=False)
        return np.ascontiguousarray(samples), rate


@register("audio-decode/auto")
class AutoDecode(AudioDecoder):
    """Decode with ``soundfile`` when it knows the format, else with PyAV (FFmpeg).

    Args:
        sample_rate, mono, max_duration, on_long, window, hop: see :class:`AudioDecoder`.

    Returns:
        An :class:`AudioClip`, or with ``window=`` a list of ``(AudioClip, start_seconds)``.

    Example:
        >>> from junco import ops
        >>> ops.audio_decode.auto()(b"not audio")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        junco.ops.audio._clip.AudioDecodeError: not decodable audio: soundfile: ...
    """

    def read(self, src: Any, max_seconds: float | None) -> tuple[np.ndarray, int]:
        data = src.getvalue() if isinstance(src, io.BytesIO) else None
        try:
            return SoundfileDecode.read(self, src, max_seconds)
        except AudioDecodeError as e1:
            try:
                return AvDecode.read(self, io.BytesIO(data) if data is not None else src, max_seconds)
            except AudioDecodeError as e2:
                raise AudioDecodeError(f"not decodable audio: soundfile: {e1}; PyAV: {e2}") from e2
