"""``Trainer``: the epoch loop every recipe shares.

It owns device placement, autocast precision, gradient accumulation and clipping, the LR schedule,
per-epoch seeding (a resumed run replays exactly what an uninterrupted one would), evaluation, early
stopping, the best / last checkpoints, resume, logs, and DDP. The task owns the maths.
"""

from __future__ import annotations

import math
import random
import time
import warnings
from pathlib import Path
from typing import Any

from junco.trainer import _ddp
from junco.trainer._logs import EpochBar, RunLogger
from junco.trainer._metrics import higher_is_better
from junco.trainer._result import TrainResult
from junco.trainer._schedule import make_optimizer, make_scheduler, param_groups
from junco.trainer._state import Checkpoints, EarlyStopping


class Trainer:
    """Run one training job.

    Args:
        task: a built task (``net``, ``dataset``, ``loss``, ``eval_step``, ``metrics``).
        config: the :class:`~junco.trainer.TrainingConfig`.
        train: the training :class:`~junco.trainer.Labeled`.
        val: validation data (None: no validation; the training loss is monitored instead).
        unlabeled: unlabeled data for pseudo-labeling.

    Example:
        See :func:`junco.trainer.train_model`, which builds the task and calls :meth:`fit`.
    """

    def __init__(self, task: Any, config: Any, *, train: Any, val: Any = None, unlabeled: Any = None):
        import torch

        from junco.models import resolve_device

        self.task, self.cfg = task, config
        self.dist = _ddp.dist_info()
        self.device = resolve_device(config.device)
        if self.dist.enabled:
            self.device = _ddp.init(self.dist, self.device)
        self.out = Path(config.checkpointing.output_dir)
        self.notes: list[str] = list(task.notes)
        self.train_ds = task.dataset(train, train=True)
        self.val_ds = task.dataset(val, train=False) if val is not None and len(val) else None
        self.unl_ds = task.dataset(unlabeled, train=True) if unlabeled is not None else None
        monitor = config.checkpointing.monitor or task.default_monitor
        if monitor not in (*task.metric_names, "loss"):  # the task's default is not among the chosen metrics
            monitor = task.metric_names[0] if task.metric_names else "loss"
        self.monitor = f"val/{monitor}" if self.val_ds is not None else "train/loss"
        if self.val_ds is None:
            self.notes.append("no validation data: the best checkpoint and early stopping follow the training "
                              "loss (give eval_dataset= or val_fraction > 0)")
        mode = config.checkpointing.mode.value
        higher = higher_is_better(self.monitor) if mode == "auto" else mode == "max"
        self.stopper = EarlyStopping(higher, config.schedule.patience, config.schedule.min_delta)
        self.autocast_dtype, self.scaler = self._precision(torch)
        self.net = task.net.to(self.device)
        self._freeze()

    # -- setup ----------------------------------------------------------------------------------------
    def _precision(self, torch: Any) -> tuple[Any, Any]:
        want = self.cfg.optimization.precision.value
        cuda = self.device.startswith("cuda")
        if want == "auto":
            want = "bf16" if cuda and torch.cuda.is_bf16_supported() else "fp32"
        if want == "fp16" and not cuda:
            self.notes.append("fp16 autocast needs a GPU; training in fp32")
            want = "fp32"
        if want == "fp32":
            return None, None
        dtype = torch.bfloat16 if want == "bf16" else torch.float16
        scaler = torch.amp.GradScaler("cuda") if want == "fp16" else None
        return dtype, scaler

    def _freeze(self) -> None:
        if self.cfg.optimization.freeze.value == "backbone":
            new = {id(p) for m in self.task.new_modules for p in m.parameters()}
            for p in self.net.parameters():
                if id(p) not in new:
                    p.requires_grad_(False)

    def _train_mode(self) -> None:
        from torch import nn

        self.net.train()
        opt = self.cfg.optimization
        frozen_bn = opt.batchnorm.value == "frozen" or (opt.batchnorm.value == "auto"
                                                       and self.cfg.data.batch_size < 16)
        new = {id(m) for top in self.task.new_modules for m in top.modules()}
        for m in self.net.modules():
            if id(m) in new:
                continue
            if opt.freeze.value == "backbone" or (frozen_bn and isinstance(m, nn.modules.batchnorm._BatchNorm)):
                m.eval()

    def _loader(self, ds: Any, *, batch_size: int, shuffle: bool, epoch: int, drop_last: bool) -> Any:
        import torch
        from torch.utils.data import DataLoader

        sampler = _ddp.sampler(ds, self.dist, seed=self.cfg.seed, shuffle=shuffle) if shuffle else None
        if sampler is not None:
            sampler.set_epoch(epoch)
        g = torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + epoch)
        collate = self.task.parts.collate
        return DataLoader(ds, batch_size=batch_size, shuffle=shuffle and sampler is None, sampler=sampler,
                          generator=g, drop_last=drop_last and len(ds) > batch_size,
                          num_workers=self.cfg.data.num_workers, pin_memory=self.device.startswith("cuda"),
                          collate_fn=Collate(collate) if collate is not None else None)

    def _to(self, batch: Any) -> Any:
        if hasattr(batch, "to"):
            return batch.to(self.device, non_blocking=True)
        if isinstance(batch, list | tuple):
            return type(batch)(self._to(b) for b in batch)
        if isinstance(batch, dict):
            return {k: self._to(v) for k, v in batch.items()}
        return batch

    # -- the loop -------------------------------------------------------------------------------------
    def fit(self) -> TrainResult:
        """Train; returns the history, the best checkpoint and what was decided on the way."""
        import torch

        threads = torch.get_num_threads()
        if self.cfg.num_threads:
            torch.set_num_threads(self.cfg.num_threads)
        try:
            return self._fit()
        finally:
            torch.set_num_threads(threads)

    def _fit(self) -> TrainResult:
        cfg, sch = self.cfg, self.cfg.schedule
        seed_everything(cfg.seed, deterministic=cfg.deterministic)
        bs = cfg.data.batch_size
        n_batches = math.ceil(len(self.train_ds) / (bs * self.dist.world_size))
        if cfg.data.drop_last and len(self.train_ds) > bs:
            n_batches = len(self.train_ds) // (bs * self.dist.world_size)
        if sch.max_steps_per_epoch:
            n_batches = min(n_batches, sch.max_steps_per_epoch)
        steps_per_epoch = math.ceil(n_batches / cfg.optimization.grad_accum_steps)
        total = steps_per_epoch * sch.epoch_num
        groups = param_groups(self.net, self.task.new_modules, cfg.optimization)
        self.optimizer = make_optimizer(groups, cfg.optimization)
        self.scheduler = make_scheduler(self.optimizer, total=total, schedule=sch, steps_per_epoch=steps_per_epoch,
                                        warmup=int(round(sch.warmup_epochs * steps_per_epoch)))
        self.ddp_net = _ddp.wrap(self.net, self.dist, self.device)
        ckpt = Checkpoints(self.out, enabled=self.dist.is_main)
        log = RunLogger(self.out, cfg.logging, enabled=self.dist.is_main)
        self.notes += log.notes
        history: list[dict[str, Any]] = []
        start, self.global_step, best_state = 0, 0, None
        baseline: dict[str, Any] | None = None
        resumed = self._resume_source(ckpt)
        if resumed is not None:
            start, history, best_state = self._load(resumed)
            for past in history:
                log.epoch(past)
        elif cfg.evaluation.initial_eval and self.val_ds is not None:
            baseline = {"epoch": 0, **{f"val/{k}": v for k, v in self.evaluate(self.val_ds).items()}}
            history.append(baseline)
            log.epoch(baseline)
        for epoch in range(start, sch.epoch_num):
            if self.stopper.should_stop:
                break
            t0 = time.perf_counter()
            row: dict[str, Any] = {"epoch": epoch + 1}
            row.update(self._train_epoch(epoch, n_batches, log))
            if self.val_ds is not None:
                row.update({f"val/{k}": v for k, v in self.evaluate(self.val_ds).items()})
            row["lr"] = self._lr()
            row["time_s"] = round(time.perf_counter() - t0, 3)
            history.append(row)
            log.epoch(row)
            value = row.get(self.monitor)
            if value is None:
                raise KeyError(f"monitor {self.monitor!r} is not among the metrics {sorted(row)}; set monitor= to "
                               "one of them or add it to metrics=")
            if self.stopper.update(value, epoch=epoch + 1):
                best_state = {k: v.detach().cpu().clone() for k, v in self.net.state_dict().items()}
                if cfg.checkpointing.save_best:
                    ckpt.save(ckpt.best, {"net": best_state, "epoch": epoch + 1, "monitor": self.monitor,
                                          "value": value, "classes": self.task.classes})
            if cfg.checkpointing.save_last:
                ckpt.save(ckpt.last, self._state(epoch + 1, history))
        stopped = self.stopper.should_stop and bool(history) and history[-1]["epoch"] < sch.epoch_num
        if cfg.checkpointing.restore_best and best_state is not None:
            self.net.load_state_dict(best_state)
        log.close()
        _ddp.barrier(self.dist)
        return TrainResult(
            history=history, monitor=self.monitor, best_value=self.stopper.best, best_epoch=self.stopper.best_epoch,
            stopped_early=bool(stopped), output_dir=self.out,
            best_checkpoint=ckpt.best if ckpt.best.is_file() else None,
            last_checkpoint=ckpt.last if ckpt.last.is_file() else None,
            classes=list(self.task.classes), notes=self.notes, baseline=baseline, trainer=self)

    def _train_epoch(self, epoch: int, n_batches: int, log: RunLogger) -> dict[str, float]:
        import torch

        cfg = self.cfg
        seed_everything(cfg.seed * 7919 + epoch)  # augmentation / dropout draws depend on the epoch only
        loader = self._loader(self.train_ds, batch_size=cfg.data.batch_size, shuffle=True, epoch=epoch,
                              drop_last=cfg.data.drop_last)
        unl = self._unlabeled(epoch)
        self._train_mode()
        accum = cfg.optimization.grad_accum_steps
        total_epochs = cfg.schedule.epoch_num
        sums: dict[str, float] = {}
        bar = EpochBar(n_batches, f"epoch {epoch + 1}/{total_epochs}",
                       enabled=cfg.logging.progress_bar and self.dist.is_main)
        self.optimizer.zero_grad(set_to_none=True)
        seen = 0
        for i, batch in enumerate(loader):
            if i >= n_batches:
                break
            ctx = {"progress": (epoch + i / n_batches) / total_epochs, "epoch": epoch,
                   "unlabeled": self._to(next(unl)) if unl is not None else None}
            with torch.autocast(self.device.split(":")[0], dtype=self.autocast_dtype,
                                enabled=self.autocast_dtype is not None):
                loss, logs = self.task.loss(self.ddp_net, self._to(batch), ctx)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss is {float(loss)} at epoch {epoch + 1}, batch {i}; lower lr= or "
                                         "enable grad_clip_norm=")
            (self.scaler.scale(loss / accum) if self.scaler else loss / accum).backward()
            if (i + 1) % accum == 0 or i + 1 == n_batches:
                self._step()
            seen += 1
            for k, v in {"loss": float(loss.detach()), **logs}.items():
                sums[k] = sums.get(k, 0.0) + float(v)
            log.step(self.global_step, {"step/loss": float(loss.detach()), "step/lr": self._lr()})
            bar.update(f"loss {float(loss.detach()):.4f}")
        bar.close()
        return {f"train/{k}": v / max(seen, 1) for k, v in sums.items()}

    def _lr(self) -> float:
        """The largest learning rate in use (the head's)."""
        return float(max(g["lr"] for g in self.optimizer.param_groups))

    def _step(self) -> None:
        import torch

        clip = self.cfg.optimization.grad_clip_norm
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if clip:
            params = [p for g in self.optimizer.param_groups for p in g["params"]]
            torch.nn.utils.clip_grad_norm_(params, clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        self.global_step += 1

    def _unlabeled(self, epoch: int) -> Any:
        if self.unl_ds is None:
            return None
        bs = self.cfg.data.batch_size * self.cfg.pseudo_label.unlabeled_ratio

        def cycle() -> Any:
            k = 0
            while True:
                yield from self._loader(self.unl_ds, batch_size=bs, shuffle=True, epoch=epoch * 1000 + k,
                                        drop_last=True)
                k += 1

        return cycle()

    def evaluate(self, ds: Any) -> dict[str, Any]:
        """Metrics of the current weights on a dataset built by the task (no gradients, eval mode)."""
        import torch

        loader = self._loader(ds, batch_size=self.cfg.data.eval_batch_size or 2 * self.cfg.data.batch_size,
                              shuffle=False, epoch=0, drop_last=False)
        self.net.eval()
        parts: dict[str, list[Any]] = {}
        with torch.random.fork_rng(devices=[]), torch.inference_mode():
            torch.manual_seed(self.cfg.seed)  # augmented validation views are the same every epoch
            for batch in loader:
                with torch.autocast(self.device.split(":")[0], dtype=self.autocast_dtype,
                                    enabled=self.autocast_dtype is not None):
                    out = self.task.eval_step(self.net, self._to(batch))
                for k, v in out.items():
                    parts.setdefault(k, []).append(v.detach().float().cpu() if v.is_floating_point()
                                                   else v.detach().cpu())
        collected = {k: torch.cat([t.reshape(-1) if t.ndim == 0 else t for t in v]) for k, v in parts.items()}
        self.last_eval = collected
        return self.task.metrics(collected)

    # -- checkpoints ----------------------------------------------------------------------------------
    def _state(self, epoch: int, history: list[dict[str, Any]]) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                "scaler": self.scaler.state_dict() if self.scaler else None, "epoch": epoch,
                "global_step": self.global_step, "history": history, "stopper": self.stopper.state_dict(),
                "classes": self.task.classes, "config": self.cfg.to_dict()}

    def _resume_source(self, ckpt: Checkpoints) -> Any:
        r = self.cfg.checkpointing.resume
        if r is False or r is None:
            return None
        if r is True:
            return ckpt.last if ckpt.last.is_file() else None
        return Path(r)

    def _load(self, path: Path) -> tuple[int, list[dict[str, Any]], Any]:
        state = Checkpoints.read(path)
        if list(state.get("classes") or []) != list(self.task.classes):
            raise ValueError(f"checkpoint {path} was trained on classes {state.get('classes')}, this data has "
                             f"{self.task.classes}")
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.global_step = int(state["global_step"])
        self.stopper.load_state_dict(state["stopper"])
        best = None
        best_file = Path(path).parent / "best.pt"
        if best_file.is_file():
            best = Checkpoints.read(best_file)["net"]
        self.notes.append(f"resumed from {path} after epoch {state['epoch']}")
        return int(state["epoch"]), list(state["history"]), best


class Collate:
    """``[(item, label)...] -> (collate(items), labels)`` with the operator's own collate (padding)."""

    def __init__(self, fn: Any):
        self.fn = fn

    def __call__(self, rows: list[Any]) -> Any:
        import torch

        return self.fn([r[0] for r in rows]), torch.as_tensor([r[1] for r in rows])


def seed_everything(seed: int, *, deterministic: bool = False) -> None:
    """Seed Python, NumPy and torch; optionally ask torch for deterministic kernels.

    Example:
        >>> seed_everything(0)
    """
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.backends.cudnn.benchmark = False
