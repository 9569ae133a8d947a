"""Near-duplicate groups among embedding vectors (cosine similarity above a threshold), and a gallery.

Pairs with cosine similarity >= ``threshold`` are linked and linked items are merged with union-find,
so a group is a connected component of the similarity graph.

* :func:`find_duplicates`: vectors in memory; exact, blockwise numpy; fine to ~20k rows.
* :func:`find_duplicates_in_index`: the vectors of a stored collection (any junco index: exact, FAISS,
  Milvus); the index's own search proposes each row's ``topk`` neighbours, and every proposed pair is
  checked with the exact cosine of the stored vectors, so the threshold means the same everywhere.
* :func:`write_duplicates_gallery`: an HTML page with one row of thumbnails per group.
"""

from __future__ import annotations

import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["find_duplicates", "find_duplicates_in_index", "gallery_paths", "write_duplicates_gallery"]


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


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(n > 0, n, 1.0)


def find_duplicates_in_index(index: Any, threshold: float = 0.95, *, topk: int = 10, batch_size: int = 256,
                             **open_opts: Any) -> list[list[Any]]:
    """Near-duplicate groups among the vectors of a stored collection, found with the store's own search.

    Every stored vector is a query (``batch_size`` at a time, read back with ``get``); the index returns
    its ``topk`` nearest rows; each proposed pair is kept when the exact cosine similarity of the two
    stored vectors is ``>= threshold``; kept pairs are merged with union-find. A group larger than
    ``topk + 1`` is still found whole as long as its members link up through their neighbours.
    Neighbours are proposed by the store's metric: in an ``L2`` or ``IP`` store of unnormalized vectors
    the nearest rows by that metric are not always the most cosine-similar, so raise ``topk`` there
    (a ``cosine`` store, or normalized vectors, has no such gap).

    Args:
        index: an open junco index, or a URI for :func:`junco.index.open_index` (opened and closed here).
        threshold: cosine similarity at or above which two rows are linked (whatever the store's metric).
        topk: neighbours asked for per row (besides itself).
        batch_size: rows read and searched per call.
        **open_opts: options for ``open_index`` when ``index`` is a URI (e.g. ``collection="images"``).

    Returns:
        Groups of two or more ids, each in store order; groups sorted largest first, then by the
        position of their first id. Rows with no near-duplicate are left out.

    Raises:
        ValueError: ``topk`` or ``batch_size`` below 1.

    Example:
        >>> from junco.index import open_index
        >>> idx = open_index(dim=2)
        >>> idx.add(["a", "b", "c"], [[1.0, 0.0], [0.999, 0.01], [0.0, 1.0]])
        3
        >>> find_duplicates_in_index(idx, 0.99)
        [['a', 'b']]
    """
    if topk < 1 or batch_size < 1:
        raise ValueError(f"topk and batch_size must be >= 1, got {topk} and {batch_size}")
    from junco.index import index_from

    with index_from(index, **open_opts) as index:
        from junco.index import Metric

        ids = list(index.ids())
        pos = {id_: i for i, id_ in enumerate(ids)}
        uf = _UnionFind(len(ids))
        cosine = index.metric is Metric.COSINE
        fp = index.fingerprint
        for start in range(0, len(ids), batch_size):
            recs = index.get(ids[start:start + batch_size])
            if not recs:
                continue
            raw = np.stack([np.asarray(r.vector, dtype=np.float32) for r in recs])
            res = index.search(raw, topk=min(topk + 1, len(ids)), fingerprint=fp)  # as stored: L2 needs it
            q = _unit(raw)
            pairs: list[tuple[int, Any]] = []
            for qi, (rec, hits) in enumerate(zip(recs, res, strict=True)):
                for hid, score in zip(hits.ids, hits.scores.tolist(), strict=True):
                    if hid == rec.id or hid not in pos:
                        continue
                    # a cosine store's score is the similarity: skip what is clearly below (ANN slack)
                    if cosine and score < threshold - 0.02:
                        continue
                    pairs.append((qi, hid))
            if not pairs:
                continue
            local = {r.id: k for k, r in enumerate(recs)}
            need = list(dict.fromkeys(h for _, h in pairs if h not in local))
            other = {r.id: r.vector for r in index.get(need)} if need else {}
            for qi, hid in pairs:
                v = q[local[hid]] if hid in local else other.get(hid)
                if v is None:
                    continue
                if float(q[qi] @ _unit(np.asarray(v, dtype=np.float32)[None, :])[0]) >= threshold:
                    uf.union(pos[recs[qi].id], pos[hid])
        groups: dict[int, list[int]] = {}
        for i in range(len(ids)):
            groups.setdefault(uf.find(i), []).append(i)
        out = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
        return [[ids[i] for i in g] for g in out]


def gallery_paths(index: Any, ids: Sequence[Any], field: str = "path", **open_opts: Any) -> dict[Any, str]:
    """Image paths of stored rows for :func:`write_duplicates_gallery`.

    A row's path is its metadata ``field`` when present, else its id when the id is an existing file.

    Args:
        index: an open junco index, or a URI (opened and closed here).
        ids: the rows to look up (e.g. every id of the duplicate groups).
        field: metadata key that holds the image path or URL.
        **open_opts: options for ``open_index`` when ``index`` is a URI.

    Returns:
        id -> path, for the rows that have one.
    """
    from junco.index import index_from

    with index_from(index, **open_opts) as index:
        out: dict[Any, str] = {}
        for rec in index.get(list(ids)) if ids else []:
            p = (rec.metadata or {}).get(field)
            if p:
                out[rec.id] = str(p)
            elif isinstance(rec.id, str) and os.path.isfile(rec.id):
                out[rec.id] = rec.id
        return out


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
