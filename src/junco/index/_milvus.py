"""Milvus backend through pymilvus: a ``*.db`` path is Milvus Lite (embedded), ``http://host:19530`` a server.

One collection holds ``id`` (primary key, INT64 or VARCHAR), ``vector`` and ``meta`` (JSON). The
fingerprint of the producing operator is a collection property (``junco.fingerprint``), so it lives
in the database with the vectors. Every write is an upsert by primary key, so re-running an ingest
never duplicates rows; Milvus Lite logs each write to its WAL before answering.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import numpy as np

from junco.index._base import BaseIndex
from junco.index._filters import Filter, to_milvus
from junco.index._registry import register_backend
from junco.index._types import Hits, Id, Metric, MissingExtraError, Record, SearchResult

_FP_KEY = "junco.fingerprint"
_CLIENTS: dict[tuple[str, str | None, str | None], list[Any]] = {}  # key -> [client, users]
_LOCK = threading.Lock()
_ID_BATCH = 1000


class _NoLiteTsWarning(logging.Filter):
    """Milvus Lite has no server timestamps; pymilvus warns at every ``query_iterator`` (harmless)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("failed to get mvccTs")


def acquire(uri: str, token: str | None = None, db_name: str | None = None) -> Any:
    """A shared ``MilvusClient`` per (uri, token, database), counted so :func:`release` can close it."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise MissingExtraError("pymilvus", "milvus") from None
    key = (uri, token, db_name)
    with _LOCK:
        if uri.endswith(".db"):
            it_log = logging.getLogger("pymilvus.client.iterator.query_iterator")
            if not any(isinstance(f, _NoLiteTsWarning) for f in it_log.filters):
                it_log.addFilter(_NoLiteTsWarning())
        if key not in _CLIENTS:
            kw: dict[str, Any] = {"uri": uri}
            if token:
                kw["token"] = token
            if db_name:
                kw["db_name"] = db_name
            _CLIENTS[key] = [MilvusClient(**kw), 0]
        _CLIENTS[key][1] += 1
        return _CLIENTS[key][0]


def release(uri: str, token: str | None = None, db_name: str | None = None) -> None:
    """Drop one user of a client; the last one closes it and stops the Milvus Lite server of the file."""
    key = (uri, token, db_name)
    with _LOCK:
        entry = _CLIENTS.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _CLIENTS[key]
    entry[0].close()
    if uri.endswith(".db"):
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(uri)  # frees the file's lock: another process may open it


@register_backend("index/milvus")
class MilvusIndex(BaseIndex):
    """A Milvus collection: Milvus Lite for a local ``*.db`` path, or a Milvus server URI.

    Args:
        uri: ``"path/to/store.db"`` (Milvus Lite) or ``"http://host:19530"``.
        collection: collection name (default ``"junco"``).
        dim: vector size (from the first add when ``None``).
        metric: ``"cosine"`` (default for a new collection), ``"L2"`` or ``"IP"``.
        fingerprint: the producing operator's fingerprint.
        index_type: Milvus index type for a new collection (``"HNSW"``, ``"FLAT"``, ``"IVF_FLAT"``, ...).
        index_params: its build parameters (HNSW default ``{"M": 32, "efConstruction": 80}``).
        ef_search: HNSW search effort (at least ``topk``).
        token, db_name: for a server.
        id_max_length: longest string id, in bytes.

    Example:
        >>> import tempfile, os
        >>> idx = MilvusIndex(os.path.join(tempfile.mkdtemp(), "s.db"), metric="IP")
        >>> idx.add(["a", "b"], [[1.0, 0.0], [0.0, 1.0]], [{"k": 1}, {"k": 2}])
        2
        >>> idx.search([[1.0, 0.1]], topk=1, filter={"k": 2})[0].ids
        ['b']
    """

    backend = "milvus"
    serialized = False  # the client is thread-safe; concurrent searches run concurrently

    def __init__(self, uri: str, *, collection: str = "junco", dim: int | None = None,
                 metric: str | Metric | None = None, fingerprint: Any = None, index_type: str = "HNSW",
                 index_params: dict[str, Any] | None = None, ef_search: int = 128,
                 token: str | None = None, db_name: str | None = None, id_max_length: int = 2048):
        super().__init__(dim=dim, metric=metric, fingerprint=fingerprint)
        self.uri, self.name = str(uri), collection
        self.lite = self.uri.endswith(".db")
        self._conn = (self.uri, token, db_name)
        self.client = acquire(*self._conn)
        self._open = True
        self.index_type = index_type
        self.index_params = index_params or ({"M": 32, "efConstruction": 80} if index_type == "HNSW" else {})
        self.ef_search = ef_search
        self.id_max_length = id_max_length
        self._dirty = False
        try:
            self._exists = self.client.has_collection(collection)
            if self._exists:
                self._describe(dim, metric)
                self.client.load_collection(collection)  # needed after reopening a Milvus Lite file
        except BaseException:
            self.close()
            raise

    def _describe(self, dim: int | None, metric: str | Metric | None) -> None:
        desc = self.client.describe_collection(self.name)
        fields = {f["name"]: f for f in desc["fields"]}
        if "vector" not in fields or "id" not in fields:
            raise ValueError(f"collection {self.name!r} at {self.uri} was not made by junco (no id/vector fields)")
        stored_dim = int(fields["vector"]["params"]["dim"])
        if dim is not None and int(dim) != stored_dim:
            raise ValueError(f"collection {self.name!r} holds {stored_dim}-d vectors, not {dim}-d")
        self.dim = stored_dim
        from pymilvus import DataType

        self._id_type = str if fields["id"]["type"] == DataType.VARCHAR else int
        self._stored_fp = (desc.get("properties") or {}).get(_FP_KEY)
        stored = Metric.parse(self.client.describe_index(self.name, "vector")["metric_type"])
        if metric is not None and Metric.parse(metric) is not stored:
            raise ValueError(f"collection {self.name!r} uses metric {stored.value}, not {Metric.parse(metric).value}")
        self.metric = stored

    def _create(self) -> None:
        from pymilvus import DataType

        c = self.client
        schema = c.create_schema(auto_id=False, enable_dynamic_field=False)
        if self._id_type is int:
            schema.add_field("id", DataType.INT64, is_primary=True)
        else:
            schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=self.id_max_length)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("meta", DataType.JSON, nullable=True)
        ip = c.prepare_index_params()
        ip.add_index(field_name="vector", index_type=self.index_type, metric_type=self.metric.milvus,
                     params=self.index_params)
        props = {_FP_KEY: self._stored_fp} if self._stored_fp else {}
        c.create_collection(self.name, schema=schema, index_params=ip, consistency_level="Strong",
                            properties=props)
        self._exists = True

    # --- writes -------------------------------------------------------------------------------------
    def _record_fingerprint(self, fp: str) -> None:
        if self._exists:
            self.client.alter_collection_properties(self.name, properties={_FP_KEY: fp})
        # else: written by _create with the first rows

    def _upsert(self, ids: list[Id], vecs: np.ndarray, metas: list[dict]) -> None:
        if self._id_type is str:
            long = [i for i in ids if len(str(i).encode()) > self.id_max_length]
            if long:
                raise ValueError(f"id longer than id_max_length={self.id_max_length} bytes: {str(long[0])[:80]!r}...")
        if not self._exists:
            self._create()
        step = max(1, 8_000_000 // (4 * vecs.shape[1]))  # ~8 MB a request, under gRPC's limits
        for s in range(0, len(ids), step):
            rows = [{"id": ids[j], "vector": vecs[j], "meta": metas[j]} for j in range(s, min(s + step, len(ids)))]
            self.client.upsert(self.name, rows)
        self._dirty = True

    def _fetch(self, ids: list[Id], fields: list[str]) -> list[dict[str, Any]]:
        if not self._exists:
            return []
        out: list[dict[str, Any]] = []
        for s in range(0, len(ids), _ID_BATCH):
            out.extend(self.client.get(self.name, ids=ids[s: s + _ID_BATCH], output_fields=fields))
        return out

    def _fetch_vectors(self, ids: list[Id]) -> dict[Id, np.ndarray]:
        return {r["id"]: np.asarray(r["vector"], np.float32) for r in self._fetch(ids, ["vector"])}

    def _delete(self, ids: list[Id]) -> int:
        present = [r["id"] for r in self._fetch(ids, ["id"])]
        for s in range(0, len(present), _ID_BATCH):
            self.client.delete(self.name, ids=present[s: s + _ID_BATCH])
        self._dirty = self._dirty or bool(present)
        return len(present)

    # --- reads --------------------------------------------------------------------------------------
    def _search(self, q: np.ndarray, k: int, metric: Metric, flt: Filter) -> SearchResult:
        if not self._exists:
            return SearchResult([Hits([], np.zeros(0, np.float32), []) for _ in q])
        if self._dirty and self.lite:
            # Milvus Lite searches unflushed rows by brute force in Python (~10 q/s): seal them first
            self.client.flush(self.name)
            self._dirty = False
        params: dict[str, Any] = {"metric_type": self.metric.milvus}
        if self.index_type == "HNSW":
            params["params"] = {"ef": max(self.ef_search, k)}
        res = self.client.search(self.name, data=q, limit=k, filter=to_milvus(flt), output_fields=["meta"],
                                 search_params=params)
        hits = []
        for row in res:
            ids, dist = getattr(row, "ids", None), getattr(row, "distances", None)
            if ids is None or dist is None or len(ids) != len(row):  # older pymilvus: per-hit dicts only
                ids, dist = [h["id"] for h in row], [h["distance"] for h in row]
            # pymilvus keeps ids/distances as columns: read them whole, not through per-hit objects
            hits.append(Hits(list(ids), np.asarray(dist, np.float32),
                             [(h.get("entity") or {}).get("meta") or {} for h in row]))
        return SearchResult(hits)

    def get(self, ids: Any) -> list[Record]:
        """The stored rows of ``ids`` (unknown ids are left out), in the order asked."""
        ids = self._ids(ids, check_type=False)
        found = {r["id"]: r for r in self._fetch(ids, ["vector", "meta"])}
        return [Record(i, np.asarray(found[i]["vector"], np.float32), found[i].get("meta") or {})
                for i in ids if i in found]

    def ids(self) -> list[Id]:
        """Every stored id (in primary-key order for Milvus Lite)."""
        if not self._exists:
            return []
        it = self.client.query_iterator(self.name, batch_size=5000, filter="", output_fields=["id"])
        out: list[Id] = []
        try:
            while batch := it.next():
                out.extend(r["id"] for r in batch)
        finally:
            it.close()
        return out

    def count(self) -> int:
        if not self._exists:
            return 0
        return int(self.client.query(self.name, filter="", output_fields=["count(*)"])[0]["count(*)"])

    def save(self) -> None:
        """Flush written rows into sealed segments (they are already durable in the WAL)."""
        if self._exists and self._dirty:
            self.client.flush(self.name)
            self._dirty = False

    def wait_for_index(self, timeout: float | None = 600) -> bool:
        """Flush, then wait until Milvus Lite has built the ANN index of every sealed segment.

        Milvus Lite builds segment indexes in a background thread after a flush; until it is done,
        those rows are searched exactly (by brute force). Benchmarks and latency-sensitive services
        call this after a bulk load. Returns ``False`` where it cannot tell (a server, or a Milvus Lite
        without this hook), ``True`` once the index is built.
        """
        self.save()
        if not (self.lite and self._exists):
            return False
        try:
            from milvus_lite.server_manager import server_manager_instance as mgr

            _, db, _ = mgr._servers[os.path.abspath(self.uri)]
            col = db.get_collection(self.name, self._conn[2]) if self._conn[2] else db.get_collection(self.name)
            col._wait_for_bg(timeout)  # private to milvus-lite 3.x: hence the guard
        except (ImportError, AttributeError, KeyError, TypeError):
            return False
        return True

    def close(self) -> None:
        """Flush, and let go of the connection (the last handle on a Lite file stops its server)."""
        if self._open:
            if getattr(self, "_exists", False):
                self.save()
            self._open = False
            release(*self._conn)

    def drop(self) -> None:
        """Delete the whole collection."""
        if self._exists:
            self.client.drop_collection(self.name)
            self._exists = False
