"""Baselines on frozen embeddings: logistic regression / linear SVM with a small grid search.

Run one before fine-tuning: if a linear probe on the pretrained embedding is as good, fine-tuning was
not worth it.
"""

from __future__ import annotations

from typing import Any

from junco.trainer._data import Labeled, as_labeled, encode_labels
from junco.trainer._metrics import classification_metrics


def embed(target: Any, dataset: Any, *, batch_size: int = 32, input_key: str | None = None,
          label_key: str | None = None, labeled: bool = True) -> tuple[Any, list[Any]]:
    """Embeddings of a dataset's items as served (operator: its preprocess + backend; module: forward).

    Args:
        target: a ModelOperator or an ``nn.Module`` mapping float tensors to ``(B, D)``.
        dataset: any shape :func:`~junco.trainer.as_labeled` accepts.
        batch_size: items per forward.
        input_key: see :func:`~junco.trainer.as_labeled`.
        label_key: see :func:`~junco.trainer.as_labeled`.
        labeled: False for unlabeled data.

    Returns:
        ``(X (N, D) float32 array, labels)``.
    """
    import numpy as np
    import torch

    from junco.operator import ModelOperator
    from junco.trainer._transforms import TensorTransform

    data = dataset if isinstance(dataset, Labeled) else as_labeled(dataset, input_key=input_key,
                                                                   label_key=label_key, labeled=labeled)
    out = []
    if isinstance(target, ModelOperator):
        target.setup()
        for i in range(0, len(data), batch_size):
            batch = [target.preprocess(data.items[j]) for j in range(i, min(i + batch_size, len(data)))]
            out.append(np.asarray(target.forward(batch), dtype=np.float32))
    else:
        tf = TensorTransform("none")
        dev = next(target.parameters()).device
        was = target.training
        target.eval()
        with torch.inference_mode():
            for i in range(0, len(data), batch_size):
                x = torch.stack([tf(data.items[j]) for j in range(i, min(i + batch_size, len(data)))])
                out.append(target(x.to(dev)).float().cpu().numpy())
        target.train(was)
    return np.concatenate(out), list(data.labels)


def linear_probe(target: Any, train_dataset: Any, eval_dataset: Any = None, *, model: str = "logreg",
                 grid: tuple[float, ...] = (0.01, 0.1, 1.0, 10.0), cv: int = 3, seed: int = 0,
                 metrics: tuple[str, ...] = ("accuracy", "f1")) -> dict[str, Any]:
    """Fit a linear classifier on frozen embeddings; ``C`` chosen by stratified cross-validation.

    Args:
        target: a ModelOperator or ``nn.Module`` (see :func:`embed`), or precomputed ``(X, y)`` arrays.
        train_dataset: labelled data (any accepted shape), or ``None`` with ``target=(X, y)``.
        eval_dataset: held-out labelled data; None splits 20% off ``train_dataset`` (stratified).
        model: ``"logreg"`` (logistic regression) or ``"svm"`` (linear SVM).
        grid: values of the inverse regularization ``C`` to search.
        cv: cross-validation folds on the training set (reduced if a class is smaller).
        seed: split and CV seed.
        metrics: classification metrics on the held-out set.

    Returns:
        ``{"model", "C", "cv_accuracy", **held-out metrics}``.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> X = np.r_[rng.normal(0, 1, (30, 4)), rng.normal(3, 1, (30, 4))]
        >>> r = linear_probe(None, (X, [0] * 30 + [1] * 30))
        >>> r["accuracy"] > 0.9
        True
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    from junco.trainer._splits import split_dataset

    train = as_labeled(train_dataset)
    val = as_labeled(eval_dataset) if eval_dataset is not None else None
    if val is None:
        train, val = split_dataset(train, (0.8, 0.2), seed=seed)
    if target is None:  # items are already embeddings
        xtr, xva = _stack(train), _stack(val)
    else:
        xtr, _ = embed(target, train)
        xva, _ = embed(target, val)
    ytr, classes = encode_labels(train.labels)
    yva, _ = encode_labels(val.labels, classes)
    if model not in ("logreg", "svm"):
        raise ValueError(f"model must be 'logreg' or 'svm', got {model!r}")
    clf = LogisticRegression(max_iter=2000) if model == "logreg" else LinearSVC(dual="auto", max_iter=5000)
    pipe = make_pipeline(StandardScaler(), clf)
    counts = np.bincount(ytr)
    folds = max(2, min(cv, int(counts[counts > 0].min())))
    key = "logisticregression__C" if model == "logreg" else "linearsvc__C"
    search = GridSearchCV(pipe, {key: list(grid)}, cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    search.fit(xtr, ytr)
    pred = search.predict(xva)
    out = {"model": model, "C": search.best_params_[key], "cv_accuracy": float(search.best_score_)}
    out.update(classification_metrics(metrics, yva, pred, num_classes=len(classes)))
    return out


def _stack(data: Labeled) -> Any:
    import numpy as np

    return np.stack([np.asarray(data.items[i], dtype=np.float32).ravel() for i in range(len(data))])
