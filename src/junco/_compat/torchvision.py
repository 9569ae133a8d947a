"""Let the CUDA torchvision wheel import on a CPU-only torch.

The PyPI torchvision wheel is built against CUDA; on a CPU torch its C extension fails to load, and
``torchvision/_meta_registrations.py`` then calls ``register_fake("torchvision::nms")`` on an operator
nobody defined, so ``import torchvision`` (hence ``timm``, ``open_clip``) raises
``RuntimeError: operator torchvision::nms does not exist``.

The fix: a ``sys.meta_path`` finder wraps the loader of ``torchvision.extension`` (the module that
tries to load the extension, imported before the meta registrations). Right after it runs, if the
extension did *not* load, the two schemas torchvision registers unconditionally (``nms``, ``qnms``)
are defined from Python, with a pure-torch CPU ``nms``. Where the extension loads (CUDA machines,
matching builds) nothing is done. Other C ops (``roi_align``, ``torchvision.io`` decoders) stay
unavailable on such a machine.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from typing import Any

_TARGET = "torchvision.extension"
_LIB: Any = None  # the torch.library.Library holding our definitions (kept alive on purpose)
_SCHEMA = "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"


def nms(dets: Any, scores: Any, iou_threshold: float) -> Any:
    """Greedy non-maximum suppression in plain torch (what ``torchvision::nms`` computes).

    Args:
        dets: ``(N, 4)`` boxes as ``x1, y1, x2, y2``.
        scores: ``(N,)`` scores.
        iou_threshold: boxes overlapping a kept box by more than this IoU are dropped.

    Returns:
        int64 tensor of kept indices, by decreasing score.

    Example:
        >>> import torch
        >>> boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
        >>> nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5).tolist()
        [0, 2]
    """
    import torch

    if dets.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=dets.device)
    x1, y1, x2, y2 = dets.float().unbind(1)
    areas = (x2 - x1) * (y2 - y1)
    order = scores.argsort(descending=True)
    suppressed = torch.zeros(dets.shape[0], dtype=torch.bool, device=dets.device)
    keep = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        w = (torch.minimum(x2[i], x2) - torch.maximum(x1[i], x1)).clamp(min=0)
        h = (torch.minimum(y2[i], y2) - torch.maximum(y1[i], y1)).clamp(min=0)
        inter = w * h
        iou = inter / (areas[i] + areas - inter)
        suppressed |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.int64, device=dets.device)


def _op_exists(name: str) -> bool:
    import torch

    try:
        torch._C._dispatch_find_schema_or_throw(f"torchvision::{name}", "")
        return True
    except RuntimeError:
        return False


def define_missing_ops() -> bool:
    """Define ``torchvision::nms`` / ``torchvision::qnms`` when no extension did; True if it defined them.

    Returns:
        Whether schemas were defined now (False when they already existed).

    Example:
        >>> define_missing_ops() in (True, False)
        True
    """
    global _LIB
    import torch

    missing = [n for n in ("nms", "qnms") if not _op_exists(n)]
    if not missing:
        return False
    try:
        lib = torch.library.Library("torchvision", "DEF")
    except RuntimeError:  # someone else already owns a DEF library for the namespace
        lib = torch.library.Library("torchvision", "FRAGMENT")
    for name in missing:
        lib.define(name + _SCHEMA)
    if "nms" in missing:
        lib.impl("nms", nms, "CPU")
    _LIB = lib
    return True


class _Loader(importlib.abc.Loader):
    """Runs the real loader, then defines the op schemas if the C extension did not load."""

    def __init__(self, inner: Any):
        self._inner = inner

    def create_module(self, spec: Any) -> Any:
        return self._inner.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._inner.exec_module(module)
        has_ops = getattr(module, "_has_ops", None)
        if has_ops is not None and not has_ops():
            define_missing_ops()

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, get_filename, ...
        return getattr(self._inner, name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != _TARGET:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None and not isinstance(spec.loader, _Loader):
            spec.loader = _Loader(spec.loader)
        return spec


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (idempotent; imports nothing heavy).

    Returns:
        None.

    Example:
        >>> install()
        >>> sum(isinstance(f, _Finder) for f in sys.meta_path)
        1
    """
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())
