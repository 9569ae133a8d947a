"""Training transforms derived from the model's own preprocessing, plus augmentation on top.

Images: timm's training transform built from the operator's :class:`~junco.models.ImagePreprocess`
(input size, interpolation, mean / std, channel order), so training sees exactly what inference sees
apart from the augmentation. Tensors (non-image models): passed through, with light noise / crops for
the self-supervised views.
"""

from __future__ import annotations

from typing import Any

_LIGHT = {"scale": (0.6, 1.0), "color_jitter": 0.1, "hflip": 0.5}
_STRONG = {"scale": (0.08, 1.0), "auto_augment": "rand-m9-mstd0.5-inc1", "hflip": 0.5}
# SimCLR's recipe (Chen et al. 2020): crop 0.2-1 (0.08 at ImageNet scale), strong colour jitter with
# p=0.8, grayscale p=0.2, blur p=0.5
_SIMCLR = {"scale": (0.2, 1.0), "color_jitter": (0.4, 0.4, 0.4, 0.1), "color_jitter_prob": 0.8,
           "grayscale_prob": 0.2, "gaussian_blur_prob": 0.5, "hflip": 0.5}


class ImageTrainTransform:
    """Decode (paths, bytes), convert to PIL in the model's channel order, augment with timm's training
    transform, and return the same format as the operator's own ``preprocess`` (``like``).

    Args:
        preprocess: the operator's :class:`~junco.models.ImagePreprocess` (after user overrides).
        augment: ``"light"``, ``"strong"`` or ``"simclr"``.
        like: an output of the evaluation transform: ``uint8 (h, w, 3)`` arrays (normalization inside the
            model) or normalized ``float (3, h, w)`` tensors; training items come out the same way.

    Example:
        >>> import numpy as np
        >>> from junco.models import ImagePreprocess
        >>> tf = ImageTrainTransform(ImagePreprocess(input_size=(3, 32, 32)), "light")
        >>> out = tf(np.zeros((40, 50, 3), np.uint8))
        >>> out.shape, out.dtype.name
        ((32, 32, 3), 'uint8')
    """

    def __init__(self, preprocess: Any, augment: str = "light", like: Any = None):
        from timm.data import create_transform

        kw: dict[str, Any] = {"light": _LIGHT, "strong": _STRONG, "simclr": _SIMCLR}[augment]
        self.preprocess, self.augment = preprocess, augment
        self._decode: Any = None
        self._tf = create_transform(input_size=preprocess.input_size, is_training=True,
                                    interpolation=preprocess.interpolation, normalize=False, **kw)
        self._float = like is not None and hasattr(like, "is_floating_point") and like.is_floating_point()
        self._torch_out = like is not None and hasattr(like, "is_floating_point")

    def __call__(self, image: Any) -> Any:
        import torch

        from junco.models._preprocess import to_pil

        image = decode_if_needed(self, image)
        chw = self._tf(to_pil(image, bgr=self.preprocess.channel_order == "BGR"))  # uint8 (3, h, w)
        if self._float:  # a model fed normalized tensors
            mean = torch.tensor(self.preprocess.mean).view(-1, 1, 1)
            std = torch.tensor(self.preprocess.std).view(-1, 1, 1)
            return (chw.float() / 255.0 - mean) / std
        hwc = chw.permute(1, 2, 0).contiguous()
        return hwc if self._torch_out else hwc.numpy()


def decode_if_needed(holder: Any, image: Any) -> Any:
    """Paths, bytes and file-like objects -> RGB arrays (junco's decoder); anything else as is."""
    if isinstance(image, str | bytes | bytearray) or hasattr(image, "__fspath__") or hasattr(image, "read"):
        if holder._decode is None:
            from junco.ops.image import Cv2Decode

            holder._decode = Cv2Decode()
        return holder._decode(image)
    return image


class TensorTransform:
    """Non-image inputs -> float tensors; ``augment`` adds the light perturbations used for SSL views.

    Args:
        augment: ``"none"`` or ``"light"``/``"strong"``/``"simclr"`` (random resized crop for
            ``(C, H, W)`` inputs, gaussian noise for everything).
        noise: std of the added noise, relative to the item's std.

    Example:
        >>> import numpy as np
        >>> TensorTransform()(np.ones((1, 8, 8))).dtype
        torch.float32
    """

    def __init__(self, augment: str = "none", noise: float = 0.1):
        self.augment, self.noise = augment, noise
        self._crop: Any = None

    def __call__(self, item: Any) -> Any:
        import numpy as np
        import torch

        if isinstance(item, torch.Tensor):
            x = item.detach().float()
        elif isinstance(item, dict):
            return {k: self(v) for k, v in item.items()}
        else:
            x = torch.as_tensor(np.asarray(item), dtype=torch.float32)
        if self.augment == "none":
            return x
        if x.ndim == 3:
            if self._crop is None:
                from torchvision.transforms import v2

                scale = (0.3, 1.0) if self.augment == "simclr" else (0.6, 1.0)
                self._crop = v2.RandomResizedCrop(tuple(x.shape[-2:]), scale=scale, antialias=True)
            x = self._crop(x)
        return x + torch.randn_like(x) * self.noise * (float(x.std()) + 1e-6)


class TwoViews:
    """Two independent augmentations of one item (the SimCLR positive pair)."""

    def __init__(self, transform: Any):
        self.transform = transform

    def __call__(self, item: Any) -> tuple[Any, Any]:
        return self.transform(item), self.transform(item)
