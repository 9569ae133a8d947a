"""Exact search with numpy: small sets, any metric per query, and the ground truth in tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from junco.index import _atomic
from junco.index._base import BaseIndex
from junco.index._filters import Filter, to_predicate
from junco.index._registry import register_backend
from junco.index._rows import RowTable
from junco.index._types import Hits, Id, Metric, Record, SearchResult

_CHUNK_CELLS = 1 << 24  # scores held at once: 16M floats = 64 MiB


def exact_topk(base: np.ndarray, q: np.ndarray, k: int, metric: Metric,
               base_sqnorms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k of each query over ``base``.

    Args:
        base: ``(n, d)`` float32 rows.
        q: ``(nq, d)`` float32 queries.
        k: hits per query (``min(k, n)`` are returned).
        metric: L2 (squared distances, ascending), IP or cosine (similarities, descending).
        base_sqnorms: cached squared norms of ``base`` (computed when ``None``).

    Returns:
        ``(positions, scores)``, each ``(nq, min(k, n))``, best first.

    Example:
        >>> b = np.eye(3, dtype="float32")
        >>> exact_topk(b, b[:1], 2, Metric.IP)[0].tolist()
        [[0, 1]]
    """
    n = len(base)
    k = min(k, n)
    if k == 0:
        return np.zeros((len(q), 0), np.int64), np.zeros((len(q), 0), np.float32)
    sq = base_sqnorms if base_sqnorms is not None else np.einsum("ij,ij->i", base, base)
    pos_out = np.empty((len(q), k), np.int64)
    sc_out = np.empty((len(q), k), np.float32)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for s in range(0, len(q), step):
        qq = q[s: s + step]
        sim = qq @ base.T  # (m, n)
        if metric is Metric.L2:
            key = sim * -2.0 + sq[None, :]  # + |q|^2 later: ranking does not need it
        elif metric is Metric.COSINE:
            qn = np.linalg.norm(qq, axis=1, keepdims=True)
            sim /= np.maximum(qn, 1e-12) * np.maximum(np.sqrt(sq), 1e-12)[None, :]
            key = -sim
        else:
            key = -sim
        if k < n:
            part = np.argpartition(key, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(n), (len(qq), n)).copy()
        order = np.argsort(np.take_along_axis(key, part, axis=1), axis=1, kind="stable")
        top = np.take_along_axis(part, order, axis=1)
        best = np.take_along_axis(key, top, axis=1)
        if metric is Metric.L2:
            scores = np.maximum(best + np.einsum("ij,ij->i", qq, qq)[:, None], 0.0)
        else:
            scores = -best
        pos_out[s: s + len(qq)] = top
        sc_out[s: s + len(qq)] = scores
    return pos_out, sc_out


def filter_mask(table: RowTable, flt: Filter) -> np.ndarray:
    """Which positions of ``table`` are alive and pass the metadata filter."""
    keep = table.alive.copy()
    pred = to_predicate(flt)
    if pred is not None:
        meta = table.meta
        for p in np.flatnonzero(keep):
            keep[p] = bool(pred(meta[p]))
    return keep


def search_rows(table: RowTable, q: np.ndarray, k: int, metric: Metric, keep: np.ndarray,
                sqnorms: np.ndarray | None = None) -> SearchResult:
    """Exact search over the positions of ``table`` where ``keep`` is true."""
    idx = np.flatnonzero(keep)
    if len(idx) == table.n:
        base, norms = table.vectors, sqnorms
    else:
        base, norms = table.vectors[idx], (sqnorms[idx] if sqnorms is not None else None)
    pos, sc = exact_topk(base, q, k, metric, norms)
    if len(idx) != table.n:
        pos = idx[pos]
    return table.result(pos, sc)


