"""Learning-rate schedules against hand-computed values (ming024's ScheduledOptim)."""

from __future__ import annotations

import math

import pytest
import torch

from fastspeak.config import TrainConfig
from fastspeak.train.schedule import LearningRateSchedule


def ming024(step: int, d_model: int = 256, warmup: int = 4000) -> float:
    lr = d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)
    for boundary in (300000, 400000, 500000):
        if step > boundary:
            lr *= 0.3
    return lr


@pytest.mark.parametrize(
    "step", [1, 2, 1000, 3999, 4000, 4001, 100000, 300000, 300001, 450000, 600000]
)
def test_noam_matches_ming024(step: int) -> None:
    schedule = LearningRateSchedule.from_config(TrainConfig(), hidden=256)
    assert schedule(step) == pytest.approx(ming024(step), rel=1e-12)


def test_noam_hand_values() -> None:
    schedule = LearningRateSchedule.from_config(TrainConfig(), hidden=256)
    peak = 1 / 16 / math.sqrt(4000)  # 9.882e-4
    assert schedule(4000) == pytest.approx(peak)
    assert schedule(1) == pytest.approx(peak / 4000)
    assert schedule(16000) == pytest.approx(peak / 2)
    assert schedule(300001) == pytest.approx(0.3 * peak * math.sqrt(4000 / 300001))
    assert schedule(500001) == pytest.approx(0.027 * peak * math.sqrt(4000 / 500001))
    assert schedule(4000) >= max(schedule(s) for s in range(1, 20000, 37))


def test_explicit_peak_constant_and_cosine() -> None:
    constant = LearningRateSchedule.from_config(
        TrainConfig(schedule="constant", learning_rate=1e-3, warmup_steps=10, anneal_steps=[50]),
        hidden=256,
    )
    assert constant(5) == pytest.approx(5e-4)
    assert constant(10) == constant(50) == pytest.approx(1e-3)
    assert constant(51) == pytest.approx(3e-4)
    cosine = LearningRateSchedule.from_config(
        TrainConfig(schedule="cosine", learning_rate=1e-3, warmup_steps=10, max_steps=110),
        hidden=256,
    )
    assert cosine(5) == pytest.approx(5e-4)
    assert cosine(10) == pytest.approx(1e-3)
    assert cosine(60) == pytest.approx(1e-3 * (0.01 + 0.99 * 0.5))
    assert cosine(110) == pytest.approx(1e-5) and cosine(500) == pytest.approx(1e-5)


def test_lambda_lr_compatible() -> None:
    schedule = LearningRateSchedule.from_config(TrainConfig(warmup_steps=10), hidden=64)
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.Adam([parameter], lr=schedule.peak)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule.factor(s + 1))
    for step in range(1, 30):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(schedule(step))
        optimizer.step()
        scheduler.step()
