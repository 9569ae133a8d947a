"""The vector index protocol and the checks every backend shares (ids, shapes, fingerprints)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from junco.index import _fingerprint
from junco.index._filters import Filter
from junco.index._types import DuplicateIdError, Id, Metric, Record, SearchResult


@runtime_checkable
class VectorIndex(Protocol):
    """What every backend offers (exact, FAISS, Milvus). Ids are the rows' stable ids (str or int)."""

    dim: int | None
    metric: Metric

    def add(self, ids: Sequence[Id], vectors: Any, metadata: Sequence[dict] | None = None, *,
            fingerprint: Any = None) -> int: ...
    def upsert(self, ids: Sequence[Id], vectors: Any, metadata: Sequence[dict] | None = None, *,
               fingerprint: Any = None) -> int: ...
    def delete(self, ids: Sequence[Id]) -> int: ...
    def search(self, queries: Any, topk: int = 10, *, metric: str | Metric | None = None,
               filter: Filter = None, fingerprint: Any = None) -> SearchResult: ...
    def get(self, ids: Sequence[Id]) -> list[Record]: ...
    def ids(self) -> list[Id]: ...
    def count(self) -> int: ...
    def save(self) -> None: ...
    def close(self) -> None: ...


class BaseIndex:
    """Input checks, add-vs-upsert and fingerprint rules shared by the backends.

    A backend implements ``_upsert``, ``_fetch_vectors``, ``_delete``, ``_search``, ``get``, ``ids``,
    ``count``, ``save``, ``_record_fingerprint`` and sets ``dim``, ``metric``, ``_id_type`` and
    ``_stored_fp`` (canonical string or ``None``) when opening.
    """

    backend: ClassVar[str] = "?"
    persistent: ClassVar[bool] = True
    # metrics a search may ask for besides the store's own (exact computes any)
    any_metric: ClassVar[bool] = False
    # in-process state (row table, FAISS index): one call at a time; a database client needs no lock
    serialized: ClassVar[bool] = True

    def __init__(self, *, dim: int | None, metric: str | Metric | None, fingerprint: Any = None):
        self.dim = int(dim) if dim is not None else None
        self.metric = Metric.parse(metric or Metric.COSINE)
        self._default_fp = _fingerprint.canonical(fingerprint)
        self._stored_fp: str | None = None
        self._id_type: type | None = None
        self._lock = threading.RLock() if self.serialized else contextlib.nullcontext()

    # --- the protocol -------------------------------------------------------------------------------
    @property
    def fingerprint(self) -> Any:
        """The fingerprint recorded for this store's vectors (``None`` when none was given)."""
        return None if self._stored_fp is None else _fingerprint._readable(self._stored_fp)

    def add(self, ids: Sequence[Id], vectors: Any, metadata: Sequence[dict] | None = None, *,
            fingerprint: Any = None) -> int:
        """Add rows; an id already stored with the same vector is skipped, so re-running is safe.

        Args:
            ids: one stable id per row (all str or all int).
            vectors: array-like of shape ``(n, dim)`` (or ``(dim,)`` for one row).
            metadata: one JSON-able dict per row, or ``None``.
            fingerprint: the producing operator's fingerprint (defaults to the one given at open).

        Returns:
            The number of rows written (skipped re-adds are not counted).

        Raises:
            DuplicateIdError: an id is already stored with a different vector (use :meth:`upsert`).
            FingerprintMismatchError: the vectors come from another operator than the stored ones.
        """
        with self._lock:
            return self._add(ids, vectors, metadata, fingerprint)

    def _add(self, ids: Any, vectors: Any, metadata: Any, fingerprint: Any) -> int:
        ids, vecs, metas = self._rows(ids, vectors, metadata, fingerprint)
        if not ids:
            return 0
        existing = self._fetch_vectors(ids)
        if existing:
            keep, clash = [], []
            for i, id_ in enumerate(ids):
                old = existing.get(id_)
                if old is None:
                    keep.append(i)
                elif not np.allclose(old, vecs[i], rtol=1e-5, atol=1e-6):
                    clash.append(id_)
            if clash:
                raise DuplicateIdError(f"{len(clash)} id(s) already stored with other vectors, e.g. "
                                       f"{clash[:3]!r}; use upsert() to replace them")
            ids, vecs, metas = [ids[i] for i in keep], vecs[keep], [metas[i] for i in keep]
        if ids:
            self._upsert(ids, vecs, metas)
        return len(ids)

    def upsert(self, ids: Sequence[Id], vectors: Any, metadata: Sequence[dict] | None = None, *,
               fingerprint: Any = None) -> int:
        """Insert rows, replacing any stored row with the same id. Same arguments as :meth:`add`."""
        with self._lock:
            ids, vecs, metas = self._rows(ids, vectors, metadata, fingerprint)
            if ids:
                self._upsert(ids, vecs, metas)
            return len(ids)

    def delete(self, ids: Sequence[Id]) -> int:
        """Remove rows by id; unknown ids are ignored. Returns how many rows were removed."""
        ids = self._ids(ids, check_type=False)
        with self._lock:
            return self._delete(ids) if ids else 0

    def search(self, queries: Any, topk: int = 10, *, metric: str | Metric | None = None,
               filter: Filter = None, fingerprint: Any = None) -> SearchResult:
        """The ``topk`` nearest stored vectors of each query, best first.

        Args:
            queries: array-like ``(nq, dim)``, or one vector ``(dim,)`` (still one result per query).
            topk: hits per query (fewer when the store, or the filtered part of it, is smaller).
            metric: ``None`` for the store's metric; another one only where the backend supports it.
            filter: a metadata filter (see :mod:`junco.index._filters`).
            fingerprint: the fingerprint of the operator that embedded the queries.

        Returns:
            A :class:`SearchResult`: ``result[q].ids``, ``result[q].scores``, ``result[q].metadata``.
        """
        _fingerprint.check(self._stored_fp, fingerprint if fingerprint is not None else self._default_fp,
                           what="query vectors")
        m = Metric.parse(metric) if metric is not None else self.metric
        if m is not self.metric and not self.any_metric:
            raise ValueError(f"this {self.backend} index is built for {self.metric.value}; searching it with "
                             f"{m.value} needs another index (or backend='exact')")
        q = np.ascontiguousarray(np.asarray(queries, dtype=np.float32))
        if q.ndim == 1:
            q = q[None, :]
        if q.ndim != 2 or (self.dim is not None and q.shape[1] != self.dim):
            raise ValueError(f"queries must have shape (n, {self.dim}), got {q.shape}")
        if topk < 1:
            raise ValueError(f"topk must be >= 1, got {topk}")
        with self._lock:
            return self._search(q, int(topk), m, filter)

    def __len__(self) -> int:
        return self.count()

    def __contains__(self, id_: Any) -> bool:
        try:
            ids = self._ids([id_])
        except TypeError:
            return False
        return bool(self._fetch_vectors(ids))

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} dim={self.dim} metric={self.metric.value} count={self.count()}>"

    def close(self) -> None:
        """Save (where the backend keeps state in memory) and release resources."""
        self.save()

    # --- shared checks ------------------------------------------------------------------------------
    def _ids(self, ids: Any, *, check_type: bool = True) -> list[Id]:
        if isinstance(ids, str | int | np.integer):
            ids = [ids]
        out: list[Id] = []
        for i in ids:
            if isinstance(i, np.integer):
                i = int(i)
            elif isinstance(i, np.str_):
                i = str(i)
            if isinstance(i, bool) or not isinstance(i, str | int):
                raise TypeError(f"ids are str or int, got {type(i).__name__}: {i!r}")
            out.append(i)
        if check_type and out:
            kinds = {type(i) for i in out}
            if len(kinds) > 1:
                raise TypeError("ids in one index are all str or all int, not a mix")
            kind = kinds.pop()
            if self._id_type is not None and kind is not self._id_type:
                raise TypeError(f"this index has {self._id_type.__name__} ids, got {kind.__name__} ids")
        return out

    def _rows(self, ids: Any, vectors: Any, metadata: Any, fingerprint: Any
              ) -> tuple[list[Id], np.ndarray, list[dict]]:
        ids = self._ids(ids)
        vecs = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32))
        if vecs.ndim == 1 and len(ids) == 1:
            vecs = vecs[None, :]
        if vecs.ndim != 2 or vecs.shape[0] != len(ids):
            raise ValueError(f"expected {len(ids)} vectors of shape (dim,), got an array of shape {vecs.shape}")
        if self.dim is not None and vecs.shape[1] != self.dim:
            raise ValueError(f"this index holds {self.dim}-d vectors, got {vecs.shape[1]}-d")
        if not np.isfinite(vecs).all():
            raise ValueError("vectors contain NaN or infinity")
        if len(set(ids)) != len(ids):
            raise ValueError("ids repeat within one call; each row needs its own id")
        metas = [dict(m) if m else {} for m in metadata] if metadata is not None else [{} for _ in ids]
        if len(metas) != len(ids):
            raise ValueError(f"{len(ids)} ids but {len(metas)} metadata dicts")
        fp = _fingerprint.check(self._stored_fp,
                                fingerprint if fingerprint is not None else self._default_fp)
        if ids:
            if fp is not None and self._stored_fp is None:
                if self.count() > 0:
                    raise ValueError("this index already holds vectors with no recorded fingerprint; "
                                     "add these without one or store them in a new index")
                self._record_fingerprint(fp)
                self._stored_fp = fp
            if self.dim is None:
                self.dim = int(vecs.shape[1])
            if self._id_type is None:
                self._id_type = type(ids[0])
        return ids, vecs, metas

    # --- what a backend implements ------------------------------------------------------------------
    def _upsert(self, ids: list[Id], vecs: np.ndarray, metas: list[dict]) -> None:
        raise NotImplementedError

    def _fetch_vectors(self, ids: list[Id]) -> dict[Id, np.ndarray]:
        raise NotImplementedError

    def _delete(self, ids: list[Id]) -> int:
        raise NotImplementedError

    def _search(self, q: np.ndarray, k: int, metric: Metric, flt: Filter) -> SearchResult:
        raise NotImplementedError

    def _record_fingerprint(self, fp: str) -> None:
        raise NotImplementedError

    def get(self, ids: Sequence[Id]) -> list[Record]:
        raise NotImplementedError

    def ids(self) -> list[Id]:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def save(self) -> None:
        raise NotImplementedError


def as_pairs(items: Iterable[Any]) -> tuple[list[Id], np.ndarray]:
    """Split an iterable of vectors or ``(id, vector)`` pairs into ids and a 2-D array.

    Plain vectors get their position as id.

    Example:
        >>> ids, v = as_pairs([("a", [1, 0]), ("b", [0, 1])])
        >>> ids, v.shape
        (['a', 'b'], (2, 2))
    """
    ids: list[Id] = []
    vecs: list[Any] = []
    for n, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2 and not np.isscalar(item[1]):
            ids.append(item[0])
            vecs.append(item[1])
        else:
            ids.append(n)
            vecs.append(item)
    arr = np.asarray(vecs, dtype=np.float32) if vecs else np.zeros((0, 0), np.float32)
    return ids, arr
