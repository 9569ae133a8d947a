"""Front doors: :func:`train_operator` (what ``op.train(...)`` calls), :func:`train_model` for any torch
module, and :func:`cross_validate`."""

from __future__ import annotations

import warnings
from typing import Any

from junco.trainer._config import TrainingConfig, as_config
from junco.trainer._data import Labeled, as_labeled
from junco.trainer._result import TrainResult
from junco.trainer._splits import kfold, remove_leaks, split_dataset


def train_operator(op: Any, config: Any = None, *, train_dataset: Any, eval_dataset: Any = None,
                   unlabeled_dataset: Any = None, transform: Any = None, **overrides: Any) -> TrainResult:
    """Fine-tune a junco model operator in place; afterwards it serves the new weights.

    The operator's preprocessing is the evaluation transform and the base of the training transform; its
    served embedding is what is trained (through its own classifier, or a temporary head). When training
    ends the best weights are kept, ``op.invalidate()`` refreshes its fingerprint and backend, and the same
    operator object works unchanged in the pipelines that hold it.

    Args:
        op: a :class:`~junco.operator.ModelOperator` (e.g. ``ops.image_embedding.timm(...)``).
        config: a :class:`TrainingConfig`, a dict, or a YAML / JSON path (default settings if None).
        train_dataset: labelled data in any accepted shape (see :func:`as_labeled`).
        eval_dataset: validation data; None holds out ``val_fraction`` of ``train_dataset`` (stratified).
        unlabeled_dataset: turns classification into pseudo-labeling (see :class:`PseudoLabelConfig`).
        transform: override of the training item transform.
        **overrides: flat config options (``lr=``, ``epoch_num=``...).

    Returns:
        A :class:`TrainResult`.

    Example:
        >>> from junco import ops  # doctest: +SKIP
        >>> op = ops.image_embedding.timm(model_name="efficientnet_lite0", num_classes=3)  # doctest: +SKIP
        >>> op.train(TrainingConfig(batch_size=8, epoch_num=2), train_dataset="photos/")  # doctest: +SKIP
    """
    from junco.trainer._parts import parts_of

    cfg = as_config(config, **overrides)
    op.setup()
    if cfg.device is None:
        cfg = cfg.replace(device=op.device)
    try:
        result = _run(parts_of(op, transform=transform), cfg, train_dataset, eval_dataset, unlabeled_dataset)
    finally:
        op.model.to(op.device).eval()
        op.inference_module().eval()
        op.invalidate()
    return result


def train_model(model: Any, config: Any = None, *, train_dataset: Any, eval_dataset: Any = None,
                unlabeled_dataset: Any = None, transform: Any = None, eval_transform: Any = None,
                **overrides: Any) -> TrainResult:
    """Train any torch module with the same loop, splits, metrics, checkpoints and logs.

    ``model`` maps a batch to ``(B, D)`` embeddings; for classification a linear head is added (a timm
    model's own classifier is used instead). Items are turned into float tensors unless ``transform`` /
    ``eval_transform`` say otherwise.

    Args:
        model: an ``nn.Module``.
        config: see :func:`train_operator`.
        train_dataset: see :func:`train_operator`.
        eval_dataset: see :func:`train_operator`.
        unlabeled_dataset: see :func:`train_operator`.
        transform: training item transform (raw item -> tensor).
        eval_transform: evaluation item transform.
        **overrides: flat config options.

    Returns:
        A :class:`TrainResult`; ``result.trainer.task.net`` holds the trained head too.

    Example:
        >>> import numpy as np, torch
        >>> X, y = np.random.default_rng(0).normal(size=(40, 4)).astype("float32"), [0, 1] * 20
        >>> r = train_model(torch.nn.Linear(4, 8), train_dataset=(X, y), epoch_num=1, batch_size=8,
        ...                 output_dir=__import__("tempfile").mkdtemp(), plots=False, tensorboard=False)
        >>> r.epochs_run
        1
    """
    from junco.trainer._parts import parts_of

    parts = parts_of(model, transform=transform, eval_transform=eval_transform)
    return _run(parts, as_config(config, **overrides), train_dataset, eval_dataset, unlabeled_dataset)


