"""Building FAISS indexes: which kind for which size, their parameters, and search-time tuning."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from junco.index._types import Metric, MissingExtraError

KINDS = ("auto", "flat", "hnsw", "ivfpq")
FLAT_MAX = 20_000  # below this, brute force is fast enough and exact
IVFPQ_MIN = 1_000  # k-means needs points: smaller sets asking for IVF-PQ are searched flat
HNSW_MAX = 2_000_000  # above this, HNSW's memory (~(d*4 + 2*M*4) bytes a vector) is too much: IVF-PQ
HARD_CONTRAST = 1.15  # below this relative contrast, graph search cannot reach a high recall cheaply
EF_STEPS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)
NPROBE_STEPS = (4, 8, 16, 32, 64, 128, 256)


def faiss_module() -> Any:
    """``import faiss``, or a :class:`MissingExtraError` that says how to install it."""
    try:
        import faiss
    except ImportError:
        raise MissingExtraError("faiss", "faiss") from None
    return faiss


@dataclass
class FaissParams:
    """How a FAISS index is built and searched; ``None`` search knobs are tuned to ``target_recall``.

    Args:
        kind: ``"auto"`` (flat below 20k vectors, HNSW below 2M, IVF-PQ above), ``"flat"``, ``"hnsw"``
            or ``"ivfpq"``.
        hnsw_m: HNSW graph degree.
        ef_construction: HNSW build effort.
        ef_search: HNSW search effort (``None``: tuned).
        nlist: IVF cells (``None``: ``4 * sqrt(n)``).
        pq_m: PQ sub-quantizers (``None``: ``dim / 8``, or the nearest divisor).
        nprobe: IVF cells visited a query (``None``: tuned).
        refine: IVF-PQ fetches ``refine * topk`` candidates and re-ranks them with the exact vectors.
        target_recall: recall@10 the tuner aims for, measured against exact search on a sample.
    """

    kind: str = "auto"
    hnsw_m: int = 32
    ef_construction: int = 80
    ef_search: int | None = None
    nlist: int | None = None
    pq_m: int | None = None
    nprobe: int | None = None
    refine: int = 10
    target_recall: float = 0.95

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown FAISS index kind {self.kind!r}; use one of {KINDS}")

    def resolved_kind(self, n: int) -> str:
        """The kind to build for ``n`` vectors."""
        if self.kind == "ivfpq" and n < IVFPQ_MIN:
            return "flat"
        if self.kind != "auto":
            return self.kind
        return "flat" if n < FLAT_MAX else "hnsw" if n < HNSW_MAX else "ivfpq"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build(kind: str, dim: int, metric: Metric, vecs: np.ndarray, p: FaissParams) -> Any:
    """A new FAISS index of ``kind`` holding ``vecs`` (already normalized for cosine) at labels 0..n-1."""
    faiss = faiss_module()
    fmetric = faiss.METRIC_L2 if metric is Metric.L2 else faiss.METRIC_INNER_PRODUCT
    if kind == "flat":
        index = faiss.IndexFlat(dim, fmetric)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, p.hnsw_m, fmetric)
        index.hnsw.efConstruction = p.ef_construction
    else:
        n = len(vecs)
        nlist = p.nlist or int(min(65536, max(1, 4 * math.sqrt(n), 1)))
        nlist = max(1, min(nlist, n // 39 or 1))  # k-means wants ~39 points a centroid
        m = p.pq_m or _pq_m(dim)
        nbits = min(8, max(4, int(math.log2(max(n, 16) / 8))))
        quantizer = faiss.IndexFlat(dim, fmetric)
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, m, nbits, fmetric)
        rng = np.random.default_rng(0)
        train = vecs if n <= 100_000 else vecs[rng.choice(n, 100_000, replace=False)]
        index.train(np.ascontiguousarray(train))
    if len(vecs):
        index.add(np.ascontiguousarray(vecs))
    return index


def _pq_m(dim: int) -> int:
    want = max(1, dim // 8)
    divisors = [m for m in range(1, dim + 1) if dim % m == 0]
    return min(divisors, key=lambda m: (abs(m - want), m))


def search_params(index: Any, kind: str, p: FaissParams, sel: Any = None) -> Any:
    """The per-call ``SearchParameters`` for ``index`` (effort knobs and an optional id selector)."""
    faiss = faiss_module()
    if kind == "hnsw":
        return faiss.SearchParametersHNSW(sel=sel, efSearch=int(p.ef_search or 64))
    if kind == "ivfpq":
        return faiss.SearchParametersIVF(sel=sel, nprobe=int(p.nprobe or 16))
    return faiss.SearchParameters(sel=sel) if sel is not None else None


def tune(index: Any, kind: str, vecs: np.ndarray, metric: Metric, p: FaissParams, search: Any) -> dict[str, Any]:
    """Set the smallest ``ef_search`` / ``nprobe`` whose recall@10 on a sample reaches ``target_recall``.

    The queries are up to 200 stored vectors, each moved by about the distance to its nearest
    neighbour in a random direction: a stored vector itself is much easier to find than a new one. ``search(q, k)`` is the backend's own search (so IVF-PQ
    re-ranking counts). Returns what was chosen and the recall seen.
    """
    knob = {"hnsw": "ef_search", "ivfpq": "nprobe"}.get(kind)
    if knob is None or getattr(p, knob) is not None or len(vecs) < 50:
        return {}
    rng = np.random.default_rng(0)
    sample = rng.choice(len(vecs), min(200, len(vecs)), replace=False)
    k = min(10, len(vecs) - 1)
    q = _fresh_queries(vecs, sample, metric, rng)
    faiss = faiss_module()
    flat = faiss.IndexFlat(vecs.shape[1], index.metric_type)
    flat.add(np.ascontiguousarray(vecs))
    _, truth = flat.search(q, k)
    recall = 0.0
    if knob == "ef_search":
        steps = [{"ef_search": e} for e in EF_STEPS]
    else:  # the fewest re-ranked candidates that can reach the target, then the fewest cells
        probes = [s for s in NPROBE_STEPS if s < index.nlist] + [index.nlist]
        refines = [p.refine] + [r for r in (20, 40, 80) if r > p.refine]
        steps = [{"refine": r, "nprobe": s} for r in refines for s in probes]
    for step in steps:
        for key, val in step.items():
            setattr(p, key, val)
        got = search(q, k)
        recall = float(np.mean([len(set(t) & set(g)) / k for t, g in zip(truth, got)]))
        if recall >= p.target_recall:
            break
    chosen = {knob: getattr(p, knob)} if knob == "ef_search" else {"nprobe": p.nprobe, "refine": p.refine}
    return {**chosen, "sample_recall_at_10": round(recall, 4)}


def _fresh_queries(vecs: np.ndarray, sample: np.ndarray, metric: Metric, rng: np.random.Generator) -> np.ndarray:
    from junco.index._exact import exact_topk

    x = vecs[sample]
    _, d2 = exact_topk(vecs, x, 2, Metric.L2)
    gap = np.sqrt(np.maximum(d2[:, -1], 1e-12))[:, None]  # distance to the nearest other row
    noise = rng.standard_normal(x.shape).astype(np.float32)
    q = x + noise / np.linalg.norm(noise, axis=1, keepdims=True) * gap
    if metric is Metric.COSINE:
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(q, dtype=np.float32)


def relative_contrast(vecs: np.ndarray) -> float | None:
    """Mean distance over nearest-neighbour distance, on a sample of stored vectors as queries.

    Near 1, every point is about as far as every other (e.g. uniform noise in hundreds of dimensions)
    and approximate search needs nearly exhaustive effort (He, Kumar & Chang, ICML 2012). ``None`` when
    the set is too small to tell or too big to check cheaply.
    """
    n = len(vecs)
    if n < 200 or n > 300_000:
        return None
    rng = np.random.default_rng(1)
    q = vecs[rng.choice(n, 64, replace=False)]
    sq = np.einsum("ij,ij->i", vecs, vecs)
    d2 = np.maximum(sq[None, :] - 2 * (q @ vecs.T) + np.einsum("ij,ij->i", q, q)[:, None], 0)
    nn = np.sqrt(np.partition(d2, 1, axis=1)[:, 1])  # [:, 0] is the query itself
    mean = np.sqrt(d2).sum(axis=1) / (n - 1)
    return float(np.mean(mean / np.maximum(nn, 1e-12)))
