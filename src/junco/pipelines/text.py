"""Named text pipelines: ``text-embedding`` (default: the packaged all-MiniLM-L6-v2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junco.ops import create
from junco.pipeline import pipe, register_pipeline


def text_embedding_op(model: str, **op_args: Any) -> Any:
    """A sentence-transformers operator when ``model`` is one (``modules.json``), else transformers
    with mean pooling; checked (``ModelNotFoundError`` when the weights are not on this machine).

    Example:
        >>> type(text_embedding_op("all-MiniLM-L6-v2")).__name__
        'SentenceTransformerEmbedding'
    """
    from junco.models._text import resolve_text_model

    weights = resolve_text_model(model)
    if weights.path is None or (Path(weights.path) / "modules.json").is_file():
        return create("text-embedding/sentence-transformers", model_name_or_path=model, **op_args)
    return create("text-embedding/transformers", model_name_or_path=model, **op_args)


@register_pipeline("text-embedding", aliases_prefix=True)
def text_embedding(model: str = "all-MiniLM-L6-v2", *, normalize: bool = True, **op_args: Any) -> Any:
    """Strings -> unit vectors with a sentence-transformers / transformers model found on disk.

    Args:
        model: a packaged name (``"all-MiniLM-L6-v2"``), a local folder or a cached hub id.
        normalize: L2-normalize the vectors.
        **op_args: passed to the operator (``device``, ``backend``, ``max_length``, ``pooling``...).

    Returns:
        A pipeline: string -> ``vec``.

    Example:
        >>> from junco import pipeline
        >>> pipeline("text-embedding", backend="torch")("hello world")[0].shape
        (384,)
    """
    p = pipe.input("text").map("text", "vec", text_embedding_op(model, **op_args))
    if normalize:
        p = p.map("vec", "vec", create("vector/normalize"))
    return p.output("vec")
