"""Training logs: TensorBoard scalars and mel plots, a JSON-lines log, console lines.

Only the main process (rank 0) makes a :class:`TrainLogger` with ``enabled=True``; the others
get a disabled one whose methods do nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
from tqdm import tqdm

__all__ = [
    "MAX_CONSECUTIVE_SKIPS",
    "StepTally",
    "TrainLogger",
    "close_interrupted",
    "plot_mels",
    "progress_bar",
]

MAX_CONSECUTIVE_SKIPS = 50  # non-finite steps in a row before a run gives up


def plot_mels(target: np.ndarray, predicted: np.ndarray, title: str = "") -> Any:
    """A matplotlib figure (Agg) with target and predicted mels, each (T, n_mels)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(2, 1, figsize=(10, 6), sharex=True)
    low = float(min(target.min(), predicted.min()))
    high = float(max(target.max(), predicted.max()))
    for axis, mel, name in ((axes[0], target, "target"), (axes[1], predicted, "predicted")):
        image = axis.imshow(
            mel.T, origin="lower", aspect="auto", interpolation="none", vmin=low, vmax=high
        )
        axis.set_ylabel(f"{name} mel bin")
    axes[1].set_xlabel("frame")
    figure.colorbar(image, ax=axes, fraction=0.02)
    if title:
        figure.suptitle(title)
    return figure


class TrainLogger:
    """Writes ``run_dir/tensorboard`` events and ``run_dir/train_log.jsonl``."""

    def __init__(self, run_dir: Path, enabled: bool = True) -> None:
        self.enabled = enabled
        self.writer = None
        self.jsonl = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))
            self.jsonl = (Path(run_dir) / "train_log.jsonl").open("a", encoding="utf-8")

    def scalars(self, prefix: str, values: dict[str, float], step: int) -> None:
        """Log ``prefix/name`` scalars and one JSON line."""
        if not self.enabled:
            return
        assert self.writer is not None and self.jsonl is not None
        for name, value in values.items():
            self.writer.add_scalar(f"{prefix}/{name}", value, step)
        record = {"time": round(time.time(), 3), "split": prefix, "step": step, **values}
        self.jsonl.write(json.dumps(record) + "\n")
        self.jsonl.flush()

    def figure(self, tag: str, figure: Any, step: int) -> None:
        if self.enabled:
            assert self.writer is not None
            self.writer.add_figure(tag, figure, step, close=True)

    def audio(self, tag: str, wav: Any, sample_rate: int, step: int) -> None:
        """An audio sample (1-D float tensor or array in [-1, 1]) in TensorBoard."""
        if self.enabled:
            assert self.writer is not None
            self.writer.add_audio(tag, wav, step, sample_rate=sample_rate)

    def message(self, text: str) -> None:
        """A console line that does not break the progress bar."""
        if self.enabled:
            tqdm.write(text)

    def close(self) -> None:
        if self.enabled:
            assert self.writer is not None and self.jsonl is not None
            self.writer.close()
            self.jsonl.close()


def close_interrupted(logger: TrainLogger, step: int, saved: Path | None) -> NoReturn:
    """End a training loop stopped by Ctrl-C: say where the step reached was saved (on the
    process that saves), close ``logger`` and raise KeyboardInterrupt (``fastspeak`` exits with
    status 130)."""
    if saved is not None:
        logger.message(f"interrupted at step {step}: saved {saved}; --resume continues from it")
    logger.close()
    raise KeyboardInterrupt


def progress_bar(total: int, initial: int, enabled: bool) -> tqdm:
    """The step progress bar of a training loop (shown by the main process only)."""
    return tqdm(total=total, initial=initial, disable=not enabled, unit="step")


class StepTally:
    """What a training loop reports of its steps: the mean of every loss term over the steps
    of a log interval that were applied and reported it (a GAN's mel-only steps have no
    discriminator terms), the data throughput (frames, samples: any unit)
    of the interval and of the whole call, and the run's skipped (non-finite) steps.

    Args:
        skipped: steps already skipped by the run (a resumed checkpoint's count).
        hint: what to do when ``MAX_CONSECUTIVE_SKIPS`` steps in a row are skipped (the end of
            the RuntimeError's message).
    """

    def __init__(self, skipped: int, hint: str) -> None:
        self.skipped, self.hint, self.consecutive = skipped, hint, 0
        self.started = time.perf_counter()
        self.total_amount = 0.0
        self._new_interval()

    def _new_interval(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.amount = 0.0
        self.interval_start = time.perf_counter()

    def count(self, amount: float) -> None:
        """Count ``amount`` units of data processed by this process."""
        self.amount += amount
        self.total_amount += amount

    def applied(self, terms: Mapping[str, Any]) -> None:
        """A step whose update was applied, with its loss terms (floats or 0-d tensors)."""
        self.consecutive = 0
        for name, value in terms.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value)
            self.counts[name] = self.counts.get(name, 0) + 1

    def skip(self, step: int, logger: TrainLogger) -> None:
        """A step skipped for a non-finite loss or gradient norm; raises RuntimeError after
        ``MAX_CONSECUTIVE_SKIPS`` in a row."""
        self.skipped += 1
        self.consecutive += 1
        logger.message(f"step {step}: non-finite loss or gradient norm, update skipped")
        if self.consecutive >= MAX_CONSECUTIVE_SKIPS:
            raise RuntimeError(
                f"{self.consecutive} consecutive steps had a non-finite loss or gradient; "
                f"{self.hint}"
            )

    def interval(self, world_size: int) -> tuple[dict[str, float], float]:
        """(mean of each term over the interval's applied steps that reported it, units per
        second of all ``world_size`` processes) since the last call; starts the next interval."""
        means = {name: value / self.counts[name] for name, value in self.sums.items()}
        elapsed = time.perf_counter() - self.interval_start
        rate = self.amount * world_size / max(elapsed, 1e-9)
        self._new_interval()
        return means, rate

    def rate(self, world_size: int) -> float:
        """Units per second of all ``world_size`` processes since this tally was made."""
        return self.total_amount * world_size / max(time.perf_counter() - self.started, 1e-9)
