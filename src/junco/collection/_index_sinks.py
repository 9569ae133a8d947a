"""Search and storage: write a collection's vectors to a vector index (exact, FAISS, Milvus), search one.

Rows are written block by block under their source ids (paths, positions), with the fingerprint of the
model that made the vectors, so an index never mixes two models' vectors silently.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from junco.plan import NodeKind

AUTO = "auto"


def _model_of(fn: Any) -> Any:
    from junco.operator import ModelOperator

    inner = getattr(fn, "op", None) or getattr(fn, "fn", None)  # safe-mode wrappers
    for f in (fn, inner):
        if isinstance(f, ModelOperator):
            return f
    return None


def producer(dc: Any, column: str) -> Any:
    """The model operator that last wrote ``column`` upstream of ``dc`` (across plan stages), or None."""
    while dc is not None:
        for n in reversed(dc.plan.steps):
            if n.kind == NodeKind.MAP and column in n.outputs:
                model = _model_of(n.fn)
                if model is not None:
                    return model
        ups = getattr(dc._src, "ups", ()) or [u for u in [getattr(dc._src, "origin", None)] if u is not None]
        dc = ups[0] if len(ups) == 1 else None
    return None


class IndexSinksMixin:
    """to_index / to_faiss / to_milvus / search_vectors (mixed into DataCollection)."""

    _cols: tuple[str, ...]
    _value: bool
    _run: Any

    def to_index(self, uri: str | os.PathLike[str] | None = None, *, vector: str | None = None,
                 id_field: str | None = None, metadata: Sequence[str] = (), fingerprint: Any = AUTO,
                 upsert: bool = False, **open_kwargs: Any) -> Any:
        """Run and store every row's vector in a vector index under the row's id.

        Args:
            uri: where the index lives, as :func:`junco.index.open_index` reads it (``None``: in memory;
                ``"store.db"``: Milvus Lite; ``"faiss://folder"``; ``"exact://folder"``; a server URI).
            vector: column mode: the field holding the vectors (value mode: the values).
            id_field: store under this field's values instead of the row ids.
            metadata: fields stored with each vector (column mode).
            fingerprint: ``"auto"``: the model operator that made the vectors; ``None``: none; or a
                fingerprint dict / string / operator.
            upsert: replace rows whose id is already stored (default: re-adding the same vector is a
                no-op, a different one an error).
            **open_kwargs: ``metric``, ``dim``, ``backend`` and backend options for ``open_index``.

        Returns:
            The open index (``idx.search(queries, topk)``, ``len(idx)``, ...).

        Example:
            >>> from junco import DataCollection
            >>> idx = DataCollection([[1.0, 0.0], [0.0, 1.0]]).to_index(metric="L2")
            >>> idx.search([[0.9, 0.1]], topk=1)[0].ids
            [0]
        """
        from junco.index import open_index

        if self._value:
            vcol = self._cols[0]
        elif vector is None:
            raise TypeError(f"column mode: say which field holds the vectors: to_index(..., vector='vec') "
                            f"(fields: {list(self._cols)})")
        else:
            vcol = vector
        for f in [vcol, *([id_field] if id_field else []), *metadata]:
            if f not in self._cols:
                raise KeyError(f"to_index: no field {f!r}; this collection has {list(self._cols)}")
        fp = producer(self, vcol) if fingerprint == AUTO else fingerprint
        index = None
        from junco.collection._safe import Empty
        from junco.collection._sinks import _plain

        for b in self._run():
            keep = [i for i, v in enumerate(b.cols[vcol]) if not isinstance(v, Empty)]  # reported already
            if not keep:
                continue
            ids = [_plain(b.cols[id_field][i] if id_field else b.ids[i]) for i in keep]
            vecs = [b.cols[vcol][i] for i in keep]
            metas = [{m: _plain(b.cols[m][i]) for m in metadata} for i in keep] if metadata else None
            if index is None:
                index = open_index(uri, fingerprint=fp, **open_kwargs)
            (index.upsert if upsert else index.add)(ids, vecs, metas)
        if index is None:
            index = open_index(uri, fingerprint=fp, **open_kwargs)
        if hasattr(index, "save"):
            index.save()
        return index

    def to_faiss(self, path: str | os.PathLike[str] | None = None, *, kind: str | None = None,
                 **kwargs: Any) -> Any:
        """:meth:`to_index` into a FAISS index saved to the folder ``path`` (in memory when ``None``).

        Args:
            path: the folder.
            kind: FAISS index kind (``"flat"``, ``"hnsw"``, ``"ivfpq"``); default the backend's.
            **kwargs: as :meth:`to_index`.

        Returns:
            The open index.

        Example:
            >>> from junco import DataCollection
            >>> idx = DataCollection([[1.0, 0.0], [0.0, 1.0]]).to_faiss(metric="IP")  # doctest: +SKIP
        """
        if kind is not None:
            kwargs["kind"] = kind
        uri = f"faiss://{os.fspath(path)}" if path is not None else None
        return self.to_index(uri, backend="faiss", **kwargs)

    def to_milvus(self, uri: str | os.PathLike[str] = "junco.db", *, collection: str | None = None,
                  **kwargs: Any) -> Any:
        """:meth:`to_index` into Milvus: a Milvus Lite file (``"name.db"``) or a server URI.

        Args:
            uri: a ``.db`` file (Milvus Lite, embedded) or ``"http://host:19530"``.
            collection: the Milvus collection name (default the backend's).
            **kwargs: as :meth:`to_index`.

        Returns:
            The open index.

        Example:
            >>> from junco import DataCollection
            >>> idx = DataCollection([[1.0, 0.0]]).to_milvus("/tmp/demo.db")  # doctest: +SKIP
        """
        if collection is not None:
            kwargs["collection"] = collection
        return self.to_index(uri, backend="milvus", **kwargs)

    def search_vectors(self, *, data: Any, cal: str = "L2", topk: int = 10, **kwargs: Any) -> Any:
        """Map each row's vector to its ``topk`` nearest rows of ``data`` (same as
        ``dc.junco.search_vectors(...)``): results with ``.ids`` (``data``'s row ids) and ``.scores``.

        Args:
            data: a collection of vectors (or any iterable of vectors or ``(id, vector)`` pairs).
            cal: ``"L2"``, ``"IP"`` or ``"cosine"``.
            topk: hits per row.
            **kwargs: the operator's other options.

        Returns:
            A new collection of search results.

        Example:
            >>> from junco import DataCollection
            >>> data = DataCollection([[1.0, 0.0], [0.0, 1.0]])
            >>> DataCollection([[0.1, 0.9]]).search_vectors(data=data, topk=1).map(lambda h: h.ids).to_list()
            [[1]]
        """
        return self.junco.search_vectors(data=data, cal=cal, topk=topk, **kwargs)  # type: ignore[attr-defined]
