"""Crash-safe saves: every file is written to a temp name, fsynced, then renamed into place.

A saved index is a folder of data files named by *generation* plus one manifest (``junco-index.json``)
naming the files of the current generation. A save writes the new generation's files, then swaps the
manifest with one ``os.replace``, then removes the previous generation. A crash at any point leaves
the previous manifest and every file it names intact, so a store is never seen half-written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

MANIFEST = "junco-index.json"


def fsync_dir(path: str | os.PathLike) -> None:
    """Make a rename inside ``path`` durable (best effort where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike, writer: Callable[[str], Any]) -> None:
    """Write ``path`` through ``writer(tmp_path)``, fsync it, then rename it over ``path``.

    Example:
        >>> import tempfile, os
        >>> p = os.path.join(tempfile.mkdtemp(), "x.txt")
        >>> write_atomic(p, lambda t: open(t, "w").write("hi"))
        >>> open(p).read()
        'hi'
    """
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        writer(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    fsync_dir(os.path.dirname(path) or ".")


def read_manifest(root: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest of a saved index folder, or ``None`` when there is none."""
    p = Path(root) / MANIFEST
    if not p.is_file():
        return None
    return json.loads(p.read_text())


def commit(root: str | os.PathLike, manifest: dict[str, Any],
           files: dict[str, tuple[str, Callable[[str], Any]]]) -> None:
    """Save one generation: write ``files`` (name -> (suffix, writer)), then swap the manifest.

    Args:
        root: the index folder (created when missing).
        manifest: what to record (backend, dim, metric, fingerprint, ...); ``generation`` and
            ``files`` are filled in here.
        files: logical name -> (file suffix such as ``".npy"``, ``writer(path)``).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    old = read_manifest(root) or {}
    gen = int(old.get("generation", 0)) + 1
    names = {}
    for name, (suffix, writer) in files.items():
        fname = f"{name}.{gen}{suffix}"
        write_atomic(root / fname, writer)
        names[name] = fname
    manifest = {**manifest, "generation": gen, "files": names}
    text = json.dumps(manifest, indent=1, sort_keys=True)
    write_atomic(root / MANIFEST, lambda t: Path(t).write_text(text))
    keep = set(names.values()) | {MANIFEST}
    for p in root.iterdir():
        # earlier generations and temp files a crashed save left behind
        if p.name not in keep and p.is_file() and (p.name.split(".")[0] in files or ".tmp-" in p.name):
            try:
                p.unlink()
            except OSError:
                pass
