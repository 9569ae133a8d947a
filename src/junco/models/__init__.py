"""Models: where weights come from, model-owned preprocessing, layer selection, fingerprints.

Weights load from disk only — a checkpoint path, a pip package that carries them, the local timm /
Hugging Face caches — unless ``JUNCO_ALLOW_DOWNLOAD=1`` allows a hub. A missing model raises
:class:`ModelNotFoundError` naming every place looked in. Nothing here imports torch at import time.

Example:
    >>> from junco import models
    >>> "efficientnet-lite0" in models.PACKAGED
    True
"""

from junco.models._catalog import ModelInfo, clip_checkpoint, format_table, list_available
from junco.models._errors import JuncoWarning, ModelNotFoundError, PreprocessingFidelityWarning
from junco.models._fingerprint import file_sha256, state_sha256
from junco.models._onnx import TOLERANCE, ExportSpec, OnnxMismatchError, load_or_export
from junco.models._preprocess import IMAGENET_MEAN, IMAGENET_STD, ImagePreprocess
from junco.models._settings import allow_download, cache_dir, ensure_offline, resolve_device
from junco.models._sources import PACKAGED, Packaged, Weights, find_packaged

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "PACKAGED",
    "TOLERANCE",
    "ExportSpec",
    "ImagePreprocess",
    "JuncoWarning",
    "ModelInfo",
    "ModelNotFoundError",
    "OnnxMismatchError",
    "Packaged",
    "PreprocessingFidelityWarning",
    "Weights",
    "allow_download",
    "cache_dir",
    "clip_checkpoint",
    "ensure_offline",
    "file_sha256",
    "find_packaged",
    "format_table",
    "list_available",
    "load_or_export",
    "resolve_device",
    "state_sha256",
]
