"""Every accepted dataset shape -> one :class:`Labeled` (items + labels), and label encoding.

Accepted: a torch map-style ``Dataset`` returning ``(x, y)`` or dict rows; a DataCollection or any
iterable of ``(item, label)`` pairs or dict rows; a folder of images with one sub-folder per class; an
``(X, y)`` tuple of arrays. Items stay what they are (paths, arrays, PIL images, tensors, text) until the
task's transform turns them into tensors, so file-backed sets are never decoded up front.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")
_INPUT_KEYS = ("image", "img", "path", "input", "x", "text", "item", "data", "pixel_values")
_LABEL_KEYS = ("label", "labels", "target", "y", "class", "category")


@dataclass
class Labeled:
    """Items with labels (``None`` where unlabeled), indexable and sliceable by index lists.

    Example:
        >>> d = Labeled(["a", "b", "c"], [0, 1, 0])
        >>> d.subset([2, 0]).items, len(d)
        (['c', 'a'], 3)
    """

    items: Sequence[Any]
    labels: list[Any]

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: Iterable[int]) -> Labeled:
        """The rows at ``indices``, in that order (lazy sources stay lazy)."""
        idx = [int(i) for i in indices]
        items = [self.items[i] for i in idx] if isinstance(self.items, list) else _Subset(self.items, idx)
        return Labeled(items, [self.labels[i] for i in idx])


class _Subset(Sequence[Any]):
    def __init__(self, base: Sequence[Any], idx: list[int]):
        self.base, self.idx = base, idx

    def __len__(self) -> int:
        return len(self.idx)

    def __getitem__(self, i: Any) -> Any:
        return self.base[self.idx[i]]


class _TorchItems(Sequence[Any]):
    """The input half of a torch dataset's rows, read on demand."""

    def __init__(self, ds: Any, key: str | None):
        self.ds, self.key = ds, key

    def __len__(self) -> int:
        return len(self.ds)

    def __getitem__(self, i: Any) -> Any:
        return _split_row(self.ds[i], self.key, None, labeled=True)[0]


