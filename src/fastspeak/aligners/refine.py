"""Refine learned durations by self-training a frame classifier (the hybrid HMM recipe).

The aligner's forward-sum (CTC) loss lets the soft attention fire anywhere inside a token's
frames: most frames go to the blank, and where each token "fires" is a free latent. On some
voices it settles late in every phone (flite: at 0.94 of the segment, against 0.50 on piper),
and the MAS boundaries lag by the same few frames everywhere. Refinement pins the boundaries
to the acoustics instead, as forced aligners do:

1. label every frame of the train split with its token under the current durations (leaving
   out ``refine_margin`` frames at each end of every token: frames that straddle a boundary);
2. train a small frame classifier (mels -> token id; ``refine_context`` frames of context on
   each side, 0 = the frame alone) on those labels;
3. realign every utterance with MAS over the scaled likelihoods
   ``log P(token | frame) - log P(token)`` (+ ``refine_aligner_weight`` x the aligner's
   log-attention, which keeps the aligner's view in the vote);
4. repeat ``refine_iterations`` times, each time with a fresh classifier.

Mislabelled frames are noise the classifier averages over the corpus: a frame that sounds like
phone B is labelled B in most utterances, so a consistent shift shrinks round by round. No
reference durations are used; the test split is realigned, never trained on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from fastspeak.aligners.mas import monotonic_alignment_search
from fastspeak.aligners.model import Aligner
from fastspeak.config import AlignerConfig
from fastspeak.data.batch import Batch
from fastspeak.data.dataset import FeatureDataset
from fastspeak.data.sampler import LengthBucketSampler, length_bucketed_loader

__all__ = ["FrameClassifier", "refine_durations"]

IGNORE = -100
"""Frame label at padding (``cross_entropy``'s ignore_index)."""


class FrameClassifier(nn.Module):
    """Normalised mels -> token-id logits per frame.

    Conv1d (kernel ``2 * context + 1``) -> ReLU -> 1x1 -> ReLU -> 1x1 to ``classes``.

    Args:
        n_mels: mel bands; classes: vocabulary size; channels: hidden width;
        context: frames seen on each side; mean, std: (n_mels,) input normalisation.
    """

    mean: Tensor
    std: Tensor

    def __init__(
        self,
        n_mels: int,
        classes: int,
        channels: int,
        context: int,
        mean: Tensor,
        std: Tensor,
    ) -> None:
        super().__init__()
        self.register_buffer("mean", mean.float().clone())
        self.register_buffer("std", std.float().clone())
        self.net = nn.Sequential(
            nn.Conv1d(n_mels, channels, 2 * context + 1, padding=context),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 1),
            nn.ReLU(),
            nn.Conv1d(channels, classes, 1),
        )

    def forward(self, mels: Tensor) -> Tensor:
        """mels: (B, T, n_mels) -> logits (B, T, classes)."""
        normalised = (mels - self.mean) / self.std
        return self.net(normalised.transpose(1, 2)).transpose(1, 2)


class _Relabelled(Dataset):
    """FeatureDataset items with durations from ``durations`` (by id)."""

    def __init__(self, dataset: FeatureDataset, durations: Mapping[str, np.ndarray]) -> None:
        self.dataset, self.durations = dataset, durations

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> dict:
        item = self.dataset[index]
        item["durations"] = torch.as_tensor(self.durations[item["id"]], dtype=torch.long)
        return item


