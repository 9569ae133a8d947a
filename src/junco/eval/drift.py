"""Drift between embedding sets: input drift (MMD², classifier two-sample test), prediction drift, HTML.

* **Input drift, MMD²**: the unbiased squared maximum mean discrepancy with an RBF kernel whose
  bandwidth is set by the median heuristic on the pooled sample; the p-value comes from shuffling the
  pooled rows (:func:`drift_report`).
* **Input drift, classifier two-sample test** (C2ST): a ridge linear classifier learns to tell
  reference rows from new rows, cross-validated (PCA to at most 32 components first); the statistic is
  the held-out ROC AUC (0.5 = cannot tell them apart) and the p-value is an exact permutation test that
  redoes the cross-validation for every shuffle of the labels (:func:`classifier_test`).
* **Prediction drift**: a classifier head (an sklearn-like object with ``predict_proba``, a junco
  operator returning logits / probabilities per row, or any callable) labels both sets; the predicted
  class counts are compared with a chi-square statistic whose p-value is exact Monte Carlo (the
  permutation distribution of the counts is multivariate hypergeometric), plus PSI and Jensen-Shannon
  divergence (:func:`prediction_drift`).
* :func:`analyze_drift` runs any of these (Bonferroni-corrected), adds a 2-D PCA map and writes a
  self-contained HTML report with inline SVG (:meth:`DriftAnalysis.write_html`).

The reference may be a stored collection: :func:`sample_vectors` reads a random sample of a junco index
(``open_index`` URI or object) back. Also registered as the operator ``drift/mmd``, which flags drifting
batches against a reference.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from junco.operator import Operator
from junco.ops import register

__all__ = ["ClassifierTestReport", "DriftAnalysis", "DriftReport", "MMDDrift", "PredictionDriftReport",
           "analyze_drift", "classifier_test", "drift_report", "mmd2", "prediction_drift", "sample_vectors"]

TESTS = ("mmd", "classifier")


@dataclass(frozen=True)
class DriftReport:
    """Result of the MMD² two-sample drift test.

    Attributes:
        drift: True when ``p_value < alpha``.
        mmd2: the unbiased MMD² estimate between reference and new vectors.
        p_value: permutation-test p-value (add-one smoothed, never 0).
        bandwidth: RBF bandwidth (sigma) used.
        n_reference: rows in the reference set.
        n_new: rows in the new set.
        alpha: significance level used for ``drift``.
        null: the MMD² of each permutation (the null distribution; left out of :meth:`to_dict`).
    """

    drift: bool
    mmd2: float
    p_value: float
    bandwidth: float
    n_reference: int
    n_new: int
    alpha: float
    null: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a plain dict (without the null distribution).

        Returns:
            A dict with the same fields except ``null``.
        """
        return {k: v for k, v in self.__dict__.items() if k != "null"}


@dataclass(frozen=True)
class ClassifierTestReport:
    """Result of the classifier two-sample test (C2ST).

    Attributes:
        drift: True when ``p_value < alpha``.
        auc: held-out ROC AUC of telling new rows from reference rows (0.5 = indistinguishable).
        accuracy: held-out accuracy (predicted label score >= 0.5).
        chance: the accuracy of always guessing the larger set.
        p_value: permutation-test p-value of the AUC (cross-validation redone per shuffle; never 0).
        folds: cross-validation folds used.
        n_reference: rows in the reference set.
        n_new: rows in the new set.
        alpha: significance level used for ``drift``.
        null: the AUC of each permutation (left out of :meth:`to_dict`).
    """

    drift: bool
    auc: float
    accuracy: float
    chance: float
    p_value: float
    folds: int
    n_reference: int
    n_new: int
    alpha: float
    null: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a plain dict (without the null distribution)."""
        return {k: v for k, v in self.__dict__.items() if k != "null"}


@dataclass(frozen=True)
class PredictionDriftReport:
    """Result of comparing a classifier's predicted class distributions on reference and new rows.

    Attributes:
        drift: True when ``p_value < alpha``.
        chi2: chi-square statistic of the 2 x K table of predicted class counts.
        p_value: Monte Carlo p-value of ``chi2`` under random assignment of rows to the two sets.
        psi: population stability index of the class proportions (0.1 / 0.25 are the usual
            "some" / "major" shift marks).
        js: Jensen-Shannon divergence of the class proportions, base 2 (0 = same, 1 = disjoint).
        classes: class names, in the order of the counts.
        reference_counts: predicted rows per class in the reference set.
        new_counts: predicted rows per class in the new set.
        alpha: significance level used for ``drift``.
    """

    drift: bool
    chi2: float
    p_value: float
    psi: float
    js: float
    classes: list[str]
    reference_counts: list[int]
    new_counts: list[int]
    alpha: float

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a plain dict."""
        return dict(self.__dict__)


