"""Data discipline: content hashes, leakage checks, stratified seeded splits, k-fold.

Identical items (same bytes) always land in the same split, so a duplicate can never sit on both sides
of a train / validation / test boundary; a duplicate across user-given sets is reported (and by default
dropped from training).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import warnings
from collections.abc import Sequence
from typing import Any

from junco.trainer._data import Labeled, as_labeled


def content_hash(item: Any) -> str:
    """A hash of what an item *is*: file bytes for paths, pixel bytes for arrays / images, text for text.

    Args:
        item: a path, bytes, ``numpy`` array, torch tensor, PIL image, string, number, or a dict / list
            of those.

    Returns:
        32 hex characters.

    Example:
        >>> import numpy as np
        >>> content_hash(np.ones(3)) == content_hash(np.ones(3)), content_hash("a") == content_hash("b")
        (True, False)
    """
    h = hashlib.blake2b(digest_size=16)
    _feed(h, item)
    return h.hexdigest()


def _feed(h: Any, item: Any) -> None:
    if isinstance(item, str | os.PathLike) and os.path.isfile(item):
        with open(item, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    elif isinstance(item, str):
        h.update(b"s" + item.encode())
    elif isinstance(item, bytes | bytearray | memoryview):
        h.update(b"b" + bytes(item))
    elif hasattr(item, "detach") and hasattr(item, "cpu"):  # torch tensor
        _feed(h, item.detach().cpu().numpy())
    elif hasattr(item, "tobytes") and hasattr(item, "dtype"):  # numpy
        h.update(f"a{item.dtype}{item.shape}".encode())
        h.update(memoryview(item.__array__().copy(order="C")).cast("B"))
    elif hasattr(item, "tobytes") and hasattr(item, "mode"):  # PIL
        h.update(f"p{item.mode}{item.size}".encode() + item.tobytes())
    elif isinstance(item, dict):
        for k in sorted(item, key=str):
            h.update(str(k).encode())
            _feed(h, item[k])
    elif isinstance(item, list | tuple):
        for v in item:
            _feed(h, v)
    else:
        h.update(pickle.dumps(item))


def content_hashes(data: Labeled) -> list[str]:
    """:func:`content_hash` of every item of ``data``."""
    return [content_hash(data.items[i]) for i in range(len(data))]


def find_leaks(train: Any, other: Any) -> list[int]:
    """Indices of ``train`` items identical (by content hash) to some item of ``other``.

    Example:
        >>> find_leaks((["a", "b", "c"], [0, 1, 0]), (["c", "x"], [0, 1]))
        [2]
    """
    tr, ot = as_labeled(train, labeled=False), as_labeled(other, labeled=False)
    seen = set(content_hashes(ot))
    return [i for i, h in enumerate(content_hashes(tr)) if h in seen]


def _groups(data: Labeled) -> tuple[list[list[int]], list[Any]]:
    """Indices grouped by identical content, and each group's label (conflicts are reported)."""
    by_hash: dict[str, list[int]] = {}
    for i, h in enumerate(content_hashes(data)):
        by_hash.setdefault(h, []).append(i)
    groups = list(by_hash.values())
    conflicts = sum(1 for g in groups if len({str(data.labels[i]) for i in g}) > 1)
    if conflicts:
        warnings.warn(f"{conflicts} identical items carry different labels; check the labelling", stacklevel=3)
    dups = len(data) - len(groups)
    if dups:
        warnings.warn(f"{dups} duplicate items (by content hash) kept together in one split", stacklevel=3)
    return groups, [data.labels[g[0]] for g in groups]


