"""Refinement of learned durations by a self-trained frame classifier (aligners/refine.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from fastspeak.aligners.metrics import boundary_offsets
from fastspeak.aligners.refine import frame_labels, refine_durations
from fastspeak.config import AlignerConfig, ConfigError
from fastspeak.data.batch import collate
from fastspeak.data.dataset import FeatureDataset, load_feature_dir

SPLITS = ("train", "val", "test")


def shifted(durations: np.ndarray, frames: int) -> np.ndarray:
    """Every boundary moved ``frames`` later where the tokens keep >= 1 frame (a lagging
    aligner's output); the sum is unchanged."""
    ends = np.cumsum(durations)
    moved = ends.copy()
    moved[:-1] = ends[:-1] + frames
    moved[:-1] = np.minimum(moved[:-1], ends[-1] - (len(ends) - 1 - np.arange(len(ends) - 1)))
    for index in range(len(moved) - 1):  # keep every token >= 1 frame
        moved[index] = max(moved[index], (moved[index - 1] if index else 0) + 1)
    return np.diff(moved, prepend=0)


def load(feat_dir: Path) -> dict[str, tuple[FeatureDataset, list[int]]]:
    vocab, speakers, _ = load_feature_dir(feat_dir)
    datasets = {split: FeatureDataset(feat_dir, split, vocab, speakers) for split in SPLITS}
    return {split: (dataset, list(range(len(dataset)))) for split, dataset in datasets.items()}


def test_frame_labels_repeat_each_token_over_its_frames(piper_featdir: Path) -> None:
    dataset, indices = load(piper_featdir)["train"]
    batch = collate([dataset[index] for index in indices[:3]])
    labels = frame_labels(batch)
    assert labels.shape == batch.mels.shape[:2]
    for row in range(3):
        expected = []
        pairs = zip(batch.tokens[row].tolist(), batch.durations[row].tolist(), strict=True)
        for token, frames in pairs:
            expected += [token] * frames
        length = int(batch.mel_lengths[row])
        assert labels[row, :length].tolist() == expected
        assert (labels[row, length:] == -100).all()


def test_frame_labels_leave_out_the_frames_next_to_boundaries(piper_featdir: Path) -> None:
    dataset, indices = load(piper_featdir)["train"]
    batch = collate([dataset[index] for index in indices[:3]])
    labels = frame_labels(batch, margin=1)
    for row in range(3):
        expected = []
        pairs = zip(batch.tokens[row].tolist(), batch.durations[row].tolist(), strict=True)
        for token, frames in pairs:
            for offset in range(frames):
                inner = 1 <= offset <= frames - 2 or offset == frames // 2
                expected.append(token if inner else -100)
        length = int(batch.mel_lengths[row])
        assert labels[row, :length].tolist() == expected


def test_refinement_undoes_a_consistent_lag(piper_featdir: Path) -> None:
    """Boundaries all 2 frames late (what the aligner does on flite voices) move back towards
    the teacher's: the classifier learns the phones' sounds from the corpus as a whole."""
    datasets = load(piper_featdir)
    truth, lagged = {}, {}
    for dataset, indices in datasets.values():
        for index in indices:
            item = dataset[index]
            truth[item["id"]] = item["durations"].numpy()
            lagged[item["id"]] = shifted(truth[item["id"]], 2)
    vocab_size = len(load_feature_dir(piper_featdir)[0])
    config = AlignerConfig(  # margin 1: steadier on 10 utterances
        vocab_size=vocab_size,
        refine_iterations=3,
        refine_epochs=40,
        refine_margin=1,
        batch_size=4,
    )

    def signed(found: dict[str, np.ndarray]) -> float:
        return float(np.concatenate([boundary_offsets(found[k], truth[k]) for k in truth]).mean())

    # Self-training on 10 utterances is noisy: over 26 (corpus build, seed) pairs one run left
    # 0.02-0.54 frames of the 2-frame lag, but one CI run left 1.54. The median of three seeds
    # asserts the method, not one lucky trajectory.
    afters = []
    for seed in range(3):
        torch.manual_seed(seed)
        refined = refine_durations(
            datasets, lagged, config, torch.device("cpu"), seed=seed, progress=False
        )
        assert set(refined) == set(truth)
        for key, value in refined.items():
            assert value.sum() == truth[key].sum() and value.min() >= 1
        afters.append(signed(refined))
    before, after = signed(lagged), float(np.median(afters))
    assert before > 1.5
    assert abs(after) < 0.5 * before, (before, afters)


def test_refinement_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="refine_iterations"):
        AlignerConfig(refine_iterations=-1)
    with pytest.raises(ConfigError, match="refine_epochs"):
        AlignerConfig(refine_epochs=0)
    with pytest.raises(ValueError, match="train split"):
        refine_durations({}, {}, AlignerConfig(refine_iterations=1), torch.device("cpu"))
    config = dataclasses.replace(AlignerConfig(), refine_iterations=1, refine_aligner_weight=1.0)
    dummy = {"train": (None, [])}
    with pytest.raises(ValueError, match="needs the aligner"):
        refine_durations(dummy, {}, config, torch.device("cpu"))  # type: ignore[arg-type]
