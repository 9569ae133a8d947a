"""Layer selection for timm models: pre-logits, logits, or an earlier layer pooled to a vector.

Imports torch at module import: import it lazily (from an operator's ``setup``).
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import nn

POOLS = ("avg", "max", "cls", "flatten")


def resolve_layer(model: nn.Module, layer: str | int | None) -> str | int | None:
    """Normalize a layer request for ``model``.

    Args:
        model: a timm model.
        layer: ``None`` (pre-logits), ``"logits"``, an index into ``model.feature_info`` (negative
            allowed), ``"stages.N"`` (the N-th feature stage when no module is named so) or any module
            name (``"blocks.2"``, ``"layer3"``).

    Returns:
        ``None``, ``"logits"``, a non-negative feature index, or a module name (hooked).

    Raises:
        ValueError: naming the layers the model has.
    """
    if layer is None or layer in ("pre_logits", "pre-logits", "penultimate"):
        return None
    if layer == "logits":
        return "logits"
    feats = [f["module"] for f in getattr(model, "feature_info", [])]
    if isinstance(layer, str) and layer.lstrip("-").isdigit():
        layer = int(layer)
    if isinstance(layer, int):
        if not -len(feats) <= layer < len(feats):
            raise ValueError(f"layer index {layer} out of range: the model has {len(feats)} feature "
                             f"stages {feats}")
        return layer % len(feats)
    if layer in feats:
        return feats.index(layer)
    modules = dict(model.named_modules())
    if layer in modules:
        return layer
    m = re.fullmatch(r"stages?[.\[](\d+)\]?", layer)
    if m and int(m.group(1)) < len(feats):
        return int(m.group(1))
    raise ValueError(f"unknown layer {layer!r}; use None (pre-logits), 'logits', an index 0..{len(feats) - 1}"
                     f" or 'stages.N', or a module name such as {feats}")


def pool_features(x: torch.Tensor, pool: str) -> torch.Tensor:
    """Pool a feature map ``(B, C, H, W)`` or token sequence ``(B, N, C)`` to ``(B, D)``.

    Example:
        >>> pool_features(torch.ones(2, 8, 3, 3), "avg").shape
        torch.Size([2, 8])
    """
    if pool == "flatten":
        return x.flatten(1)
    if x.ndim == 4:
        return x.mean(dim=(2, 3)) if pool in ("avg", "cls") else x.amax(dim=(2, 3))
    if x.ndim == 3:
        if pool == "cls":
            return x[:, 0]
        return x.mean(dim=1) if pool == "avg" else x.amax(dim=1)
    return x.flatten(1)


class PixelNormalize(nn.Module):
    """``uint8 (B, H, W, C)`` -> ``float (B, C, H, W)`` scaled to [0, 1] and normalized by mean / std.

    The batched half of the model's preprocessing: run on the device, inside the exported ONNX graph.

    Example:
        >>> PixelNormalize((0.5,) * 3, (0.5,) * 3)(torch.full((1, 2, 2, 3), 255, dtype=torch.uint8)).unique()
        tensor([1.])
    """

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        std_t = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
        self.register_buffer("scale", 1.0 / (255.0 * std_t), persistent=False)
        self.register_buffer("shift", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1) / std_t,
                             persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, 3, 1, 2).float() * self.scale - self.shift


class TimmEmbedder(nn.Module):
    """``pixels (B, 3, H, W) -> (B, D)`` for a chosen layer of a timm model (exportable to ONNX).

    Args:
        model: the timm model (kept as a submodule, so training it changes this too).
        layer: a value returned by :func:`resolve_layer`.
        pool: ``"avg"``, ``"max"``, ``"cls"`` or ``"flatten"`` for intermediate layers.
    """

    def __init__(self, model: nn.Module, layer: str | int | None, pool: str = "avg"):
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        self.model, self.layer, self.pool = model, layer, pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m: Any = self.model
        if self.layer is None:
            return m.forward_head(m.forward_features(x), pre_logits=True)
        if self.layer == "logits":
            return m(x)
        if isinstance(self.layer, int):
            feats = m.forward_intermediates(x, indices=[self.layer], intermediates_only=True, stop_early=True)
            return pool_features(feats[0], self.pool)
        captured: list[torch.Tensor] = []
        handle = m.get_submodule(self.layer).register_forward_hook(lambda _m, _i, out: captured.append(out))
        try:
            m.forward_features(x)
        finally:
            handle.remove()
        if not captured:
            raise ValueError(f"layer {self.layer!r} is not run by forward_features; pick an earlier module")
        out = captured[0]
        return pool_features(out[0] if isinstance(out, tuple) else out, self.pool)


class FeaturesUpTo(nn.Module):
    """The first blocks of a ``features`` sequence, up to and including block ``index``, then pooled.

    For CNNs whose body is one ``nn.Sequential`` (MobileNetV2 and its kin): ``index`` may be negative.

    Example:
        >>> body = nn.Sequential(nn.Conv2d(3, 4, 1), nn.Conv2d(4, 6, 1), nn.Conv2d(6, 8, 1))
        >>> FeaturesUpTo(body, -2, "avg")(torch.zeros(2, 3, 5, 5)).shape
        torch.Size([2, 6])
    """

    def __init__(self, features: nn.Sequential, index: int, pool: str = "avg"):
        super().__init__()
        n = len(features)
        if not -n <= index < n:
            raise ValueError(f"layer {index} is out of range: the model has {n} feature blocks "
                             f"(0..{n - 1}, or -{n}..-1)")
        self.features = features[: (index % n) + 1]
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pool_features(self.features(x), self.pool)