@register_backend("index/exact")
class ExactIndex(BaseIndex):
    """Brute-force numpy index; in memory, or saved to a folder when given a path.

    Args:
        path: a folder to save to and load from; ``None`` keeps it in memory only.
        dim: vector size (taken from the first add when ``None``).
        metric: ``"cosine"`` (default for a new index), ``"L2"`` or ``"IP"``; a search may ask for another.
        fingerprint: the producing operator's fingerprint.

    Example:
        >>> idx = ExactIndex(metric="IP")
        >>> idx.add(["a", "b"], [[1, 0], [0, 1]])
        2
        >>> idx.search([[0.9, 0.1]], topk=1)[0].ids
        ['a']
    """

    backend = "exact"
    any_metric = True

    def __init__(self, path: str | os.PathLike | None = None, *, dim: int | None = None,
                 metric: str | Metric | None = None, fingerprint: Any = None):
        self.path = Path(path) if path is not None else None
        man = _atomic.read_manifest(self.path) if self.path is not None else None
        if man and man.get("backend") != "exact":
            raise ValueError(f"{self.path} holds a {man.get('backend')} index; open it with backend="
                             f"{man.get('backend')!r}")
        super().__init__(dim=man["dim"] if man else dim, metric=_reconcile(man, metric), fingerprint=fingerprint)
        self.table = RowTable.load(self.path, man["files"]) if man else RowTable()  # type: ignore[arg-type]
        if man:
            _check_dim(man, dim)
            self._stored_fp = man.get("fingerprint")
            self._id_type = {"int": int, "str": str}.get(man.get("id_type") or "")
        self._norms: tuple[int, np.ndarray] | None = None

    @property
    def persistent(self) -> bool:  # type: ignore[override]
        return self.path is not None

    def _sqnorms(self) -> np.ndarray:
        if self._norms is None or self._norms[0] != self.table.version:
            v = self.table.vectors
            self._norms = (self.table.version, np.einsum("ij,ij->i", v, v))
        return self._norms[1]

    def _upsert(self, ids: list[Id], vecs: np.ndarray, metas: list[dict]) -> None:
        self.table.append(ids, vecs, metas)
        if self.table.dead > max(1024, self.table.live):
            self.table.compact()

    def _fetch_vectors(self, ids: list[Id]) -> dict[Id, np.ndarray]:
        return {i: self.table.vectors[p] for i in ids if (p := self.table.pos.get(i)) is not None}

    def _delete(self, ids: list[Id]) -> int:
        return self.table.remove(ids)

    def _search(self, q: np.ndarray, k: int, metric: Metric, flt: Filter) -> SearchResult:
        if self.table.live == 0:
            return SearchResult([Hits([], np.zeros(0, np.float32), []) for _ in q])
        return search_rows(self.table, q, k, metric, filter_mask(self.table, flt), self._sqnorms())

    def _record_fingerprint(self, fp: str) -> None:
        pass  # kept in memory; written by save()

    def get(self, ids: Any) -> list[Record]:
        """The stored rows of ``ids`` (unknown ids are left out), in the order asked."""
        return self.table.records(self._ids(ids, check_type=False))

    def ids(self) -> list[Id]:
        """Every stored id, in insertion order."""
        return self.table.live_ids()

    def count(self) -> int:
        return self.table.live

    def save(self) -> None:
        """Write the index folder atomically (no-op for an in-memory index)."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        if self.table.dead:
            self.table.compact()
        _atomic.commit(self.path, manifest(self, "exact"), self.table.files())


def manifest(idx: BaseIndex, backend: str, **extra: Any) -> dict[str, Any]:
    """What a saved folder records about its index."""
    return {"format": 1, "backend": backend, "dim": idx.dim, "metric": idx.metric.value,
            "fingerprint": idx._stored_fp, "count": idx.count(),
            "id_type": idx._id_type.__name__ if idx._id_type else None, **extra}


def _reconcile(man: dict[str, Any] | None, metric: str | Metric | None) -> Metric:
    if man is None:
        return Metric.parse(metric or Metric.COSINE)
    stored = Metric.parse(man["metric"])
    if metric is not None and Metric.parse(metric) is not stored:
        raise ValueError(f"this index was saved with metric {stored.value}, not {Metric.parse(metric).value}")
    return stored


def _check_dim(man: dict[str, Any], dim: int | None) -> None:
    if dim is not None and man.get("dim") is not None and int(dim) != int(man["dim"]):
        raise ValueError(f"this index holds {man['dim']}-d vectors, not {dim}-d")
