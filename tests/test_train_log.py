"""The training loops' shared step tally and logger."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from fastspeak.train import log
from fastspeak.train.log import MAX_CONSECUTIVE_SKIPS, StepTally, TrainLogger


def test_interval_means_count_applied_steps_only(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]
    monkeypatch.setattr(log.time, "perf_counter", lambda: now[0])
    tally = StepTally(skipped=3, hint="lower the lr")  # made at t=0
    tally.count(100)
    tally.applied({"total": torch.tensor(2.0), "mel": 1.0})
    tally.count(60)
    tally.skip(2, TrainLogger(Path("."), enabled=False))
    tally.count(40)
    tally.applied({"total": 4.0, "mel": 0.5})
    now[0] = 4.0
    means, rate = tally.interval(world_size=2)
    assert means == {"total": 3.0, "mel": 0.75}
    assert rate == pytest.approx(200 * 2 / 4.0)
    assert tally.skipped == 4
    tally.count(30)
    now[0] = 10.0
    assert tally.interval(world_size=1) == ({}, pytest.approx(30 / 6.0))  # nothing applied
    assert tally.rate(world_size=1) == pytest.approx(230 / 10.0)


def test_a_term_is_averaged_over_the_steps_that_reported_it() -> None:
    tally = StepTally(skipped=0, hint="")
    tally.applied({"generator": 1.0, "mel_l1": 0.5})  # a GAN's mel-only step: no D terms
    tally.applied({"generator": 3.0, "mel_l1": 0.3, "discriminator": 4.0})
    tally.applied({"generator": 5.0, "mel_l1": 0.1, "discriminator": 5.0})
    means, _ = tally.interval(world_size=1)
    assert means == pytest.approx({"generator": 3.0, "mel_l1": 0.3, "discriminator": 4.5})


def test_a_streak_of_skips_stops_the_run(tmp_path: Path) -> None:
    logger = TrainLogger(tmp_path)
    tally = StepTally(skipped=0, hint="check the data")
    for step in range(MAX_CONSECUTIVE_SKIPS - 1):
        tally.skip(step, logger)
    tally.applied({"total": 1.0})  # an applied step ends the streak
    for step in range(MAX_CONSECUTIVE_SKIPS - 1):
        tally.skip(step, logger)
    with pytest.raises(RuntimeError, match=f"{MAX_CONSECUTIVE_SKIPS} consecutive.*check the data"):
        tally.skip(MAX_CONSECUTIVE_SKIPS, logger)
    assert tally.skipped == 2 * MAX_CONSECUTIVE_SKIPS - 1
    logger.scalars("train", {"skipped_steps": tally.skipped}, 7)
    logger.close()
    record = json.loads((tmp_path / "train_log.jsonl").read_text().splitlines()[-1])
    assert record["split"] == "train" and record["step"] == 7
    assert record["skipped_steps"] == 2 * MAX_CONSECUTIVE_SKIPS - 1
