"""A padded training batch and the collate function that builds it.

Shapes: B utterances, N tokens, T mel frames, L = N (phoneme-level pitch/energy) or T
(frame-level). Padding is 0 everywhere (token id 0 is PAD); the model and the loss mask by
``token_lengths`` / ``mel_lengths``, so padded values never matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch
from torch import Tensor

__all__ = ["Batch", "collate", "pad_sequences"]


@dataclass
class Batch:
    """One training batch (satisfies ``fastspeak.models.LossTargets``).

    Attributes:
        ids: utterance ids, length B.
        tokens: (B, N) long, 0-padded.
        token_lengths: (B,) long.
        mels: (B, T, n_mels) float32 log-mel, 0-padded.
        mel_lengths: (B,) long, equal to ``durations.sum(1)``.
        durations: (B, N) long frames per token, 0 at padding.
        pitch: (B, L) float32 raw Hz (0 = unvoiced / no value).
        energy: (B, L) float32 raw energy.
        speaker_ids: (B,) long, or None for single-speaker data.
    """

    ids: list[str]
    tokens: Tensor
    token_lengths: Tensor
    mels: Tensor
    mel_lengths: Tensor
    durations: Tensor
    pitch: Tensor
    energy: Tensor
    speaker_ids: Tensor | None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def static_frames(self) -> int:
        """T of ``mels`` (max mel length, or more when collated with ``pad_multiple``)."""
        return int(self.mels.size(1))

    def _map(self, function: Any) -> Batch:
        values = {}
        for item in fields(self):
            value = getattr(self, item.name)
            values[item.name] = function(value) if isinstance(value, Tensor) else value
        return Batch(**values)

    def to(self, device: torch.device | str, non_blocking: bool = True) -> Batch:
        """A copy with every tensor on ``device`` (asynchronous from pinned memory)."""
        return self._map(lambda tensor: tensor.to(device, non_blocking=non_blocking))

    def pin_memory(self) -> Batch:
        """Called by ``DataLoader(pin_memory=True)`` for faster host-to-GPU copies."""
        return self._map(lambda tensor: tensor.pin_memory())


def pad_sequences(sequences: Sequence[Tensor], value: float = 0.0, multiple: int = 1) -> Tensor:
    """Stack tensors of shape (L_i, *rest) into (B, L, *rest), padding with ``value``; L is
    max L_i rounded up to a multiple of ``multiple``."""
    longest = max(int(sequence.shape[0]) for sequence in sequences)
    longest = -(-longest // multiple) * multiple
    first = sequences[0]
    out = first.new_full((len(sequences), longest, *first.shape[1:]), value)
    for index, sequence in enumerate(sequences):
        out[index, : sequence.shape[0]] = sequence
    return out


def collate(items: Sequence[dict[str, Any]], pad_multiple: int = 1) -> Batch:
    """Items of :class:`fastspeak.data.dataset.FeatureDataset` -> a padded :class:`Batch`.

    ``pad_multiple``: N and T are rounded up to a multiple of it, so batches repeat a few
    shapes and cuDNN / cuBLAS / oneDNN reuse the plans they chose for them (a new shape costs
    a plan search; on a GPU that can cost more than the step's arithmetic).
    """
    if not items:
        raise ValueError("cannot collate an empty list of items")
    if pad_multiple < 1:
        raise ValueError(f"pad_multiple must be >= 1 (got {pad_multiple})")

    def pad(key: str) -> Tensor:
        return pad_sequences([item[key] for item in items], multiple=pad_multiple)

    speaker_ids = [item["speaker_id"] for item in items]
    return Batch(
        ids=[item["id"] for item in items],
        tokens=pad("tokens"),
        token_lengths=torch.tensor([len(item["tokens"]) for item in items], dtype=torch.long),
        mels=pad("mels"),
        mel_lengths=torch.tensor([item["mels"].shape[0] for item in items], dtype=torch.long),
        durations=pad("durations"),
        pitch=pad("pitch"),
        energy=pad("energy"),
        speaker_ids=None
        if any(speaker is None for speaker in speaker_ids)
        else torch.tensor(speaker_ids, dtype=torch.long),
    )
