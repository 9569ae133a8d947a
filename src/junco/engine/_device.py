"""Device choice: CUDA when present, CPU otherwise, unless the operator or user says."""

from __future__ import annotations


def resolve_device(pref: str | None = None) -> str:
    """``None``/``"auto"`` -> ``"cuda"`` when torch sees a GPU, else ``"cpu"``; other values unchanged.

    Example:
        >>> resolve_device("cpu")
        'cpu'
    """
    if pref not in (None, "auto"):
        return str(pref)
    try:
        import torch
    except ImportError:
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"
