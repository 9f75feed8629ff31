"""Re-segmentation under a duration prior (aligners/duration_prior.py): the segmental search
against MAS and against exhaustive enumeration, and the log-normal fit."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from fastspeak.aligners.duration_prior import (
    DurationPrior,
    resegment_with_duration_prior,
    segmental_search,
)
from fastspeak.aligners.mas import monotonic_alignment_search
from fastspeak.aligners.model import Aligner
from fastspeak.config import AlignerConfig, ConfigError
from fastspeak.data.batch import collate
from fastspeak.data.dataset import FeatureDataset, load_feature_dir


def path_score(log_probs: np.ndarray, table: np.ndarray, durations: tuple[int, ...]) -> float:
    score, start = 0.0, 0
    for state, duration in enumerate(durations):
        score += log_probs[state, start : start + duration].sum() + table[state, duration]
        start += duration
    return score


def compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    """Every way to write ``total`` as ``parts`` positive integers, in order."""
    cuts = itertools.combinations(range(1, total), parts - 1)
    return [tuple(np.diff((0, *cut, total))) for cut in cuts]


def test_without_a_prior_the_search_is_mas() -> None:
    generator = np.random.default_rng(0)
    for states, frames in [(1, 5), (4, 4), (6, 30), (12, 50)]:
        log_probs = np.log(generator.dirichlet(np.ones(states), size=frames).T)  # (S, T)
        table = np.zeros((states, frames - states + 2))
        table[:, 0] = -np.inf
        expected = monotonic_alignment_search(
            torch.from_numpy(log_probs)[None], torch.tensor([states]), torch.tensor([frames])
        )[0].numpy()
        np.testing.assert_array_equal(segmental_search(log_probs, table), expected)


def test_the_search_finds_the_best_path_of_all() -> None:
    generator = np.random.default_rng(1)
    for states, frames, longest in [(3, 7, 5), (4, 9, 3), (2, 6, 6), (5, 11, 4)]:
        log_probs = generator.normal(size=(states, frames))
        table = generator.normal(size=(states, longest + 1))
        table[:, 0] = -np.inf
        found = segmental_search(log_probs, table)
        allowed = [d for d in compositions(frames, states) if max(d) <= longest]
        best = max(allowed, key=lambda d: path_score(log_probs, table, d))
        assert tuple(found) == best
        assert found.sum() == frames and found.min() >= 1 and found.max() <= longest


def test_a_sharp_prior_sets_the_durations_where_the_frames_are_silent() -> None:
    """Flat posteriors: the durations are the prior's modes (e^mean; -log d in the density
    moves a log-normal's mode to e^(mean - std^2), so the std is kept small)."""
    prior = DurationPrior(mean=np.log([2.0, 6.0, 3.0, 1.0]), std=np.full(4, 0.2))
    states = np.array([0, 1, 2, 1])
    table = prior.log_table(states, longest=12, weight=10.0)
    found = segmental_search(np.zeros((4, 17)), table)
    np.testing.assert_array_equal(found, [2, 6, 3, 6])
    assert np.isneginf(table[:, 0]).all()
    # weight 0 leaves only the column-0 ban: no nan
    assert np.isfinite(prior.log_table(states, 12, weight=0.0)[:, 1:]).all()


def test_no_path_is_an_error() -> None:
    table = np.zeros((3, 3))
    table[:, 0] = -np.inf
    with pytest.raises(ValueError, match="no path of 3 states over 10 frames"):
        segmental_search(np.zeros((3, 10)), table)  # at most 3 x 2 frames
    with pytest.raises(ValueError, match="rows"):
        segmental_search(np.zeros((3, 10)), np.zeros((2, 9)))


def test_the_fit_is_per_state_id_with_the_pooled_fit_for_rare_ids() -> None:
    generator = np.random.default_rng(2)
    common = generator.integers(2, 9, size=40)
    states = [np.array([1] * 40 + [2] * 3), np.array([3] * 5)]
    durations = [np.concatenate([common, [4, 4, 4]]), np.full(5, 7)]
    prior = DurationPrior.fit(states, durations, ids=5)
    assert prior.mean[1] == pytest.approx(np.log(common).mean())
    assert prior.std[1] == pytest.approx(max(np.log(common).std(), 0.2))
    pooled = np.log(np.concatenate(durations).astype(float))
    for rare in (0, 2, 3, 4):  # unseen or seen fewer than 10 times
        assert prior.mean[rare] == pytest.approx(pooled.mean())
        assert prior.std[rare] == pytest.approx(pooled.std())