def _run(parts: Any, cfg: TrainingConfig, train_dataset: Any, eval_dataset: Any, unlabeled_dataset: Any
         ) -> TrainResult:
    from junco.trainer._loop import Trainer, seed_everything
    from junco.trainer._tasks import TASKS, PseudoLabelTask

    d = cfg.data
    ssl = cfg.task.value == "self_supervised"
    train = as_labeled(train_dataset, input_key=d.input_key, label_key=d.label_key, labeled=not ssl)
    val: Labeled | None = None
    if eval_dataset is not None:
        val = _maybe_labeled(eval_dataset, d, required=not ssl)
    elif d.val_fraction > 0:
        train, val = split_dataset(train, (1 - d.val_fraction, d.val_fraction), seed=cfg.seed,
                                   stratify=d.stratify and not ssl)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dropped = 0
        if eval_dataset is not None and val is not None:
            train, dropped = remove_leaks(train, [val], d.leakage.value)
        unl = None
        if unlabeled_dataset is not None:
            unl = as_labeled(unlabeled_dataset, input_key=d.input_key, labeled=False)
            unl, _ = remove_leaks(unl, [v for v in (val,) if v is not None], d.leakage.value)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)
    if unl is not None and ssl:
        raise ValueError("task='self_supervised' trains on train_dataset alone; unlabeled_dataset= is for "
                         "pseudo-labeling")
    cls = PseudoLabelTask if unl is not None else TASKS[cfg.task.value]
    task = cls(parts, cfg)
    task.notes += [str(w.message) for w in caught]
    seed_everything(cfg.seed)  # new heads start from the same weights for the same seed
    task.build(train, _embedding_dim(parts, train))
    flags = [(p, p.requires_grad) for p in parts.model.parameters()]
    try:
        result = Trainer(task, cfg, train=train, val=val, unlabeled=unl).fit()
    finally:  # freeze="backbone" turned these off for the run
        for p, flag in flags:
            p.requires_grad_(flag)
    result.splits = {"train": len(train), "val": len(val) if val is not None else 0,
                     "unlabeled": len(unl) if unl is not None else 0, "dropped_duplicates": dropped}
    if result.trainer.dist.is_main:
        cfg.save(result.output_dir / "config.yaml")
        if cfg.logging.plots:
            from junco.trainer._plots import write_run_plots

            result.plots = write_run_plots(result, parts)
    for note in result.notes:
        if parts.op is not None:
            parts.op.note(f"training: {note}")
    return result


def _maybe_labeled(data: Any, d: Any, *, required: bool) -> Labeled:
    try:
        return as_labeled(data, input_key=d.input_key, label_key=d.label_key)
    except ValueError:
        if required:
            raise
        return as_labeled(data, input_key=d.input_key, labeled=False)


def _embedding_dim(parts: Any, train: Labeled) -> int:
    import torch

    if parts.op is not None and getattr(parts.op, "dim", None):
        return int(parts.op.dim)
    x = parts.eval_transform(train.items[0])
    was = parts.embedder.training
    parts.embedder.eval()
    with torch.no_grad():
        dev = next(parts.embedder.parameters()).device
        out = parts.embedder(x.unsqueeze(0).to(dev) if hasattr(x, "unsqueeze") else x)
    parts.embedder.train(was)
    return int(out.shape[-1])


def cross_validate(make_target: Any, config: Any = None, *, dataset: Any, k: int = 5, **overrides: Any
                   ) -> dict[str, Any]:
    """k-fold cross-validation: a fresh model per fold (``make_target()``), stratified leak-free folds.

    Args:
        make_target: zero-argument callable returning a new operator or ``nn.Module`` for each fold.
        config: see :func:`train_operator`; each fold writes to ``output_dir/fold_<i>``.
        dataset: labelled data in any accepted shape.
        k: number of folds.
        **overrides: flat config options.

    Returns:
        ``{"folds": [TrainResult...], "mean": {metric: mean}, "std": {metric: std}}`` over the folds'
        best epochs.
    """
    import numpy as np

    from junco.operator import ModelOperator

    cfg = as_config(config, **overrides)
    results = []
    for i, (tr, va) in enumerate(kfold(dataset, k, seed=cfg.seed, stratify=cfg.data.stratify)):
        fold_cfg = cfg.replace(output_dir=f"{cfg.checkpointing.output_dir}/fold_{i}")
        target = make_target()
        fn = train_operator if isinstance(target, ModelOperator) else train_model
        results.append(fn(target, fold_cfg, train_dataset=tr, eval_dataset=va))
    keys = [key for key, v in results[0].history[-1].items() if key.startswith("val/") and isinstance(v, float)]
    vals = {key: [r.metric(key) for r in results] for key in keys}
    return {"folds": results, "mean": {key: float(np.mean(v)) for key, v in vals.items()},
            "std": {key: float(np.std(v)) for key, v in vals.items()}}
