"""The small torch modules the recipes assemble around an embedder.

Imports torch at module import: import it lazily.
"""

from __future__ import annotations

from typing import Any

from torch import nn


def embed(embedder: nn.Module, x: Any) -> Any:
    """Call ``embedder`` on one input tensor, or on several (a tuple such as token ids and mask)."""
    return embedder(*x) if isinstance(x, tuple | list) else embedder(x)


class PreLogits(nn.Module):
    """A timm model's pre-logits embedding (``forward_head(pre_logits=True)``)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: Any) -> Any:
        m: Any = self.model
        return m.forward_head(m.forward_features(x), pre_logits=True)


class ClassifierNet(nn.Module):
    """``x -> (logits, embedding)``: the embedder and a head on top of it."""

    def __init__(self, embedder: nn.Module, head: nn.Module):
        super().__init__()
        self.embedder, self.head = embedder, head

    def forward(self, x: Any) -> Any:
        emb = embed(self.embedder, x)
        return self.head(emb), emb


class EmbedNet(nn.Module):
    """``x -> (None, embedding)``: metric learning trains the embedding itself."""

    def __init__(self, embedder: nn.Module):
        super().__init__()
        self.embedder = embedder

    def forward(self, x: Any) -> Any:
        return None, embed(self.embedder, x)


class ProjectionNet(nn.Module):
    """``x -> (projection, embedding)``: SimCLR's MLP head over the embedder (discarded afterwards).

    Example:
        >>> import torch
        >>> net = ProjectionNet(nn.Flatten(), dim=4, hidden=8, out=2)
        >>> [tuple(t.shape) for t in net(torch.zeros(3, 2, 2))]
        [(3, 2), (3, 4)]
    """

    def __init__(self, embedder: nn.Module, dim: int, hidden: int, out: int):
        super().__init__()
        self.embedder = embedder
        self.head = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, out))

    def forward(self, x: Any) -> Any:
        emb = embed(self.embedder, x)
        return self.head(emb), emb
