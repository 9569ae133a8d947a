"""``audio-embedding/resemblyzer``: the Resemblyzer speaker encoder (GE2E, 256-d, Apache-2.0)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

from junco.operator import ModelOperator
from junco.ops import register
from junco.ops.audio._clip import AudioClip, AudioDecodeError, conform
from junco.ops.audio._speaker_pre import SpeakerPreprocess, speaker_partials

MAX_PARTIALS_PER_CALL = 512  # bounds the LSTM's activations whatever the batch holds


def _encoder() -> Any:
    from torch import nn

    class SpeakerEncoder(nn.Module):
        """Resemblyzer's ``VoiceEncoder`` network: 3-layer LSTM -> linear -> ReLU -> L2 norm."""

        def __init__(self, n_mels: int = 40, hidden: int = 256, dim: int = 256, layers: int = 3):
            super().__init__()
            self.lstm = nn.LSTM(n_mels, hidden, layers, batch_first=True)
            self.linear = nn.Linear(hidden, dim)
            self.relu = nn.ReLU()

        def forward(self, mels: Any) -> Any:
            _, (hidden, _) = self.lstm(mels)
            raw = self.relu(self.linear(hidden[-1]))
            return raw / raw.norm(dim=1, keepdim=True).clamp_min(1e-12)

    return SpeakerEncoder()


def packaged_weights() -> Path | None:
    """``resemblyzer/pretrained.pt`` inside the installed package (found without importing it)."""
    try:
        spec = importlib.util.find_spec("resemblyzer")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"
    return path if path.is_file() else None


def as_waveform(audio: Any, sample_rate: int, max_duration: float | None) -> np.ndarray:
    """An :class:`AudioClip`, a 1-D array (assumed at ``sample_rate``) or a path / bytes -> mono float32."""
    if isinstance(audio, AudioClip):
        clip = conform(audio, sample_rate, mono=True)
    elif isinstance(audio, np.ndarray) and audio.dtype.kind == "f":
        clip = conform(AudioClip(audio, sample_rate), sample_rate, mono=True)
    else:
        from junco.ops.audio._decode import AutoDecode

        clip = AutoDecode(sample_rate=sample_rate, max_duration=max_duration).decode(audio)
    if clip.samples.size == 0:
        raise AudioDecodeError("no audio samples (zero-length audio)")
    return np.ascontiguousarray(clip.samples, dtype=np.float32)


@register("audio-embedding/resemblyzer")
class ResemblyzerEmbedding(ModelOperator):
    """Speaker embeddings with Resemblyzer's pretrained voice encoder (256-d, unit length).

    An utterance is cut into 1.6 s partials (1.3 per second); each is embedded and the L2-normalised
    mean is the utterance's vector. Same speaker: cosine ~0.9; different speakers: ~0.7.
    Digital silence, and audio where the voice-activity detector finds no speech, raise
    :class:`~junco.ops.audio.SilentAudioError` (an error row).

    Args:
        checkpoint_path: a Resemblyzer-format checkpoint; default the packaged ``pretrained.pt``.
        vad: trim long silences with WebRTC VAD first (Resemblyzer's ``preprocess_wav``).
        max_duration: seconds read from a path / bytes input (longer files are truncated).
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"`` (ONNX Runtime on CPU: its LSTM is ~4x faster than torch's here; torch on
            CUDA), ``"torch"`` or ``"onnxruntime"``.

    Returns:
        Called on an :class:`~junco.ops.audio.AudioClip`, a float waveform at 16 kHz, or a path /
        bytes: a float32 vector of 256.

    Example:
        >>> from junco import ops
        >>> op = ops.audio_embedding.resemblyzer()
        >>> op.dim, op.preprocess_config.sample_rate
        (256, 16000)
    """

    batch_size = 16

    def __init__(self, *, checkpoint_path: str | None = None, vad: bool = True,
                 max_duration: float | None = 600.0, device: str | None = None, backend: str = "auto"):
        config = {"checkpoint_path": checkpoint_path, "vad": vad, "max_duration": max_duration}
        super().__init__(device=device, backend=backend, config=config)
        self.checkpoint_path, self.vad, self.max_duration = checkpoint_path, vad, max_duration
        self.preprocess_config = SpeakerPreprocess()
        self.sample_rate = self.preprocess_config.sample_rate  # what decoders should resample to
        self.dim = 256

    def check(self) -> Path:
        """The weight file; ``ModelNotFoundError`` when it is missing (nothing is loaded)."""
        from junco.models import ModelNotFoundError

        path = Path(self.checkpoint_path) if self.checkpoint_path else packaged_weights()
        if path is None or not path.is_file():
            raise ModelNotFoundError("resemblyzer", [f"checkpoint_path: {self.checkpoint_path or 'not given'}",
                                                     "package Resemblyzer: not installed"],
                                     ['pip install --no-deps "Resemblyzer==0.1.4" webrtcvad-wheels',
                                      "or pass checkpoint_path="])
        return path

    def load_model(self) -> Any:
        import torch

        from junco.models import Weights

        path = self.check()
        self.weights = Weights("checkpoint" if self.checkpoint_path else "package", str(path),
                               "" if self.checkpoint_path else "Resemblyzer")
        model = _encoder()
        state = torch.load(path, map_location="cpu", weights_only=True)
        state = state.get("model_state", state)
        keys = set(model.state_dict())
        model.load_state_dict({k: v for k, v in state.items() if k in keys}, strict=True)
        return model

    def export_spec(self) -> Any:
        import torch

        from junco.models import ExportSpec

        cfg = self.preprocess_config
        example = torch.rand(2, cfg.partial_frames, cfg.n_mels, generator=torch.Generator().manual_seed(0))
        return ExportSpec(self.model, (example.to(self.device),), ("mels",), {"mels": {0: "batch"}})

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": "resemblyzer-ge2e-lstm", "preprocess": self.preprocess_config.to_dict(),
                "vad": self.vad, "max_duration": self.max_duration, "dim": self.dim}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        import torch

        torch.save({"model_state": self.model.state_dict()}, directory / "model.pt")
        return {"checkpoint_path": "./model.pt"}

    def preprocess(self, audio: Any) -> np.ndarray:
        """Audio -> the mel spectrograms of its partial utterances ``(n, 160, 40)``."""
        cfg = self.preprocess_config
        wav = as_waveform(audio, cfg.sample_rate, self.max_duration)
        return speaker_partials(wav, cfg, vad=self.vad)

    def forward(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        import torch

        self.setup()
        mels = np.concatenate(batch)
        parts = [self.run(torch.from_numpy(mels[i:i + MAX_PARTIALS_PER_CALL]))
                 for i in range(0, len(mels), MAX_PARTIALS_PER_CALL)]
        embeds = np.concatenate(parts)
        out, pos = [], 0
        for item in batch:
            mean = embeds[pos:pos + len(item)].mean(axis=0)
            out.append((mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32))
            pos += len(item)
        return out
