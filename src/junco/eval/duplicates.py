"""Near-duplicate groups among embedding vectors (cosine similarity above a threshold), and a gallery.

Pairs with cosine similarity >= ``threshold`` are linked and linked items are merged with union-find,
so a group is a connected component of the similarity graph. Exact, blockwise numpy; fine to ~20k rows.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["find_duplicates", "write_duplicates_gallery"]


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


def find_duplicates(ids: Sequence[Any], vectors: Any, threshold: float = 0.95, *,
                    block_size: int = 2048) -> list[list[Any]]:
    """Group ids whose vectors are near-duplicates (cosine similarity >= ``threshold``).

    Args:
        ids: one id per vector (any hashable/printable value, e.g. file paths).
        vectors: array of shape ``(n, d)``; normalized here, so raw embeddings are fine.
        threshold: cosine similarity at or above which two items are linked.
        block_size: rows compared at a time (bounds memory to ``block_size * n`` floats).

    Returns:
        Groups of two or more ids, each in input order; groups sorted largest first, then by first id
        position. Items with no near-duplicate are left out.
    """
    ids = list(ids)
    x = np.asarray(vectors, dtype=np.float32)
    if x.ndim != 2 or x.shape[0] != len(ids):
        raise ValueError(f"expected {len(ids)} vectors of shape (n, d), got shape {x.shape}")
    n = len(ids)
    if n < 2:
        return []
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0)
    uf = _UnionFind(n)
    for start in range(0, n, block_size):
        sims = x[start:start + block_size] @ x.T
        rows, cols = np.nonzero(sims >= threshold)
        rows = rows + start
        keep = cols > rows
        for i, j in zip(rows[keep].tolist(), cols[keep].tolist(), strict=True):
            uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    out = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
    return [[ids[i] for i in g] for g in out]


def write_duplicates_gallery(groups: Sequence[Sequence[Any]], paths: dict[Any, str] | None,
                             out_html: str | os.PathLike) -> Path:
    """Write a self-contained-ish HTML page showing each duplicate group as a row of thumbnails.

    Args:
        groups: groups of ids, as returned by :func:`find_duplicates`.
        paths: id -> image path or URL; ``None`` treats ids as paths. Ids without a path are shown as text.
        out_html: where to write the page (parent folders are created).

    Returns:
        The path written.
    """
    out = Path(out_html)
    out.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>junco: duplicate groups</title>",
        "<style>body{font-family:sans-serif;margin:1em}section{margin:1em 0;padding:.5em;"
        "border:1px solid #ccc}figure{display:inline-block;margin:.3em;text-align:center}"
        "img{max-width:180px;max-height:180px}figcaption{font-size:11px;max-width:180px;"
        "word-break:break-all}</style></head><body>",
        f"<h1>Duplicate groups</h1><p>{len(groups)} group(s), "
        f"{sum(len(g) for g in groups)} item(s).</p>",
    ]
    for k, group in enumerate(groups, 1):
        parts.append(f"<section class='group'><h2>Group {k} ({len(group)})</h2>")
        for item in group:
            src = str(item) if paths is None else paths.get(item)
            cap = html.escape(str(item))
            if src:
                uri = Path(src).resolve().as_uri() if "://" not in src else src
                parts.append(f"<figure><img src='{html.escape(uri, quote=True)}' alt='{cap}'>"
                             f"<figcaption>{cap}</figcaption></figure>")
            else:
                parts.append(f"<figure><figcaption>{cap}</figcaption></figure>")
        parts.append("</section>")
    parts.append("</body></html>")
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
