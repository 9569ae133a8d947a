"""Shared machinery of text model operators: per-row tokenization, length-sorted padded batches."""

from __future__ import annotations

from typing import Any

from junco.operator import ModelOperator

MAX_BATCH_TOKENS = 16384  # padded tokens per model call; bounds memory
MAX_PADDING = 0.25  # a group may carry at most 25% padding tokens (once it has MIN_ROWS rows)
MIN_ROWS = 8  # smaller groups waste the matrix units more than padding does
MAX_CHARS_PER_TOKEN = 128  # texts are cut to max_length * this many characters before tokenizing


def length_batches(lengths: list[int], max_rows: int, max_tokens: int = MAX_BATCH_TOKENS) -> list[list[int]]:
    """Group row indices, longest first, so that each group pads little (what ``encode`` gets by sorting).

    A group closes at ``max_rows`` rows, at ``max_tokens`` padded tokens, or when adding a row would make
    more than :data:`MAX_PADDING` of its tokens padding (once it has :data:`MIN_ROWS` rows).

    Example:
        >>> length_batches([3, 50, 4, 48], max_rows=2)
        [[1, 3], [2, 0]]
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    groups: list[list[int]] = []
    real = 0
    for i in order:
        g = groups[-1] if groups else None
        if g is not None:
            padded = (len(g) + 1) * lengths[g[0]]
            too_padded = len(g) >= MIN_ROWS and padded > (1 + MAX_PADDING) * (real + lengths[i])
            if len(g) < max_rows and padded <= max_tokens and not too_padded:
                g.append(i)
                real += lengths[i]
                continue
        groups.append([i])
        real = lengths[i]
    return groups


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (text decoded with ``errors="surrogateescape"``, broken UTF-16)
    replaced by U+FFFD: tokenizers reject them with an unreadable TypeError; the rest of the text is kept.

    Example:
        >>> clean_text("caf\\udce9 ok")
        'caf\ufffd ok'
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


class TextModelOperator(ModelOperator):
    """A text model: ``preprocess`` tokenizes one row; ``forward`` pads length-sorted groups and embeds.

    Subclasses implement ``load_model`` (set ``self.tokenizer`` and ``self.max_length``) and
    ``build_encoder`` (a module ``(input_ids, attention_mask) -> (B, D)``).
    """

    batch_size = 256  # large engine batches, split here by length: little padding, full matrix units

    def __init__(self, *, device: str | None, backend: str, config: dict[str, Any]):
        super().__init__(device=device, backend=backend, config=config)
        self.tokenizer: Any = None
        self.max_length: int = 512
        self.dim: int | None = None
        self._encoder: Any = None

    def build_encoder(self) -> Any:
        raise NotImplementedError

    def check(self) -> None:
        from junco.models._text import resolve_text_model

        resolve_text_model(self.config["model_name_or_path"])

    def on_load(self) -> None:
        import torch

        self._encoder = self.build_encoder().eval()
        ids, mask = self._pad([self.tokenizer("probe")["input_ids"]])
        with torch.no_grad():
            self.dim = int(self._encoder(ids.to(self.device), mask.to(self.device)).shape[-1])

    def inference_module(self) -> Any:
        return self._encoder

    def export_spec(self) -> Any:
        from junco.models import ExportSpec

        ids, mask = self._pad([self.tokenizer("a short example")["input_ids"],
                               self.tokenizer("a somewhat longer example sentence for export")["input_ids"]])
        axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"}}
        return ExportSpec(self._encoder, (ids.to(self.device), mask.to(self.device)),
                          ("input_ids", "attention_mask"), axes)

    def preprocess(self, text: Any) -> list[int]:
        """One string -> its token ids (truncated to the model's ``max_length``)."""
        if self.tokenizer is None:
            self.setup()
        if not isinstance(text, str):
            raise TypeError(f"expected a string, got {type(text).__name__}")
        # tokenizers read the whole string before truncating (2 s per 2 MB here): cut it first, far
        # beyond what max_length tokens can span (a word-piece token covers at most ~100 characters)
        text = text[: self.max_length * MAX_CHARS_PER_TOKEN]
        return list(self.tokenizer(clean_text(text), truncation=True, max_length=self.max_length)["input_ids"])

    def _pad(self, rows: list[list[int]]) -> tuple[Any, Any]:
        import torch

        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[i, : len(r)] = 1
        return ids, mask

    # -- hook for junco.trainer (added by the trainer; keep the name) ---------------------------------
    def collate(self, rows: list[list[int]]) -> tuple[Any, Any]:
        """Preprocessed rows -> the inference module's inputs ``(input_ids, attention_mask)``, padded."""
        return self._pad(rows)

    def forward(self, batch: list[list[int]]) -> Any:
        import numpy as np

        out = np.zeros((len(batch), self.dim or 0), dtype=np.float32)
        for group in length_batches([len(r) for r in batch], max_rows=max(len(batch), 1)):
            ids, mask = self._pad([batch[i] for i in group])
            out[group] = self.run(ids, mask)
        return out

    def postprocess(self, outputs: Any) -> list[Any]:
        return list(outputs)

    def model_fingerprint(self) -> dict[str, Any]:
        return {"max_length": self.max_length, "dim": self.dim}
