"""Vector utilities: ``vector/normalize`` and ``vector/to-numpy``."""

from __future__ import annotations

from typing import Any

from junco.operator import Operator
from junco.ops import register

NORMS = ("l2", "l1", "max")


def to_numpy(x: Any) -> Any:
    """A float32 numpy array from a numpy array, a torch tensor (any device) or a sequence.

    Example:
        >>> to_numpy([1, 2]).dtype.name
        'float32'
    """
    import numpy as np

    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    return np.asarray(x, dtype=np.float32)


@register("vector/to-numpy")
class ToNumpy(Operator):
    """Convert a vector (tensor, list, array) to a float32 ``numpy.ndarray``.

    Returns:
        Called on a vector: the float32 array.

    Example:
        >>> from junco import ops
        >>> ops.vector.to_numpy()([1, 2, 3]).tolist()
        [1.0, 2.0, 3.0]
    """

    def __call__(self, x: Any) -> Any:
        return to_numpy(x)


@register("vector/normalize")
class Normalize(Operator):
    """Scale a vector to unit norm (a zero vector stays zero).

    Args:
        norm: ``"l2"`` (cosine similarity becomes a dot product), ``"l1"`` or ``"max"``.

    Returns:
        Called on a vector (or a 2-D batch, row by row): the float32 normalized array.

    Raises:
        ValueError: a scalar, an empty vector, or NaN / infinity in the input (an error row in a run).

    Example:
        >>> from junco import ops
        >>> ops.vector.normalize()([3.0, 4.0]).tolist()
        [0.6000000238418579, 0.800000011920929]
    """

    def __init__(self, *, norm: str = "l2"):
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.norm = norm

    def __call__(self, x: Any) -> Any:
        import numpy as np

        v = to_numpy(x)
        # a NaN/inf would come out as a NaN vector that poisons every search of the store it lands in
        if v.ndim == 0 or v.shape[-1] == 0:
            raise ValueError(f"expected a vector (or a 2-D batch of vectors), got an array of shape {v.shape}")
        if not np.isfinite(v).all():
            raise ValueError(f"vector contains NaN or infinity ({int((~np.isfinite(v)).sum())} of {v.size} values)")
        if self.norm == "l2":
            n = np.linalg.norm(v, axis=-1, keepdims=True)
        elif self.norm == "l1":
            n = np.abs(v).sum(axis=-1, keepdims=True)
        else:
            n = np.abs(v).max(axis=-1, keepdims=True)
        return v / np.where(n > 0, n, 1.0).astype(np.float32)


__all__ = ["Normalize", "ToNumpy", "to_numpy"]
