"""The dlib model files shipped by ``face_recognition_models`` (CC0), found without importing it
(its ``__init__`` imports ``pkg_resources``, which this setuptools no longer has)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

SHAPE_5 = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


def model_file(name: str, override: str | None = None) -> Path:
    """The path of a dlib model file: ``override`` when given, else the one in ``face_recognition_models``.

    Raises:
        ModelNotFoundError: naming where it looked and how to install the models.

    Example:
        >>> model_file(SHAPE_5).name
        'shape_predictor_5_face_landmarks.dat'
    """
    from junco.models import ModelNotFoundError

    if override:
        path = Path(override)
        if path.is_file():
            return path
        raise ModelNotFoundError(name, [f"{override}: no such file"], ["check the path"])
    try:
        spec = importlib.util.find_spec("face_recognition_models")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
        if path.is_file():
            return path
    raise ModelNotFoundError(name, ["package face_recognition_models: not installed"],
                             ['pip install "junco[face]"  (dlib-bin and face_recognition_models)'])


def import_dlib() -> Any:
    """``import dlib`` with an install hint."""
    try:
        import dlib
    except ImportError as e:
        raise ImportError('face operators need dlib: pip install "junco[face]" (installs dlib-bin)') from e
    return dlib


def as_rgb(image: Any) -> np.ndarray:
    """An RGB ``uint8`` array from an array (grey, RGB or RGBA), a PIL image, or a path / bytes."""
    if isinstance(image, str | bytes | bytearray) or hasattr(image, "__fspath__") or hasattr(image, "read"):
        from junco.ops.image import Cv2Decode

        return Cv2Decode()(image)
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        if arr.dtype.kind == "f" and arr.size and arr.max() <= 1.0:
            arr = arr * 255.0
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"expected an image (H, W), (H, W, 3) or (H, W, 4), got shape {arr.shape}")
    return np.ascontiguousarray(arr[..., :3])