def frame_labels(batch: Batch, margin: int = 0) -> Tensor:
    """(B, T) long: each frame's token id under ``batch.durations``; IGNORE at padding and at
    the ``margin`` frames at each end of every token (a token keeps at least its middle frame),
    so frames that straddle a boundary do not teach the classifier."""
    labels = torch.full(batch.mels.shape[:2], IGNORE, dtype=torch.long)
    for row in range(len(batch.ids)):
        length = int(batch.token_lengths[row])
        durations = batch.durations[row, :length]
        frames = torch.repeat_interleave(batch.tokens[row, :length], durations)
        if margin:
            starts = torch.cumsum(durations, 0) - durations
            offset = torch.arange(len(frames)) - torch.repeat_interleave(starts, durations)
            span = torch.repeat_interleave(durations, durations)
            edge = torch.minimum(offset, span - 1 - offset)  # frames to the nearer boundary
            keep = (edge >= margin) | (offset == span // 2)
            frames = torch.where(keep, frames, torch.full_like(frames, IGNORE))
        labels[row, : len(frames)] = frames
    return labels


def _loader(
    dataset: FeatureDataset,
    indices: Sequence[int],
    durations: Mapping[str, np.ndarray],
    batch_size: int,
    shuffle: bool,
    seed: int,
) -> tuple[DataLoader, LengthBucketSampler]:
    frames = [int(dataset.entries[index]["frames"]) for index in indices]
    relabelled = _Relabelled(dataset, durations)
    return length_bucketed_loader(relabelled, indices, frames, batch_size, shuffle, seed)


def _mel_statistics(dataset: FeatureDataset, indices: Sequence[int]) -> tuple[Tensor, Tensor]:
    """Per-band mean and std (n_mels,) over the frames of up to 500 utterances."""
    step = max(1, len(indices) // 500)
    mels = torch.cat([dataset[index]["mels"] for index in list(indices)[::step]])
    return mels.mean(0), mels.std(0).clamp(min=1e-3)


def _class_log_prior(
    dataset: FeatureDataset,
    indices: Sequence[int],
    durations: Mapping[str, np.ndarray],
    classes: int,
) -> Tensor:
    """log P(token) over the frames of the given items, add-one smoothed; (classes,)."""
    counts = np.ones(classes, dtype=np.float64)
    for index in indices:
        item_id = str(dataset.entries[index]["id"])
        tokens = dataset.token_ids[index]
        np.add.at(counts, tokens, durations[item_id])
    return torch.from_numpy(np.log(counts / counts.sum())).float()


def refine_durations(
    datasets: Mapping[str, tuple[FeatureDataset, Sequence[int]]],
    durations: Mapping[str, np.ndarray],
    config: AlignerConfig,
    device: torch.device,
    seed: int = 0,
    aligner: Aligner | None = None,
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """Durations after ``config.refine_iterations`` rounds of self-training (module docstring).

    Args:
        datasets: split -> (FeatureDataset, indices of the items to realign); the classifier
            trains on the "train" split's items.
        durations: utterance id -> (N,) int frames per token (the aligner's), summing to the
            utterance's mel frames.
        config: the ``align`` section (``refine_*`` settings, ``batch_size``, ``vocab_size``).
        device: where the classifier trains.
        aligner: the trained aligner, whose log-attention posteriors join the scores with
            weight ``config.refine_aligner_weight`` (required when that weight is not 0).
    Returns:
        utterance id -> (N,) int64 refined durations (>= 1 each, same sums), for every item of
        every split.
    """
    if "train" not in datasets:
        raise ValueError("refinement trains its frame classifier on the train split")
    if config.refine_aligner_weight and aligner is None:
        raise ValueError("refine_aligner_weight needs the aligner")
    current = {key: np.asarray(value, dtype=np.int64) for key, value in durations.items()}
    train_dataset, train_indices = datasets["train"]
    mean, std = _mel_statistics(train_dataset, train_indices)
    generator = torch.Generator().manual_seed(seed)
    rounds = tqdm(
        range(config.refine_iterations), desc="refine", unit="round", disable=not progress
    )
    for round_index in rounds:
        with torch.random.fork_rng(devices=[]):  # seeded init, global RNG left as it was
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
            classifier = FrameClassifier(
                config.n_mels,
                config.vocab_size,
                config.refine_channels,
                config.refine_context,
                mean,
                std,
            ).to(device)
        log_prior = _class_log_prior(train_dataset, train_indices, current, config.vocab_size)
        _train_classifier(
            classifier, train_dataset, train_indices, current, config, device, seed + round_index
        )
        updated: dict[str, np.ndarray] = {}
        for dataset, indices in datasets.values():
            updated.update(
                _realign(
                    classifier,
                    log_prior.to(device),
                    dataset,
                    indices,
                    current,
                    config,
                    device,
                    aligner,
                )
            )
        current.update(updated)
    return current


def _train_classifier(
    classifier: FrameClassifier,
    dataset: FeatureDataset,
    indices: Sequence[int],
    durations: Mapping[str, np.ndarray],
    config: AlignerConfig,
    device: torch.device,
    seed: int,
) -> None:
    optimizer = torch.optim.Adam(classifier.parameters(), lr=config.refine_learning_rate)
    loader, sampler = _loader(dataset, indices, durations, config.batch_size, True, seed)
    classifier.train()
    for epoch in range(config.refine_epochs):
        sampler.set_epoch(epoch)
        for batch in loader:
            logits = classifier(batch.mels.to(device))
            loss = nn.functional.cross_entropy(
                logits.reshape(-1, logits.size(-1)),
                frame_labels(batch, config.refine_margin).to(device).reshape(-1),
                ignore_index=IGNORE,
            )
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()


@torch.no_grad()
def _realign(
    classifier: FrameClassifier,
    log_prior: Tensor,
    dataset: FeatureDataset,
    indices: Sequence[int],
    durations: Mapping[str, np.ndarray],
    config: AlignerConfig,
    device: torch.device,
    aligner: Aligner | None,
) -> dict[str, np.ndarray]:
    classifier.eval()
    realigned: dict[str, np.ndarray] = {}
    loader, _ = _loader(dataset, indices, durations, config.batch_size, False, 0)
    for batch in loader:
        tokens, mels = batch.tokens.to(device), batch.mels.to(device)
        scaled = torch.log_softmax(classifier(mels), dim=-1) - log_prior  # (B, T, V)
        scores = scaled.gather(2, tokens.unsqueeze(1).expand(-1, scaled.size(1), -1))
        scores = scores.transpose(1, 2)  # (B, N, T)
        if config.refine_aligner_weight:
            assert aligner is not None
            lengths = batch.token_lengths.to(device), batch.mel_lengths.to(device)
            log_attention = aligner.scores(tokens, lengths[0], mels, lengths[1])[0]
            scores = scores + config.refine_aligner_weight * torch.log_softmax(log_attention, 1)
        found = monotonic_alignment_search(scores, batch.token_lengths, batch.mel_lengths)
        for row, item_id in enumerate(batch.ids):
            realigned[item_id] = found[row, : int(batch.token_lengths[row])].cpu().numpy()
    return realigned
