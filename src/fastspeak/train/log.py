"""Training logs: TensorBoard scalars and mel plots, a JSON-lines log, console lines.

Only the main process (rank 0) makes a :class:`TrainLogger` with ``enabled=True``; the others
get a disabled one whose methods do nothing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

__all__ = ["TrainLogger", "plot_mels"]


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
