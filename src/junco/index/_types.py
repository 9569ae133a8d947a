"""Value types every backend shares: metrics, search results, records, errors."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

Id = Union[int, str]


class Metric(str, enum.Enum):
    """How vectors are compared.

    ``L2`` scores are squared Euclidean distances (smaller is closer, as in FAISS and Milvus);
    ``IP`` (inner product) and ``COSINE`` scores are similarities (larger is closer).

    Example:
        >>> Metric.parse("cosine"), Metric.parse("L2").higher_is_better
        (<Metric.COSINE: 'cosine'>, False)
    """

    L2 = "l2"
    IP = "ip"
    COSINE = "cosine"

    @classmethod
    def parse(cls, value: str | Metric) -> Metric:
        """Accept ``"L2"``, ``"ip"``, ``"inner_product"``, ``"COSINE"``, ... ; raise on anything else."""
        if isinstance(value, Metric):
            return value
        key = str(value).strip().lower().replace("-", "_")
        key = {"inner_product": "ip", "dot": "ip", "euclidean": "l2"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown metric {value!r}; use one of 'L2', 'IP', 'cosine'") from None

    @property
    def higher_is_better(self) -> bool:
        return self is not Metric.L2

    @property
    def milvus(self) -> str:
        """The name Milvus uses for this metric."""
        return {"l2": "L2", "ip": "IP", "cosine": "COSINE"}[self.value]


@dataclass(frozen=True)
class Hits:
    """The results of one query, best first.

    Attributes:
        ids: the ids of the nearest stored vectors.
        scores: one score per id (see :class:`Metric` for which way is better).
        metadata: the stored metadata of each hit (``{}`` when none was stored).

    Example:
        >>> h = Hits(["a", "b"], np.array([0.9, 0.5], dtype="float32"), [{}, {}])
        >>> h.ids, len(h), h.best
        (['a', 'b'], 2, 'a')
    """

    ids: list[Id]
    scores: np.ndarray
    metadata: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple[Id, float]]:
        return iter(zip(self.ids, self.scores.tolist()))

    @property
    def best(self) -> Id | None:
        """The id of the nearest hit, ``None`` when there is none."""
        return self.ids[0] if self.ids else None

    def to_list(self) -> list[dict[str, Any]]:
        """One ``{"id", "score", "metadata"}`` dict per hit."""
        meta = self.metadata or [{} for _ in self.ids]
        return [{"id": i, "score": float(s), "metadata": m} for i, s, m in zip(self.ids, self.scores, meta)]


class SearchResult(Sequence[Hits]):
    """The results of a batch of queries: one :class:`Hits` per query, in query order.

    ``result.ids[q]``, ``result.scores[q]`` and ``result.metadata[q]`` index the same hits as
    ``result[q].ids`` and so on. A query can have fewer than ``topk`` hits (a small store, a filter).
    Backends may pass ``metadata`` as a function of the query number, so it is only looked up when read.

    Example:
        >>> r = SearchResult([Hits([1], np.array([0.0], dtype="float32"), [{}])])
        >>> r[0].ids, r.ids
        ([1], [[1]])
    """

    __slots__ = ("_meta", "ids", "scores")

    def __init__(self, hits: Sequence[Hits] = (), *, ids: list[list[Id]] | None = None,
                 scores: Sequence[np.ndarray] | None = None, metadata: Any = None):
        if ids is None:
            ids = [h.ids for h in hits]
            scores = [h.scores for h in hits]
            metadata = [h.metadata for h in hits]
        self.ids: list[list[Id]] = ids
        self.scores: Sequence[np.ndarray] = scores if scores is not None else [np.zeros(0, np.float32)] * len(ids)
        self._meta = metadata

    def _row_meta(self, i: int) -> list[dict[str, Any]]:
        m = self._meta
        if m is None:
            return [{} for _ in self.ids[i]]
        return m(i) if callable(m) else m[i]

    @property
    def metadata(self) -> list[list[dict[str, Any]]]:
        return [self._row_meta(i) for i in range(len(self.ids))]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        return Hits(self.ids[i], np.asarray(self.scores[i]), self._row_meta(i))

    def __repr__(self) -> str:
        return f"SearchResult({len(self)} queries, ids={self.ids[:3]}{'...' if len(self) > 3 else ''})"


@dataclass(frozen=True)
class Record:
    """One stored row: its id, vector and metadata (what :meth:`get` returns)."""

    id: Id
    vector: np.ndarray
    metadata: dict[str, Any] = field(default_factory=dict)


class FingerprintMismatchError(ValueError):
    """Vectors (or a query) made by another operator than the one that filled the store."""

    def __init__(self, stored: Any, given: Any, what: str = "vectors"):
        self.stored, self.given = stored, given
        super().__init__(
            f"{what} have fingerprint {given!r} but this index holds vectors with fingerprint {stored!r}; "
            "embed with the same model, layer and preprocessing, or use another collection/path")


class DuplicateIdError(ValueError):
    """``add`` of an id that is already stored with a different vector (use ``upsert`` to replace)."""


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message says which extra to install."""

    def __init__(self, module: str, extra: str):
        super().__init__(f"{module} is not installed; pip install \"junco[{extra}]\"")
