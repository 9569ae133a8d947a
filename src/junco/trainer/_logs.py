"""Run logs: ``metrics.csv`` (one row per epoch), TensorBoard events, a progress bar per epoch."""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any


class RunLogger:
    """Writes what the trainer reports; every sink is optional and quiet when unavailable.

    Args:
        output_dir: the run folder.
        logging: the :class:`~junco.trainer.LoggingConfig`.
        enabled: False on non-zero ranks of a distributed run.

    Example:
        >>> import tempfile
        >>> from junco.trainer import LoggingConfig
        >>> log = RunLogger(tempfile.mkdtemp(), LoggingConfig(tensorboard=False), enabled=True)
        >>> log.epoch({"epoch": 1, "train/loss": 0.5}); log.close()
        >>> (log.dir / "metrics.csv").read_text().splitlines()[0]
        'epoch,train/loss'
    """

    def __init__(self, output_dir: str | Path, logging: Any, *, enabled: bool = True):
        self.dir, self.cfg, self.enabled = Path(output_dir), logging, enabled
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._cols: list[str] = []
        self._tb: Any = None
        if enabled:
            self.dir.mkdir(parents=True, exist_ok=True)
        if enabled and logging.tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(self.dir / "tensorboard"))
            except (ImportError, ModuleNotFoundError):
                self.notes.append('TensorBoard logs skipped: pip install tensorboard (in "junco[train]")')

    def step(self, step: int, scalars: dict[str, float]) -> None:
        """Step-level scalars (loss, learning rate) to TensorBoard."""
        if self._tb is not None and step % max(self.cfg.log_every_n_steps, 1) == 0:
            for k, v in scalars.items():
                self._tb.add_scalar(k, v, step)

    def epoch(self, row: dict[str, Any]) -> None:
        """One epoch's scalars: a CSV row (the file is rewritten so new columns fit) and TensorBoard."""
        scalars = {k: v for k, v in row.items() if isinstance(v, int | float)}
        self.rows.append(scalars)
        if not self.enabled:
            return
        if self.cfg.csv:
            path = self.dir / "metrics.csv"
            if all(k in self._cols for k in scalars) and path.is_file():  # same columns: append
                with open(path, "a", newline="") as f:
                    csv.DictWriter(f, fieldnames=self._cols).writerow(scalars)
            else:  # a new column: rewrite the file with the wider header
                for r in self.rows:
                    self._cols += [k for k in r if k not in self._cols]
                with open(path, "w", newline="") as f:
                    w = csv.DictWriter(f, fieldnames=self._cols)
                    w.writeheader()
                    w.writerows(self.rows)
        if self._tb is not None:
            for k, v in scalars.items():
                if k != "epoch":
                    self._tb.add_scalar(f"epoch/{k}", v, int(row.get("epoch", 0)))
            self._tb.flush()

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
            self._tb = None


class EpochBar:
    """A rich progress bar for one epoch, shown only on a terminal (no log noise in CI or files)."""

    def __init__(self, total: int, description: str, *, enabled: bool):
        self._p: Any = None
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                               TimeRemainingColumn(), TextColumn("{task.fields[info]}"), transient=True)
            self._p.start()
            self._task = self._p.add_task(description, total=total, info="")

    def update(self, info: str = "") -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1, info=info)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()