def _as_matrix(x: Any, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[None, :]
    if a.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array of vectors, got shape {a.shape}")
    if a.shape[0] < 2:
        raise ValueError(f"{name}: need at least 2 vectors, got {a.shape[0]}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: vectors contain NaN or infinity")
    return a


def _pair(reference: Any, new: Any) -> tuple[np.ndarray, np.ndarray]:
    a, b = _as_matrix(reference, "reference_vectors"), _as_matrix(new, "new_vectors")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"dimension mismatch: reference has {a.shape[1]}, new has {b.shape[1]}")
    return a, b


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


def _permuted_mmd2(k: np.ndarray, m: int, firsts: list[np.ndarray], chunk: int = 256) -> list[float]:
    """MMD² of many splits at once: each split's first ``m`` rows given by an index array.

    With ``u`` the 0/1 indicator of the first sample, the kernel sums are ``u'Ku``, ``u'K(1-u)`` and
    ``(1-u)'K(1-u)``: one matrix product ``K @ U`` serves a whole chunk of splits.
    """
    total = k.shape[0]
    n = total - m
    k1 = k.sum(axis=1)
    diag = np.diag(k)
    out: list[float] = []
    for s in range(0, len(firsts), chunk):
        part = firsts[s:s + chunk]
        u = np.zeros((total, len(part)))
        for j, idx in enumerate(part):
            u[idx, j] = 1.0
        ku = k @ u
        uku = np.einsum("ij,ij->j", u, ku)
        ukw = np.einsum("ij,ij->j", u, k1[:, None] - ku)
        wkw = k1.sum() - 2.0 * ukw - uku
        dx = diag @ u
        dy = diag.sum() - dx
        vals = (uku - dx) / (m * (m - 1)) + (wkw - dy) / (n * (n - 1)) - 2.0 * ukw / (m * n)
        out.extend(float(v) for v in vals)
    return out


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
    """Test whether ``new_vectors`` come from the same distribution as ``reference_vectors`` (MMD²).

    Args:
        reference_vectors: reference embeddings, shape ``(m, d)``.
        new_vectors: new embeddings, shape ``(n, d)`` with the same ``d``.
        n_permutations: permutations for the p-value (more = finer p-values, slower).
        seed: random seed for the permutations (same inputs + seed = same p-value).
        alpha: significance level; ``drift`` is ``p_value < alpha``.
        bandwidth: RBF sigma; ``None`` uses the median heuristic on the pooled sample.

    Returns:
        A :class:`DriftReport` with ``drift``, ``mmd2``, ``p_value``, the bandwidth used and the null
        distribution.

    Raises:
        ValueError: fewer than 2 rows on a side, different dimensions, or non-finite values.
    """
    a, b = _pair(reference_vectors, new_vectors)
    z = np.vstack([a, b])
    d2 = _sq_dists(z)
    sigma = float(bandwidth) if bandwidth is not None else _median_bandwidth(d2)
    k = np.exp(-d2 / (2.0 * sigma * sigma))
    m, total = len(a), len(z)
    observed = _mmd2_from_kernel(k, np.arange(m), np.arange(m, total))
    rng = np.random.default_rng(seed)
    null = _permuted_mmd2(k, m, [rng.permutation(total)[:m] for _ in range(int(n_permutations))])
    exceed = int(np.sum(np.asarray(null) >= observed))
    p = (exceed + 1) / (int(n_permutations) + 1)
    return DriftReport(drift=bool(p < alpha), mmd2=observed, p_value=float(p), bandwidth=sigma,
                       n_reference=m, n_new=len(b), alpha=float(alpha), null=tuple(null))


# --- classifier two-sample test -------------------------------------------------------------------------
def _rank(v: np.ndarray) -> np.ndarray:
    """1-based ranks with ties averaged."""
    order = np.argsort(v, kind="mergesort")
    ranks = np.empty(len(v))
    ranks[order] = np.arange(1, len(v) + 1)
    _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
    if (counts > 1).any():
        sums = np.bincount(inv, weights=ranks)
        ranks = (sums / counts)[inv]
    return ranks