@pytest.mark.parametrize("transitions", [False, True])
def test_resegmentation_of_a_corpus(piper_featdir: Path, transitions: bool) -> None:
    """On every split of a real FEATDIR: weight 0 gives the aligner's own MAS durations back
    (transitions folded as in its forward); a weighted prior gives valid durations per token
    that differ from them."""
    vocab, speakers, _ = load_feature_dir(piper_featdir)
    datasets = {
        split: FeatureDataset(piper_featdir, split, vocab, speakers)
        for split in ("train", "val", "test")
    }
    alignable = {split: (data, list(range(len(data)))) for split, data in datasets.items()}
    config = AlignerConfig(
        vocab_size=len(vocab) + 1,
        text_channels=16,
        attention_channels=8,
        transition_tokens=transitions,
        duration_prior_rounds=2,
        duration_prior_weight=0.0,
    )
    torch.manual_seed(0)
    aligner = Aligner(config).eval()
    own = {}
    cost, frames_seen = 0.0, 0
    for split, dataset in datasets.items():
        batch = collate([dataset[index] for index in range(len(dataset))])
        with torch.no_grad():
            found = aligner(batch.tokens, batch.token_lengths, batch.mels, batch.mel_lengths)
        for row, key in enumerate(batch.ids):
            own[key] = found.durations[row, : int(batch.token_lengths[row])].numpy()
            if split == "train":  # c: -log soft attention on the MAS path, per frame
                length = int(batch.mel_lengths[row])
                on_path = found.hard_attention[row, :, :length].bool()
                cost -= float(torch.log(found.soft_attention[row, :, :length][on_path]).sum())
                frames_seen += length
    cpu = torch.device("cpu")
    unweighted = resegment_with_duration_prior(aligner, alignable, config, cpu, progress=False)
    assert unweighted.durations.keys() == own.keys()
    for key, durations in unweighted.durations.items():
        np.testing.assert_array_equal(durations, own[key])
    assert unweighted.scale == 0.0
    assert unweighted.path_cost == pytest.approx(cost / frames_seen, rel=1e-4)
    weighted = resegment_with_duration_prior(
        aligner, alignable, dataclasses.replace(config, duration_prior_weight=20.0), cpu, False
    )
    assert weighted.path_cost == pytest.approx(unweighted.path_cost)
    assert weighted.scale == pytest.approx(20.0 / weighted.path_cost)
    frames = {
        str(entry["id"]): (int(entry["frames"]), len(entry["tokens"]))
        for dataset in datasets.values()
        for entry in dataset.entries
    }
    for key, durations in weighted.durations.items():
        assert (int(durations.sum()), len(durations)) == frames[key] and durations.min() >= 1
    assert any((weighted.durations[key] != own[key]).any() for key in own)


def test_duration_prior_settings_are_checked() -> None:
    for name in ("duration_prior_rounds", "duration_prior_weight"):
        with pytest.raises(ConfigError, match=f"align.{name} must be >= 0"):
            AlignerConfig(**{name: -1})


def test_the_numpy_fallback_finds_the_same_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where numba is missing the vectorised search runs instead: same durations, ties and
    forbidden durations included."""
    from fastspeak.aligners import duration_prior

    generator = np.random.default_rng(3)
    for states, frames, longest in [(1, 6, 8), (5, 5, 3), (7, 40, 12), (30, 200, 20)]:
        log_probs = np.round(generator.normal(size=(states, frames)), 1)  # ties happen
        table = np.round(generator.normal(size=(states, longest + 1)), 1)
        table[:, 0] = -np.inf
        table[generator.random(table.shape) < 0.1] = -np.inf
        table[:, 1] = 0.0  # one frame each stays allowed
        compiled = segmental_search(log_probs, table)
        with monkeypatch.context() as patch:
            patch.setattr(duration_prior, "_search", duration_prior._segmental_viterbi_numpy)
            fallback = segmental_search(log_probs, table)
        np.testing.assert_array_equal(fallback, compiled)
