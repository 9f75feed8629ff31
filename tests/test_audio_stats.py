"""Phoneme averaging vs a naive loop; streaming stats vs numpy; normalisation convention."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fastspeak.audio.stats import RunningStats, average_by_durations, denormalize, normalize


def _naive_average(values, durations, voiced_mask=None):
    out, position = [], 0
    for duration in durations:
        frames = values[position : position + duration]
        if voiced_mask is not None:
            frames = frames[voiced_mask[position : position + duration]]
        out.append(frames.mean() if len(frames) else 0.0)
        position += duration
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("use_mask", [False, True])
def test_average_by_durations_matches_naive_loop(seed: int, use_mask: bool) -> None:
    rng = np.random.default_rng(seed)
    durations = rng.integers(0, 6, size=rng.integers(1, 40))
    durations[0] = 0  # leading, trailing and inner zero-length phones
    durations[-1] = 0
    if durations.sum() == 0:
        durations[len(durations) // 2] = 3
    values = rng.uniform(80, 300, size=durations.sum())
    mask = rng.random(values.size) > 0.4 if use_mask else None
    if mask is not None:
        values[~mask] = 0.0
    result = average_by_durations(values, durations, mask)
    assert result.shape == durations.shape and result.dtype == np.float32
    np.testing.assert_allclose(result, _naive_average(values, durations, mask), rtol=1e-5)
    assert np.all(result[durations == 0] == 0)


def test_average_by_durations_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="sum to 5"):
        average_by_durations(np.ones(6), np.array([2, 3]))


def test_running_stats_merged_chunks_match_numpy() -> None:
    rng = np.random.default_rng(3)
    data = np.concatenate([rng.normal(180, 40, 3000), rng.normal(120, 10, 2000), [1e4]])
    chunks = np.array_split(rng.permutation(data), 7)
    workers = [RunningStats(seed=index) for index in range(3)]
    for index, chunk in enumerate(chunks):
        workers[index % 3].update(chunk)
    total = RunningStats(seed=9)
    for worker in workers:
        total.merge(worker)
    assert total.count == data.size
    assert total.mean == pytest.approx(data.mean(), rel=1e-12)
    assert total.std == pytest.approx(data.std(), rel=1e-10)
    assert (total.min, total.max) == (data.min(), data.max())
    # the whole data fits the sample: robust bounds are exact percentiles
    assert total.robust_min == pytest.approx(np.percentile(data, 0.5))
    assert total.robust_max == pytest.approx(np.percentile(data, 99.5))
    assert total.robust_max < 1e4


def test_running_stats_sample_is_bounded_and_roughly_right() -> None:
    rng = np.random.default_rng(4)
    data = rng.uniform(0, 1, 60000)
    stats = RunningStats(sample_size=5000, seed=0)
    other = RunningStats(sample_size=5000, seed=1)
    for chunk in np.array_split(data[:30000], 30):
        stats.update(chunk)
    for chunk in np.array_split(data[30000:], 30):
        other.update(chunk)
    stats.merge(other)
    assert stats.to_dict(include_sample=True)["sample"]["values"].__len__() == 5000
    assert stats.robust_min == pytest.approx(0.005, abs=0.004)
    assert stats.robust_max == pytest.approx(0.995, abs=0.004)


def test_running_stats_round_trip() -> None:
    stats = RunningStats(seed=0).update(np.arange(1.0, 101.0))
    restored = RunningStats.from_dict(json.loads(json.dumps(stats.to_dict(include_sample=True))))
    restored.merge(RunningStats(seed=1).update(np.arange(101.0, 201.0)))
    assert restored.count == 200 and restored.mean == pytest.approx(100.5)
    summary = RunningStats.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert summary.robust_max == pytest.approx(stats.robust_max)
    assert summary.std == pytest.approx(stats.std)
    with pytest.raises(ValueError, match="without their sample"):
        summary.merge(stats)
    assert RunningStats.from_dict(RunningStats().to_dict()).count == 0


def test_normalize_keeps_zero_convention() -> None:
    values = np.array([0.0, 100.0, 200.0, 0.0])
    normalized = normalize(values, mean=150.0, std=50.0)
    np.testing.assert_allclose(normalized, [0.0, -1.0, 1.0, 0.0])
    np.testing.assert_allclose(normalize(values, 150.0, 50.0, keep_zeros=False)[0], -3.0)
    np.testing.assert_allclose(denormalize(normalized, 150.0, 50.0, values == 0), values)
    with pytest.raises(ValueError, match="std"):
        normalize(values, 0.0, 0.0)
