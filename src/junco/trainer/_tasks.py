"""The recipes as tasks: what a training step computes and what an evaluation collects.

A task owns ``net`` (an ``nn.Module``: embedder plus whatever head the recipe adds), the item
datasets, the loss, and the metrics; :class:`~junco.trainer.Trainer` owns everything else (device,
precision, accumulation, schedule, checkpoints, logs). Imports torch at module import.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from junco.trainer import _losses as L
from junco.trainer._data import Labeled, encode_labels
from junco.trainer._metrics import RETRIEVAL, check_metric_names, classification_metrics, retrieval_metrics
from junco.trainer._nets import ClassifierNet, EmbedNet, ProjectionNet
from junco.trainer._transforms import TwoViews


class ItemDataset(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """``(transform(item), target)`` rows over a :class:`~junco.trainer.Labeled`'s items."""

    def __init__(self, items: Any, targets: Any, transform: Any):
        self.items, self.targets, self.transform = items, targets, transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, i: int) -> Any:
        item = self.items[i]
        try:
            x = self.transform(item)
        except Exception as e:
            raise type(e)(f"item {i} ({str(item)[:80]!r}): {e}") from e
        return x, int(self.targets[i])


class BaseTask:
    """Shared plumbing. Subclasses set ``net``, ``new_modules`` and implement ``loss`` / ``metrics``."""

    default_monitor = "loss"
    default_metrics: tuple[str, ...] = ()

    def __init__(self, parts: Any, config: Any):
        self.parts, self.config = parts, config
        self.classes: list[Any] = []
        self.net: nn.Module = nn.Identity()
        self.new_modules: list[nn.Module] = []
        self.notes: list[str] = list(parts.notes)
        names = [m for m in config.evaluation.metrics if m in self.valid_metrics()]
        self.metric_names = tuple(names) or self.default_metrics
        check_metric_names(self.metric_names)

    def valid_metrics(self) -> set[str]:
        return set(self.config.evaluation.metrics)

    def build(self, train: Labeled, dim: int) -> None:
        """Fit the label encoding on ``train`` and assemble ``net`` around an embedding of size ``dim``."""
        raise NotImplementedError

    def targets(self, data: Labeled, *, fit: bool) -> Any:
        if data.labels and data.labels[0] is None:
            return [-1] * len(data)
        idx, classes = encode_labels(data.labels, None if fit else self.classes)
        if fit:
            self.classes = classes
        return idx

    def dataset(self, data: Labeled, *, train: bool) -> Any:
        """A torch dataset of ``(input, target)`` for training (augmented) or evaluation."""
        aug = self.config.data.augment.value if train else "none"
        tf = self.parts.train_transform(aug) if train else self.parts.eval_transform
        return ItemDataset(data.items, self.targets(data, fit=False), tf)

    def loss(self, net: nn.Module, batch: Any, ctx: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        raise NotImplementedError

    def eval_step(self, net: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        """Per-batch outputs to collect: ``loss`` (summed), ``emb``, ``labels`` and maybe ``logits``."""
        x, y = batch
        logits, emb = net(x)
        out = {"emb": emb.float(), "labels": y}
        if logits is not None:
            out["logits"] = logits.float()
        out["loss"] = self.batch_loss(logits, emb, y) * len(y)
        return out

    def batch_loss(self, logits: Any, emb: Any, y: Any) -> torch.Tensor:
        raise NotImplementedError

    def metrics(self, collected: dict[str, torch.Tensor]) -> dict[str, Any]:
        """Epoch metrics from everything :meth:`eval_step` returned, concatenated."""
        n = max(len(collected["labels"]), 1)
        out: dict[str, Any] = {"loss": float(collected["loss"].sum()) / n}
        labels = collected["labels"].numpy()
        if (labels >= 0).all() and len(set(labels.tolist())) > 1:
            out.update(retrieval_metrics(self.metric_names, collected["emb"].numpy(), labels))
        return out


class ClassificationTask(BaseTask):
    """Supervised fine-tuning: cross-entropy through a classifier on the served embedding.

    The model's own classifier is used when it sits on that embedding (timm pre-logits); otherwise a new
    linear head is added for training (the embedding below it is what improves and is served).
    """

    default_monitor = "accuracy"
    default_metrics = ("accuracy", "f1")

    def valid_metrics(self) -> set[str]:
        return set(self.config.evaluation.metrics)

    def build(self, train: Labeled, dim: int) -> None:
        self.targets(train, fit=True)
        k = len(self.classes)
        head = self._own_head(k)
        if head is None:
            head = nn.Linear(dim, k)
            _init_head(head)
            self.notes.append(f"a new linear head ({dim} -> {k}) is trained on the served embedding and "
                              "dropped afterwards; the embedding is what the operator keeps")
        self.new_modules.append(head)
        self.net = ClassifierNet(self.parts.embedder, head)

    def _own_head(self, k: int) -> Any:
        p = self.parts
        if p.classifier is None:
            return None
        asked = getattr(p.op, "num_classes", None) if p.op is not None else None
        if p.num_outputs == k or (asked is not None and p.num_outputs >= k):
            if p.num_outputs > k:
                self.notes.append(f"the model has {p.num_outputs} outputs and the data {k} classes; "
                                  f"outputs {k}..{p.num_outputs - 1} are never a target")
            if _head_is_fresh(p.op):
                _init_head(p.classifier)
            return p.classifier
        if asked is not None:
            raise ValueError(f"the data has {k} classes but the operator was built with num_classes={asked}; "
                             f"build it with num_classes={k} (or None to size the head from the data)")
        p.model.reset_classifier(k)
        p.classifier, p.num_outputs = p.model.get_classifier(), k
        _init_head(p.classifier)
        self.notes.append(f"classifier re-initialized with {k} outputs (was sized for another label set)")
        return p.classifier

    def loss(self, net: nn.Module, batch: Any, ctx: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        x, y = batch
        logits, emb = net(x)
        return self.batch_loss(logits, emb, y), {}

    def batch_loss(self, logits: Any, emb: Any, y: Any) -> torch.Tensor:
        return F.cross_entropy(logits.float(), y, label_smoothing=self.config.optimization.label_smoothing)

    def metrics(self, collected: dict[str, torch.Tensor]) -> dict[str, Any]:
        out = super().metrics(collected)
        k = len(self.classes)
        preds = collected["logits"][:, :k].argmax(1).numpy()
        ev = self.config.evaluation
        out.update(classification_metrics(self.metric_names, collected["labels"].numpy(), preds, num_classes=k,
                                          average=ev.average, beta=ev.beta))
        return out


def _init_head(head: nn.Module) -> None:
    """torch's fan-in scaled init: a new head starts near-uniform instead of confidently wrong (timm's
    EfficientNet init scales by fan-out, 1/sqrt(num_classes), which gives logits in the tens on
    pretrained features when there are few classes)."""
    if isinstance(head, nn.Linear):
        head.reset_parameters()


def _head_is_fresh(op: Any) -> bool:
    """Was the operator's classifier randomly initialized at load (size differs from the checkpoint)?"""
    if op is None:
        return False
    flag = getattr(op, "head_is_fresh", None)  # an operator may say so explicitly
    if flag is not None:
        return bool(flag() if callable(flag) else flag)
    return any("re-initialized" in w for w in getattr(op, "warnings", []))


class PseudoLabelTask(ClassificationTask):
    """Pseudo-labeling (Lee 2013): labeled CE + alpha(t) x CE on the model's own confident predictions
    for unlabeled items; alpha ramps from 0; hard or soft labels; optional mixup and smoothing."""

    def alpha(self, progress: float) -> float:
        """Lee's schedule: 0 before ``ramp_start``, linear up to ``alpha_final`` at ``ramp_end``."""
        pl = self.config.pseudo_label
        if progress < pl.ramp_start:
            return 0.0
        if progress >= pl.ramp_end or pl.ramp_end == pl.ramp_start:
            return pl.alpha_final
        return pl.alpha_final * (progress - pl.ramp_start) / (pl.ramp_end - pl.ramp_start)

    def loss(self, net: nn.Module, batch: Any, ctx: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        pl, k = self.config.pseudo_label, len(self.classes)
        x_l, y_l = batch
        unl = ctx.get("unlabeled")
        alpha = self.alpha(ctx["progress"])
        if unl is None or alpha == 0.0:
            loss, logs = super().loss(net, batch, ctx)
            return loss, {"pseudo/alpha": alpha}
        x_u = unl[0]
        n_l, n_u = len(y_l), len(unl[1])
        if not isinstance(x_l, torch.Tensor):  # e.g. (token ids, mask): no concatenation, no mixup
            if pl.mixup_alpha > 0:
                raise ValueError("mixup needs tensor inputs; set mixup_alpha=0 for this model")
            return self._separate(net, x_l, y_l, x_u, alpha, k)
        t_l = L.smooth_one_hot(y_l, k, self.config.optimization.label_smoothing)
        if pl.mixup_alpha > 0:  # labels from a clean forward, then one forward on the mixed batch
            with torch.no_grad():
                probs = torch.softmax(net(x_u)[0][:, :k].float(), 1)
        else:  # Lee's form: one forward, targets from the detached unlabeled logits
            logits, _ = net(torch.cat([x_l, x_u]))
            probs = torch.softmax(logits[n_l:, :k].detach().float(), 1)
        conf, hard = probs.max(1)
        mask = (conf >= pl.threshold).float()
        if pl.pseudo_labels.value == "hard":
            t_u = L.smooth_one_hot(hard, k, pl.pseudo_label_smoothing)
        else:
            t_u = torch.softmax(torch.log(probs.clamp_min(1e-8)) / pl.sharpen_temperature, 1)
        weight = torch.cat([torch.full((n_l,), 1.0 / n_l, device=x_l.device), alpha * mask / n_u])
        target = torch.cat([t_l, t_u])
        if pl.mixup_alpha > 0:
            x, target, mixed = L.mixup(torch.cat([x_l, x_u]), target, pl.mixup_alpha, weight)
            weight = mixed if mixed is not None else weight
            logits, _ = net(x)
        full = torch.zeros(len(target), logits.shape[1], device=target.device)
        full[:, :k] = target
        per_item = -(full * torch.log_softmax(logits.float(), 1)).sum(1)
        loss = (per_item * weight).sum()
        return loss, {"pseudo/alpha": alpha, "pseudo/mask_rate": float(mask.mean())}

    def _separate(self, net: nn.Module, x_l: Any, y_l: Any, x_u: Any, alpha: float, k: int) -> Any:
        pl = self.config.pseudo_label
        sup = self.batch_loss(net(x_l)[0], None, y_l)
        logits_u = net(x_u)[0][:, :k].float()
        probs = torch.softmax(logits_u.detach(), 1)
        conf, hard = probs.max(1)
        mask = (conf >= pl.threshold).float()
        t_u = (L.smooth_one_hot(hard, k, pl.pseudo_label_smoothing) if pl.pseudo_labels.value == "hard"
               else torch.softmax(torch.log(probs.clamp_min(1e-8)) / pl.sharpen_temperature, 1))
        unsup = -(t_u * torch.log_softmax(logits_u, 1)).sum(1)
        loss = sup + alpha * (unsup * mask).sum() / max(len(mask), 1)
        return loss, {"pseudo/alpha": alpha, "pseudo/mask_rate": float(mask.mean())}


class MetricLearningTask(BaseTask):
    """Metric learning for retrieval on labels: InfoNCE (in-batch negatives), batch-all triplet or
    pairwise contrastive, directly on the served embedding."""

    default_monitor = "recall@1"
    default_metrics = ("recall@1", "map")

    def valid_metrics(self) -> set[str]:
        return {m for m in self.config.evaluation.metrics if m == "map" or m.startswith("recall@")}

    def build(self, train: Labeled, dim: int) -> None:
        self.targets(train, fit=True)
        if self.config.contrastive.loss.value == "ntxent":
            raise ValueError("loss='ntxent' is the self-supervised loss; use task='self_supervised' or "
                             "loss='infonce' / 'triplet' / 'contrastive' for labelled metric learning")
        self.net = EmbedNet(self.parts.embedder)

    def loss(self, net: nn.Module, batch: Any, ctx: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        x, y = batch
        _, emb = net(x)
        return self.batch_loss(None, emb, y), {}

    def batch_loss(self, logits: Any, emb: Any, y: Any) -> torch.Tensor:
        c = self.config.contrastive
        if c.loss.value == "triplet":
            return L.batch_all_triplet(emb, y, c.margin)
        if c.loss.value == "contrastive":
            return L.pair_contrastive(emb, y, c.margin)
        return L.info_nce(emb, y, c.temperature)


class SelfSupervisedTask(BaseTask):
    """SimCLR: two augmentations of one item are a positive pair (NT-Xent), through a projection head that
    is dropped afterwards. Validation: NT-Xent on fixed-seed views, and retrieval metrics if labelled."""

    default_monitor = "loss"
    default_metrics = ("recall@1",)

    def valid_metrics(self) -> set[str]:
        return {m for m in self.config.evaluation.metrics if m in RETRIEVAL or m.startswith("recall@")}

    def build(self, train: Labeled, dim: int) -> None:
        c = self.config.contrastive
        if self.parts.collate is not None and not self.parts.image:
            raise ValueError("self-supervised training needs augmentable inputs (images or tensors); this "
                             "model's inputs are padded sequences: give transform= with your own views")
        self.net = ProjectionNet(self.parts.embedder, dim, c.projection_hidden, c.projection_dim)
        self.new_modules.append(self.net.head)

    def targets(self, data: Labeled, *, fit: bool) -> Any:
        if data.labels and data.labels[0] is not None:
            return encode_labels(data.labels)[0]
        return [-1] * len(data)

    def dataset(self, data: Labeled, *, train: bool) -> Any:
        views = TwoViews(self.parts.train_transform("simclr"))
        tf = views if train else _ViewsAndClean(views, self.parts.eval_transform)
        return ItemDataset(data.items, self.targets(data, fit=False), tf)

    def loss(self, net: nn.Module, batch: Any, ctx: dict[str, Any]) -> tuple[torch.Tensor, dict[str, float]]:
        (v1, v2), _ = batch
        z, _ = net(torch.cat([v1, v2]))
        return L.nt_xent(z[: len(v1)], z[len(v1):], self.config.contrastive.temperature), {}

    def eval_step(self, net: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        (v1, v2, clean), y = batch
        z, _ = net(torch.cat([v1, v2]))
        loss = L.nt_xent(z[: len(v1)], z[len(v1):], self.config.contrastive.temperature)
        _, emb = net(clean)
        return {"emb": emb.float(), "labels": y, "loss": loss * len(y)}


class _ViewsAndClean:
    def __init__(self, views: Any, clean: Any):
        self.views, self.clean = views, clean

    def __call__(self, item: Any) -> Any:
        return (*self.views(item), self.clean(item))


TASKS = {"classification": ClassificationTask, "metric_learning": MetricLearningTask,
         "self_supervised": SelfSupervisedTask}
