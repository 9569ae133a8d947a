"""CLIP image and text embeddings on open_clip, with the model's own preprocessing and tokenizer.

No CLIP weights ship in any package here: give a checkpoint (``checkpoint_path=`` a weight file for a
built-in architecture, or a folder with ``open_clip_config.json``), or configure one machine-wide with
``JUNCO_CLIP_MODEL`` / ``JUNCO_CLIP_CHECKPOINT``; models in the local Hugging Face cache also work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from junco.operator import ModelOperator
from junco.ops import register

MODALITIES = ("image", "text")


def _resolve(model_name: str, checkpoint_path: str | None, pretrained: str | None) -> tuple[str, str | None, Any]:
    """``(open_clip model name, pretrained argument, Weights)``, offline unless downloads are allowed."""
    from junco.models import ModelNotFoundError, Weights, allow_download
    from junco.models._sources import hf_cached_file

    looked = []
    if checkpoint_path:
        p = Path(checkpoint_path).expanduser()
        if p.is_dir():
            _check_folder(p, model_name)
            return f"local-dir:{p}", None, Weights("checkpoint", str(p))
        if p.is_file():
            return model_name, str(p), Weights("checkpoint", str(p))
        looked.append(f"checkpoint_path {p}: no such file")
    else:
        looked.append("checkpoint_path: not given")
    if model_name.startswith("local-dir:"):
        folder = model_name[len("local-dir:"):]
        _check_folder(Path(folder), model_name)
        return model_name, None, Weights("checkpoint", folder)
    elif model_name.startswith("hf-hub:"):
        repo = model_name[len("hf-hub:"):]
        cached = hf_cached_file(repo, ("open_clip_model.safetensors", "open_clip_pytorch_model.bin"))
        if cached or allow_download():
            return model_name, None, Weights("cache" if cached else "hub", cached, repo)
        looked.append(f"Hugging Face cache: {repo} absent")
    elif pretrained:
        import open_clip

        cfg = open_clip.get_pretrained_cfg(model_name, pretrained) or {}
        repo = cfg.get("hf_hub", "").rstrip("/")
        cached = hf_cached_file(repo, (cfg.get("hf_hub_filename") or "open_clip_pytorch_model.bin",
                                       "open_clip_model.safetensors")) if repo else None
        if cached or allow_download():
            return model_name, pretrained, Weights("cache" if cached else "hub", cached, f"{model_name}/{pretrained}")
        looked.append(f"Hugging Face cache: {repo or model_name + '/' + pretrained} absent")
    looked.append("pretrained tag: not given" if not pretrained else "")
    looked.append("packages: no CLIP weights ship in any package")
    looked = [x for x in looked if x]
    raise ModelNotFoundError(model_name, looked, [
        "pass checkpoint_path='/path/to/open_clip_pytorch_model.bin' (with model_name='ViT-B-32' etc.)",
        "or checkpoint_path='/path/to/folder' holding open_clip_config.json and the weights",
        "or set JUNCO_CLIP_MODEL and JUNCO_CLIP_CHECKPOINT for pipeline('text-image-search')",
        "or set JUNCO_ALLOW_DOWNLOAD=1 with pretrained='laion2b_s34b_b79k' (for example)",
        "without CLIP, pipeline('text-image-search') uses the offline text-image bridge",
    ])


def _check_folder(folder: Path, model_name: str) -> None:
    """A CLIP folder must hold its config and a weight file (open_clip would otherwise go random)."""
    from junco.models import ModelNotFoundError

    missing = []
    if not (folder / "open_clip_config.json").is_file():
        missing.append(f"{folder}/open_clip_config.json: absent")
    if not any(any(folder.glob(pat)) for pat in ("*.safetensors", "*.bin", "*.pth", "*.pt")):
        missing.append(f"{folder}: no *.safetensors / *.bin / *.pth weight file")
    if missing:
        raise ModelNotFoundError(model_name, missing, [
            "a CLIP folder holds open_clip_config.json and its weights (open_clip_pytorch_model.bin)"])


@register("image-text-embedding/clip")
class ClipEmbedding(ModelOperator):
    """Embed images or text with an open_clip model into its shared space (unit-length vectors).

    Args:
        model_name: an open_clip architecture (``"ViT-B-32"``), ``"local-dir:/path"`` or ``"hf-hub:org/repo"``.
        checkpoint_path: a weight file for ``model_name``, or a folder with ``open_clip_config.json``.
        pretrained: an open_clip pretrained tag, used only from the local cache (or when downloads are allowed).
        modality: ``"image"`` (RGB array / PIL / path / bytes in) or ``"text"`` (a string in).
        device: ``None`` (CUDA when present), ``"cpu"``, ``"cuda"``.
        backend: ``"auto"``, ``"torch"`` or ``"onnxruntime"``.
        size, interpolation, mean, std, channel_order: image preprocessing overrides (warned).

    Returns:
        Called on an image or a string: a float32 vector. Both modalities share one fingerprint.

    Example:
        >>> from junco import ops
        >>> op = ops.image_text_embedding.clip(model_name="ViT-B-32", modality="text")  # no weights yet
    """

    def __init__(self, *, model_name: str = "ViT-B-32", checkpoint_path: str | None = None,
                 pretrained: str | None = None, modality: str = "image", device: str | None = None,
                 backend: str = "auto", size: int | None = None, interpolation: str | None = None,
                 mean: tuple[float, ...] | None = None, std: tuple[float, ...] | None = None,
                 channel_order: str | None = None):
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        overrides = {"size": size, "interpolation": interpolation, "mean": mean, "std": std,
                     "channel_order": channel_order}
        super().__init__(device=device, backend=backend, config={
            "model_name": model_name, "checkpoint_path": checkpoint_path, "pretrained": pretrained,
            "modality": modality, **overrides})
        self.modality = modality
        self.overrides = {k: v for k, v in overrides.items() if v is not None}
        self.preprocess_config: Any = None
        self.tokenizer: Any = None
        self.dim: int | None = None
        self._transform: Any = None
        self._encoder: Any = None
        self._decode: Any = None
        self._name = model_name

    def check(self) -> None:
        _resolve(self.config["model_name"], self.config["checkpoint_path"], self.config["pretrained"])

    def load_model(self) -> Any:
        import open_clip

        name, pretrained, self.weights = _resolve(self.config["model_name"], self.config["checkpoint_path"],
                                                  self.config["pretrained"])
        model = open_clip.create_model(name, pretrained=pretrained, device="cpu", weights_only=True)
        self._name = name
        self.tokenizer = open_clip.get_tokenizer(name)
        return model

    def on_load(self) -> None:
        import torch
        from torch import nn

        from junco.models import ImagePreprocess, PreprocessingFidelityWarning

        cfg = dict(getattr(self.model.visual, "preprocess_cfg", {}) or {})
        size = cfg.get("size", 224)
        h, w = (size, size) if isinstance(size, int) else tuple(size)
        mode = cfg.get("resize_mode", "shortest")
        if mode not in ("shortest", "squash") or (mode == "shortest" and h != w):
            raise ValueError(f"CLIP resize_mode {mode!r} with size {size} is not supported yet")
        base = ImagePreprocess((3, h, w), cfg.get("interpolation", "bicubic"), 1.0,
                               "center" if mode == "shortest" else "squash",
                               tuple(cfg.get("mean", (0.48145466, 0.4578275, 0.40821073))),
                               tuple(cfg.get("std", (0.26862954, 0.26130258, 0.27577711))))
        self.preprocess_config, issues = base.override(**self.overrides)
        for issue in issues:
            self.note(f"CLIP {self._name}: preprocessing {issue}", PreprocessingFidelityWarning)
        self._transform = self.preprocess_config.transform()
        model, image = self.model, self.modality == "image"
        norm = self.preprocess_config.normalizer().to(self.device)

        class Encoder(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.clip, self.norm = model, norm

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                out = self.clip.encode_image(self.norm(x)) if image else self.clip.encode_text(x)
                return nn.functional.normalize(out, dim=-1)

        self._encoder = Encoder().eval()
        with torch.no_grad():
            self.dim = int(self._encoder(self._example()[:1].to(self.device)).shape[-1])

    def _example(self) -> Any:
        import torch

        if self.modality == "image":
            _, h, w = self.preprocess_config.input_size
            return torch.randint(0, 256, (2, h, w, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
        return self.tokenizer(["a photo of a cat", "a diagram"])

    def inference_module(self) -> Any:
        return self._encoder

    def export_spec(self) -> Any:
        from junco.models import ExportSpec

        name = "pixels" if self.modality == "image" else "tokens"
        return ExportSpec(self._encoder, (self._example().to(self.device),), (name,), {name: {0: "batch"}})

    def preprocess(self, item: Any) -> Any:
        if self._transform is None:
            self.setup()
        if self.modality == "text":
            if not isinstance(item, str):
                raise TypeError(f"expected a string, got {type(item).__name__}")
            return self.tokenizer([item])[0]
        if isinstance(item, str | bytes | bytearray) or hasattr(item, "__fspath__") or hasattr(item, "read"):
            if self._decode is None:
                from junco.ops.image import Cv2Decode

                self._decode = Cv2Decode()
            item = self._decode(item)
        return self._transform(item)

    def forward(self, batch: list[Any]) -> Any:
        import numpy as np
        import torch

        if self.modality == "image":
            return self.run(torch.from_numpy(np.stack(batch)))
        return self.run(torch.stack(batch))

    def postprocess(self, outputs: Any) -> list[Any]:
        return list(outputs)

    def model_fingerprint(self) -> dict[str, Any]:
        """The same for both modalities: the space is the model, its weights and its image preprocessing."""
        return {"architecture": self._name if not self._name.startswith("local-dir:") else "local-dir",
                "preprocess": self.preprocess_config.to_dict(), "dim": self.dim}

    def save_weights(self, directory: Path) -> dict[str, Any]:
        import json

        import open_clip
        import torch

        cfg = open_clip.get_model_config(self._name)
        (directory / "open_clip_config.json").write_text(json.dumps({
            "model_cfg": cfg, "preprocess_cfg": dict(self.model.visual.preprocess_cfg)}, default=list))
        torch.save(self.model.state_dict(), directory / "open_clip_pytorch_model.bin")
        return {"model_name": self._name, "checkpoint_path": "./", "pretrained": None}


__all__ = ["ClipEmbedding"]
