"""Retrieval metrics, checked by hand and against scikit-learn where it has the same metric."""

from __future__ import annotations

import numpy as np
import pytest

from junco.index import Hits, SearchResult
from junco.index.metrics import (
    evaluate,
    mean_average_precision,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    relevant_by_label,
)


def test_by_hand():
    ret = [["a", "b", "c", "d"], ["x", "y", "z", "w"]]
    rel = [{"a", "c"}, {"w", "q"}]
    assert recall_at_k(ret, rel, 2) == pytest.approx((0.5 + 0.0) / 2)
    assert precision_at_k(ret, rel, 4) == pytest.approx((2 / 4 + 1 / 4) / 2)
    ap0 = (1 / 1 + 2 / 3) / 2
    ap1 = (1 / 4) / 2
    assert mean_average_precision(ret, rel) == pytest.approx((ap0 + ap1) / 2)
    assert np.isnan(recall_at_k([["a"]], [set()], 1))  # nothing relevant: left out


def test_search_result_is_accepted():
    res = SearchResult([Hits(["a", "b"], np.array([1.0, 0.5], np.float32), [{}, {}])])
    assert recall_at_k(res, [{"b"}], 2) == 1.0
    assert evaluate(res, [{"b"}], ks=[1]) == {"recall@1": 0.0, "precision@1": 0.0, "mAP@1": 0.0, "ndcg@1": 0.0}


def test_against_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for _ in range(20):
        n = 30
        truth = rng.integers(0, 2, n)
        truth[0] = 1
        score = rng.standard_normal(n)
        ranked = list(np.argsort(-score))
        rel = {i for i in range(n) if truth[i]}
        assert mean_average_precision([ranked], [rel]) == pytest.approx(
            sk.average_precision_score(truth, score))
        gains = rng.integers(0, 4, n).astype(float)
        gains[0] = 1.0
        graded = {i: g for i, g in enumerate(gains) if g > 0}
        for k in (5, 10):
            assert ndcg_at_k([ranked], [graded], k) == pytest.approx(
                sk.ndcg_score(gains[None, :], score[None, :], k=k))


def test_relevant_by_label():
    labels = {"a": 1, "b": 2, "c": 1, "d": 1}
    rel = relevant_by_label([1, 2], labels, exclude=["a", "b"])
    assert rel == [{"c", "d"}, set()]
