"""Optimizer with backbone / head parameter groups, and the learning-rate schedule with warm-up."""

from __future__ import annotations

import math
from typing import Any


def param_groups(net: Any, new_modules: list[Any], optim: Any) -> list[dict[str, Any]]:
    """Head (new) parameters at ``lr``, pretrained ones at ``lr * backbone_lr_scale``; no weight decay on
    biases and normalization weights (1-D tensors). Frozen parameters are left out.

    Args:
        net: the task's network.
        new_modules: modules created for this training (heads, projections).
        optim: the :class:`~junco.trainer.OptimConfig`.

    Returns:
        torch optimizer parameter groups (each with a ``name``).
    """
    new_ids = {id(p) for m in new_modules for p in m.parameters()}
    buckets: dict[tuple[str, bool], list[Any]] = {}
    seen: set[int] = set()
    for p in net.parameters():
        if not p.requires_grad or id(p) in seen:
            continue
        seen.add(id(p))
        role = "head" if id(p) in new_ids else "backbone"
        buckets.setdefault((role, p.ndim > 1), []).append(p)
    groups = []
    for (role, decay), params in sorted(buckets.items()):
        lr = optim.lr * (1.0 if role == "head" else optim.backbone_lr_scale)
        groups.append({"params": params, "lr": lr, "weight_decay": optim.weight_decay if decay else 0.0,
                       "name": f"{role}{'' if decay else '/no_decay'}"})
    if not groups:
        raise ValueError("nothing to train: every parameter is frozen")
    return groups


def make_optimizer(groups: list[dict[str, Any]], optim: Any) -> Any:
    """AdamW / Adam / SGD over ``groups``."""
    import torch

    kind = optim.optimizer.value
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=optim.lr, momentum=optim.momentum, nesterov=optim.momentum > 0)
    cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    return cls(groups, lr=optim.lr)


def lr_factor(step: int, *, total: int, warmup: int, schedule: Any, steps_per_epoch: int = 1) -> float:
    """Multiplier of the base learning rate at optimizer step ``step``.

    Args:
        step: optimizer steps taken so far.
        total: total optimizer steps of the run.
        warmup: linear warm-up steps (from ``1/(warmup+1)`` to 1).
        schedule: the :class:`~junco.trainer.ScheduleConfig` (kind, floor, step decay).
        steps_per_epoch: optimizer steps per epoch (for the ``step`` schedule).

    Example:
        >>> from junco.trainer import ScheduleConfig
        >>> s = ScheduleConfig(lr_schedule="cosine")
        >>> [round(lr_factor(i, total=10, warmup=2, schedule=s), 2) for i in (0, 1, 2, 6, 10)]
        [0.33, 0.67, 1.0, 0.5, 0.0]
    """
    if step < warmup:
        return (step + 1) / (warmup + 1)
    kind = schedule.lr_schedule.value
    floor = schedule.min_lr_ratio
    span = max(total - warmup, 1)
    t = min(max(step - warmup, 0) / span, 1.0)
    if kind == "cosine":
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))
    if kind == "linear":
        return floor + (1 - floor) * (1 - t)
    if kind == "step":
        epoch = step // max(steps_per_epoch, 1)
        return float(schedule.step_gamma ** (epoch // schedule.step_epochs))
    return 1.0


def make_scheduler(optimizer: Any, *, total: int, warmup: int, schedule: Any, steps_per_epoch: int) -> Any:
    """A ``LambdaLR`` stepping once per optimizer step."""
    import torch

    def factor(step: int) -> float:
        return lr_factor(step, total=total, warmup=warmup, schedule=schedule, steps_per_epoch=steps_per_epoch)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
