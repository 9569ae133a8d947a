"""FAISS backend: flat, HNSW or IVF-PQ over a row table, saved to a folder with its ids and metadata.

Positions in the row table are the FAISS labels. Deletes and upserts leave tombstones that searches
skip with an ``IDSelectorBitmap``; past 25% tombstones the table is compacted and the index rebuilt.
Metadata filters are *pre-filters*: the passing rows become the selector, and when few rows pass
(under 20k) the search is exact over them, so a selective filter never loses recall.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import numpy as np

from junco.index import _atomic
from junco.index._base import BaseIndex
from junco.index._exact import _check_dim, _reconcile, filter_mask, manifest, search_rows
from junco.index._faiss_build import (
    FLAT_MAX,
    HARD_CONTRAST,
    KINDS,
    FaissParams,
    build,
    faiss_module,
    relative_contrast,
    search_params,
    tune,
)
from junco.index._filters import Filter
from junco.index._registry import register_backend
from junco.index._rows import RowTable
from junco.index._types import Hits, Id, Metric, Record, SearchResult


@register_backend("index/faiss")
class FaissIndex(BaseIndex):
    """A FAISS index with stable ids, metadata, filters and atomic saves.

    Args:
        path: folder to save to / load from (``None``: in memory only).
        dim: vector size (from the first add when ``None``).
        metric: ``"cosine"`` (default for a new index; vectors are normalized, then inner product),
            ``"L2"`` or ``"IP"``.
        fingerprint: the producing operator's fingerprint.
        **params: :class:`~junco.index._faiss_build.FaissParams` fields, e.g. ``kind="hnsw"``,
            ``ef_search=128``, ``target_recall=0.98``. On reopen, given ones override the saved ones.

    Example:
        >>> idx = FaissIndex(metric="L2", kind="flat")
        >>> idx.add([10, 11], [[0.0, 0.0], [1.0, 1.0]])
        2
        >>> idx.search([[0.9, 0.9]], topk=1)[0].ids
        [11]
    """

    backend = "faiss"

    def __init__(self, path: str | os.PathLike | None = None, *, dim: int | None = None,
                 metric: str | Metric | None = None, fingerprint: Any = None, **params: Any):
        faiss_module()  # fail now, with the install hint, not at the first search
        self.path = Path(path) if path is not None else None
        man = _atomic.read_manifest(self.path) if self.path is not None else None
        if man and man.get("backend") != "faiss":
            raise ValueError(f"{self.path} holds a {man.get('backend')} index, not a FAISS one")
        super().__init__(dim=man["dim"] if man else dim, metric=_reconcile(man, metric), fingerprint=fingerprint)
        try:
            self.params = FaissParams(**{**(man or {}).get("params", {}), **params})
        except TypeError:
            known = sorted(FaissParams.__dataclass_fields__)
            raise TypeError(f"unknown FAISS option in {sorted(params)}; FAISS takes {known}") from None
        self._eff = copy.copy(self.params)
        self._index: Any = None
        self._kind: str | None = None
        self._indexed = 0
        self._tuned_at = 0
        self._flat_until = 0
        self._params_cache: tuple[Any, Any] | None = None
        self.tuning: dict[str, Any] = {}
        self.table = RowTable()
        if man:
            _check_dim(man, dim)
            self._stored_fp = man.get("fingerprint")
            self._id_type = {"int": int, "str": str}.get(man.get("id_type") or "")
            self.table = RowTable.load(self.path, man["files"])  # type: ignore[arg-type]
            self._load_index(man)

    @property
    def persistent(self) -> bool:  # type: ignore[override]
        return self.path is not None

    @property
    def kind(self) -> str | None:
        """The kind of FAISS index built now (``None`` before the first search)."""
        return self._kind

    def set_search(self, **knobs: Any) -> None:
        """Fix search effort instead of the tuned values: ``ef_search`` (HNSW), ``nprobe``, ``refine`` (IVF-PQ).

        Example:
            >>> idx = FaissIndex(kind="hnsw")
            >>> idx.set_search(ef_search=256)
        """
        for key, val in knobs.items():
            if key not in ("ef_search", "nprobe", "refine"):
                raise TypeError(f"unknown search knob {key!r}; use ef_search, nprobe or refine")
            setattr(self.params, key, val)
            setattr(self._eff, key, val)

    def _load_index(self, man: dict[str, Any]) -> None:
        fname = man["files"].get("index")
        if not fname or man.get("kind") not in KINDS:
            return
        index = faiss_module().read_index(str(self.path / fname))  # type: ignore[operator]
        if index.ntotal == self.table.n:  # otherwise rebuilt at the first search
            self._index, self._kind, self._indexed = index, man["kind"], index.ntotal
            self.tuning = man.get("tuning", {})
            for knob in ("ef_search", "nprobe", "refine"):
                if knob in self.tuning:
                    setattr(self._eff, knob, self.tuning[knob])
            self._tuned_at = self.table.n
            self._flat_until = int(self.tuning.get("flat_until", 0))

    # --- writes -------------------------------------------------------------------------------------
    def _upsert(self, ids: list[Id], vecs: np.ndarray, metas: list[dict]) -> None:
        self.table.append(ids, vecs, metas)

    def _fetch_vectors(self, ids: list[Id]) -> dict[Id, np.ndarray]:
        return {i: self.table.vectors[p] for i in ids if (p := self.table.pos.get(i)) is not None}

    def _delete(self, ids: list[Id]) -> int:
        return self.table.remove(ids)

    def _record_fingerprint(self, fp: str) -> None:
        pass  # written by save()

    # --- the FAISS index ----------------------------------------------------------------------------
    def _prep(self, v: np.ndarray) -> np.ndarray:
        if self.metric is Metric.COSINE:
            v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(v, dtype=np.float32)

    def _sync(self) -> None:
        """Bring the FAISS index up to date with the table: add new rows, or rebuild when due."""
        t = self.table
        if t.dead > 100 and t.dead > t.n // 4:
            t.compact()
            self._index = None
        want = self._want_kind(t.live)
        grown = self._kind is not None and KINDS.index(want) > KINDS.index(self._kind)
        if self._index is None or grown or (self.params.kind != "auto" and want != self._kind):
            self._build(want)
        elif self._indexed < t.n:
            self._index.add(self._prep(t.vectors[self._indexed:]))
            self._indexed = t.n
            if t.n >= 2 * self._tuned_at:
                self._retune()

    def _want_kind(self, n: int) -> str:
        want = self.params.resolved_kind(n)
        if self.params.kind == "auto" and want == "hnsw" and n < self._flat_until:
            return "flat"  # HNSW could not reach the target recall on this data (see tuning)
        return want

    def _build(self, kind: str) -> None:
        vecs = self._prep(self.table.vectors)
        auto_hnsw = self.params.kind == "auto" and kind == "hnsw"
        rc = relative_contrast(vecs) if auto_hnsw else None
        if rc is not None and rc < HARD_CONTRAST:
            kind = self._fall_back(f"relative contrast {rc:.2f} < {HARD_CONTRAST}: no graph index pays off")
        self._index = build(kind, self.dim, self.metric, vecs, self._eff)  # type: ignore[arg-type]
        self._kind, self._indexed = kind, self.table.n
        reason = self.tuning.get("fallback") if kind == "flat" else None
        self._retune()
        if reason:
            self.tuning["flat_until"] = self._flat_until
            self.tuning["fallback"] = reason
        elif auto_hnsw and self.tuning.get("sample_recall_at_10", 1.0) < self.params.target_recall:
            why = f"HNSW reached recall {self.tuning['sample_recall_at_10']} < {self.params.target_recall}"
            self._build(self._fall_back(why))

    def _fall_back(self, why: str) -> str:
        self._flat_until = 2 * max(self.table.live, 1)  # try a graph again once the set has doubled
        self.tuning = {"fallback": f"flat: {why}", "flat_until": self._flat_until}
        return "flat"

    def _retune(self) -> None:
        self._eff = copy.copy(self.params)
        self._tuned_at = self.table.n
        self.tuning = tune(self._index, self._kind or "flat", self._prep(self.table.vectors), self.metric,
                           self._eff, lambda q, k: self._ann(q, k, None)[0])

    def _ann(self, q: np.ndarray, k: int, keep: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        faiss = faiss_module()
        sel = bits = None
        if keep is not None:
            bits = np.packbits(keep, bitorder="little")
            sel = faiss.IDSelectorBitmap(len(keep), faiss.swig_ptr(bits))
        rerank = self._kind == "ivfpq" and self._eff.refine > 1
        kk = k * self._eff.refine if rerank else k
        if sel is None:  # the common case: build the parameter object once per setting
            key = (self._kind, self._eff.ef_search, self._eff.nprobe)
            if self._params_cache is None or self._params_cache[0] != key:
                self._params_cache = (key, search_params(self._index, self._kind, self._eff))  # type: ignore[arg-type]
            params = self._params_cache[1]
        else:
            params = search_params(self._index, self._kind, self._eff, sel)  # type: ignore[arg-type]
        dist, pos = self._index.search(q, min(kk, self._index.ntotal), params=params)
        del bits  # the selector reads it during search only
        if rerank:
            pos, dist = self._rerank(q, pos, k)
        return pos, dist

    def _rerank(self, q: np.ndarray, cand: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        v = self._prep(self.table.vectors[np.maximum(cand, 0)].reshape(-1, q.shape[1])).reshape(*cand.shape, -1)
        sim = np.einsum("qkd,qd->qk", v, q)
        if self.metric is Metric.L2:
            key = np.einsum("qkd,qkd->qk", v, v) - 2 * sim + np.einsum("qd,qd->q", q, q)[:, None]
        else:
            key = -sim
        key[cand < 0] = np.inf
        order = np.argsort(key, axis=1, kind="stable")[:, :k]
        pos = np.take_along_axis(cand, order, axis=1)
        best = np.take_along_axis(key, order, axis=1)
        pos[~np.isfinite(best)] = -1
        return pos, (best if self.metric is Metric.L2 else -best)

    def _search(self, q: np.ndarray, k: int, metric: Metric, flt: Filter) -> SearchResult:
        t = self.table
        if t.live == 0:
            return SearchResult([Hits([], np.zeros(0, np.float32), []) for _ in q])
        self._sync()
        keep = filter_mask(t, flt) if (flt is not None or t.dead) else None
        if keep is not None and flt is not None and int(keep.sum()) < FLAT_MAX:
            return search_rows(t, q, k, metric, keep)  # few rows pass: exact over them
        pos, dist = self._ann(self._prep(q), k, keep)
        return t.result(pos, dist)

    # --- reads and persistence ----------------------------------------------------------------------
    def get(self, ids: Any) -> list[Record]:
        """The stored rows of ``ids`` (unknown ids are left out), in the order asked."""
        return self.table.records(self._ids(ids, check_type=False))

    def ids(self) -> list[Id]:
        """Every stored id, in insertion order."""
        return self.table.live_ids()

    def count(self) -> int:
        return self.table.live

    def save(self) -> None:
        """Write the folder atomically: row files and the FAISS index of one generation, then the manifest."""
        with self._lock:
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        files = {}
        if self.table.live:
            self._sync()
            index = self._index
            files["index"] = (".faiss", lambda p: faiss_module().write_index(index, p))
        files.update(self.table.files())
        extra = {"params": self.params.to_dict(), "kind": self._kind if self.table.live else None,
                 "tuning": self.tuning}
        _atomic.commit(self.path, manifest(self, "faiss", **extra), files)
