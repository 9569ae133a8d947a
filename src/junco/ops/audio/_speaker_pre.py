"""The speaker encoder's own preprocessing (Resemblyzer's training transform), in plain numpy.

Volume normalisation, WebRTC voice-activity trimming, a 40-band mel spectrogram (25 ms windows every
10 ms, Slaney mel, reflect padding as in the librosa it was trained with) and the partial-utterance
slicing (1.6 s partials, 1.3 per second). Written out here rather than imported from ``resemblyzer``,
whose import pulls librosa + numba (a ~30 s JIT on the first call) and ``webrtcvad``'s pkg_resources.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from junco.ops.audio._clip import SilentAudioError

INT16_MAX = 2**15 - 1


@dataclass(frozen=True)
class SpeakerPreprocess:
    """Resemblyzer's preprocessing constants (``resemblyzer/hparams.py``).

    Example:
        >>> SpeakerPreprocess().n_fft, SpeakerPreprocess().hop_length
        (400, 160)
    """

    sample_rate: int = 16000
    n_mels: int = 40
    window_ms: int = 25
    step_ms: int = 10
    partial_frames: int = 160
    partials_per_second: float = 1.3
    min_coverage: float = 0.75
    target_dbfs: float = -30.0
    vad_window_ms: int = 30
    vad_moving_average: int = 8
    vad_max_silence: int = 6

    @property
    def n_fft(self) -> int:
        return self.sample_rate * self.window_ms // 1000

    @property
    def hop_length(self) -> int:
        return self.sample_rate * self.step_ms // 1000

    def to_dict(self) -> dict[str, Any]:
        """The constants as plain data (for fingerprints)."""
        return asdict(self)


def check_not_silent(wav: np.ndarray, floor_dbfs: float = -80.0) -> None:
    """Raise :class:`SilentAudioError` when ``wav``'s RMS level is below ``floor_dbfs``."""
    rms = float(np.sqrt(np.mean(np.square(wav, dtype=np.float64)))) if len(wav) else 0.0
    if rms <= 10 ** (floor_dbfs / 20):
        level = "-inf" if rms == 0 else f"{20 * np.log10(rms):.0f}"
        raise SilentAudioError(f"silent audio ({level} dBFS): nothing to embed")


def normalize_volume(wav: np.ndarray, target_dbfs: float) -> np.ndarray:
    """Raise the level to ``target_dbfs`` (never lower it), as Resemblyzer does."""
    rms = np.sqrt(np.mean(np.square(wav * INT16_MAX, dtype=np.float64)))
    change = target_dbfs - 20 * np.log10(rms / INT16_MAX)
    return wav if change < 0 else (wav * 10 ** (change / 20)).astype(np.float32)


def trim_long_silences(wav: np.ndarray, cfg: SpeakerPreprocess) -> np.ndarray:
    """Drop the silences longer than ``vad_max_silence`` VAD windows (WebRTC VAD, aggressiveness 3)."""
    import webrtcvad

    win = cfg.vad_window_ms * cfg.sample_rate // 1000
    wav = wav[:len(wav) - len(wav) % win]
    if len(wav) == 0:
        return wav
    pcm = np.round(np.clip(wav, -1.0, 1.0) * INT16_MAX).astype("<i2").tobytes()
    vad = webrtcvad.Vad(3)
    flags = np.array([vad.is_speech(pcm[i * 2:(i + win) * 2], sample_rate=cfg.sample_rate)
                      for i in range(0, len(wav), win)], dtype=np.float64)
    width = cfg.vad_moving_average
    padded = np.concatenate((np.zeros((width - 1) // 2), flags, np.zeros(width // 2)))
    csum = np.cumsum(padded)
    csum[width:] = csum[width:] - csum[:-width]
    mask = np.round(csum[width - 1:] / width).astype(bool)
    k = cfg.vad_max_silence + 1  # binary dilation with a centred structuring element of k ones
    # the centred part of the full convolution: mode="same" returns max(n, k) values, so clips shorter
    # than k VAD windows (< 0.2 s) got a mask longer than the audio (an IndexError)
    full = np.convolve(mask.astype(np.int32), np.ones(k, np.int32), mode="full")
    mask = full[(k - 1) // 2:(k - 1) // 2 + len(mask)] > 0
    return wav[np.repeat(mask, win)]


@lru_cache(maxsize=4)
def mel_basis(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Slaney-style mel filter bank ``(n_mels, 1 + n_fft // 2)`` (librosa's default ``filters.mel``)."""
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, np.log(6.4) / 27.0

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep,
                        f / f_sp)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray, cfg: SpeakerPreprocess) -> np.ndarray:
    """Power mel spectrogram ``(frames, n_mels)`` (not log), Hann window, centred with reflect padding."""
    n_fft, hop = cfg.n_fft, cfg.hop_length
    pad = n_fft // 2
    y = np.pad(wav.astype(np.float32), pad, mode="reflect" if len(wav) > pad else "constant")
    n_frames = 1 + (len(y) - n_fft) // hop
    frames = np.lib.stride_tricks.as_strided(y, (n_frames, n_fft), (y.strides[0] * hop, y.strides[0]))
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)  # periodic Hann
    power = np.abs(np.fft.rfft(frames * window, axis=1)) ** 2
    return (power.astype(np.float32) @ mel_basis(cfg.sample_rate, n_fft, cfg.n_mels).T).astype(np.float32)


def partial_slices(n_samples: int, cfg: SpeakerPreprocess) -> tuple[list[slice], list[slice]]:
    """Where to cut 1.6 s partial utterances (Resemblyzer's ``compute_partial_slices``)."""
    hop = cfg.hop_length
    n_frames = int(np.ceil((n_samples + 1) / hop))
    frame_step = max(1, int(np.round((cfg.sample_rate / cfg.partials_per_second) / hop)))
    wav_slices, mel_slices = [], []
    steps = max(1, n_frames - cfg.partial_frames + frame_step + 1)
    for i in range(0, steps, frame_step):
        mel_slices.append(slice(i, i + cfg.partial_frames))
        wav_slices.append(slice(i * hop, (i + cfg.partial_frames) * hop))
    last = wav_slices[-1]
    coverage = (n_samples - last.start) / (last.stop - last.start)
    if coverage < cfg.min_coverage and len(mel_slices) > 1:
        wav_slices, mel_slices = wav_slices[:-1], mel_slices[:-1]
    return wav_slices, mel_slices


def speaker_partials(wav: np.ndarray, cfg: SpeakerPreprocess, *, vad: bool = True) -> np.ndarray:
    """A 16 kHz mono waveform -> the mel spectrograms of its partial utterances ``(n, 160, 40)``.

    Raises:
        SilentAudioError: digital silence, or (with ``vad``) no voice activity at all.
    """
    check_not_silent(wav)
    wav = normalize_volume(wav, cfg.target_dbfs)
    if vad:
        trimmed = trim_long_silences(wav, cfg)
        if len(trimmed) < cfg.sample_rate // 10:
            raise SilentAudioError("no voice activity found (silence, noise or non-speech); pass vad=False "
                                   "to embed it anyway")
        wav = trimmed
    wav_slices, mel_slices = partial_slices(len(wav), cfg)
    if wav_slices[-1].stop >= len(wav):
        wav = np.pad(wav, (0, wav_slices[-1].stop - len(wav)))
    mel = mel_spectrogram(wav, cfg)
    return np.stack([mel[s] for s in mel_slices])
