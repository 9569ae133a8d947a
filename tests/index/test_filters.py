"""The portable filter form, as a Python predicate and as a Milvus expression."""

from __future__ import annotations

import pytest

from junco.index._filters import to_milvus, to_predicate


def test_predicate_operators():
    f = to_predicate({"label": ["cat", "dog"], "year": {"$gt": 2000, "$lte": 2010}, "ok": True})
    assert f({"label": "cat", "year": 2005, "ok": True})
    assert not f({"label": "cow", "year": 2005, "ok": True})
    assert not f({"label": "cat", "year": 2011, "ok": True})
    assert not f({"label": "cat", "ok": True})  # a missing key never matches
    assert not to_predicate({"x": {"$lt": 3}})({"x": "a"})  # incomparable: no match, no error
    assert to_predicate({"x": {"$nin": [1, 2]}})({"x": 3})


def test_milvus_expression():
    assert to_milvus({"label": "cat", "n": {"$ne": 2}}) == 'meta["label"] == "cat" and meta["n"] != 2'
    assert to_milvus({"k": [1, 2]}) == '(meta["k"] == 1 or meta["k"] == 2)'
    assert to_milvus({"k": {"$nin": ["a"]}, "b": False}) == '(meta["k"] != "a") and meta["b"] == false'
    assert to_milvus('meta["x"] > 1') == 'meta["x"] > 1'  # raw expressions pass through


def test_misuse_is_explained():
    with pytest.raises(ValueError, match=r"\$gte"):
        to_predicate({"x": {"$bigger": 1}})
    with pytest.raises(TypeError, match="Milvus expression"):
        to_predicate("meta['x'] > 1")
    with pytest.raises(TypeError, match="callables"):
        to_milvus(lambda m: True)
