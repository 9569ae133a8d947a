"""The groups of :class:`~junco.trainer.TrainingConfig`: small frozen dataclasses with enums for modes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any


class Task(str, Enum):
    """What is trained: a classifier (new head), an embedding for retrieval, or self-supervised features."""

    CLASSIFICATION = "classification"
    METRIC_LEARNING = "metric_learning"
    SELF_SUPERVISED = "self_supervised"


class Optimizer(str, Enum):
    """The optimizer (AdamW by default: decoupled weight decay)."""

    ADAMW = "adamw"
    ADAM = "adam"
    SGD = "sgd"


class Precision(str, Enum):
    """``auto``: bf16 autocast on a GPU that supports it, fp32 elsewhere (bf16 is slower on most CPUs)."""

    AUTO = "auto"
    FP32 = "fp32"
    BF16 = "bf16"
    FP16 = "fp16"


class Schedule(str, Enum):
    """Learning-rate shape after the warm-up."""

    CONSTANT = "constant"
    COSINE = "cosine"
    LINEAR = "linear"
    STEP = "step"


class Freeze(str, Enum):
    """``backbone``: train only the head (a linear probe trained by SGD); ``none``: everything."""

    NONE = "none"
    BACKBONE = "backbone"


class BatchNormMode(str, Enum):
    """``auto``: freeze BatchNorm statistics when batches are small (< 16), where they would be noise."""

    AUTO = "auto"
    TRAIN = "train"
    FROZEN = "frozen"


class Leakage(str, Enum):
    """What to do when an item of the evaluation set is byte-identical to a training item."""

    DROP = "drop"    # remove it from the training set, and say so
    ERROR = "error"
    WARN = "warn"


class Augment(str, Enum):
    """Image augmentation on top of the model's own preprocessing."""

    NONE = "none"
    LIGHT = "light"      # random resized crop (scale 0.6-1), flip, mild colour jitter
    STRONG = "strong"    # timm RandAugment, crop scale 0.08-1


class Mode(str, Enum):
    """Whether the monitored metric should go up or down."""

    AUTO = "auto"  # "min" for losses and errors, "max" for everything else
    MIN = "min"
    MAX = "max"


class PseudoLabels(str, Enum):
    """Hard (argmax) or soft (sharpened distribution) pseudo-labels."""

    HARD = "hard"  # argmax class (Lee 2013)
    SOFT = "soft"  # the predicted distribution, sharpened by a temperature


class ContrastiveLoss(str, Enum):
    """Losses for metric learning and self-supervision."""

    INFONCE = "infonce"          # supervised InfoNCE, in-batch negatives
    TRIPLET = "triplet"          # batch-all triplet
    CONTRASTIVE = "contrastive"  # pairwise margin loss
    NTXENT = "ntxent"            # SimCLR: two views of one item are the only positive


class Projection(str, Enum):
    """2-D projection of the embedding map."""

    TSNE = "tsne"
    UMAP = "umap"
    PCA = "pca"
    NONE = "none"


class _Group:
    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            value, default = getattr(self, f.name), f.default
            if isinstance(default, Enum) and not isinstance(value, type(default)):
                object.__setattr__(self, f.name, type(default)(value))
            elif isinstance(default, tuple) and isinstance(value, list | tuple):
                object.__setattr__(self, f.name, tuple(value))
        self.validate()

    def validate(self) -> None:
        """Raise ``ValueError`` on values that cannot work."""


def _positive(obj: Any, *names: str) -> None:
    for n in names:
        v = getattr(obj, n)
        if v is not None and v <= 0:
            raise ValueError(f"{n} must be > 0, got {v}")


@dataclass(frozen=True)
class OptimConfig(_Group):
    """Optimizer and update rules.

    Args:
        optimizer: ``"adamw"``, ``"adam"`` or ``"sgd"``.
        lr: learning rate of the head; the backbone gets ``lr * backbone_lr_scale``.
        weight_decay: decoupled weight decay (not applied to biases and norm layers).
        momentum: SGD momentum.
        backbone_lr_scale: pretrained layers move slower than the new head.
        grad_clip_norm: clip the global gradient norm (None: no clipping).
        grad_accum_steps: optimizer step every N batches (effective batch = N x batch_size).
        precision: ``"auto"``, ``"fp32"``, ``"bf16"``, ``"fp16"`` (autocast; fp16 uses a grad scaler).
        label_smoothing: for the classification cross-entropy.
        freeze: ``"none"`` or ``"backbone"``.
        batchnorm: ``"auto"``, ``"train"`` or ``"frozen"``.
    """

    optimizer: Optimizer = Optimizer.ADAMW
    lr: float = 1e-3
    weight_decay: float = 0.01
    momentum: float = 0.9
    backbone_lr_scale: float = 0.1
    grad_clip_norm: float | None = 1.0
    grad_accum_steps: int = 1
    precision: Precision = Precision.AUTO
    label_smoothing: float = 0.0
    freeze: Freeze = Freeze.NONE
    batchnorm: BatchNormMode = BatchNormMode.AUTO

    def validate(self) -> None:
        _positive(self, "lr", "grad_accum_steps", "grad_clip_norm")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")