def _pca(z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, components (k x d) and projections of ``z`` onto its top ``k`` principal axes."""
    mu = z.mean(axis=0)
    c = z - mu
    if min(c.shape) > 4 * k + 16:  # randomized subspace iteration: matrix products only, fast for k << d
        def orth(y: np.ndarray) -> np.ndarray:  # via the small Gram matrix: cheaper than a tall QR
            w, v = np.linalg.eigh(y.T @ y)
            return y @ (v / np.sqrt(np.maximum(w, w.max() * 1e-12)))

        q = orth(c @ np.random.default_rng(0).normal(size=(c.shape[1], k + 10)))
        for _ in range(2):
            q = orth(c @ orth(c.T @ q))
        _, _, vt = np.linalg.svd(q.T @ c, full_matrices=False)
        comps = vt[:k]
    elif c.shape[1] <= c.shape[0]:  # eigh of the d x d scatter matrix: several times faster than an SVD
        vals, vecs = np.linalg.eigh(c.T @ c)
        comps = vecs[:, ::-1][:, :k].T
    else:  # more dims than rows: go through the n x n Gram matrix
        vals, u = np.linalg.eigh(c @ c.T)
        vals, u = vals[::-1][:k], u[:, ::-1][:, :k]
        comps = (c.T @ u / np.sqrt(np.maximum(vals, 1e-12))).T
    return mu, comps, c @ comps.T


def classifier_test(reference_vectors: Any, new_vectors: Any, *, folds: int = 5, n_permutations: int = 200,
                    seed: int = 0, alpha: float = 0.05, l2: float = 1.0,
                    max_components: int = 32) -> ClassifierTestReport:
    """Classifier two-sample test: can a linear classifier tell new rows from reference rows?

    The pooled rows are projected on their top ``max_components`` principal axes (no labels used) and
    standardized. A ridge least-squares classifier (a regularized Fisher discriminant) is fitted on all
    folds but one and scores the held-out fold; the statistic is the ROC AUC of all held-out scores.
    The p-value is an exact permutation test: the whole cross-validation is redone for every shuffle of
    the reference/new labels. That is cheap because a ridge fit is linear in the labels: each fold's
    solve is shared by all shuffles (200 shuffles of 4,000 rows take well under a second).

    Args:
        reference_vectors: reference embeddings, shape ``(m, d)``.
        new_vectors: new embeddings, shape ``(n, d)``.
        folds: cross-validation folds (random, label-blind).
        n_permutations: label shuffles for the p-value.
        seed: random seed for the folds and the shuffles.
        alpha: significance level; ``drift`` is ``p_value < alpha``.
        l2: ridge penalty on the (standardized) weights.
        max_components: PCA components kept before the fit.

    Returns:
        A :class:`ClassifierTestReport`.

    Raises:
        ValueError: fewer than 2 rows on a side, different dimensions, or non-finite values.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> classifier_test(rng.normal(size=(60, 8)), rng.normal(size=(60, 8)) + 1.0).drift
        True
    """
    a, b = _pair(reference_vectors, new_vectors)
    m, n = len(a), len(b)
    total = m + n
    folds = int(max(2, min(folds, total // 2)))
    z = np.vstack([a, b])
    k = int(max(1, min(max_components, z.shape[1], total - 2)))
    _, _, proj = _pca(z, k)
    sd = proj.std(axis=0)
    x = proj / np.where(sd > 1e-12, sd, 1.0)
    rng = np.random.default_rng(seed)
    fold_of = rng.permutation(total) % folds
    y = np.r_[np.zeros(m), np.ones(n)]
    nperm = int(n_permutations)
    labels = np.empty((total, nperm + 1))
    labels[:, 0] = y
    for j in range(1, nperm + 1):
        labels[:, j] = y[rng.permutation(total)]
    scores = np.empty_like(labels)
    predicted = np.empty(total)
    for f in range(folds):
        test, train = fold_of == f, fold_of != f
        mu = x[train].mean(axis=0)
        xt = x[train] - mu
        yt = labels[train]
        w = np.linalg.solve(xt.T @ xt + l2 * np.eye(k), xt.T @ (yt - yt.mean(axis=0)))
        scores[test] = (x[test] - mu) @ w
        predicted[test] = scores[test, 0] + yt[:, 0].mean()
    aucs = np.empty(nperm + 1)
    for j in range(nperm + 1):
        pos = labels[:, j] == 1
        aucs[j] = (_rank(scores[:, j])[pos].sum() - n * (n + 1) / 2.0) / (m * n)
    observed, null = float(aucs[0]), aucs[1:]
    pval = (int(np.sum(null >= observed - 1e-12)) + 1) / (nperm + 1)
    acc = float(np.mean((predicted >= 0.5) == (y == 1)))
    return ClassifierTestReport(drift=bool(pval < alpha), auc=observed, accuracy=acc, chance=max(m, n) / total,
                                p_value=float(pval), folds=folds, n_reference=m, n_new=n, alpha=float(alpha),
                                null=tuple(float(v) for v in null))


# --- prediction drift -----------------------------------------------------------------------------------
def _labels_from_output(out: Any, names: Sequence[Any] | None) -> np.ndarray:
    arr = np.asarray(out)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
        if arr.dtype.kind == "f":  # one probability / logit of the positive class
            thr = 0.5 if ((arr >= 0) & (arr <= 1)).all() else 0.0
            arr = (arr >= thr).astype(int)
    elif arr.ndim == 2:
        arr = np.argmax(arr, axis=1)
    if arr.ndim != 1:
        raise ValueError(f"a classifier's output must be labels (n,) or scores (n, classes), got {arr.shape}")
    if names is not None and arr.dtype.kind in "iu":
        arr = np.asarray([names[i] for i in arr.tolist()], dtype=object)
    return arr


def predict_classes(classifier: Any, vectors: Any, *, batch_size: int = 256) -> np.ndarray:
    """The class each row gets from ``classifier``.

    Args:
        classifier: an object with ``predict_proba`` (scikit-learn style; ``classes_`` names the columns),
            a junco :class:`~junco.operator.Operator` whose ``forward`` returns one logit / probability
            vector (or label) per row, or a callable taking an ``(n, d)`` array and returning labels
            ``(n,)`` or scores ``(n, classes)``.
        vectors: rows to classify, shape ``(n, d)``.
        batch_size: rows per call to an operator's ``forward``.

    Returns:
        One label per row (class indices, or the classifier's class names where it has them).
    """
    x = np.asarray(vectors, dtype=np.float32)
    names = getattr(classifier, "classes_", None)
    names = list(names) if names is not None else None
    if hasattr(classifier, "predict_proba"):
        return _labels_from_output(classifier.predict_proba(x), names)
    if isinstance(classifier, Operator):
        classifier.setup()
        outs: list[Any] = []
        for s in range(0, len(x), batch_size):
            items = [classifier.preprocess(v) for v in x[s:s + batch_size]]
            outs.extend(classifier.postprocess(classifier.forward(items)))
        return _labels_from_output(np.stack([np.asarray(o) for o in outs]) if outs else np.zeros(0), names)
    if callable(classifier):
        return _labels_from_output(classifier(x), names)
    raise TypeError(f"a classifier needs predict_proba, an operator's forward, or to be callable; "
                    f"got {type(classifier).__name__}")


def _js(p: np.ndarray, q: np.ndarray) -> float:
    mid = (p + q) / 2.0

    def kl(u: np.ndarray) -> float:
        nz = u > 0
        return float(np.sum(u[nz] * np.log2(u[nz] / mid[nz])))

    return 0.5 * kl(p) + 0.5 * kl(q)


def _chi2(ref: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Chi-square statistic of 2 x K tables; ``ref`` and ``new`` are (..., K) counts with K totals > 0."""
    tot = ref + new
    m = ref.sum(axis=-1, keepdims=True)
    n = new.sum(axis=-1, keepdims=True)
    er, en = tot * m / (m + n), tot * n / (m + n)
    return np.asarray(((ref - er) ** 2 / er + (new - en) ** 2 / en).sum(axis=-1))


def prediction_drift(reference: Any, new: Any, *, classifier: Any = None, classes: Sequence[Any] | None = None,
                     n_permutations: int = 2000, seed: int = 0, alpha: float = 0.05) -> PredictionDriftReport:
    """Did the distribution of predicted classes change between reference and new rows?

    Args:
        reference: with ``classifier``: reference vectors ``(m, d)``; without: the reference rows'
            predictions, as labels ``(m,)`` or class scores / probabilities ``(m, classes)``.
        new: the same for the new rows.
        classifier: see :func:`predict_classes`; ``None`` when predictions are passed in.
        classes: class names in display order (labels not listed are appended); default sorted labels.
        n_permutations: Monte Carlo draws for the chi-square p-value.
        seed: random seed for the draws.
        alpha: significance level; ``drift`` is ``p_value < alpha``.

    Returns:
        A :class:`PredictionDriftReport` (chi-square p-value, PSI, Jensen-Shannon, counts per class).

    Raises:
        ValueError: a side has no rows, or predictions have the wrong shape.

    Example:
        >>> r = prediction_drift(["cat"] * 50 + ["dog"] * 50, ["cat"] * 90 + ["dog"] * 10)
        >>> r.drift, r.classes, r.new_counts
        (True, ['cat', 'dog'], [90, 10])
    """
    if classifier is not None:
        ref_l = predict_classes(classifier, _as_matrix(reference, "reference"))
        new_l = predict_classes(classifier, _as_matrix(new, "new"))
    else:
        ref_l = _labels_from_output(reference, None)
        new_l = _labels_from_output(new, None)
    if len(ref_l) == 0 or len(new_l) == 0:
        raise ValueError(f"prediction drift needs rows on both sides, got {len(ref_l)} and {len(new_l)}")
    ref_s = [str(v) for v in ref_l.tolist()]
    new_s = [str(v) for v in new_l.tolist()]
    seen = set(ref_s) | set(new_s)
    order = [str(c) for c in classes] if classes is not None else []
    rest = sorted(seen - set(order), key=lambda s: (0, int(s)) if s.lstrip("-").isdigit() else (1, s))
    names = order + rest
    pos = {c: i for i, c in enumerate(names)}
    rc = np.bincount([pos[s] for s in ref_s], minlength=len(names)).astype(np.int64)
    nc = np.bincount([pos[s] for s in new_s], minlength=len(names)).astype(np.int64)
    used = (rc + nc) > 0
    r_u, n_u = rc[used], nc[used]
    if len(r_u) < 2:
        chi2, pval = 0.0, 1.0
    else:
        chi2 = float(_chi2(r_u.astype(float), n_u.astype(float)))
        rng = np.random.default_rng(seed)
        draws = rng.multivariate_hypergeometric(r_u + n_u, int(r_u.sum()), size=int(n_permutations))
        null = _chi2(draws.astype(float), (r_u + n_u - draws).astype(float))
        pval = (int(np.sum(null >= chi2 - 1e-9)) + 1) / (int(n_permutations) + 1)
    pr, pn = rc / rc.sum(), nc / nc.sum()
    eps = 1e-4
    sr, sn = np.maximum(pr, eps), np.maximum(pn, eps)
    psi = float(np.sum((sn - sr) * np.log(sn / sr)))
    return PredictionDriftReport(drift=bool(pval < alpha), chi2=chi2, p_value=float(pval), psi=psi,
                                 js=_js(pr, pn), classes=names, reference_counts=rc.tolist(),
                                 new_counts=nc.tolist(), alpha=float(alpha))


# --- reading a reference out of a store -----------------------------------------------------------------
def sample_vectors(index: Any, n: int | None = 2000, *, seed: int = 0, chunk: int = 1000,
                   **open_opts: Any) -> tuple[list[Any], np.ndarray]:
    """A random sample of the vectors stored in a junco index (all of them when it holds ``<= n``).

    Uses only the store protocol (``ids()`` then ``get(ids)`` in chunks), so it works for every backend:
    exact, FAISS, Milvus Lite or a Milvus server.

    Args:
        index: an open index, or a URI for :func:`junco.index.open_index` (opened and closed here).
        n: sample size; ``None`` reads every vector.
        seed: random seed for the sample.
        chunk: ids fetched per ``get`` call.
        **open_opts: options for ``open_index`` when ``index`` is a URI (e.g. ``collection="images"``).

    Returns:
        ``(ids, vectors)``: the sampled ids in store order and a float32 array ``(k, dim)``.

    Raises:
        ValueError: the store is empty, or ``n < 1``.
    """
    if n is not None and n < 1:
        raise ValueError(f"sample size n must be >= 1 (or None for all), got {n}")
    from junco.index import index_from

    with index_from(index, **open_opts) as index:
        ids = list(index.ids())
        if not ids:
            raise ValueError(f"the store {index!r} holds no vectors")
        if n is not None and len(ids) > n:
            keep = np.sort(np.random.default_rng(seed).choice(len(ids), size=int(n), replace=False))
            ids = [ids[i] for i in keep.tolist()]
        got_ids: list[Any] = []
        vecs: list[np.ndarray] = []
        for s in range(0, len(ids), chunk):
            for rec in index.get(ids[s:s + chunk]):
                got_ids.append(rec.id)
                vecs.append(np.asarray(rec.vector, dtype=np.float32))
        return got_ids, np.stack(vecs)


# --- everything at once, and the HTML report ------------------------------------------------------------
@dataclass(frozen=True)
class DriftAnalysis:
    """Every drift test run on one reference / new pair, and what the HTML report draws.

    Attributes:
        drift: True when any test's p-value is below ``alpha / number of tests`` (Bonferroni).
        alpha: the overall significance level.
        n_reference: reference rows.
        n_new: new rows.
        mmd: the MMD² report, or ``None`` when not run.
        classifier: the classifier two-sample test report, or ``None``.
        prediction: the prediction-drift report, or ``None`` (needs a classifier or predictions).
        pca_reference: 2-D PCA coordinates of (a sample of) the reference rows.
        pca_new: 2-D PCA coordinates of (a sample of) the new rows.
    """

    drift: bool
    alpha: float
    n_reference: int
    n_new: int
    mmd: DriftReport | None = None
    classifier: ClassifierTestReport | None = None
    prediction: PredictionDriftReport | None = None
    pca_reference: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)), repr=False, compare=False)
    pca_new: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The results as plain JSON-able data (no null distributions, no PCA points)."""
        return {"drift": self.drift, "alpha": self.alpha, "n_reference": self.n_reference, "n_new": self.n_new,
                "mmd": self.mmd.to_dict() if self.mmd else None,
                "classifier": self.classifier.to_dict() if self.classifier else None,
                "prediction": self.prediction.to_dict() if self.prediction else None}

    def to_html(self, title: str = "junco: drift report") -> str:
        """The report as one self-contained HTML page (inline SVG, no scripts, no network)."""
        return _report_html(self, title)

    def write_html(self, path: str | os.PathLike, title: str = "junco: drift report") -> Path:
        """Write :meth:`to_html` to ``path`` (parent folders are created); returns the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.to_html(title), encoding="utf-8")
        return out


