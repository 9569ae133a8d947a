"""``TrainResult``: what a training run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class TrainResult:
    """History, best checkpoint and decisions of one run.

    Attributes:
        history: one dict per epoch (``epoch`` 0 is the untrained baseline when evaluated).
        monitor: the metric that picked the best checkpoint (``val/accuracy``...).
        best_value: its best value; ``best_epoch`` when it was reached.
        stopped_early: early stopping ended the run before ``epoch_num``.
        output_dir: the run folder (``metrics.csv``, ``tensorboard/``, ``checkpoints/``, plots).
        best_checkpoint: ``checkpoints/best.pt`` (None if not written).
        last_checkpoint: ``checkpoints/last.pt`` (what ``resume=True`` continues from).
        classes: class names / ids in head order.
        notes: decisions taken on the user's behalf (new head, leakage dropped, precision fallback...).
        baseline: validation metrics before training (None without validation).
        plots: name -> PNG path.
        splits: sizes of the train / validation sets actually used, and dropped duplicates.
    """

    history: list[dict[str, Any]]
    monitor: str
    best_value: float | None
    best_epoch: int | None
    stopped_early: bool
    output_dir: Path
    best_checkpoint: Path | None
    last_checkpoint: Path | None
    classes: list[Any]
    notes: list[str] = field(default_factory=list)
    baseline: dict[str, Any] | None = None
    plots: dict[str, Path] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=dict)
    trainer: Any = field(default=None, repr=False, compare=False)

    @property
    def epochs_run(self) -> int:
        """Training epochs completed (the baseline row does not count)."""
        return sum(1 for r in self.history if r.get("epoch", 0) > 0)

    @property
    def improved(self) -> bool | None:
        """Did training beat the untrained baseline on the monitored metric? None without a baseline."""
        if self.baseline is None or self.best_value is None or self.monitor not in self.baseline:
            return None
        before = self.baseline[self.monitor]
        return bool(self.best_value < before if self.monitor.endswith("loss") else self.best_value > before)

    def metric(self, name: str, epoch: int | None = None) -> Any:
        """A logged value: ``result.metric("val/accuracy")`` (best epoch by default).

        Example:
            >>> r = TrainResult([{"epoch": 1, "val/accuracy": 0.9}], "val/accuracy", 0.9, 1, False,
            ...                 Path("."), None, None, [0, 1])
            >>> r.metric("val/accuracy")
            0.9
        """
        epoch = self.best_epoch if epoch is None else epoch
        for row in self.history:
            if row.get("epoch") == epoch:
                return row.get(name)
        raise KeyError(f"no epoch {epoch} in the history")

    def evaluate(self, dataset: Any) -> dict[str, Any]:
        """Metrics of the final (best, when restored) weights on another labelled set, e.g. the test split.

        Args:
            dataset: any shape :func:`~junco.trainer.as_labeled` accepts, with the training classes.

        Returns:
            ``{metric: value}`` as in the history (without the ``val/`` prefix).
        """
        from junco.trainer._data import as_labeled

        t = self.trainer
        if t is None:
            raise RuntimeError("this result has no trainer attached (loaded from disk?)")
        data = as_labeled(dataset, input_key=t.cfg.data.input_key, label_key=t.cfg.data.label_key)
        return dict(t.evaluate(t.task.dataset(data, train=False)))

    def summary(self) -> str:
        """One line: best value, epochs, early stop, baseline."""
        base = f", untrained {self.baseline.get(self.monitor):.4g}" if self.baseline and self.monitor in \
            self.baseline else ""
        best = f"{self.best_value:.4g}" if self.best_value is not None else "n/a"
        return (f"{self.monitor} best {best} at epoch {self.best_epoch}{base}; {self.epochs_run} epochs"
                f"{' (stopped early)' if self.stopped_early else ''}; output in {self.output_dir}")
