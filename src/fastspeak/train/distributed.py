"""Device choice and DistributedDataParallel set-up from torchrun's environment variables.

``torchrun --nproc_per_node K -m fastspeak.cli train ...`` (or ``python -m
torch.distributed.run``) sets RANK, WORLD_SIZE and LOCAL_RANK; the trainer then joins the
process group (NCCL on GPUs, gloo on CPU) and wraps the model in DDP. Without them it runs as
a single process. No DataParallel, no module-level device.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

__all__ = ["DistributedContext", "deadline_passed", "init_distributed", "resolve_device"]


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """``"auto"`` -> ``cuda:<local_rank>`` when CUDA is available, else cpu."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"train.device={name} but CUDA is not available; use train.device=cpu or auto"
            )
        if device.index is None:
            device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    return device


@dataclass
class DistributedContext:
    """This process's place in the job; ``world_size`` 1 without torchrun."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device
    owns_group: bool = False  # True when init_distributed created the process group

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def close(self) -> None:
        """Leave the process group if this context created it."""
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()
            self.owns_group = False


def init_distributed(device_name: str = "auto") -> DistributedContext:
    """Join the torchrun process group when RANK/WORLD_SIZE/LOCAL_RANK are set."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1 or "RANK" not in os.environ:
        return DistributedContext(0, 1, 0, resolve_device(device_name))
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name, local_rank)
    owns = False
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        # rank 0 validates, draws samples and writes checkpoints while the others wait in the
        # next collective: allow it more than NCCL's 10-minute default
        dist.init_process_group(
            backend=backend, rank=rank, world_size=world_size, timeout=timedelta(minutes=30)
        )
        owns = True
    return DistributedContext(rank, world_size, local_rank, device, owns)


def deadline_passed(deadline: float, context: DistributedContext) -> bool:
    """True once ``time.monotonic()`` is past ``deadline``; under DDP, once it is on any
    process (one all-reduce, so every replica stops at the same step). A single process
    reads the clock only: no collective, no device sync."""
    past = time.monotonic() > deadline
    if not context.enabled:
        return past
    flag = torch.tensor([float(past)], device=context.device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())
