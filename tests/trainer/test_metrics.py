import numpy as np
import pytest

from junco.trainer import box_iou, classification_metrics, mask_iou, retrieval_metrics


def test_classification_metrics_match_sklearn():
    from sklearn.metrics import f1_score, fbeta_score

    y = [0, 0, 1, 1, 2, 2]
    p = [0, 1, 1, 1, 2, 0]
    m = classification_metrics(["accuracy", "precision", "recall", "f1", "fbeta", "confusion_matrix"], y, p,
                               num_classes=3, beta=2.0)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["f1"] == pytest.approx(f1_score(y, p, average="macro"))
    assert m["fbeta"] == pytest.approx(fbeta_score(y, p, beta=2.0, average="macro"))
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_retrieval_recall_at_k_and_map():
    e = np.array([[1.0, 0.0], [0.9, 0.2], [0.0, 1.0], [0.2, 0.9], [0.7, 0.7]])
    labels = [0, 0, 1, 1, 1]
    m = retrieval_metrics(["recall@1", "recall@2", "map"], e, labels)
    assert m["recall@2"] == 1.0 and 0.5 < m["recall@1"] <= 1.0 and 0.5 < m["map"] <= 1.0
    shuffled = retrieval_metrics(["map"], e, [0, 1, 0, 1, 0])
    assert shuffled["map"] < m["map"]


def test_iou_for_boxes_and_masks():
    import torch

    iou = box_iou(torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30]]), torch.tensor([[0.0, 0, 10, 5]]))
    assert iou.shape == (2, 1) and float(iou[0, 0]) == pytest.approx(0.5) and float(iou[1, 0]) == 0.0
    assert mask_iou(np.array([[1, 1], [0, 0]]), np.array([[1, 0], [0, 0]])) == pytest.approx(0.5)
