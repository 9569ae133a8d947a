"""Retrieval metrics: recall@k, precision@k, mAP, NDCG, given relevant id sets or labels.

``retrieved`` is one ranked id list per query (a :class:`~junco.index.SearchResult` works as is);
``relevant`` is one collection of relevant ids per query (a set, or a dict id -> gain for graded NDCG).
Every function returns the mean over queries; queries with nothing relevant are left out of the mean.
Plain numpy (no scikit-learn at run time); the tests check them against scikit-learn where it has the
same metric (``average_precision_score``, ``ndcg_score``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def _lists(retrieved: Any) -> list[list[Hashable]]:
    ids = getattr(retrieved, "ids", retrieved)
    return [list(r) for r in ids]


def _pairs(retrieved: Any, relevant: Sequence[Iterable[Hashable]]):
    ret = _lists(retrieved)
    if len(ret) != len(relevant):
        raise ValueError(f"{len(ret)} result lists but {len(relevant)} relevant sets")
    for r, rel in zip(ret, relevant):
        rel_set = set(rel)
        if rel_set:
            yield r, rel_set, rel


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else float("nan")


def recall_at_k(retrieved: Any, relevant: Sequence[Iterable[Hashable]], k: int) -> float:
    """Mean share of each query's relevant ids found in its top ``k``.

    Example:
        >>> recall_at_k([["a", "b", "c"]], [{"a", "z"}], k=2)
        0.5
    """
    return _mean([len(set(r[:k]) & rel) / len(rel) for r, rel, _ in _pairs(retrieved, relevant)])


def precision_at_k(retrieved: Any, relevant: Sequence[Iterable[Hashable]], k: int) -> float:
    """Mean share of each query's top ``k`` that is relevant (out of ``k``).

    Example:
        >>> precision_at_k([["a", "b", "c", "d"]], [{"a", "c"}], k=4)
        0.5
    """
    return _mean([len(set(r[:k]) & rel) / k for r, rel, _ in _pairs(retrieved, relevant)])


def mean_average_precision(retrieved: Any, relevant: Sequence[Iterable[Hashable]], k: int | None = None) -> float:
    """mAP: the mean over queries of average precision over the top ``k`` (all results when ``None``).

    Each query's AP sums precision@i at every rank i holding a relevant id and divides by
    ``min(|relevant|, k)``, so a perfect top-k scores 1.

    Example:
        >>> mean_average_precision([["a", "x", "b"]], [{"a", "b"}])  # (1/1 + 2/3) / 2
        0.8333333333333333
    """
    out = []
    for r, rel, _ in _pairs(retrieved, relevant):
        top = r if k is None else r[:k]
        hits = np.array([x in rel for x in top], dtype=float)
        if not len(hits):
            out.append(0.0)
            continue
        prec = np.cumsum(hits) / np.arange(1, len(hits) + 1)
        denom = len(rel) if k is None else min(len(rel), k)
        out.append(float((prec * hits).sum() / denom))
    return _mean(out)


def ndcg_at_k(retrieved: Any, relevant: Sequence[Iterable[Hashable] | Mapping[Hashable, float]], k: int) -> float:
    """Normalized discounted cumulative gain at ``k`` (binary, or graded with a dict id -> gain).

    Example:
        >>> round(ndcg_at_k([["x", "a"]], [{"a"}], k=2), 4)  # 1/log2(3) over the ideal 1
        0.6309
    """
    out = []
    for r, rel_set, rel in _pairs(retrieved, relevant):
        gains = dict(rel) if isinstance(rel, Mapping) else dict.fromkeys(rel_set, 1.0)
        disc = 1.0 / np.log2(np.arange(2, k + 2))
        g = np.array([gains.get(x, 0.0) for x in r[:k]], dtype=float)
        dcg = float((g * disc[: len(g)]).sum())
        ideal = np.sort(np.array(list(gains.values()), dtype=float))[::-1][:k]
        idcg = float((ideal * disc[: len(ideal)]).sum())
        if idcg > 0:
            out.append(dcg / idcg)
    return _mean(out)


def relevant_by_label(query_labels: Sequence[Hashable], labels: Mapping[Hashable, Hashable],
                      exclude: Sequence[Hashable] | None = None) -> list[set[Hashable]]:
    """Relevant sets from labels: for each query, the stored ids that share its label.

    Args:
        query_labels: the label of each query.
        labels: stored id -> label.
        exclude: one id per query to leave out (the query itself, when it is stored too).

    Example:
        >>> relevant_by_label(["cat"], {"a": "cat", "b": "dog", "c": "cat"}, exclude=["a"])
        [{'c'}]
    """
    by_label: dict[Hashable, set[Hashable]] = {}
    for id_, lab in labels.items():
        by_label.setdefault(lab, set()).add(id_)
    out = []
    for i, lab in enumerate(query_labels):
        rel = set(by_label.get(lab, set()))
        if exclude is not None:
            rel.discard(exclude[i])
        out.append(rel)
    return out


def evaluate(retrieved: Any, relevant: Sequence[Iterable[Hashable]], ks: Sequence[int] = (1, 5, 10)
             ) -> dict[str, float]:
    """recall@k, precision@k, mAP@k and NDCG@k for each ``k`` in ``ks``, in one dict.

    Example:
        >>> evaluate([["a", "b"]], [{"a"}], ks=[1])
        {'recall@1': 1.0, 'precision@1': 1.0, 'mAP@1': 1.0, 'ndcg@1': 1.0}
    """
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = recall_at_k(retrieved, relevant, k)
        out[f"precision@{k}"] = precision_at_k(retrieved, relevant, k)
        out[f"mAP@{k}"] = mean_average_precision(retrieved, relevant, k)
        out[f"ndcg@{k}"] = ndcg_at_k(retrieved, relevant, k)
    return out
