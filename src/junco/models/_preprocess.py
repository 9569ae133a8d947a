"""Image preprocessing owned by the model, user overrides on top, and the fidelity check.

The transform is timm's own eval transform built from the model's data config (resize the shorter
side to ``size / crop_pct`` with the model's interpolation, centre-crop, scale to [0, 1], normalize), so
inference matches the training transform unless the user overrides it — and then junco says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CHANNEL_ORDERS = ("RGB", "BGR")
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "box", "hamming", "lanczos")


@dataclass(frozen=True)
class ImagePreprocess:
    """How images are turned into the model's input tensor.

    Attributes:
        input_size: ``(channels, height, width)`` the network sees.
        interpolation: resize filter (``"bicubic"``, ``"bilinear"``, ``"nearest"``, ...).
        crop_pct: fraction of the resized image kept by the centre crop (1.0 = no crop).
        crop_mode: ``"center"`` (resize shorter side then crop) or ``"squash"`` (resize to size).
        mean: per-channel mean, in the network's channel order.
        std: per-channel std.
        channel_order: the channel order the network sees; junco's decoders give RGB.

    Example:
        >>> cfg = ImagePreprocess(interpolation="bicubic")
        >>> new, issues = cfg.override(interpolation="nearest")
        >>> issues
        ["interpolation 'nearest' differs from the model's 'bicubic'"]
    """

    input_size: tuple[int, int, int] = (3, 224, 224)
    interpolation: str = "bicubic"
    crop_pct: float = 0.875
    crop_mode: str = "center"
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    channel_order: str = "RGB"

    @classmethod
    def from_timm(cls, data_config: dict[str, Any]) -> ImagePreprocess:
        """Build from a timm data config (``timm.data.resolve_data_config(model=...)``)."""
        return cls(
            input_size=tuple(int(v) for v in data_config["input_size"]),  # type: ignore[arg-type]
            interpolation=str(data_config.get("interpolation", "bicubic")),
            crop_pct=float(data_config.get("crop_pct", 0.875)),
            crop_mode=str(data_config.get("crop_mode", "center")),
            mean=tuple(float(v) for v in data_config["mean"]),
            std=tuple(float(v) for v in data_config["std"]),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (part of the operator's fingerprint)."""
        d = asdict(self)
        d["input_size"] = list(self.input_size)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    def override(self, *, size: int | tuple[int, int] | None = None, interpolation: str | None = None,
                 mean: tuple[float, ...] | None = None, std: tuple[float, ...] | None = None,
                 crop_pct: float | None = None, channel_order: str | None = None,
                 ) -> tuple[ImagePreprocess, list[str]]:
        """Apply user overrides; returns the new config and how it departs from this (training) one.

        Args:
            size: network input size, an int (square) or ``(height, width)``.
            interpolation: resize filter.
            mean: per-channel mean.
            std: per-channel std.
            crop_pct: centre-crop fraction.
            channel_order: ``"RGB"`` or ``"BGR"``.

        Returns:
            ``(config, issues)``; ``issues`` is empty when the result still matches the training transform.
        """
        changes: dict[str, Any] = {}
        if size is not None:
            h, w = (size, size) if isinstance(size, int) else size
            changes["input_size"] = (self.input_size[0], int(h), int(w))
        if interpolation is not None:
            if interpolation not in INTERPOLATIONS:
                raise ValueError(f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
            changes["interpolation"] = interpolation
        if mean is not None:
            changes["mean"] = tuple(float(v) for v in mean)
        if std is not None:
            changes["std"] = tuple(float(v) for v in std)
        if crop_pct is not None:
            changes["crop_pct"] = float(crop_pct)
        if channel_order is not None:
            if channel_order.upper() not in CHANNEL_ORDERS:
                raise ValueError(f"channel_order must be one of {CHANNEL_ORDERS}, got {channel_order!r}")
            changes["channel_order"] = channel_order.upper()
        new = replace(self, **changes)
        return new, self.differences(new)

    def differences(self, other: ImagePreprocess) -> list[str]:
        """Readable differences of ``other`` from this (the model's training) config."""
        out = []
        for name in ("input_size", "interpolation", "crop_pct", "crop_mode", "mean", "std", "channel_order"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, tuple) and isinstance(mine[0], float):
                same = len(mine) == len(theirs) and all(math.isclose(a, b, abs_tol=1e-6)
                                                        for a, b in zip(mine, theirs))
            elif isinstance(mine, float):
                same = math.isclose(mine, theirs, abs_tol=1e-6)
            else:
                same = mine == theirs
            if not same:
                out.append(f"{name} {_fmt(theirs)} differs from the model's {_fmt(mine)}")
        return out

    def transform(self) -> Callable[[Any], Any]:
        """The per-row, CPU half: RGB ``uint8`` array ``(H, W, 3)`` or PIL image -> resized, cropped
        ``uint8`` array ``(h, w, 3)`` in the network's channel order.

        Scaling to [0, 1] and mean/std run batched inside the model (:meth:`normalizer`), so together
        they compute timm's eval transform (resize -> center crop -> to tensor -> normalize). For the
        common modes the resize and the crop are one Pillow call over the crop's source box (same
        filter and sample positions, about half the work); other modes use timm's own transform.
        """
        bgr = self.channel_order == "BGR"
        _, h, w = self.input_size
        square = math.floor(h / self.crop_pct) == math.floor(w / self.crop_pct)
        if not (self.crop_mode == "squash" or (self.crop_mode == "center" and square)) or self.crop_pct > 1.0:
            from timm.data import create_transform

            tf = create_transform(input_size=self.input_size, interpolation=self.interpolation,
                                  crop_pct=self.crop_pct, crop_mode=self.crop_mode, is_training=False,
                                  use_prefetcher=True)  # uint8 CHW tensor, not normalized
            return lambda image: tf(to_pil(image, bgr=bgr)).permute(1, 2, 0).numpy()
        return _FastEval(self)

    def normalizer(self) -> Any:
        """The batched half, an ``nn.Module``: ``uint8 (B, h, w, 3)`` -> normalized ``float (B, 3, h, w)``."""
        from junco.models._layers import PixelNormalize

        return PixelNormalize(self.mean, self.std)


def _fmt(v: Any) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(f"{x:g}" if isinstance(x, float) else str(x) for x in v) + ")"
    return repr(v)


def to_pil(image: Any, *, bgr: bool = False) -> Any:
    """An RGB ``PIL.Image`` from a ``uint8`` array (H x W, H x W x 3 or x 4) or a PIL image.

    Args:
        image: RGB(A) or grey ``uint8`` array, or a ``PIL.Image``.
        bgr: reverse the channels (what a network trained on BGR would see).

    Returns:
        A ``PIL.Image`` in mode RGB.

    Example:
        >>> import numpy as np
        >>> to_pil(np.zeros((4, 5, 3), np.uint8)).size
        (5, 4)
    """
    import numpy as np
    from PIL import Image

    if isinstance(image, Image.Image):
        arr = np.asarray(image.convert("RGB"))
    else:
        arr = np.asarray(image)
        if arr.dtype != np.uint8:
            if np.issubdtype(arr.dtype, np.floating) and arr.size and float(arr.max()) <= 1.0:
                arr = arr * 255.0
            arr = np.clip(arr, 0, 255).astype(np.uint8)
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        elif arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
            raise ValueError(f"expected an image array (H, W[, 1|3|4]), got shape {arr.shape}")
        if arr.shape[2] == 1:
            arr = np.repeat(arr, 3, axis=2)
        arr = arr[..., :3]
    if bgr:
        arr = arr[..., ::-1]
    arr = np.ascontiguousarray(arr)
    # a view of the array's memory, not a copy (the resize that follows makes the new image)
    return Image.frombuffer("RGB", (arr.shape[1], arr.shape[0]), arr, "raw", "RGB", 0, 1)


class _FastEval:
    """timm's center/squash eval resize + crop as one Pillow box-resize (uint8 out)."""

    def __init__(self, cfg: ImagePreprocess):
        from PIL import Image

        self.cfg = cfg
        self.resample = {"nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
                         "bicubic": Image.Resampling.BICUBIC, "box": Image.Resampling.BOX,
                         "hamming": Image.Resampling.HAMMING, "lanczos": Image.Resampling.LANCZOS
                         }[cfg.interpolation]
        _, th, tw = cfg.input_size
        self.size = (th, tw)
        self.scale = (math.floor(th / cfg.crop_pct), math.floor(tw / cfg.crop_pct))

    def _resized_size(self, w: int, h: int) -> tuple[int, int]:
        sh, sw = self.scale
        if self.cfg.crop_mode == "squash":
            return sw, sh
        if w <= h:
            return sh, int(sh * h / w)
        return int(sh * w / h), sh

    def __call__(self, image: Any) -> Any:
        import numpy as np

        im = to_pil(image, bgr=self.cfg.channel_order == "BGR")
        w, h = im.size
        nw, nh = self._resized_size(w, h)
        th, tw = self.size
        top, left = int(round((nh - th) / 2.0)), int(round((nw - tw) / 2.0))
        sx, sy = w / nw, h / nh
        box = (left * sx, top * sy, (left + tw) * sx, (top + th) * sy)
        return np.asarray(im.resize((tw, th), self.resample, box=box))
