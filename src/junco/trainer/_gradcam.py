"""Grad-CAM (Selvaraju et al. 2017) for timm-style image models: where the classifier looked.

Works on the model's last feature map (``forward_features``): CNN maps ``(B, C, h, w)`` and ViT token
sequences ``(B, N, C)`` (prefix tokens dropped, the rest laid back on the patch grid).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def grad_cam(target: Any, images: list[Any], *, head: Any = None, class_index: int | None = None,
             layer: str | None = None) -> tuple[Any, Any, Any]:
    """Heatmaps for ``images`` w.r.t. the predicted class (or ``class_index``).

    Args:
        target: an image model operator, or the trainer's ``ModelParts``.
        images: raw items (paths, arrays, PIL images), preprocessed exactly like inference.
        head: ``(B, D) -> logits`` on the served embedding; default the model's own classifier.
        class_index: explain this class instead of the prediction.
        layer: module whose output is explained; default the model's last feature stage.

    Returns:
        ``(heatmaps (N, h, w) in [0, 1], predicted classes (N,), RGB images (N, h, w, 3) in [0, 1])``.

    Example:
        >>> import numpy as np                                                   # doctest: +SKIP
        >>> from junco import ops                                                # doctest: +SKIP
        >>> op = ops.image_embedding.timm(model_name="efficientnet_lite0")       # doctest: +SKIP
        >>> grad_cam(op, [np.zeros((64, 64, 3), np.uint8)])[0].shape             # doctest: +SKIP
        (1, 224, 224)
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    from junco.trainer._parts import parts_of

    parts = target if hasattr(target, "eval_transform") and hasattr(target, "embedder") else parts_of(target)
    model, embedder = parts.model, parts.embedder
    head = head if head is not None else parts.classifier
    stages = [f["module"] for f in getattr(model, "feature_info", [])]
    layer = layer or (stages[-1] if stages else None)
    if head is None or layer is None:
        raise ValueError("Grad-CAM needs a classifier head and a feature layer (timm models name theirs)")
    dev = next(model.parameters()).device
    x = torch.as_tensor(np.stack([np.asarray(parts.eval_transform(im)) for im in images])).to(dev)
    captured: list[Any] = []
    hook = model.get_submodule(layer).register_forward_hook(lambda _m, _i, out: captured.append(out))
    flags = [(p, p.requires_grad) for p in model.parameters()]
    modes = (model.training, embedder.training)
    try:
        for p, _ in flags:
            p.requires_grad_(True)
        model.eval()
        embedder.eval()
        with torch.enable_grad():
            logits = head(embedder(x))
            fmap = captured[-1][0] if isinstance(captured[-1], tuple) else captured[-1]
            fmap.retain_grad()
            pred = logits.argmax(1)
            chosen = pred if class_index is None else torch.full_like(pred, class_index)
            logits.gather(1, chosen[:, None]).sum().backward()
    finally:
        hook.remove()
        for p, flag in flags:
            p.requires_grad_(flag)
            p.grad = None
        model.train(modes[0])
        embedder.train(modes[1])
    fm, grad = fmap.detach(), fmap.grad
    if fm.ndim == 3:  # tokens -> grid
        prefix = int(getattr(model, "num_prefix_tokens", 0))
        side = int(math.isqrt(fm.shape[1] - prefix))
        fm, grad = (t[:, prefix:prefix + side * side].transpose(1, 2).reshape(len(t), -1, side, side)
                    for t in (fm, grad))
    rgb = _display(x, parts)
    cam = F.relu((grad.mean(dim=(2, 3), keepdim=True) * fm).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=rgb.shape[1:3], mode="bilinear", align_corners=False)[:, 0]
    lo = cam.flatten(1).amin(1)[:, None, None]
    hi = cam.flatten(1).amax(1)[:, None, None]
    cam = (cam - lo) / (hi - lo).clamp_min(1e-8)
    return cam.cpu().numpy(), pred.cpu().numpy(), rgb


def _display(x: Any, parts: Any) -> Any:
    """Model inputs -> RGB float images (N, h, w, 3) in [0, 1] for display."""
    import numpy as np

    arr = x.detach().cpu()
    if not arr.is_floating_point():  # uint8 (N, h, w, 3)
        return arr.numpy().astype(np.float32) / 255.0
    pre = getattr(getattr(parts, "op", None), "preprocess_config", None)
    mean = np.asarray(getattr(pre, "mean", (0.5,) * 3), np.float32)
    std = np.asarray(getattr(pre, "std", (0.5,) * 3), np.float32)
    return np.clip(arr.numpy().transpose(0, 2, 3, 1) * std + mean, 0, 1)


def plot_grad_cam(target: Any, images: list[Any], path: str | Path, *, head: Any = None,
                  classes: list[Any] | None = None) -> Path:
    """Write the inputs with their Grad-CAM heatmaps overlaid, titled by predicted class.

    Returns:
        ``path``.
    """
    from junco.trainer._plots import _plt

    cams, preds, rgb = grad_cam(target, images, head=head)
    plt = _plt()
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.2), squeeze=False)
    for i, ax in enumerate(axes[0]):
        ax.imshow(rgb[i])
        ax.imshow(cams[i], cmap="jet", alpha=0.45)
        name = classes[preds[i]] if classes is not None and preds[i] < len(classes) else preds[i]
        ax.set_title(f"pred: {name}", fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)