def split_dataset(dataset: Any, fractions: Sequence[float] = (0.8, 0.1, 0.1), *, seed: int = 0,
                  stratify: bool = True) -> tuple[Labeled, ...]:
    """Split into parts (train, validation, test...) by ``fractions``: stratified, seeded, leak-free.

    Args:
        dataset: any shape :func:`~junco.trainer.as_labeled` accepts.
        fractions: one fraction per part, summing to 1.
        seed: the same seed gives the same split.
        stratify: keep the class proportions in every part (falls back to random, with a warning, when a
            class is too small).

    Returns:
        One :class:`~junco.trainer.Labeled` per fraction.

    Example:
        >>> tr, va = split_dataset((list(range(10)), [0, 1] * 5), (0.6, 0.4), seed=1)
        >>> len(tr), len(va), sorted(va.labels)
        (6, 4, [0, 0, 1, 1])
    """
    from sklearn.model_selection import train_test_split

    if abs(sum(fractions) - 1.0) > 1e-6 or any(f < 0 for f in fractions):
        raise ValueError(f"fractions must be >= 0 and sum to 1, got {tuple(fractions)}")
    data = as_labeled(dataset)
    groups, glabels = _groups(data)
    rest = list(range(len(groups)))
    parts: list[list[int]] = []
    for k in range(len(fractions) - 1, 0, -1):
        n = int(round(fractions[k] * len(groups)))
        if n == 0:
            parts.append([])
            continue
        strat = [str(glabels[g]) for g in rest] if stratify else None
        try:
            rest, part = train_test_split(rest, test_size=n, random_state=seed + k, stratify=strat)
        except ValueError as e:
            if strat is None:
                raise
            warnings.warn(f"stratified split impossible ({e}); splitting at random", stacklevel=2)
            rest, part = train_test_split(rest, test_size=n, random_state=seed + k)
        parts.append(list(part))
    parts.append(list(rest))
    parts.reverse()
    return tuple(data.subset(sorted(i for g in p for i in groups[g])) for p in parts)


def kfold(dataset: Any, k: int = 5, *, seed: int = 0, stratify: bool = True) -> list[tuple[Labeled, Labeled]]:
    """``k`` (train, validation) folds: stratified, seeded, identical items never split across a fold.

    Args:
        dataset: any shape :func:`~junco.trainer.as_labeled` accepts.
        k: number of folds (>= 2).
        seed: shuffling seed.
        stratify: keep the class proportions in each fold.

    Returns:
        A list of ``k`` ``(train, validation)`` pairs; every item is validated exactly once.

    Example:
        >>> folds = kfold((list(range(12)), [0, 1, 2] * 4), k=4)
        >>> [len(v) for _, v in folds]
        [3, 3, 3, 3]
    """
    import numpy as np
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    if k < 2:
        raise ValueError(f"k must be >= 2, got {k}")
    data = as_labeled(dataset)
    groups, _ = _groups(data)
    gid = np.empty(len(data), dtype=np.int64)
    for g, members in enumerate(groups):
        gid[members] = g
    y = np.asarray([str(v) for v in data.labels])
    if stratify:
        splitter: Any = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(data.subset(tr), data.subset(va)) for tr, va in splitter.split(np.zeros(len(data)), y, gid)]


def remove_leaks(train: Labeled, evals: Sequence[Labeled], policy: str) -> tuple[Labeled, int]:
    """Apply the leakage policy (``drop`` / ``error`` / ``warn``) to ``train`` against evaluation sets.

    Returns:
        ``(train, number of training items identical to an evaluation item)``.
    """
    seen = {h for e in evals for h in content_hashes(e)}
    if not seen:
        return train, 0
    leaks = [i for i, h in enumerate(content_hashes(train)) if h in seen]
    if not leaks:
        return train, 0
    msg = f"{len(leaks)} training items are identical (by content hash) to evaluation items"
    if policy == "error":
        raise ValueError(msg + "; remove them, or set leakage='drop'")
    if policy == "drop":
        warnings.warn(msg + "; dropped from training (leakage='drop')", stacklevel=3)
        drop = set(leaks)
        return train.subset(i for i in range(len(train)) if i not in drop), len(leaks)
    warnings.warn(msg + " (leakage='warn': kept; validation metrics are optimistic)", stacklevel=3)
    return train, len(leaks)
