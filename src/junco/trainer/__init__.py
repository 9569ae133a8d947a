"""Fine-tune model operators (or any torch module) with a careful ML engineer's habits as defaults.

- Data discipline: stratified seeded splits that keep identical items (by content hash) on one side,
  leakage checks against user-given evaluation sets, a k-fold helper.
- Metrics from scikit-learn / torchmetrics; the best checkpoint picked on the validation metric.
- Early stopping, checkpoints and resume, LR warm-up and schedules, clipping, accumulation, mixed
  precision, seeds, DDP under ``torchrun``; CSV + TensorBoard logs; a progress bar per epoch.
- Recipes: classification fine-tuning, metric learning, pseudo-labeling, SimCLR, linear-probe baselines.
- Pictures: training curves, an embedding map, Grad-CAM.

Nothing heavy is imported until used.

Example:
    >>> from junco.trainer import TrainingConfig
    >>> TrainingConfig(batch_size=2, epoch_num=2, output_dir="quick_start_output").epoch_num
    2
"""

from __future__ import annotations

import importlib
from typing import Any

from junco.trainer._config import TrainingConfig, as_config
from junco.trainer._data import Labeled, as_labeled, encode_labels, image_folder
from junco.trainer._groups import (
    Augment,
    BatchNormMode,
    CheckpointConfig,
    ContrastiveConfig,
    ContrastiveLoss,
    DataConfig,
    EvalConfig,
    Freeze,
    Leakage,
    LoggingConfig,
    Mode,
    OptimConfig,
    Optimizer,
    Precision,
    Projection,
    PseudoLabelConfig,
    PseudoLabels,
    Schedule,
    ScheduleConfig,
    Task,
)
from junco.trainer._metrics import (
    METRICS,
    box_iou,
    classification_metrics,
    higher_is_better,
    mask_iou,
    retrieval_metrics,
)
from junco.trainer._result import TrainResult
from junco.trainer._splits import content_hash, find_leaks, kfold, split_dataset

_LAZY = {
    "train_operator": "junco.trainer._api",
    "train_model": "junco.trainer._api",
    "cross_validate": "junco.trainer._api",
    "Trainer": "junco.trainer._loop",
    "seed_everything": "junco.trainer._loop",
    "linear_probe": "junco.trainer._baseline",
    "embed": "junco.trainer._baseline",
    "plot_curves": "junco.trainer._plots",
    "plot_embedding_map": "junco.trainer._plots",
    "grad_cam": "junco.trainer._gradcam",
    "plot_grad_cam": "junco.trainer._gradcam",
}

__all__ = [
    "Augment",
    "BatchNormMode",
    "CheckpointConfig",
    "ContrastiveConfig",
    "ContrastiveLoss",
    "DataConfig",
    "EvalConfig",
    "Freeze",
    "Labeled",
    "Leakage",
    "LoggingConfig",
    "METRICS",
    "Mode",
    "OptimConfig",
    "Optimizer",
    "Precision",
    "Projection",
    "PseudoLabelConfig",
    "PseudoLabels",
    "Schedule",
    "ScheduleConfig",
    "Task",
    "TrainResult",
    "Trainer",
    "TrainingConfig",
    "as_config",
    "as_labeled",
    "box_iou",
    "classification_metrics",
    "content_hash",
    "cross_validate",
    "embed",
    "encode_labels",
    "find_leaks",
    "grad_cam",
    "higher_is_better",
    "image_folder",
    "kfold",
    "linear_probe",
    "mask_iou",
    "plot_curves",
    "plot_embedding_map",
    "plot_grad_cam",
    "retrieval_metrics",
    "seed_everything",
    "split_dataset",
    "train_model",
    "train_operator",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'junco.trainer' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
