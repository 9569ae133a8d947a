"""Shared machinery of image model operators: model-owned preprocessing, fidelity check, batching."""

from __future__ import annotations

from typing import Any

from junco.operator import ModelOperator

_OVERRIDES = ("size", "interpolation", "mean", "std", "crop_pct", "channel_order")


class ImageModelOperator(ModelOperator):
    """An image model: ``preprocess`` (decode if needed, model's own transform) -> batched ``forward``.

    Subclasses implement ``load_model``, ``model_preprocess`` (the training transform as an
    :class:`~junco.models.ImagePreprocess`), ``build_embedder`` and ``architecture``.

    Args:
        device: see :class:`~junco.operator.ModelOperator`.
        backend: see :class:`~junco.operator.ModelOperator`.
        config: the subclass's constructor arguments (overrides included).
    """

    def __init__(self, *, device: str | None, backend: str, config: dict[str, Any]):
        super().__init__(device=device, backend=backend, config=config)
        self.overrides = {k: config[k] for k in _OVERRIDES if config.get(k) is not None}
        self.preprocess_config: Any = None
        self.dim: int | None = None
        self._transform: Any = None
        self._embedder: Any = None
        self._decode: Any = None

    # -- for subclasses -------------------------------------------------------------------------------
    def model_preprocess(self) -> Any:
        """The model's training transform (an :class:`~junco.models.ImagePreprocess`)."""
        raise NotImplementedError

    def build_embedder(self, model: Any) -> Any:
        """The module mapping pixels ``(B, 3, H, W)`` to ``(B, D)``."""
        return model

    def architecture(self) -> str:
        return type(self).__name__

    def layer_fingerprint(self) -> dict[str, Any]:
        return {}

    # -- machinery ------------------------------------------------------------------------------------
    def on_load(self) -> None:
        import torch

        from junco.models import PreprocessingFidelityWarning

        base = self.model_preprocess()
        self.preprocess_config, issues = base.override(**self.overrides)
        for issue in issues:
            self.note(f"{self.architecture()}: preprocessing {issue}; embeddings will differ from what "
                      "the model was trained on", PreprocessingFidelityWarning)
        self._transform = self.preprocess_config.transform()
        norm = self.preprocess_config.normalizer().to(self.device)
        self._embedder = torch.nn.Sequential(norm, self.build_embedder(self.model)).eval()
        with torch.no_grad():
            self.dim = int(self._embedder(self._pixels(1).to(self.device)).shape[-1])

    def _pixels(self, n: int) -> Any:
        """``n`` random ``uint8`` images shaped like preprocessed rows (for probes and ONNX export)."""
        import torch

        _, h, w = self.preprocess_config.input_size
        return torch.randint(0, 256, (n, h, w, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))

    def inference_module(self) -> Any:
        return self._embedder

    def export_spec(self) -> Any:
        from junco.models import ExportSpec

        return ExportSpec(self._embedder, (self._pixels(2).to(self.device),), ("pixels",), {"pixels": {0: "batch"}})

    def model_fingerprint(self) -> dict[str, Any]:
        return {"architecture": self.architecture(), **self.layer_fingerprint(),
                "preprocess": self.preprocess_config.to_dict(), "dim": self.dim}

    def preprocess(self, image: Any) -> Any:
        """An RGB ``uint8`` array ``(H, W, 3)``, a PIL image, or a path / bytes (decoded as RGB) -> the
        resized, cropped ``uint8`` array ``(h, w, 3)``; ``forward`` scales and normalizes it, batched."""
        if self._transform is None:
            self.setup()
        if isinstance(image, str | bytes | bytearray) or hasattr(image, "__fspath__") or hasattr(image, "read"):
            if self._decode is None:
                from junco.ops.image import Cv2Decode

                self._decode = Cv2Decode()
            image = self._decode(image)
        return self._transform(image)

    def forward(self, batch: list[Any]) -> Any:
        import numpy as np
        import torch

        return self.run(torch.from_numpy(np.stack(batch)))

    def postprocess(self, outputs: Any) -> list[Any]:
        return list(outputs)
