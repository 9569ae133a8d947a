"""The in-process row table behind the exact and FAISS backends: ids, vectors, metadata, tombstones.

Rows are appended at positions that never move until :meth:`RowTable.compact`; an upsert or a delete
marks the old position dead. FAISS indexes the same positions, so a position is the FAISS label.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from junco.index._types import Id, Record, SearchResult

_VERSIONS = itertools.count(1)


class RowTable:
    """Growable arrays of rows with an id -> position map.

    Example:
        >>> t = RowTable()
        >>> t.append(["a", "b"], np.eye(2, dtype="float32"), [{}, {"k": 1}])
        >>> t.append(["a"], np.ones((1, 2), dtype="float32"), [{}])
        >>> t.live, t.pos["a"], t.dead
        (2, 2, 1)
    """

    def __init__(self) -> None:
        self._buf = np.zeros((0, 0), np.float32)
        self._alive = np.zeros(0, bool)
        self.n = 0  # used positions, dead ones included
        self.ids: list[Id] = []
        self.meta: list[dict[str, Any]] = []
        self.pos: dict[Id, int] = {}
        self.version = next(_VERSIONS)  # changes on every write, for caches
        self._id_array: tuple[int, np.ndarray] | None = None

    @property
    def vectors(self) -> np.ndarray:
        """All used positions' vectors (dead ones included), shape ``(n, dim)``."""
        return self._buf[: self.n]

    @property
    def alive(self) -> np.ndarray:
        return self._alive[: self.n]

    @property
    def live(self) -> int:
        return len(self.pos)

    @property
    def dead(self) -> int:
        return self.n - len(self.pos)

    def append(self, ids: list[Id], vecs: np.ndarray, metas: list[dict[str, Any]]) -> None:
        """Append rows; an id already present is moved to its new position (the old one dies)."""
        self.remove(ids)
        k = len(ids)
        if self.n + k > len(self._buf) or self._buf.shape[1] != vecs.shape[1]:
            cap = max(1024, self.n + k, 2 * len(self._buf))
            buf = np.zeros((cap, vecs.shape[1]), np.float32)
            alive = np.zeros(cap, bool)
            if self.n:
                buf[: self.n] = self._buf[: self.n]
                alive[: self.n] = self._alive[: self.n]
            self._buf, self._alive = buf, alive
        self._buf[self.n: self.n + k] = vecs
        self._alive[self.n: self.n + k] = True
        for j, id_ in enumerate(ids):
            self.pos[id_] = self.n + j
        self.ids.extend(ids)
        self.meta.extend(metas)
        self.n += k
        self.version = next(_VERSIONS)

    def remove(self, ids: list[Id]) -> int:
        """Mark rows dead; returns how many were present."""
        gone = 0
        for id_ in ids:
            p = self.pos.pop(id_, None)
            if p is not None:
                self._alive[p] = False
                self.meta[p] = {}
                gone += 1
        if gone:
            self.version = next(_VERSIONS)
        return gone

    def compact(self) -> np.ndarray:
        """Drop dead positions; returns the old positions of the rows kept (in their new order)."""
        keep = np.flatnonzero(self.alive)
        vecs = self.vectors[keep].copy()
        ids = [self.ids[i] for i in keep]
        meta = [self.meta[i] for i in keep]
        self.__init__()  # type: ignore[misc]
        if len(ids):
            self.append(ids, vecs, meta)
        return keep

    def result(self, positions: np.ndarray, scores: np.ndarray) -> SearchResult:
        """A :class:`SearchResult` from ``(nq, k)`` positions (``-1`` = no hit) and scores.

        Ids are looked up in one vectorized step; metadata only when read.
        """
        if self._id_array is None or self._id_array[0] != self.version:
            arr = np.empty(len(self.ids), dtype=object)
            arr[:] = self.ids
            self._id_array = (self.version, arr)
        idarr = self._id_array[1]
        scores = np.asarray(scores, np.float32)
        if len(positions) and (positions >= 0).all():
            ids = idarr[positions].tolist()
            rows = list(positions)
            sc = list(scores)
        else:
            rows = [p[p >= 0] for p in positions]
            ids = [idarr[p].tolist() for p in rows]
            sc = [s[p >= 0] for s, p in zip(scores, positions)]
        meta = self.meta  # compaction replaces the list, so these positions stay valid for this result
        return SearchResult(ids=ids, scores=sc, metadata=lambda i: [meta[p] for p in rows[i].tolist()])

    def records(self, ids: list[Id]) -> list[Record]:
        out = []
        for id_ in ids:
            p = self.pos.get(id_)
            if p is not None:
                out.append(Record(id_, self._buf[p].copy(), dict(self.meta[p])))
        return out

    def live_ids(self) -> list[Id]:
        return [self.ids[p] for p in sorted(self.pos.values())]

    # --- persistence (see _atomic.commit) -----------------------------------------------------------
    def files(self) -> dict[str, tuple[str, Any]]:
        """Writers for :func:`junco.index._atomic.commit`."""
        vecs, alive = self.vectors, self.alive

        def write_npy(arr: np.ndarray):
            def w(path: str) -> None:
                with open(path, "wb") as f:
                    np.save(f, arr)
            return w

        def write_rows(path: str) -> None:
            with open(path, "w") as f:
                json.dump({"ids": self.ids, "meta": self.meta}, f, separators=(",", ":"))

        return {"vectors": (".npy", write_npy(vecs)), "alive": (".npy", write_npy(alive)),
                "rows": (".json", write_rows)}

    @classmethod
    def load(cls, root: Path, files: dict[str, str]) -> RowTable:
        """Read the row files a manifest names."""
        t = cls()
        vecs = np.load(root / files["vectors"])
        alive = np.load(root / files["alive"])
        rows = json.loads((root / files["rows"]).read_text())
        t._buf, t._alive, t.n = np.ascontiguousarray(vecs, np.float32), alive.astype(bool), len(vecs)
        t.ids, t.meta = rows["ids"], rows["meta"]
        t.pos = {t.ids[p]: int(p) for p in np.flatnonzero(t._alive)}
        return t
