"""Multi-GPU through ``torchrun`` (DistributedDataParallel), detected from its environment variables.

Run ``torchrun --nproc_per_node=N your_script.py``; each process trains on its shard of every epoch,
gradients are averaged, and only rank 0 writes checkpoints, logs and plots. Every rank evaluates the
whole validation set (identical results, so early-stopping decisions agree without communication).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in a ``torchrun`` job (world size 1 when not launched by it)."""

    world_size: int = 1
    rank: int = 0
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def dist_info() -> DistInfo:
    """Read ``WORLD_SIZE`` / ``RANK`` / ``LOCAL_RANK``.

    Example:
        >>> dist_info().is_main
        True
    """
    return DistInfo(int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0")),
                    int(os.environ.get("LOCAL_RANK", "0")))


def init(info: DistInfo, device: str) -> str:
    """Join the process group (NCCL on CUDA, Gloo on CPU); returns this rank's device."""
    import torch
    import torch.distributed as dist

    if device.startswith("cuda"):
        device = f"cuda:{info.local_rank}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return device


def wrap(net: Any, info: DistInfo, device: str) -> Any:
    """``DistributedDataParallel(net)`` when distributed, ``net`` otherwise."""
    if not info.enabled:
        return net
    from torch.nn.parallel import DistributedDataParallel

    ids = [int(device.split(":")[1])] if device.startswith("cuda:") else None
    return DistributedDataParallel(net, device_ids=ids, find_unused_parameters=True)


def sampler(dataset: Any, info: DistInfo, *, seed: int, shuffle: bool) -> Any:
    """A ``DistributedSampler`` over ``dataset`` (None when not distributed)."""
    if not info.enabled:
        return None
    from torch.utils.data import DistributedSampler

    return DistributedSampler(dataset, num_replicas=info.world_size, rank=info.rank, shuffle=shuffle,
                              seed=seed, drop_last=True)


def barrier(info: DistInfo) -> None:
    if info.enabled:
        import torch.distributed as dist

        dist.barrier()
