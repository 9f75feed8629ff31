"""Learning-rate schedules as pure functions of the optimizer step (so a resumed run has the
exact lr without any scheduler state).

``step`` counts optimizer updates from 1 (the lr of the first update is ``lr(1)``), as in
ming024/FastSpeech2's ``ScheduledOptim``. For a ``torch.optim.lr_scheduler.LambdaLR`` over an
optimizer built with ``lr=peak``, use ``LambdaLR(optimizer, lambda s: schedule.factor(s + 1))``.

* ``noam`` (Vaswani et al. 2017; ming024): ``peak * min(step / warmup, sqrt(warmup / step))``,
  i.e. ``hidden**-0.5 * min(step**-0.5, step * warmup**-1.5)`` when ``peak`` is the default
  ``hidden**-0.5 * warmup**-0.5``; x ``anneal_rate`` after each of ``anneal_steps``.
* ``constant``: linear warm-up to ``peak``, then ``peak`` (annealed the same way).
* ``cosine``: linear warm-up, then half a cosine from ``peak`` to ``min_lr_ratio * peak`` at
  ``max_steps``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastspeak.config import TrainConfig

__all__ = ["LearningRateSchedule"]


@dataclass(frozen=True)
class LearningRateSchedule:
    """``schedule(step) -> lr``; ``schedule.factor(step) -> lr / peak``."""

    kind: str
    peak: float
    warmup_steps: int
    anneal_steps: tuple[int, ...] = ()
    anneal_rate: float = 1.0
    max_steps: int = 1
    min_lr_ratio: float = 0.0

    @classmethod
    def from_config(cls, train: TrainConfig, hidden: int) -> LearningRateSchedule:
        """The schedule of ``train``; ``hidden`` (d_model) sets the default Noam peak."""
        peak = train.learning_rate
        if peak is None:
            peak = hidden**-0.5 * max(train.warmup_steps, 1) ** -0.5
        return cls(
            kind=train.schedule,
            peak=float(peak),
            warmup_steps=train.warmup_steps,
            anneal_steps=tuple(train.anneal_steps),
            anneal_rate=train.anneal_rate,
            max_steps=train.max_steps,
            min_lr_ratio=train.min_lr_ratio,
        )

    def factor(self, step: int) -> float:
        """lr / peak at optimizer update ``step`` (1-based; 0 is treated as 1)."""
        step = max(int(step), 1)
        warmup = self.warmup_steps
        if self.kind == "noam":
            factor = min(step / warmup, math.sqrt(warmup / step))
        elif self.kind == "constant":
            factor = min(step / warmup, 1.0) if warmup > 0 else 1.0
        elif self.kind == "cosine":
            if step < warmup:
                return step / warmup
            progress = min((step - warmup) / max(self.max_steps - warmup, 1), 1.0)
            cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
            return self.min_lr_ratio + (1.0 - self.min_lr_ratio) * cosine
        else:
            raise ValueError(f"unknown schedule {self.kind!r}; use noam, constant or cosine")
        for boundary in self.anneal_steps:
            if step > boundary:
                factor *= self.anneal_rate
        return factor

    def __call__(self, step: int) -> float:
        return self.peak * self.factor(step)
