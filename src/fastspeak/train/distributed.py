"""Device choice and DistributedDataParallel set-up from torchrun's environment variables.

``torchrun --nproc_per_node K -m fastspeak.cli train ...`` (or ``python -m
torch.distributed.run``) sets RANK, WORLD_SIZE and LOCAL_RANK; the trainer then joins the
process group (NCCL on GPUs, gloo on CPU) and wraps the model in DDP. Without them it runs as
a single process. No DataParallel, no module-level device.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType, TracebackType
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "DistributedContext",
    "StopRequest",
    "init_distributed",
    "resolve_device",
    "stop_reason",
]


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


class StopRequest:
    """Ctrl-C (SIGINT) during a training loop, as a request to stop after the current step.

    Inside ``with StopRequest() as stop:`` the first SIGINT sets ``stop.interrupted`` (and says
    so on stderr) where it would raise KeyboardInterrupt in the middle of an update; the loop
    then ends that step as its last, saves ``latest.pt`` and raises KeyboardInterrupt itself.
    A second SIGINT raises KeyboardInterrupt at once: a checkpoint being written then stays as
    it was (:func:`~fastspeak.train.checkpoint.save_checkpoint` writes a temporary file and
    renames it). Leaving the block restores the previous handler. Nothing is installed off
    the main thread (Python runs signal handlers there only) or where SIGINT is ignored.
    Data-loader workers forked inside the block inherit the handler: a terminal's Ctrl-C
    reaches them too, and they keep serving (silently) the batches the step still needs.
    """

    MESSAGE = (
        b"\ninterrupted: finishing this step to save a checkpoint "
        b"(Ctrl-C again quits without saving)\n"
    )

    def __init__(self) -> None:
        self.interrupted = False
        self._previous: Any = None
        self._installed = False
        self._pid = os.getpid()

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not signal.SIG_IGN:
                self._previous = previous
                signal.signal(signal.SIGINT, self._handle)
                self._installed = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._installed:
            previous = self._previous
            signal.signal(
                signal.SIGINT, signal.default_int_handler if previous is None else previous
            )
            self._installed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupted:
            raise KeyboardInterrupt
        self.interrupted = True
        if os.getpid() == self._pid:  # not in a forked data-loader worker
            os.write(2, self.MESSAGE)  # not print(): this may run inside another write to stderr


def stop_reason(
    deadline: float | None, stop: StopRequest, context: DistributedContext
) -> str | None:
    """Why a training loop ends at this step: ``"interrupt"`` once Ctrl-C was pressed
    (``stop``), ``"deadline"`` once ``time.monotonic()`` is past ``deadline`` (None: none),
    else None. Under DDP, once it is so on any process (one all-reduce of both flags, so every
    replica stops at the same step); a single process reads its flags only: no collective, no
    device sync."""
    flags = [float(stop.interrupted), float(deadline is not None and time.monotonic() > deadline)]
    if context.enabled:
        reduced = torch.tensor(flags, device=context.device)
        dist.all_reduce(reduced, op=dist.ReduceOp.MAX)
        flags = reduced.tolist()
    if flags[0]:
        return "interrupt"
    return "deadline" if flags[1] else None