def analyze_drift(reference_vectors: Any, new_vectors: Any, *, tests: Sequence[str] = ("mmd", "classifier"),
                  classifier: Any = None, reference_predictions: Any = None, new_predictions: Any = None,
                  n_permutations: int = 200, seed: int = 0, alpha: float = 0.05,
                  map_points: int = 400) -> DriftAnalysis:
    """Run the input-drift tests (and prediction drift when a classifier or predictions are given).

    Each test runs at ``alpha / k`` for ``k`` tests run (Bonferroni), so ``drift`` keeps its
    false-alarm rate at or below ``alpha`` overall.

    Args:
        reference_vectors: reference embeddings ``(m, d)`` (e.g. from :func:`sample_vectors`).
        new_vectors: new embeddings ``(n, d)``.
        tests: input-drift tests to run, any of ``"mmd"`` and ``"classifier"`` (may be empty).
        classifier: a classifier head (see :func:`predict_classes`) for prediction drift.
        reference_predictions: the reference rows' predictions (labels or scores), instead of a
            classifier (e.g. computed once and reused for many batches).
        new_predictions: the new rows' predictions.
        n_permutations: permutations per test (prediction drift uses ten times as many: they are cheap).
        seed: random seed.
        alpha: overall significance level.
        map_points: rows per side drawn on the PCA map (0: no map).

    Returns:
        A :class:`DriftAnalysis`; ``.write_html(path)`` writes the report.

    Raises:
        ValueError: unknown test name, bad shapes, or predictions given for one side only.
    """
    a, b = _pair(reference_vectors, new_vectors)
    bad = [t for t in tests if t not in TESTS]
    if bad:
        raise ValueError(f"unknown drift test(s) {bad}; choose from {list(TESTS)}")
    if (reference_predictions is None) != (new_predictions is None):
        raise ValueError("give both reference_predictions and new_predictions, or neither")
    want_pred = classifier is not None or reference_predictions is not None
    k = len(set(tests)) + int(want_pred)
    if k == 0:
        raise ValueError("nothing to test: name a test, or give a classifier or predictions")
    each = alpha / k
    mmd_rep = drift_report(a, b, n_permutations=n_permutations, seed=seed, alpha=each) if "mmd" in tests else None
    c2st = (classifier_test(a, b, n_permutations=n_permutations, seed=seed, alpha=each)
            if "classifier" in tests else None)
    pred = None
    if want_pred:
        if reference_predictions is None:
            reference_predictions = predict_classes(classifier, a)
            new_predictions = predict_classes(classifier, b)
        names = getattr(classifier, "classes_", None)
        pred = prediction_drift(reference_predictions, new_predictions,
                                classes=None if names is None else [str(c) for c in names],
                                n_permutations=10 * n_permutations, seed=seed, alpha=each)
    pa, pb = np.zeros((0, 2)), np.zeros((0, 2))
    if map_points > 0:
        rng = np.random.default_rng(seed)
        ra = a[np.sort(rng.choice(len(a), size=min(map_points, len(a)), replace=False))]
        rb = b[np.sort(rng.choice(len(b), size=min(map_points, len(b)), replace=False))]
        mu, comps, _ = _pca(np.vstack([ra, rb]), min(2, a.shape[1]))
        pa, pb = (ra - mu) @ comps.T, (rb - mu) @ comps.T
        if pa.shape[1] == 1:
            pa, pb = np.hstack([pa, np.zeros_like(pa)]), np.hstack([pb, np.zeros_like(pb)])
    flags = [r.drift for r in (mmd_rep, c2st, pred) if r is not None]
    return DriftAnalysis(drift=any(flags), alpha=float(alpha), n_reference=len(a), n_new=len(b), mmd=mmd_rep,
                         classifier=c2st, prediction=pred, pca_reference=pa, pca_new=pb)


