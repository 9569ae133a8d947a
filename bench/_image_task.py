"""The image-embedding job every peer in ``bench/image_peers.py`` runs: the same functions everywhere.

Standalone on purpose (no ``junco`` import): the Towhee peer imports this file inside its own virtual
environment. Each peer gets the same per-row functions (:func:`decode`, :class:`Preprocess`) and the same
batched model (:func:`load_embedder`, built from the state dict junco's operator exported), so what the
comparison measures is how each framework moves rows and batches, not whose resize is faster.

The preprocessing is timm's eval transform for ``tf_efficientnet_lite0`` (resize the short side to
``floor(224 / 0.875)``, centre crop 224, bicubic, mean = std = 0.5), computed as one Pillow box-resize
like junco's own model preprocessing; scaling and normalization run batched inside the model.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

_COMPAT = Path(__file__).resolve().parent.parent / "src" / "junco" / "_compat" / "torchvision.py"


def decode(path: str) -> Any:
    """An RGB ``uint8`` array ``(H, W, 3)`` from an image file (OpenCV).

    Args:
        path: the image file.

    Returns:
        The decoded image.

    Raises:
        ValueError: the file is not an image OpenCV reads.
    """
    import cv2

    im = cv2.imread(path, cv2.IMREAD_COLOR)
    if im is None:
        raise ValueError(f"not an image: {path}")
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB)


class Preprocess:
    """RGB ``uint8 (H, W, 3)`` -> resized, centre-cropped ``uint8 (h, w, 3)`` (timm's eval geometry).

    Args:
        spec: the task spec (``input_size``, ``crop_pct``, ``interpolation``).
    """

    def __init__(self, spec: dict[str, Any]):
        from PIL import Image

        self.resample = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC,
                         "nearest": Image.Resampling.NEAREST}[spec["interpolation"]]
        _, self.h, self.w = spec["input_size"]
        self.scale = math.floor(self.h / spec["crop_pct"])

    def __call__(self, image: Any) -> Any:
        import numpy as np
        from PIL import Image

        arr = np.ascontiguousarray(image)
        im = Image.frombuffer("RGB", (arr.shape[1], arr.shape[0]), arr, "raw", "RGB", 0, 1)
        w, h = im.size
        nw, nh = (self.scale, int(self.scale * h / w)) if w <= h else (int(self.scale * w / h), self.scale)
        top, left = int(round((nh - self.h) / 2.0)), int(round((nw - self.w) / 2.0))
        sx, sy = w / nw, h / nh
        box = (left * sx, top * sy, (left + self.w) * sx, (top + self.h) * sy)
        return np.asarray(im.resize((self.w, self.h), self.resample, box=box))


def _fix_torchvision() -> None:
    """Let the CUDA torchvision wheel import on CPU torch (junco's hook, loaded by path: no junco here)."""
    import importlib.util
    import sys

    if "junco" in sys.modules or "_junco_tv_fix" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location("_junco_tv_fix", _COMPAT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {_COMPAT}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["_junco_tv_fix"] = mod
    spec.loader.exec_module(mod)
    mod.install()


def load_spec(spec_path: str) -> dict[str, Any]:
    """Read the task spec JSON written by ``bench.image_peers.export_task``."""
    return dict(json.loads(Path(spec_path).read_text()))


def load_embedder(spec: dict[str, Any]) -> Any:
    """The model as one ``nn.Module``: ``uint8 (B, h, w, 3)`` -> L2-normalized ``float (B, D)``.

    Built with timm from the exported state dict; torch uses every core (as in the main process).
    """
    _fix_torchvision()
    import timm
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    model = timm.create_model(spec["arch"], pretrained=False, num_classes=spec["num_classes"])
    model.load_state_dict(torch.load(spec["state_dict"], map_location="cpu", weights_only=True))
    model.eval()
    mean = torch.tensor(spec["mean"], dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(spec["std"], dtype=torch.float32).view(1, -1, 1, 1)

    class Embedder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model
            self.register_buffer("scale", 1.0 / (255.0 * std), persistent=False)
            self.register_buffer("shift", mean / std, persistent=False)

        def forward(self, x: Any) -> Any:
            x = x.permute(0, 3, 1, 2).float() * self.scale - self.shift
            v = self.model.forward_head(self.model.forward_features(x), pre_logits=True)
            return torch.nn.functional.normalize(v, dim=1)

    return Embedder().eval()


def embed_batch(embedder: Any, pixels: list[Any]) -> Any:
    """A list of preprocessed ``uint8`` images -> ``float32 (B, D)`` numpy vectors."""
    import numpy as np
    import torch

    with torch.inference_mode():
        return embedder(torch.from_numpy(np.stack(pixels))).numpy()
