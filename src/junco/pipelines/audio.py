"""Named audio pipeline: ``audio-embedding`` (default: the Resemblyzer speaker encoder)."""

from __future__ import annotations

from typing import Any

from junco.ops import create
from junco.pipeline import pipe, register_pipeline

AUDIO_MODELS = {"resemblyzer": "audio-embedding/resemblyzer", "speaker": "audio-embedding/resemblyzer",
                "birdnet": "audio-embedding/birdnet"}


def audio_embedding_op(model: str, **op_args: Any) -> Any:
    """The audio embedding operator for ``model`` (``"resemblyzer"``/``"speaker"`` or ``"birdnet"``), checked.

    Example:
        >>> type(audio_embedding_op("speaker")).__name__
        'ResemblyzerEmbedding'
    """
    key = model.lower()
    if key not in AUDIO_MODELS:
        raise ValueError(f"unknown audio model {model!r}; known: {', '.join(sorted(AUDIO_MODELS))}")
    op = create(AUDIO_MODELS[key], **op_args)
    op.check()
    return op


@register_pipeline("audio-embedding", aliases_prefix=True)
def audio_embedding(model: str = "resemblyzer", *, decoder: str = "auto", window: float | None = None,
                    hop: float | None = None, max_duration: float | None = 600.0, on_long: str = "truncate",
                    normalize: bool = True, **op_args: Any) -> Any:
    """Audio files -> vectors: decode (mono, resampled to the model's rate) -> embed -> normalize.

    Args:
        model: ``"resemblyzer"`` (speaker encoder, the default) or ``"birdnet"`` (general audio; opt-in,
            **CC BY-NC-SA 4.0, non-commercial** — it warns when it loads).
        decoder: ``"auto"`` (soundfile, else PyAV), ``"soundfile"`` or ``"av"``.
        window: embed windows of this many seconds (one row per window, with its ``start``); None embeds
            each file whole.
        hop: seconds between windows (default ``window``).
        max_duration: seconds of each file that are read; ``on_long``: ``"truncate"`` or ``"error"``.
        normalize: L2-normalize the vectors.
        **op_args: passed to the embedding operator (``device``, ``vad``, ``checkpoint_path``...).

    Returns:
        A pipeline: path / bytes -> ``vec`` (or ``start, vec`` with ``window=``). Empty, corrupt and
        silent files become error rows.

    Example:
        >>> from junco import pipeline
        >>> pipeline("audio-embedding").plan.output_columns
        ('vec',)
    """
    op = audio_embedding_op(model, **op_args)
    dec = create(f"audio-decode/{decoder}", sample_rate=op.sample_rate, max_duration=max_duration,
                 on_long=on_long, window=window, hop=hop)
    p = pipe.input("path")
    if window is None:
        p = p.map("path", "clip", dec)
    else:
        p = p.flat_map("path", ("clip", "start"), dec)
    p = p.map("clip", "vec", op)
    if normalize:
        p = p.map("vec", "vec", create("vector/normalize"))
    return p.output("vec") if window is None else p.output("start", "vec")