def _histogram_svg(values: Sequence[float], observed: float, *, title: str, x_label: str, bins: int = 30,
                   width: int = 560, height: int = 180) -> str:
    """Vertical histogram of a null distribution with the observed statistic as a red line."""
    from junco.eval._html import PALETTE, esc

    vals = [float(v) for v in values if math.isfinite(float(v))]
    lo = min(vals + [observed])
    hi = max(vals + [observed])
    if hi <= lo:
        hi = lo + 1.0
    lo, hi = lo - 0.03 * (hi - lo), hi + 0.05 * (hi - lo)  # the observed line stays off the frame
    counts = np.histogram(vals, bins=bins, range=(lo, hi))[0] if vals else np.zeros(bins, int)
    left, right, top, bottom = 40, 12, 24, 32
    pw, ph = width - left - right, height
    cmax = max(int(counts.max()), 1)
    total_h = top + ph + bottom

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * pw

    out = [f'<svg class="junco-histogram" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{total_h}" viewBox="0 0 {width} {total_h}" role="img">',
           f'<text x="4" y="15" font-size="13" font-weight="bold">{esc(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>']
    bw = pw / bins
    for i, c in enumerate(counts.tolist()):
        if c:
            h = ph * c / cmax
            out.append(f'<rect class="bar" x="{left + i * bw:.1f}" y="{top + ph - h:.1f}" width="{max(bw - 1, 1):.1f}" '
                       f'height="{h:.1f}" fill="{PALETTE[0]}"><title>{c}</title></rect>')
    xo = sx(observed)
    out.append(f'<line class="observed" x1="{xo:.1f}" x2="{xo:.1f}" y1="{top}" y2="{top + ph}" stroke="#D55E00" '
               f'stroke-width="2.5"/><text x="{min(xo + 4, width - 120):.1f}" y="{top + 12}" font-size="11" '
               f'fill="#D55E00">observed {esc(f"{observed:.4g}")}</text>')
    for v in (lo, hi):
        out.append(f'<text x="{sx(v):.1f}" y="{top + ph + 13}" font-size="10" text-anchor="middle">'
                   f'{esc(f"{v:.3g}")}</text>')
    out.append(f'<text x="{left - 4}" y="{top + 10}" font-size="10" text-anchor="end">{cmax}</text>'
               f'<text x="{left + pw / 2:.0f}" y="{top + ph + 27}" font-size="11" text-anchor="middle">'
               f'{esc(x_label)}</text></svg>')
    return "".join(out)


