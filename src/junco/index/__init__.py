"""Vector stores behind one protocol: exact numpy, FAISS, and Milvus (Lite file or server).

``open_index(uri)`` picks the backend from the URI; every backend stores rows by stable id, searches
with L2 / inner product / cosine, filters on metadata, records the fingerprint of the model that made
its vectors, and writes atomically and idempotently by id.

Example:
    >>> from junco.index import open_index
    >>> idx = open_index(dim=3, metric="cosine")
    >>> idx.add(["a", "b"], [[1, 0, 0], [0, 1, 0]], [{"tag": "x"}, {"tag": "y"}])
    2
    >>> hits = idx.search([[0.9, 0.1, 0.0]], topk=2)[0]
    >>> hits.ids
    ['a', 'b']
"""

from junco.index._base import BaseIndex, VectorIndex, as_pairs
from junco.index._open import forget_memory, index_from, open_index, resolve
from junco.index._registry import BACKENDS, register_backend
from junco.index._types import (
    DuplicateIdError,
    FingerprintMismatchError,
    Hits,
    Metric,
    MissingExtraError,
    Record,
    SearchResult,
)

__all__ = [
    "index_from",
    "BACKENDS",
    "BaseIndex",
    "DuplicateIdError",
    "FingerprintMismatchError",
    "Hits",
    "Metric",
    "MissingExtraError",
    "Record",
    "SearchResult",
    "VectorIndex",
    "as_pairs",
    "forget_memory",
    "open_index",
    "register_backend",
    "resolve",
]
