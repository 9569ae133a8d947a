"""Best-metric tracking with early stopping, and checkpoint files (``best.pt``, ``last.pt``)."""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class EarlyStopping:
    """Tracks the monitored metric; says when it has not improved for ``patience`` evaluations.

    Args:
        higher_is_better: direction of the metric.
        patience: evaluations without improvement before stopping; None never stops.
        min_delta: an improvement must exceed this.

    Example:
        >>> es = EarlyStopping(higher_is_better=True, patience=2)
        >>> [es.update(v, epoch=i) for i, v in enumerate([0.5, 0.6, 0.6, 0.59])]
        [True, True, False, False]
        >>> es.should_stop, es.best_epoch
        (True, 1)
    """

    higher_is_better: bool
    patience: int | None = None
    min_delta: float = 0.0
    best: float | None = None
    best_epoch: int | None = None
    bad_evals: int = 0

    def update(self, value: float, *, epoch: int) -> bool:
        """Record ``value``; True when it is a new best."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            self.bad_evals += 1
            return False
        gain = (value - self.best) if self.best is not None else math.inf
        if not self.higher_is_better and self.best is not None:
            gain = self.best - value
        if gain > self.min_delta:
            self.best, self.best_epoch, self.bad_evals = float(value), epoch, 0
            return True
        self.bad_evals += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_evals >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for k, v in state.items():
            setattr(self, k, v)


class Checkpoints:
    """``output_dir/checkpoints/{last,best}.pt``: written atomically (temp file + rename).

    ``last.pt`` holds everything resume needs (weights, optimizer, scheduler, scaler, epoch, step,
    history, early-stopping state); ``best.pt`` holds the weights of the best evaluation.
    """

    def __init__(self, output_dir: str | Path, *, enabled: bool = True):
        self.dir = Path(output_dir) / "checkpoints"
        self.enabled = enabled

    @property
    def last(self) -> Path:
        return self.dir / "last.pt"

    @property
    def best(self) -> Path:
        return self.dir / "best.pt"

    def save(self, path: Path, state: dict[str, Any]) -> None:
        import torch

        if not self.enabled:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save(state, tmp)
        os.replace(tmp, path)

    @staticmethod
    def read(path: str | Path) -> dict[str, Any]:
        import torch

        p = Path(path)
        if p.is_dir():
            p = p / "checkpoints" / "last.pt" if (p / "checkpoints").is_dir() else p / "last.pt"
        if not p.is_file():
            raise FileNotFoundError(f"no checkpoint at {p}")
        # weights_only: a checkpoint is data (tensors, numbers, strings); never code to run on load
        return dict(torch.load(p, map_location="cpu", weights_only=True))