def _grouped_bars_svg(labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str,
                      height: int = 200) -> str:
    """Vertical grouped bars: one group per label, one bar per series, with a legend."""
    from junco.eval._html import PALETTE, esc

    left, top, bottom = 40, 24, 44
    group_w = max(36, 14 * len(series) + 16)
    width = max(320, left + group_w * len(labels) + 12)
    vmax = max([float(v) for vs in series.values() for v in vs] + [1e-12])
    total_h = top + height + bottom + 14 * len(series)
    out = [f'<svg class="junco-grouped-bars" xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{total_h}" viewBox="0 0 {width} {total_h}" role="img">',
           f'<text x="4" y="15" font-size="13" font-weight="bold">{esc(title)}</text>',
           f'<line x1="{left}" x2="{width - 6}" y1="{top + height}" y2="{top + height}" stroke="#888"/>',
           f'<text x="{left - 4}" y="{top + 10}" font-size="10" text-anchor="end">{esc(f"{vmax:.2g}")}</text>']
    bw = (group_w - 16) / max(len(series), 1)
    for gi, lab in enumerate(labels):
        gx = left + gi * group_w + 8
        for si, (name, vs) in enumerate(series.items()):
            v = float(vs[gi])
            h = height * v / vmax
            out.append(f'<rect class="bar" x="{gx + si * bw:.1f}" y="{top + height - h:.1f}" width="{bw - 1:.1f}" '
                       f'height="{max(h, 0.5):.1f}" fill="{PALETTE[si % len(PALETTE)]}"><title>{esc(lab)} '
                       f'({esc(name)}): {esc(f"{v:.3g}")}</title></rect>')
        out.append(f'<text x="{gx + (group_w - 16) / 2:.1f}" y="{top + height + 14}" font-size="11" '
                   f'text-anchor="middle">{esc(lab[:12])}</text>')
    for si, name in enumerate(series):
        y = top + height + bottom - 8 + 14 * si
        out.append(f'<rect x="{left}" y="{y - 9}" width="10" height="10" fill="{PALETTE[si % len(PALETTE)]}"/>'
                   f'<text x="{left + 14}" y="{y}" font-size="11">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)


def _report_html(an: DriftAnalysis, title: str) -> str:
    from junco.eval._html import page, scatter_svg, table_html

    k = sum(r is not None for r in (an.mmd, an.classifier, an.prediction))
    rows: list[list[object]] = []
    if an.mmd:
        rows.append(["input: MMD²", "mmd2", an.mmd.mmd2, an.mmd.p_value, "YES" if an.mmd.drift else "no"])
    if an.classifier:
        c = an.classifier
        rows.append(["input: classifier test", "AUC", c.auc, c.p_value, "YES" if c.drift else "no"])
    if an.prediction:
        p = an.prediction
        rows.append(["prediction: class counts", "chi²", p.chi2, p.p_value, "YES" if p.drift else "no"])
    verdict = "DRIFT" if an.drift else "no drift"
    sections = [("Summary", f"<p class='verdict'><b>{verdict}</b> at alpha {an.alpha:g} "
                            f"({an.alpha / max(k, 1):.3g} per test, Bonferroni over {k}); "
                            f"{an.n_reference} reference rows, {an.n_new} new rows.</p>"
                 + table_html(rows, ["test", "statistic", "value", "p-value", "drift"]))]
    if an.prediction:
        p = an.prediction
        rt, nt = max(sum(p.reference_counts), 1), max(sum(p.new_counts), 1)
        bars = _grouped_bars_svg(p.classes, {"reference": [c / rt for c in p.reference_counts],
                                             "new": [c / nt for c in p.new_counts]},
                                 title="Predicted class share: reference vs new")
        tab = table_html([[c, r, n] for c, r, n in zip(p.classes, p.reference_counts, p.new_counts, strict=True)],
                         ["class", "reference", "new"])
        sections.append(("Prediction drift", bars + f"<p>PSI {p.psi:.4g}, Jensen-Shannon {p.js:.4g} (base 2), "
                                              f"chi² {p.chi2:.4g}, p = {p.p_value:.4g}.</p>" + tab))
    if an.mmd:
        sections.append(("Input drift: MMD²", _histogram_svg(
            an.mmd.null, an.mmd.mmd2, title="MMD² under shuffled rows (null) and observed",
            x_label=f"MMD² (RBF, sigma {an.mmd.bandwidth:.3g})")
            + f"<p>p = {an.mmd.p_value:.4g} from {len(an.mmd.null)} permutations.</p>"))
    if an.classifier:
        c = an.classifier
        sections.append(("Input drift: classifier two-sample test", _histogram_svg(
            c.null, c.auc, title="Held-out AUC under shuffled labels (null) and observed", x_label="ROC AUC")
            + f"<p>{c.folds}-fold ridge linear classifier: AUC {c.auc:.4g}, accuracy {c.accuracy:.4g} "
              f"(chance {c.chance:.4g}), p = {c.p_value:.4g}.</p>"))
    pts = [*map(tuple, an.pca_reference.tolist()), *map(tuple, an.pca_new.tolist())]
    labs = ["reference"] * len(an.pca_reference) + ["new"] * len(an.pca_new)
    sections.append(("PCA map", scatter_svg(pts, labs, title="Reference vs new, first two principal axes",
                                            size=420, radius=2.5)))
    return page(title, sections)


# --- the operator ---------------------------------------------------------------------------------------
@register("drift/mmd")
class MMDDrift(Operator):
    """Pipeline operator that flags a batch of vectors as drifting from a reference set.

    Each micro-batch ``forward`` receives is tested as one sample against the reference; every row of
    the batch gets the same report dict. With the defaults (``test="mmd"``, no classifier) that is the
    :class:`DriftReport` (``drift``, ``mmd2``, ``p_value``, ...); with ``test="classifier"`` / ``"both"``
    or a ``classifier`` it is :meth:`DriftAnalysis.to_dict` (``drift`` plus one entry per test).

    Args:
        reference: reference vectors ``(m, d)``, a path to a ``.npy`` file, an open junco index, or an
            index URI (a sample of ``reference_sample`` stored vectors is read back).
        n_permutations: permutations for the p-value.
        seed: random seed for the permutations.
        alpha: significance level for the ``drift`` flag (overall, Bonferroni over the tests run).
        batch_size: rows per tested batch (a hint to the engine).
        test: ``"mmd"``, ``"classifier"`` (two-sample test) or ``"both"``.
        classifier: a classifier head for prediction drift (see :func:`predict_classes`); the reference
            is classified once.
        reference_sample: how many stored vectors to read when ``reference`` is an index.

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
                 batch_size: int = 256, test: str = "mmd", classifier: Any = None,
                 reference_sample: int = 2000):
        if isinstance(reference, str | os.PathLike) and os.fspath(reference).endswith(".npy"):
            reference = np.load(reference)
        elif isinstance(reference, str | os.PathLike) or hasattr(reference, "search"):
            reference = sample_vectors(reference, reference_sample, seed=seed)[1]
        self.reference = _as_matrix(reference, "reference")
        if test not in ("mmd", "classifier", "both"):
            raise ValueError(f"test must be 'mmd', 'classifier' or 'both', got {test!r}")
        self.tests = ("mmd", "classifier") if test == "both" else (test,)
        self.classifier = classifier
        self._reference_pred: np.ndarray | None = None
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
        new = np.stack([np.asarray(v, dtype=np.float64).ravel() for v in batch])
        if self.tests == ("mmd",) and self.classifier is None:
            rep = drift_report(self.reference, new, n_permutations=self.n_permutations, seed=self.seed,
                               alpha=self.alpha)
            d = rep.to_dict()
        else:
            new_pred = None
            if self.classifier is not None:
                if self._reference_pred is None:
                    self._reference_pred = predict_classes(self.classifier, self.reference)
                new_pred = predict_classes(self.classifier, new)
            an = analyze_drift(self.reference, new, tests=self.tests, classifier=self.classifier,
                               reference_predictions=self._reference_pred if new_pred is not None else None,
                               new_predictions=new_pred, n_permutations=self.n_permutations, seed=self.seed,
                               alpha=self.alpha, map_points=0)
            d = an.to_dict()
        return [dict(d) for _ in batch]