@dataclass(frozen=True)
class ScheduleConfig(_Group):
    """Epochs, learning-rate schedule with warm-up, early stopping.

    Args:
        epoch_num: maximum number of epochs.
        lr_schedule: ``"cosine"``, ``"linear"``, ``"step"`` or ``"constant"`` after the warm-up.
        warmup_epochs: linear warm-up from 0, in epochs (fractions allowed).
        min_lr_ratio: the cosine/linear floor as a fraction of ``lr``.
        step_epochs: for ``"step"``: multiply by ``step_gamma`` every ``step_epochs``.
        step_gamma: see ``step_epochs``.
        patience: stop after this many evaluations without improvement (None: never stop early).
        min_delta: the smallest change of the monitored metric that counts as an improvement.
        max_steps_per_epoch: cap batches per epoch (quick experiments); None: the whole set.
    """

    epoch_num: int = 10
    lr_schedule: Schedule = Schedule.COSINE
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.0
    step_epochs: int = 10
    step_gamma: float = 0.1
    patience: int | None = 5
    min_delta: float = 0.0
    max_steps_per_epoch: int | None = None

    def validate(self) -> None:
        _positive(self, "epoch_num", "step_epochs", "patience", "max_steps_per_epoch")
        if self.warmup_epochs < 0 or self.min_delta < 0:
            raise ValueError("warmup_epochs and min_delta must be >= 0")


@dataclass(frozen=True)
class CheckpointConfig(_Group):
    """Where runs write, what "best" means, resuming.

    Args:
        output_dir: checkpoints, ``metrics.csv``, TensorBoard events and plots go here.
        monitor: validation metric that picks the best checkpoint and drives early stopping; None: the
            task's default (``accuracy``, ``recall@1``, or ``loss`` for self-supervised runs).
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_last: write ``checkpoints/last.pt`` every epoch (what resume reads).
        save_best: write ``checkpoints/best.pt`` on every improvement.
        restore_best: load the best weights into the model when training ends.
        resume: ``True`` to continue from ``output_dir/checkpoints/last.pt`` when it exists, or a path.
    """

    output_dir: str = "junco_train"
    monitor: str | None = None
    mode: Mode = Mode.AUTO
    save_last: bool = True
    save_best: bool = True
    restore_best: bool = True
    resume: bool | str = False


@dataclass(frozen=True)
class LoggingConfig(_Group):
    """Logs and pictures written to ``output_dir``.

    Args:
        csv: one row per epoch in ``metrics.csv``.
        tensorboard: TensorBoard events under ``tensorboard/`` (needs the ``tensorboard`` package).
        progress_bar: a bar per epoch (only on a terminal).
        plots: ``curves.png``, ``embedding_map.png`` and, for image models, ``gradcam.png``.
        embedding_map: ``"tsne"``, ``"umap"`` (if installed), ``"pca"`` or ``"none"``.
        gradcam_images: validation images shown in ``gradcam.png``.
        log_every_n_steps: step-level scalars to TensorBoard every N optimizer steps.
    """

    csv: bool = True
    tensorboard: bool = True
    progress_bar: bool = True
    plots: bool = True
    embedding_map: Projection = Projection.TSNE
    gradcam_images: int = 4
    log_every_n_steps: int = 10


@dataclass(frozen=True)
class DataConfig(_Group):
    """Batching, splits, leakage policy, augmentation.

    Args:
        batch_size: training batch size.
        eval_batch_size: evaluation batch size (default ``2 x batch_size``).
        val_fraction: held out of the training set (stratified, seeded) when no ``eval_dataset`` is given.
        stratify: keep class proportions in splits.
        leakage: ``"drop"``, ``"error"`` or ``"warn"`` for evaluation items identical to training items.
        augment: ``"none"``, ``"light"`` or ``"strong"`` (images); on top of the model's preprocessing.
        num_workers: DataLoader worker processes.
        input_key: field holding the input in dict rows (default: ``image``/``path``/``text``/``x``...).
        label_key: field holding the label in dict rows (default ``label``).
        drop_last: drop a last incomplete training batch (BatchNorm dislikes batches of one).
    """

    batch_size: int = 16
    eval_batch_size: int | None = None
    val_fraction: float = 0.2
    stratify: bool = True
    leakage: Leakage = Leakage.DROP
    augment: Augment = Augment.LIGHT
    num_workers: int = 0
    input_key: str | None = None
    label_key: str | None = None
    drop_last: bool = True

    def validate(self) -> None:
        _positive(self, "batch_size", "eval_batch_size")
        if not 0.0 <= self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


