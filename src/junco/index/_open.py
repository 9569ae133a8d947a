"""The front door: ``open_index(uri)`` picks the backend from the URI."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from junco.index import _atomic, _fingerprint
from junco.index._registry import BACKENDS
from junco.index._types import Metric

_MEMORY: dict[tuple[str, str], Any] = {}
_MEMORY_LOCK = threading.Lock()
_SERVER_SCHEMES = ("http://", "https://", "tcp://", "grpc://", "unix:")


def resolve(uri: str | os.PathLike | None, backend: str | None = None) -> tuple[str, str | None]:
    """Which backend a URI names, and the location to hand it.

    Returns:
        ``(backend name, location)``; location ``None`` means in memory, ``"memory://<name>"`` a named
        in-memory index shared within the process.

    Example:
        >>> resolve("faiss:///tmp/x"), resolve("store.db")[0], resolve("http://h:19530")
        (('index/faiss', '/tmp/x'), 'index/milvus', ('index/milvus', 'http://h:19530'))
    """
    name = None if backend is None else (backend if "/" in backend else f"index/{backend}")
    if uri is None:
        return name or "index/exact", None
    s = os.fspath(uri)
    for scheme, default in (("faiss://", "index/faiss"), ("exact://", "index/exact")):
        if s.startswith(scheme):
            rest = s[len(scheme):]
            return name or default, (rest or None)
    if s.startswith("memory://"):
        return name or "index/exact", s
    if s.startswith("milvus://"):
        rest = s[len("milvus://"):]
        return name or "index/milvus", rest if rest.endswith(".db") else "http://" + rest
    if s.startswith(_SERVER_SCHEMES):
        return name or "index/milvus", s
    man = _atomic.read_manifest(s) if os.path.isdir(s) else None
    if name is None and man is not None:
        return f"index/{man['backend']}", s
    if name is None and not s.endswith(".db"):
        raise ValueError(f"don't know which index {s!r} is: use a Milvus Lite file 'name.db', "
                         "'faiss://folder', 'exact://folder', 'memory://name', 'http://host:19530', "
                         "or pass backend='faiss' / 'exact' / 'milvus'")
    return name or "index/milvus", str(Path(s).expanduser().absolute()) if s.endswith(".db") else s


def open_index(uri: str | os.PathLike | None = None, *, dim: int | None = None,
               metric: str | Metric | None = None, fingerprint: Any = None, backend: str | None = None,
               **opts: Any) -> Any:
    """Open (or create) a vector index; the URI picks the backend.

    ==============================  =========================================================
    ``"store.db"``                  Milvus Lite: embedded, persistent, metadata filters
    ``"http://host:19530"``         a Milvus server or cluster (same code)
    ``"faiss://folder"``            FAISS (flat / HNSW / IVF-PQ), saved to the folder
    ``"exact://folder"``            exact numpy search, saved to the folder
    ``"memory://name"`` / ``None``  exact, in memory (a name is shared within the process)
    an existing saved folder        the backend it was saved with
    ==============================  =========================================================

    Args:
        uri: where the index lives (see the table).
        dim: vector size; taken from the first add when ``None``.
        metric: ``"cosine"`` (default for a new index), ``"L2"`` or ``"IP"``; an existing index keeps
            its own, and naming another is an error.
        fingerprint: fingerprint (dict, string, or an operator) of the model that makes the vectors;
            adds and searches with another one are refused.
        backend: ``"exact"``, ``"faiss"``, ``"milvus"`` or a plugin's name, overriding the URI's choice.
        **opts: backend options, e.g. ``kind="hnsw"`` (FAISS), ``collection="images"`` (Milvus).

    Returns:
        A :class:`~junco.index.VectorIndex`.

    Example:
        >>> idx = open_index("memory://doc", dim=2, metric="IP")
        >>> idx.upsert(["x"], [[1.0, 0.0]])
        1
        >>> open_index("memory://doc").search([[1.0, 0.0]], topk=1)[0].ids
        ['x']
    """
    name, where = resolve(uri, backend)
    cls = BACKENDS.get(name)
    kw = dict(dim=dim, metric=metric, fingerprint=fingerprint, **opts)
    if where is not None and where.startswith("memory://"):
        key = (name, where[len("memory://"):])
        with _MEMORY_LOCK:
            idx = _MEMORY.get(key) if key[1] else None
            if idx is None:
                idx = cls(None, **kw)
                if key[1]:
                    _MEMORY[key] = idx
            else:
                if metric is not None and Metric.parse(metric) is not idx.metric:
                    raise ValueError(f"{where} uses metric {idx.metric.value}, not {Metric.parse(metric).value}")
                _fingerprint.check(idx._stored_fp, fingerprint)
        return idx
    return cls(where, **kw)


def forget_memory(name: str | None = None) -> None:
    """Drop named in-memory indexes (all of them when ``name`` is ``None``); for tests."""
    with _MEMORY_LOCK:
        for key in [k for k in _MEMORY if name is None or k[1] == name]:
            del _MEMORY[key]


@contextlib.contextmanager
def index_from(index: Any, **opts: Any) -> Iterator[Any]:
    """An open index for a ``with`` block: ``index`` itself, or one opened from a URI and closed after.

    Args:
        index: an open junco index, or a URI / path for :func:`open_index`.
        **opts: :func:`open_index` options, used only when ``index`` is a URI.

    Example:
        >>> with index_from("memory://index-from-doc", dim=2) as idx:
        ...     idx.dim
        2
    """
    if not isinstance(index, str | os.PathLike):
        yield index
        return
    opened = open_index(index, **opts)
    try:
        yield opened
    finally:
        opened.close()
