"""Joint training: FastSpeech 2 / FastSpeech on durations its own aligner learns as it trains
(FastPitch 1.1; Badlani et al. 2022, section 4), chosen with ``train.durations: learned``.

Per batch, :class:`JointAlignment` runs the aligner on (tokens, mels), replaces the batch's
durations by the MAS durations (so the model's length regulator and its duration loss both use
them) and returns ``align.joint_weight`` x the aligner loss, which the trainer adds to the
model's loss. The aligner's weights are saved under ``"aligner"`` in the training checkpoint;
the acoustic model's ``"model"`` weights stay as they are, so synthesis needs no aligner.

Pitch and energy must be frame-level (``features.pitch_level: frame``, ``energy_level:
frame``) for FastSpeech 2: phoneme-level values are averages over the FEATDIR's durations,
which the learned durations replace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from fastspeak.aligners.losses import AlignerLoss
from fastspeak.aligners.model import Aligner
from fastspeak.config import Config, ConfigError
from fastspeak.data.batch import Batch

__all__ = ["JointAlignment", "aligned_loader", "check_joint_config"]


def check_joint_config(config: Config, variance: bool, distributed: bool) -> None:
    """Raise ConfigError when ``train.durations: learned`` cannot work with this config.

    ``variance``: the model has pitch/energy (FastSpeech 2); ``distributed``: DDP run.
    """
    if variance:
        for name in ("pitch_level", "energy_level"):
            if getattr(config.features, name) != "frame":
                raise ConfigError(
                    f"train.durations=learned needs frame-level pitch and energy: the FEATDIR "
                    f"has features.{name}={getattr(config.features, name)} (averages over its "
                    f"own durations); re-run preprocess with --set features.pitch_level=frame "
                    f"--set features.energy_level=frame and train with model.pitch_level=frame "
                    f"model.energy_level=frame"
                )
    if config.align.transition_tokens:
        raise ConfigError(
            "train.durations=learned does not take align.transition_tokens (a transition "
            "state needs 2N-1 frames for N tokens, which short utterances lack); set it to "
            "false, or align first (fastspeak align, which leaves such utterances out) and "
            "train on its durations"
        )
    if distributed:
        raise ConfigError(
            "train.durations=learned does not support multi-process (DDP) training yet; "
            "train on one device, or align first (fastspeak align) and train on its durations"
        )


class JointAlignment(nn.Module):
    """The aligner and its loss, as the trainer uses them.

    Args:
        config: the run's config (``align`` is the aligner's; its ``vocab_size`` and
            ``n_mels`` are set from ``model``).
    """

    def __init__(self, config: Config) -> None:
        super().__init__()
        align = dataclasses.replace(
            config.align, vocab_size=config.model.vocab_size, n_mels=config.model.n_mels
        )
        self.aligner = Aligner(align)
        self.criterion = AlignerLoss(align)
        self.weight = align.joint_weight

    def forward(self, batch: Batch, step: int) -> tuple[Batch, Tensor, dict[str, Tensor]]:
        """Align a batch: (the batch with MAS durations, weighted aligner loss, named terms).

        ``step`` is the 1-based optimizer step (it ramps the binarisation loss in).
        """
        output = self.aligner(batch.tokens, batch.token_lengths, batch.mels, batch.mel_lengths)
        total, terms = self.criterion(output, step)
        aligned = dataclasses.replace(batch, durations=output.durations)
        named = {f"align_{name}": value for name, value in terms.items()}
        return aligned, self.weight * total, named

    @torch.no_grad()
    def durations_for(self, batch: Batch) -> Batch:
        """The batch with the aligner's MAS durations (no loss; for validation)."""
        was_training = self.aligner.training
        self.aligner.eval()
        output = self.aligner(batch.tokens, batch.token_lengths, batch.mels, batch.mel_lengths)
        self.aligner.train(was_training)
        return dataclasses.replace(batch, durations=output.durations)

    def weights(self) -> dict[str, Any]:
        return self.aligner.state_dict()

    def load_weights(self, state: Mapping[str, Any]) -> None:
        self.aligner.load_state_dict(state)


class _AlignedBatches:
    """Re-iterable: the batches of ``loader`` on ``device`` with the aligner's durations."""

    def __init__(self, loader: Iterable[Batch], joint: JointAlignment, device: torch.device):
        self.loader, self.joint, self.device = loader, joint, device

    def __iter__(self) -> Iterator[Batch]:
        for batch in self.loader:
            yield self.joint.durations_for(batch.to(self.device))


def aligned_loader(
    loader: Iterable[Batch], joint: JointAlignment | None, device: torch.device
) -> Iterable[Batch]:
    """``loader`` itself without joint alignment, else its batches with learned durations
    (validation then measures the model on the durations it trains with)."""
    return loader if joint is None else _AlignedBatches(loader, joint, device)
