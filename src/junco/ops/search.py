"""Search and store operators: ``junco/search-vectors``, ``index/insert``, ``index/search``.

Each opens (or builds) its index lazily in ``setup()`` and works on micro-batches in ``forward``: a
batch of query vectors is one ``index.search`` call, a batch of rows one ``upsert``.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from junco.operator import Operator
from junco.ops import register


def _vector(x: Any) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, on any device
        x = x.detach().float().cpu().numpy()
    v = np.asarray(x, dtype=np.float32)
    if v.ndim != 1:
        raise ValueError(f"expected one vector per row, got an array of shape {v.shape}")
    return v


def _is_index(x: Any) -> bool:
    return callable(getattr(x, "search", None)) and callable(getattr(x, "count", None))


def rows_of(data: Any, *, id_field: str = "id", vector_field: str = "vec") -> tuple[list[Any], np.ndarray]:
    """Ids and vectors from what ``search_vectors(data=...)`` accepts.

    Args:
        data: a 2-D array (ids are positions), a dict id -> vector, or an iterable (anything with
            ``to_list()`` is listed first) of vectors, ``(id, vector)`` pairs, or mappings / objects
            with ``id_field`` and ``vector_field``.

    Returns:
        ``(ids, vectors)`` with vectors as a float32 ``(n, dim)`` array.

    Example:
        >>> ids, v = rows_of([("a", [1, 0]), ("b", [0, 1])])
        >>> ids, v.shape
        (['a', 'b'], (2, 2))
    """
    if isinstance(data, np.ndarray):
        return list(range(len(data))), np.asarray(data, np.float32).reshape(len(data), -1)
    if isinstance(data, Mapping):
        return list(data.keys()), np.stack([_vector(v) for v in data.values()])
    if hasattr(data, "to_list"):
        data = data.to_list()
    ids: list[Any] = []
    vecs: list[np.ndarray] = []
    for n, item in enumerate(data if isinstance(data, Iterable) else []):
        if isinstance(item, Mapping):
            ids.append(item.get(id_field, n))
            vecs.append(_vector(item[vector_field]))
        elif isinstance(item, tuple) and len(item) == 2 and np.ndim(item[1]) == 1 and np.ndim(item[0]) == 0:
            ids.append(item[0])
            vecs.append(_vector(item[1]))
        elif hasattr(item, vector_field):
            ids.append(getattr(item, id_field, n))
            vecs.append(_vector(getattr(item, vector_field)))
        else:
            ids.append(n)
            vecs.append(_vector(item))
    if not vecs:
        raise ValueError("search_vectors: data holds no vectors (give an index, an array, or an iterable of "
                         "vectors or (id, vector) pairs)")
    return ids, np.stack(vecs)


@register("junco/search-vectors")
class SearchVectors(Operator):
    """For each query vector, the ``topk`` nearest vectors of ``data``.

    Args:
        data: an open index (see :func:`junco.index.open_index`) or an index URI, or vectors to index on
            first use: a 2-D array, a dict id -> vector, or an iterable (a DataCollection) of vectors or
            ``(id, vector)`` pairs.
        cal: ``"L2"``, ``"IP"`` or ``"cosine"``; for an index given as is, ``None`` means its own metric.
        topk: hits per query.
        backend: for vectors indexed here: ``"exact"`` (default below 20k vectors) or ``"faiss"``.
        filter: a metadata filter for every query.

    Returns:
        Per row, a :class:`junco.index.Hits` (``.ids``, ``.scores``, ``.metadata``).

    Example:
        >>> from junco import ops
        >>> op = ops.junco.search_vectors(data=[("a", [1.0, 0.0]), ("b", [0.0, 1.0])], cal="L2", topk=1)
        >>> op([0.1, 0.9]).ids
        ['b']
    """

    batch_size = 256

    def __init__(self, data: Any = None, cal: str | None = None, topk: int = 5, *, backend: str | None = None,
                 filter: Any = None, fingerprint: Any = None):
        if data is None:
            raise TypeError("search_vectors needs data=: an index, a URI, or the vectors to search")
        self.data, self.cal, self.topk = data, cal, int(topk)
        self.backend, self.filter, self.fp = backend, filter, fingerprint
        self.index: Any = None
        self._built = False
        self._lock = threading.Lock()

    def setup(self) -> None:
        with self._lock:
            if self.index is not None:
                return
            from junco.index import open_index

            if _is_index(self.data):
                self.index = self.data
            elif isinstance(self.data, str):
                self.index = open_index(self.data)
            else:
                self.index = self._from_collection()
            if self.index is None:
                ids, vecs = rows_of(self.data)
                backend = self.backend or ("exact" if len(ids) < 20_000 else "faiss")
                idx = open_index(backend=backend, dim=vecs.shape[1], metric=self.cal or "L2")
                idx.add(ids, vecs)
                self.index, self._built = idx, True

    def _from_collection(self) -> Any:
        """A DataCollection of vectors indexes itself: row ids and the model's fingerprint are kept."""
        if not callable(getattr(self.data, "to_index", None)):
            return None
        try:
            index = self.data.to_index(None, metric=self.cal or "L2", backend=self.backend)
        except TypeError:  # a collection in column mode: read (id, vector) rows instead
            return None
        self._built = True
        return index

    def preprocess(self, *inputs: Any) -> Any:
        return _vector(inputs[0])

    def forward(self, batch: list[Any]) -> list[Any]:
        self.setup()
        metric = None if self._built else self.cal  # an index built here already uses cal
        res = self.index.search(np.stack(batch), self.topk, metric=metric, filter=self.filter,
                                fingerprint=self.fp)
        return list(res)