@dataclass(frozen=True)
class EvalConfig(_Group):
    """Validation metrics (computed with scikit-learn / torchmetrics).

    Args:
        metrics: names from :data:`junco.trainer.METRICS` (``accuracy``, ``precision``, ``recall``,
            ``f1``, ``fbeta``, ``confusion_matrix``, ``recall@k``, ``map``...). ``loss`` is always logged.
        average: ``"macro"``, ``"micro"`` or ``"weighted"`` for precision / recall / F-scores.
        beta: the beta of ``fbeta``.
        initial_eval: evaluate before training: the untrained baseline (epoch 0 in the history).
    """

    metrics: tuple[str, ...] = ("accuracy", "f1")
    average: str = "macro"
    beta: float = 2.0
    initial_eval: bool = True

    def validate(self) -> None:
        if self.average not in ("macro", "micro", "weighted"):
            raise ValueError(f"average must be macro, micro or weighted, got {self.average!r}")


@dataclass(frozen=True)
class PseudoLabelConfig(_Group):
    """Pseudo-labeling (Lee 2013) with the usual guards against confirmation bias.

    Args:
        alpha_final: weight of the unlabeled loss after the ramp (Lee: 3).
        ramp_start: fraction of training before which the unlabeled weight is 0 (Lee's T1).
        ramp_end: fraction of training at which the weight reaches ``alpha_final`` (Lee's T2).
        threshold: ignore unlabeled items whose top probability is below this.
        pseudo_labels: ``"hard"`` (argmax) or ``"soft"`` (sharpened distribution).
        sharpen_temperature: temperature of soft labels (< 1 sharpens).
        mixup_alpha: mixup between labeled and pseudo-labeled items (Arazo et al. 2019); 0 disables.
        pseudo_label_smoothing: smoothing of the hard pseudo-labels.
        unlabeled_ratio: unlabeled items per labeled item in a step.
    """

    alpha_final: float = 3.0
    ramp_start: float = 0.1
    ramp_end: float = 0.6
    threshold: float = 0.7
    pseudo_labels: PseudoLabels = PseudoLabels.HARD
    sharpen_temperature: float = 0.5
    mixup_alpha: float = 0.0
    pseudo_label_smoothing: float = 0.1
    unlabeled_ratio: int = 1

    def validate(self) -> None:
        if not 0.0 <= self.ramp_start <= self.ramp_end <= 1.0:
            raise ValueError("need 0 <= ramp_start <= ramp_end <= 1 (fractions of training)")
        _positive(self, "sharpen_temperature", "unlabeled_ratio")


@dataclass(frozen=True)
class ContrastiveConfig(_Group):
    """Metric learning and SimCLR-style self-supervision.

    Args:
        loss: ``"infonce"``, ``"triplet"``, ``"contrastive"`` or ``"ntxent"``.
        temperature: softmax temperature of InfoNCE / NT-Xent.
        margin: margin of the triplet and contrastive losses (cosine distance).
        projection_dim: output size of the projection head used during self-supervised training
            (discarded afterwards: the embedding below it is what transfers).
        projection_hidden: hidden size of that head.
    """

    loss: ContrastiveLoss = ContrastiveLoss.INFONCE
    temperature: float = 0.1
    margin: float = 0.2
    projection_dim: int = 128
    projection_hidden: int = 512

    def validate(self) -> None:
        _positive(self, "temperature", "projection_dim", "projection_hidden")


def to_plain(obj: Any) -> Any:
    """Dataclasses -> dicts, enums -> values, tuples -> lists (JSON/YAML-ready)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, list | tuple):
        return [to_plain(v) for v in obj]
    return obj


def from_plain(cls: type, data: dict[str, Any]) -> Any:
    """Build group ``cls`` from a plain dict; an unknown key raises ``TypeError`` naming the known ones."""
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise TypeError(f"{cls.__name__} has no option(s) {sorted(unknown)}; known: {sorted(known)}")
    return cls(**data)