def image_folder(root: str | os.PathLike[str]) -> Labeled:
    """A folder with one sub-folder of images per class -> paths labelled by sub-folder name.

    Args:
        root: the folder; images directly in it (no sub-folders) are returned unlabelled.

    Returns:
        A :class:`Labeled` of file paths, sorted by class then name.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "cat").mkdir(); (d / "cat" / "1.jpg").write_bytes(b"")
        0
        >>> image_folder(d).labels
        ['cat']
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder of images")
    items: list[Any] = []
    labels: list[Any] = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(sub.rglob("*")):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                items.append(str(f))
                labels.append(sub.name)
    if not items:  # a flat folder: unlabeled images
        items = [str(f) for f in sorted(root.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
        labels = [None] * len(items)
    if not items:
        raise ValueError(f"no images ({', '.join(IMAGE_SUFFIXES)}) under {root}")
    return Labeled(items, labels)


def as_labeled(dataset: Any, *, input_key: str | None = None, label_key: str | None = None,
               labeled: bool = True) -> Labeled:
    """Normalize any accepted dataset shape.

    Args:
        dataset: see the module docstring.
        input_key: field of dict rows holding the input (default: the first of image, path, text, x...).
        label_key: field of dict rows holding the label (default: label, target, y...).
        labeled: False for unlabeled data: bare items are accepted and labels, if any, are ignored.

    Returns:
        A :class:`Labeled`.

    Raises:
        ValueError: a row without a label when ``labeled``, or an empty dataset.

    Example:
        >>> import numpy as np
        >>> as_labeled((np.zeros((3, 2)), [1, 0, 1])).labels
        [1, 0, 1]
    """
    if isinstance(dataset, Labeled):
        out = dataset
    elif isinstance(dataset, str | os.PathLike):
        out = image_folder(dataset)
    elif _is_xy(dataset):
        xs, ys = dataset
        out = Labeled(xs if isinstance(xs, list) else _Subset(xs, list(range(len(xs)))), _scalars(ys))
    elif _is_torch_map(dataset):
        labels = getattr(dataset, "targets", None)
        if labels is None or not labeled:
            rows = [_split_row(dataset[i], input_key, label_key, labeled) for i in range(len(dataset))]
            labels = [y for _, y in rows]
        out = Labeled(_TorchItems(dataset, input_key), _scalars(labels))
    else:
        rows = [_split_row(r, input_key, label_key, labeled) for r in _rows(dataset)]
        out = Labeled([x for x, _ in rows], [y for _, y in rows])
    if not labeled:
        out = Labeled(out.items, [None] * len(out))
    if len(out) == 0:
        raise ValueError("the dataset is empty")
    if labeled and any(y is None for y in out.labels):
        raise ValueError("some rows have no label; pass them as unlabeled_dataset= or give label_key=")
    return out


def _rows(dataset: Any) -> Iterable[Any]:
    import numpy as np

    if isinstance(dataset, np.ndarray):
        return list(dataset)
    try:  # a DataCollection runs its plan here and yields Rows (dicts) or values
        return iter(dataset)
    except TypeError:
        raise TypeError(f"cannot train on a {type(dataset).__name__}: give a torch Dataset, an iterable of "
                        "(item, label) pairs or dict rows, a folder of images by class, or (X, y)") from None


def _split_row(row: Any, input_key: str | None, label_key: str | None, labeled: bool) -> tuple[Any, Any]:
    if isinstance(row, dict):
        lk = label_key or next((k for k in _LABEL_KEYS if k in row), None)
        ik = input_key or next((k for k in _INPUT_KEYS if k in row), None)
        if ik is None:
            rest = [k for k in row if k != lk]
            if len(rest) != 1:
                raise ValueError(f"cannot tell the input field among {list(row)}; pass input_key=")
            ik = rest[0]
        return row[ik], (row.get(lk) if lk else None)
    if isinstance(row, tuple | list) and len(row) == 2:
        return row[0], row[1]
    if labeled:
        raise ValueError(f"a labeled row must be (item, label) or a dict with a label; got {type(row).__name__}")
    return row, None


def _is_xy(d: Any) -> bool:
    if not (isinstance(d, tuple) and len(d) == 2):
        return False
    xs, ys = d
    if not (hasattr(xs, "__len__") and hasattr(ys, "__len__")) or isinstance(ys, str):
        return False
    n = len(xs)
    if n == 0 or len(ys) != n:
        return False
    if n == 2 and isinstance(xs, tuple) and isinstance(ys, tuple):  # two (item, label) pairs
        return False
    first = ys[0]
    return getattr(first, "ndim", 0) == 0 and not isinstance(first, list | tuple | dict)


def _is_torch_map(d: Any) -> bool:
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        return False
    return isinstance(d, torch.utils.data.Dataset) and hasattr(d, "__len__") and hasattr(d, "__getitem__")


def _scalars(ys: Any) -> list[Any]:
    out = []
    for y in ys:
        y = y.item() if hasattr(y, "item") and getattr(y, "ndim", 0) == 0 else y
        out.append(y)
    return out


def encode_labels(labels: Sequence[Any], classes: Sequence[Any] | None = None) -> tuple[Any, list[Any]]:
    """Labels -> int64 indices and the class list.

    Integer labels keep their value as index (``classes = [0 .. max]``); other labels are sorted by name.

    Args:
        labels: raw labels.
        classes: a fixed class list (e.g. from training) to encode evaluation labels with.

    Returns:
        ``(indices, classes)``.

    Raises:
        ValueError: a label not in ``classes``.

    Example:
        >>> idx, classes = encode_labels(["dog", "cat", "dog"])
        >>> idx.tolist(), classes
        ([1, 0, 1], ['cat', 'dog'])
    """
    import numpy as np

    if classes is None:
        uniq = set(labels)
        if all(isinstance(y, int | np.integer) and not isinstance(y, bool) for y in uniq) and min(uniq) >= 0:
            classes = list(range(int(max(uniq)) + 1))
        else:
            classes = sorted(uniq, key=str)
    index = {c: i for i, c in enumerate(classes)}
    missing = sorted({str(y) for y in labels if y not in index})
    if missing:
        raise ValueError(f"labels {missing[:5]} are not among the training classes {list(classes)[:10]}")
    return np.asarray([index[y] for y in labels], dtype=np.int64), list(classes)