class _IndexOp(Operator):
    """Shared by ``index/insert`` and ``index/search``: open the index named by ``uri`` once."""

    def __init__(self, uri: Any = None, *, metric: str | None = None, dim: int | None = None,
                 fingerprint: Any = None, backend: str | None = None, **opts: Any):
        self.uri, self.metric, self.dim, self.fp = uri, metric, dim, fingerprint
        self.backend, self.opts = backend, opts
        self.index: Any = None
        self._lock = threading.Lock()

    def setup(self) -> None:
        with self._lock:
            if self.index is None:
                if _is_index(self.uri):
                    self.index = self.uri
                else:
                    from junco.index import open_index

                    self.index = open_index(self.uri, dim=self.dim, metric=self.metric, fingerprint=self.fp,
                                            backend=self.backend, **self.opts)


@register("index/insert")
class IndexInsert(_IndexOp):
    """Write each row's vector to an index under the row's id; returns the id.

    Inputs per row: ``(id, vector)`` or ``(id, vector, metadata_dict)``, e.g.
    ``.map(("path", "vec"), "id", ops.index.insert(uri="photos.db"))``. Writes are upserts by id by
    default (``mode="add"`` refuses an id stored with another vector), so re-running after a crash
    neither loses nor duplicates rows. Folder-backed indexes (FAISS, exact) are saved every
    ``save_every_s`` seconds, by :meth:`close`, and at interpreter exit.

    Args:
        uri: where the index lives (see :func:`junco.index.open_index`), or an open index.
        metric, dim, fingerprint, backend, **opts: as :func:`~junco.index.open_index`.
        mode: ``"upsert"`` or ``"add"``.
        save_every_s: for folder-backed indexes, the longest time between saves.

    Returns:
        Per row, the id it was stored under.

    Example:
        >>> from junco import ops
        >>> ins = ops.index.insert(uri="memory://doc-insert", metric="L2")
        >>> ins("a", [1.0, 0.0])
        'a'
        >>> ops.index.search(uri="memory://doc-insert", topk=1)([0.9, 0.0]).ids
        ['a']
    """

    batch_size = 512

    def __init__(self, uri: Any = None, *, mode: str = "upsert", save_every_s: float = 5.0, **kw: Any):
        super().__init__(uri, **kw)
        if mode not in ("upsert", "add"):
            raise ValueError(f"mode must be 'upsert' or 'add', got {mode!r}")
        self.mode, self.save_every_s = mode, save_every_s
        self._saved = time.monotonic()
        self._pending = False

    def setup(self) -> None:
        first = self.index is None
        super().setup()
        if first and getattr(self.index, "path", None) is not None:
            atexit.register(_close_ref, weakref.ref(self))  # save what the last batches wrote

    def preprocess(self, *inputs: Any) -> Any:
        if len(inputs) not in (2, 3):
            raise TypeError(f"index/insert takes (id, vector) or (id, vector, metadata) per row, got {len(inputs)}")
        meta = inputs[2] if len(inputs) == 3 else None
        return inputs[0], _vector(inputs[1]), dict(meta) if meta else {}

    def forward(self, batch: list[Any]) -> list[Any]:
        self.setup()
        ids = [b[0] for b in batch]
        if getattr(self.index, "dim", 0) is None:
            # a store without a dimension takes the first row's: with mixed sizes in the first batch, the
            # most common one decides, so one wrong-size row up front cannot get every good row refused
            dims = Counter(len(b[1]) for b in batch)
            if len(dims) > 1:
                self.index.dim = dims.most_common(1)[0][0]
        write = self.index.upsert if self.mode == "upsert" else self.index.add
        with self._lock:
            write(ids, np.stack([b[1] for b in batch]), [b[2] for b in batch])
            self._pending = True
            if time.monotonic() - self._saved >= self.save_every_s:
                self.flush()
        return ids

    def flush(self) -> None:
        """Save what was written so far (a cheap flush for Milvus)."""
        if self.index is not None and self._pending:
            self.index.save()
            self._pending = False
            self._saved = time.monotonic()

    def close(self) -> None:
        """Save; the engine (or the user) calls this when the run is over."""
        self.flush()


def _close_ref(ref: Any) -> None:
    op = ref()
    if op is not None:
        try:
            op.close()
        except Exception:  # interpreter exit: nothing left to report to
            pass


@register("index/search")
class IndexSearch(_IndexOp):
    """Search an index with each row's vector.

    Args:
        uri: where the index lives (see :func:`junco.index.open_index`), or an open index.
        topk: hits per row.
        filter: a metadata filter for every query (a dict; a Milvus expression string for Milvus).
        metric, fingerprint, backend, **opts: as :func:`~junco.index.open_index`; ``fingerprint`` is the
            query model's, checked against the index's.

    Returns:
        Per row, a :class:`junco.index.Hits` (``.ids``, ``.scores``, ``.metadata``).

    Example:
        >>> from junco import ops
        >>> from junco.index import open_index
        >>> idx = open_index(metric="IP"); _ = idx.add([7], [[0.0, 1.0]])
        >>> ops.index.search(uri=idx, topk=1)([0.0, 2.0]).ids
        [7]
    """

    batch_size = 256

    def __init__(self, uri: Any = None, *, topk: int = 10, filter: Any = None, **kw: Any):
        super().__init__(uri, **kw)
        self.topk, self.filter = int(topk), filter

    def preprocess(self, *inputs: Any) -> Any:
        return _vector(inputs[0])

    def forward(self, batch: list[Any]) -> list[Any]:
        self.setup()
        return list(self.index.search(np.stack(batch), self.topk, filter=self.filter, fingerprint=self.fp))


__all__ = ["IndexInsert", "IndexSearch", "SearchVectors", "rows_of"]
