"""Validation metrics, computed by scikit-learn and torchmetrics (never re-implemented here).

Classification: ``accuracy``, ``balanced_accuracy``, ``precision``, ``recall``, ``f1``, ``fbeta``,
``confusion_matrix``. Embeddings: ``recall@K`` (hit rate: a same-label item among the K nearest,
leave-one-out over the validation set) and ``map`` (mean average precision of that ranking). Boxes and
masks: :func:`box_iou`, :func:`mask_iou`. ``loss`` is reported by every task.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

CLASSIFICATION = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "fbeta", "confusion_matrix")
RETRIEVAL = ("recall@k", "map")
METRICS = CLASSIFICATION + RETRIEVAL
_RECALL_AT = re.compile(r"recall@(\d+)$")


def check_metric_names(names: Sequence[str]) -> None:
    """Raise ``ValueError`` for an unknown metric name.

    Example:
        >>> check_metric_names(["accuracy", "recall@5"])
    """
    for n in names:
        if n != "loss" and n not in CLASSIFICATION and n != "map" and not _RECALL_AT.match(n):
            raise ValueError(f"unknown metric {n!r}; known: loss, {', '.join(METRICS)} (recall@K with K an int)")


def higher_is_better(name: str) -> bool:
    """False for losses and errors.

    Example:
        >>> higher_is_better("loss"), higher_is_better("accuracy")
        (False, True)
    """
    return not (name.endswith("loss") or name.endswith("error"))


def classification_metrics(names: Sequence[str], labels: Any, preds: Any, *, num_classes: int,
                           average: str = "macro", beta: float = 2.0) -> dict[str, Any]:
    """Classification metrics from true and predicted class indices.

    Args:
        names: which metrics (others in ``names`` are ignored).
        labels: true class indices.
        preds: predicted class indices.
        num_classes: size of the confusion matrix.
        average: ``macro`` / ``micro`` / ``weighted`` for precision, recall and F-scores.
        beta: the beta of ``fbeta``.

    Returns:
        ``{name: float}``; ``confusion_matrix`` is a list of lists (rows: true class).

    Example:
        >>> classification_metrics(["accuracy", "f1"], [0, 1, 1], [0, 1, 0], num_classes=2)
        {'accuracy': 0.6666666666666666, 'f1': 0.6666666666666666}
    """
    from sklearn import metrics as m

    out: dict[str, Any] = {}
    present = list(range(num_classes))
    kw = {"average": average, "zero_division": 0, "labels": present}
    for n in names:
        if n == "accuracy":
            out[n] = float(m.accuracy_score(labels, preds))
        elif n == "balanced_accuracy":
            out[n] = float(m.balanced_accuracy_score(labels, preds))
        elif n == "precision":
            out[n] = float(m.precision_score(labels, preds, **kw))
        elif n == "recall":
            out[n] = float(m.recall_score(labels, preds, **kw))
        elif n == "f1":
            out[n] = float(m.f1_score(labels, preds, **kw))
        elif n == "fbeta":
            out[n] = float(m.fbeta_score(labels, preds, beta=beta, **kw))
        elif n == "confusion_matrix":
            out[n] = m.confusion_matrix(labels, preds, labels=present).tolist()
    return out


def retrieval_metrics(names: Sequence[str], embeddings: Any, labels: Any) -> dict[str, float]:
    """``recall@K`` and ``map`` of leave-one-out cosine retrieval among ``embeddings``.

    Args:
        names: e.g. ``["recall@1", "recall@5", "map"]``.
        embeddings: ``(N, D)`` array or tensor.
        labels: ``N`` labels; items with the same label are relevant to each other.

    Returns:
        ``{name: float}`` (queries without any relevant item are skipped).

    Example:
        >>> import numpy as np
        >>> e = np.array([[1.0, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
        >>> retrieval_metrics(["recall@1", "map"], e, [0, 0, 1, 1])
        {'recall@1': 1.0, 'map': 1.0}
    """
    import numpy as np
    import torch

    wanted = [n for n in names if n == "map" or _RECALL_AT.match(n)]
    if not wanted:
        return {}
    from torchmetrics.retrieval import RetrievalHitRate, RetrievalMAP

    e = torch.nn.functional.normalize(torch.as_tensor(np.asarray(embeddings), dtype=torch.float32), dim=1)
    y = torch.as_tensor(np.asarray([hash(str(v)) for v in labels]))
    n = len(e)
    sim = e @ e.T
    off = ~torch.eye(n, dtype=torch.bool)
    preds = sim[off]
    target = (y[:, None] == y[None, :])[off]
    indexes = torch.arange(n)[:, None].expand(n, n)[off]
    out: dict[str, float] = {}
    for name in wanted:
        match = _RECALL_AT.match(name)
        metric: Any = (RetrievalHitRate(top_k=int(match.group(1)), empty_target_action="skip") if match
                       else RetrievalMAP(empty_target_action="skip"))
        out[name] = float(metric(preds, target, indexes=indexes))
    return out


def box_iou(pred: Any, target: Any) -> Any:
    """Pairwise IoU of boxes ``(N, 4)`` and ``(M, 4)`` in ``xyxy`` (torchmetrics).

    Returns:
        An ``(N, M)`` tensor.

    Example:
        >>> import torch
        >>> float(box_iou(torch.tensor([[0., 0, 10, 10]]), torch.tensor([[0., 0, 10, 5]]))[0, 0])
        0.5
    """
    import torch
    from torchmetrics.functional.detection import intersection_over_union

    return intersection_over_union(torch.as_tensor(pred, dtype=torch.float32),
                                   torch.as_tensor(target, dtype=torch.float32), aggregate=False)


def mask_iou(pred: Any, target: Any, *, average: str = "binary") -> float:
    """IoU (Jaccard index) of segmentation masks (scikit-learn), flattened over pixels.

    Args:
        pred: predicted mask (bool or class ids).
        target: true mask, same shape.
        average: ``"binary"`` for bool masks; ``"macro"`` / ``"micro"`` for class-id masks.

    Example:
        >>> import numpy as np
        >>> mask_iou(np.array([[1, 1], [0, 0]]), np.array([[1, 0], [0, 0]]))
        0.5
    """
    import numpy as np
    from sklearn.metrics import jaccard_score

    return float(jaccard_score(np.asarray(target).ravel(), np.asarray(pred).ravel(), average=average,
                               zero_division=0))
