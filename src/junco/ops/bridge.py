"""A text-to-image bridge that needs no CLIP: images become text embeddings of what they show.

An image is embedded as the probability-weighted mean of the text embeddings of its top-k predicted
ImageNet classes (each as ``"a photo of a <class>"``), a text query with the same text model, so both
live in the text model's space and ``"a cat"`` finds the cat photo. Built from the packaged
efficientnet-lite0 classifier and all-MiniLM-L6-v2, it works offline on any machine with junco[image,text].
"""

from __future__ import annotations

import threading
from typing import Any

from junco.operator import ModelOperator
from junco.ops import register

MODALITIES = ("image", "text")


def imagenet_names() -> list[str]:
    """The 1000 ImageNet-1k class names (first synonym of each), from timm's bundled class info.

    Example:
        >>> imagenet_names()[281]
        'tabby'
    """
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_description(i).split(",")[0].strip() for i in range(info.num_classes())]


@register("text-image-embedding/bridge")
class TextImageBridge(ModelOperator):
    """Embed images and text into one space without CLIP (image classes -> text embeddings).

    Args:
        modality: ``"image"`` (RGB array / path / bytes in) or ``"text"`` (a query string in).
        image_model: a timm ImageNet classifier (default the packaged efficientnet-lite0).
        text_model: a sentence-transformers model (default the packaged all-MiniLM-L6-v2).
        top_k: how many top classes describe an image.
        template: the prompt each class name is put in.
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"``, ``"torch"`` or ``"onnxruntime"`` (for both models).

    Returns:
        Called on an image or a string: a unit-length float32 vector (384 with MiniLM). Both
        modalities share one fingerprint: their vectors are comparable.

    Example:
        >>> from junco import ops
        >>> ops.text_image_embedding.bridge(modality="text", backend="torch")("a cat").shape
        (384,)
    """

    batch_size = 32

    def __init__(self, *, modality: str = "image", image_model: str = "efficientnet_lite0",
                 text_model: str = "all-MiniLM-L6-v2", top_k: int = 5, template: str = "a photo of a {}",
                 device: str | None = None, backend: str = "auto"):
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if "{}" not in template:
            raise ValueError("template must contain '{}' where the class name goes")
        config = {"modality": modality, "image_model": image_model, "text_model": text_model,
                  "top_k": top_k, "template": template}
        super().__init__(device=device, backend=backend, config=config)
        self.modality, self.top_k, self.template = modality, int(top_k), template
        from junco.ops.image_embedding import TimmImageEmbedding
        from junco.ops.text import SentenceTransformerEmbedding

        self.image_op = TimmImageEmbedding(model_name=image_model, layer="logits", device=device, backend=backend)
        self.text_op = SentenceTransformerEmbedding(model_name_or_path=text_model, device=device, backend=backend)
        self._class_vecs: dict[int, Any] = {}
        self._names: list[str] | None = None
        self._cache_lock = threading.Lock()

    def check(self) -> None:
        self.text_op.check()
        self.image_op.check()

    def setup(self) -> None:
        if self.model is not None:
            return
        with self._lock:
            if self.model is not None:
                return
            from torch import nn

            side = self.image_op if self.modality == "image" else self.text_op
            self.text_op.setup()
            side.setup()
            if self.modality == "image":
                self._names = imagenet_names()
                if self.image_op.dim != len(self._names):
                    raise ValueError(f"the bridge needs an ImageNet-1k classifier; {self.config['image_model']!r} "
                                     f"has {self.image_op.dim} outputs")
            self.device, self.active_backend = side.device, side.active_backend
            self.warnings = [*self.image_op.warnings, *self.text_op.warnings]
            self.model = nn.ModuleDict({"text": self.text_op.model, **(
                {"image": self.image_op.model} if self.modality == "image" else {})})

    def preprocess(self, item: Any) -> Any:
        self.setup()
        return (self.image_op if self.modality == "image" else self.text_op).preprocess(item)

    def forward(self, batch: list[Any]) -> Any:
        import numpy as np

        if self.modality == "text":
            return self._unit(np.asarray(self.text_op.forward(batch)))
        logits = np.asarray(self.image_op.forward(batch), dtype=np.float64)
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        top = np.argsort(-probs, axis=1)[:, : self.top_k]
        vecs = self._class_vectors(sorted({int(c) for c in top.ravel()}))
        out = np.stack([sum(probs[r, c] * vecs[int(c)] for c in top[r]) for r in range(len(batch))])
        return self._unit(out.astype(np.float32))

    def _class_vectors(self, classes: list[int]) -> dict[int, Any]:
        with self._cache_lock:
            todo = [c for c in classes if c not in self._class_vecs]
            if todo:
                assert self._names is not None
                prompts = [self.text_op.preprocess(self.template.format(self._names[c])) for c in todo]
                for c, v in zip(todo, self.text_op.forward(prompts)):
                    self._class_vecs[c] = v
            return {c: self._class_vecs[c] for c in classes}

    @staticmethod
    def _unit(x: Any) -> Any:
        import numpy as np

        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    def postprocess(self, outputs: Any) -> list[Any]:
        return list(outputs)

    def fingerprint(self) -> dict[str, Any]:
        """The same for both modalities (one space): both models, top-k and the prompt template."""
        return {"op": "text-image-embedding/bridge", "image_model": self.image_op.fingerprint(),
                "text_model": self.text_op.fingerprint(), "top_k": self.top_k, "template": self.template}


__all__ = ["TextImageBridge", "imagenet_names"]
