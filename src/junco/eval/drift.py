"""Input drift between two sets of embedding vectors: MMD² with a permutation-test p-value.

The statistic is the unbiased squared maximum mean discrepancy with an RBF kernel whose bandwidth is
set by the median heuristic on the pooled sample; the p-value comes from shuffling the pooled rows.
Also registered as the operator ``drift/mmd``, which flags drifting batches against a reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from junco.operator import Operator
from junco.ops import register

__all__ = ["DriftReport", "MMDDrift", "drift_report", "mmd2"]


@dataclass(frozen=True)
class DriftReport:
    """Result of a two-sample drift test.

    Attributes:
        drift: True when ``p_value < alpha``.
        mmd2: the unbiased MMD² estimate between reference and new vectors.
        p_value: permutation-test p-value (add-one smoothed, never 0).
        bandwidth: RBF bandwidth (sigma) used.
        n_reference: rows in the reference set.
        n_new: rows in the new set.
        alpha: significance level used for ``drift``.
    """

    drift: bool
    mmd2: float
    p_value: float
    bandwidth: float
    n_reference: int
    n_new: int
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a plain dict.

        Returns:
            A dict with the same fields.
        """
        return dict(self.__dict__)


def _as_matrix(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array of vectors, got shape {a.shape}")
    if a.shape[0] < 2:
        raise ValueError(f"{name}: need at least 2 vectors, got {a.shape[0]}")
    return a


def _sq_dists(z: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", z, z)
    d = sq[:, None] + sq[None, :] - 2.0 * (z @ z.T)
    np.maximum(d, 0.0, out=d)
    np.fill_diagonal(d, 0.0)
    return d


def _median_bandwidth(d2: np.ndarray) -> float:
    iu = np.triu_indices(d2.shape[0], k=1)
    med = float(np.median(d2[iu]))
    if not np.isfinite(med) or med <= 0:
        pos = d2[iu][d2[iu] > 0]
        med = float(np.mean(pos)) if pos.size else 1.0
    return float(np.sqrt(med / 2.0))


def _mmd2_from_kernel(k: np.ndarray, idx_x: np.ndarray, idx_y: np.ndarray) -> float:
    m, n = len(idx_x), len(idx_y)
    kxx = k[np.ix_(idx_x, idx_x)]
    kyy = k[np.ix_(idx_y, idx_y)]
    kxy = k[np.ix_(idx_x, idx_y)]
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.mean())


def mmd2(x: Any, y: Any, *, bandwidth: float | None = None) -> float:
    """Unbiased MMD² between two samples with an RBF kernel.

    Args:
        x: reference vectors, shape ``(m, d)``.
        y: new vectors, shape ``(n, d)``.
        bandwidth: RBF sigma; ``None`` uses the median heuristic on the pooled sample.

    Returns:
        The MMD² estimate (may be slightly negative when the samples match).
    """
    a, b = _as_matrix(x, "x"), _as_matrix(y, "y")
    z = np.vstack([a, b])
    d2 = _sq_dists(z)
    sigma = bandwidth if bandwidth is not None else _median_bandwidth(d2)
    k = np.exp(-d2 / (2.0 * sigma * sigma))
    return _mmd2_from_kernel(k, np.arange(len(a)), np.arange(len(a), len(z)))


def drift_report(reference_vectors: Any, new_vectors: Any, *, n_permutations: int = 200, seed: int = 0,
                 alpha: float = 0.05, bandwidth: float | None = None) -> DriftReport:
    """Test whether ``new_vectors`` come from the same distribution as ``reference_vectors``.

    Args:
        reference_vectors: reference embeddings, shape ``(m, d)``.
        new_vectors: new embeddings, shape ``(n, d)`` with the same ``d``.
        n_permutations: permutations for the p-value (more = finer p-values, slower).
        seed: random seed for the permutations (same inputs + seed = same p-value).
        alpha: significance level; ``drift`` is ``p_value < alpha``.
        bandwidth: RBF sigma; ``None`` uses the median heuristic on the pooled sample.

    Returns:
        A :class:`DriftReport` with ``drift``, ``mmd2``, ``p_value`` and the bandwidth used.
    """
    a, b = _as_matrix(reference_vectors, "reference_vectors"), _as_matrix(new_vectors, "new_vectors")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"dimension mismatch: reference has {a.shape[1]}, new has {b.shape[1]}")
    z = np.vstack([a, b])
    d2 = _sq_dists(z)
    sigma = float(bandwidth) if bandwidth is not None else _median_bandwidth(d2)
    k = np.exp(-d2 / (2.0 * sigma * sigma))
    m, total = len(a), len(z)
    observed = _mmd2_from_kernel(k, np.arange(m), np.arange(m, total))
    rng = np.random.default_rng(seed)
    exceed = 0
    for _ in range(int(n_permutations)):
        perm = rng.permutation(total)
        if _mmd2_from_kernel(k, perm[:m], perm[m:]) >= observed:
            exceed += 1
    p = (exceed + 1) / (int(n_permutations) + 1)
    return DriftReport(drift=bool(p < alpha), mmd2=observed, p_value=float(p), bandwidth=sigma,
                       n_reference=m, n_new=len(b), alpha=float(alpha))


@register("drift/mmd")
class MMDDrift(Operator):
    """Pipeline operator that flags a batch of vectors as drifting from a reference set.

    Each micro-batch ``forward`` receives is tested as one sample against the reference; every row of
    the batch gets the same :class:`DriftReport` (as a dict: ``drift``, ``mmd2``, ``p_value``, ...).

    Args:
        reference: reference vectors, shape ``(m, d)`` (or a path to a ``.npy`` file).
        n_permutations: permutations for the p-value.
        seed: random seed for the permutations.
        alpha: significance level for the ``drift`` flag.
        batch_size: rows per tested batch (a hint to the engine).

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> op = MMDDrift(rng.normal(size=(50, 4)), n_permutations=50)
        >>> out = op.forward(list(rng.normal(size=(40, 4)) + 3.0))
        >>> out[0]["drift"], len(out)
        (True, 40)
    """

    cacheable = False

    def __init__(self, reference: Any, *, n_permutations: int = 200, seed: int = 0, alpha: float = 0.05,
                 batch_size: int = 256):
        if isinstance(reference, str):
            reference = np.load(reference)
        self.reference = _as_matrix(reference, "reference")
        self.n_permutations = n_permutations
        self.seed = seed
        self.alpha = alpha
        self.batch_size = batch_size

    def forward(self, batch: list[Any]) -> Sequence[Any]:
        """Test the batch against the reference.

        Args:
            batch: vectors (one per row).

        Returns:
            One dict per row, all the same: the batch's drift report. A batch of one row cannot be
            tested; it gets ``drift=False`` and ``p_value=1.0``.
        """
        if len(batch) < 2:
            return [{"drift": False, "mmd2": float("nan"), "p_value": 1.0} for _ in batch]
        rep = drift_report(self.reference, np.stack([np.asarray(v, dtype=np.float64).ravel() for v in batch]),
                           n_permutations=self.n_permutations, seed=self.seed, alpha=self.alpha)
        d = rep.to_dict()
        return [dict(d) for _ in batch]
