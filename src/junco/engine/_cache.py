"""On-disk cache for cacheable nodes: key = operator fingerprint + content hash of the inputs.

Values are stored without pickle (numpy arrays as ``.npy`` bytes with ``allow_pickle=False``, the rest
as JSON), so a cache file can never run code. Values that fit neither are simply not cached.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

_MISS = object()


def cache_dir() -> Path:
    """``$JUNCO_CACHE_DIR`` or ``~/.cache/junco``."""
    return Path(os.environ.get("JUNCO_CACHE_DIR") or Path.home() / ".cache" / "junco")


def content_hash(values: tuple[Any, ...]) -> str:
    """Hash a row's input values by content (a path to a file hashes the file's bytes)."""
    h = hashlib.sha256()
    for v in values:
        _feed(h, v)
    return h.hexdigest()


def _feed(h: Any, v: Any) -> None:
    if isinstance(v, bytes | bytearray | memoryview):
        h.update(b"b")
        h.update(bytes(v))
    elif isinstance(v, str | os.PathLike):
        s = os.fspath(v)
        if isinstance(s, str) and len(s) < 4096 and os.path.isfile(s):
            h.update(b"f")
            with open(s, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(b"s" + str(s).encode("utf-8", "surrogatepass"))
    elif hasattr(v, "__array__") and hasattr(v, "dtype"):
        import numpy as np

        a = np.ascontiguousarray(np.asarray(v))
        h.update(f"a{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    elif isinstance(v, list | tuple):
        h.update(f"l{len(v)}".encode())
        for x in v:
            _feed(h, x)
    else:
        h.update(("r" + repr(v)).encode())


def _dump(value: Any) -> tuple[str, bytes] | None:
    if hasattr(value, "__array__") and hasattr(value, "dtype"):
        import numpy as np

        buf = io.BytesIO()
        np.save(buf, np.asarray(value), allow_pickle=False)
        return "npy", buf.getvalue()
    try:
        return "json", json.dumps(value).encode()
    except (TypeError, ValueError):
        return None


def _load(kind: str, data: bytes) -> Any:
    if kind == "npy":
        import numpy as np

        return np.load(io.BytesIO(data), allow_pickle=False)
    return json.loads(data)


class DiskCache:
    """A small SQLite key/value store, safe to share between threads of one process.

    Example:
        >>> import tempfile
        >>> c = DiskCache(tempfile.mkdtemp() + "/c.sqlite")
        >>> c.put("k", [1, 2]); c.get("k")
        [1, 2]
    """

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path else cache_dir() / "cache.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS cache (key TEXT PRIMARY KEY, kind TEXT, value BLOB)")

    def get(self, key: str, default: Any = _MISS) -> Any:
        with self._lock:
            row = self._db.execute("SELECT kind, value FROM cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None if default is _MISS else default
        return _load(row[0], row[1])

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                q = f"SELECT key, kind, value FROM cache WHERE key IN ({','.join('?' * len(chunk))})"
                for k, kind, value in self._db.execute(q, chunk):
                    out[k] = _load(kind, value)
        return out

    def put(self, key: str, value: Any) -> None:
        self.put_many({key: value})

    def put_many(self, items: dict[str, Any]) -> None:
        rows = []
        for k, v in items.items():
            dumped = _dump(v)
            if dumped is not None:
                rows.append((k, dumped[0], dumped[1]))
        if rows:
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO cache VALUES (?, ?, ?)", rows)


_shared: dict[str, DiskCache] = {}


def shared_cache(path: str | None = None) -> DiskCache:
    key = str(path or cache_dir() / "cache.sqlite")
    if key not in _shared:
        _shared[key] = DiskCache(key)
    return _shared[key]


MISS = _MISS
