"""Process-wide model settings read from the environment: downloads, cache folder, device.

- ``JUNCO_ALLOW_DOWNLOAD=1`` lets junco fetch weights from a hub (Hugging Face, timm, open_clip). Without
  it, ``HF_HUB_OFFLINE=1`` is set before any hub library is used, so nothing can hang on the network.
- ``JUNCO_CACHE_DIR`` (default ``~/.cache/junco``) holds derived artefacts such as exported ONNX files.
"""

from __future__ import annotations

import os
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}


def allow_download() -> bool:
    """Whether the user allowed network downloads of weights (``JUNCO_ALLOW_DOWNLOAD=1``).

    Returns:
        True when downloads are allowed.

    Example:
        >>> isinstance(allow_download(), bool)
        True
    """
    return os.environ.get("JUNCO_ALLOW_DOWNLOAD", "").strip().lower() in _TRUE


def ensure_offline() -> None:
    """Unless downloads are allowed, put the Hugging Face libraries in offline mode (no hangs).

    Returns:
        None.

    Example:
        >>> ensure_offline()
    """
    if allow_download():
        return
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    hub = _loaded("huggingface_hub.constants")
    if hub is not None:  # the constant is read at import time
        hub.HF_HUB_OFFLINE = True


def _loaded(name: str):  # type: ignore[no-untyped-def]
    import sys

    return sys.modules.get(name)


def cache_dir() -> Path:
    """junco's cache folder: ``$JUNCO_CACHE_DIR`` or ``~/.cache/junco`` (created on demand).

    Returns:
        The folder path.

    Example:
        >>> cache_dir().name != ""
        True
    """
    root = os.environ.get("JUNCO_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "junco")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_device(device: str | None = None) -> str:
    """The device to run on: ``"cuda"`` when available for ``None``/``"auto"``, else ``"cpu"``.

    Args:
        device: ``None``, ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.

    Returns:
        A torch device string.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    if device not in (None, "auto"):
        return str(device)
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
