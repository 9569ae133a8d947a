"""Content hashes for weight files and model folders (cached per file state)."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_CACHE: dict[tuple[str, int, int], str] = {}
_LOCK = threading.Lock()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, or of every file in a folder (by relative name); cached by size and mtime.

    Args:
        path: a weight file or a model folder.

    Returns:
        The hex digest.

    Example:
        >>> import tempfile
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"junco")
        >>> file_sha256(f.name)[:12]
        'b4ccc09f880a'
    """
    p = Path(path)
    if p.is_dir():
        h = hashlib.sha256()
        for child in sorted(q for q in p.rglob("*") if q.is_file()):
            h.update(str(child.relative_to(p)).encode())
            h.update(file_sha256(child).encode())
        return h.hexdigest()
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _LOCK:
        _CACHE[key] = digest
    return digest


def state_sha256(module) -> str:  # type: ignore[no-untyped-def]
    """SHA-256 of a module's current tensors (for weights changed in memory, e.g. after fine-tuning).

    Args:
        module: a ``torch.nn.Module``.

    Returns:
        The hex digest.

    Example:
        >>> import torch
        >>> len(state_sha256(torch.nn.Linear(2, 2)))
        64
    """
    import torch

    h = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()
