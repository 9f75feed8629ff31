"""Training losses: FastSpeech 2 (Ren et al. 2020, section 2; ming024's terms) and FastSpeech
(Ren et al. 2019, section 3.3; xcmyz's terms as options).

FastSpeech 2: total = L1(mel) + L1(postnet mel) + MSE(pitch) + MSE(energy) + MSE(log(d + 1)).
FastSpeech: total = MSE(mel) + MSE(postnet mel) + MSE(log(d + 1)) by default.
Each term is a masked mean over valid positions only (so padded values never change the loss).
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor, nn

from fastspeak.config import ModelConfig
from fastspeak.models.outputs import FastSpeech2Output, FastSpeechOutput

__all__ = ["FastSpeech2Loss", "FastSpeechLoss", "LossTargets"]


class LossTargets(Protocol):
    """What the loss reads from a batch (the data layer's Batch satisfies it; so does any
    object with these attributes, e.g. ``types.SimpleNamespace(mels=..., durations=...)``).

    Attributes:
        mels: (B, T', n_mels) target mels, T' >= the model output's T (extra frames cut).
        durations: (B, N) long target frames per token.

    Masks come from the output (built from the same token_lengths/mel_lengths the model got),
    and the pitch/energy targets from ``output.pitch``/``output.energy``: ``forward`` stores
    there the raw batch targets normalised with the model's statistics, so the loss needs no
    statistics of its own and cannot disagree with the model about them.
    """

    mels: Tensor
    durations: Tensor


def _masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` (B, T) or (B, T, C) over positions where mask (B, T) is True."""
    if values.dim() == mask.dim() + 1:
        mask = mask.unsqueeze(-1).expand_as(values)
    # where(), not a product: NaN or inf in padding must not reach the sum.
    total = torch.where(mask, values, torch.zeros((), dtype=values.dtype, device=values.device))
    return total.sum() / mask.sum().clamp(min=1).to(values.dtype)


class FastSpeech2Loss(nn.Module):
    """``(targets, output) -> (total, {"mel", "postnet_mel", "pitch", "energy", "duration"})``.

    ``total`` carries the graph; the named terms are detached scalars for logging.

    Pitch and energy are compared in the normalised domain, masked by ``token_mask`` or
    ``mel_mask`` according to ``config.pitch_level`` / ``energy_level``; durations as
    log(d + 1) masked by ``token_mask``. Only teacher-forced outputs (``model.forward``) are
    accepted.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.pitch_level = config.pitch_level
        self.energy_level = config.energy_level

    def forward(
        self, targets: LossTargets, output: FastSpeech2Output
    ) -> tuple[Tensor, dict[str, Tensor]]:
        if not output.teacher_forced:
            raise ValueError("FastSpeech2Loss needs the output of model.forward, not infer")
        mel_mask, token_mask = output.mel_mask, output.token_mask
        frames = mel_mask.size(1)
        if targets.mels.size(1) < frames:
            raise ValueError(
                f"target mels have {targets.mels.size(1)} frames, the output {frames}; "
                "mel_lengths and durations disagree"
            )
        mels = targets.mels[:, :frames].to(output.mels.dtype)
        level_masks = {"phoneme": token_mask, "frame": mel_mask}
        log_durations = torch.log1p(targets.durations.to(output.log_duration_prediction.dtype))
        terms = {
            "mel": _masked_mean((output.mels - mels).abs(), mel_mask),
            "postnet_mel": _masked_mean((output.mels_postnet - mels).abs(), mel_mask),
            "pitch": _masked_mean(
                (output.pitch_prediction - output.pitch.detach()) ** 2,
                level_masks[self.pitch_level],
            ),
            "energy": _masked_mean(
                (output.energy_prediction - output.energy.detach()) ** 2,
                level_masks[self.energy_level],
            ),
            "duration": _masked_mean(
                (output.log_duration_prediction - log_durations) ** 2, token_mask
            ),
        }
        total = torch.stack(list(terms.values())).sum()
        return total, {name: term.detach() for name, term in terms.items()}


class FastSpeechLoss(nn.Module):
    """``(targets, output) -> (total, {"mel", "postnet_mel", "duration"})`` for FastSpeech.

    From ``config.fastspeech``: ``mel_loss`` ``mse`` (paper and xcmyz) or ``l1``, on the
    decoder mel and on the postnet mel (no ``postnet_mel`` term with ``postnet: none``);
    ``duration_loss`` ``log_mse`` (paper: MSE on log(d + 1)) or ``linear_l1`` (xcmyz: L1 on
    frames). The model's duration predictor works in the matching domain. Masked by
    ``mel_mask`` / ``token_mask``; only teacher-forced outputs are accepted. ``total`` carries
    the graph; the named terms are detached scalars for logging.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.mel_loss = config.fastspeech.mel_loss
        self.duration_loss = config.fastspeech.duration_loss
        self.postnet = config.fastspeech.postnet != "none"

    def forward(
        self, targets: LossTargets, output: FastSpeechOutput
    ) -> tuple[Tensor, dict[str, Tensor]]:
        if not output.teacher_forced:
            raise ValueError("FastSpeechLoss needs the output of model.forward, not infer")
        expected = "log" if self.duration_loss == "log_mse" else "linear"
        if output.duration_domain != expected:
            raise ValueError(
                f"the model predicts {output.duration_domain} durations but the loss is "
                f"{self.duration_loss}; build both from the same model config"
            )
        mel_mask, token_mask = output.mel_mask, output.token_mask
        frames = mel_mask.size(1)
        if targets.mels.size(1) < frames:
            raise ValueError(
                f"target mels have {targets.mels.size(1)} frames, the output {frames}; "
                "mel_lengths and durations disagree"
            )
        mels = targets.mels[:, :frames].to(output.mels.dtype)

        def mel_term(predicted: Tensor) -> Tensor:
            difference = predicted - mels
            values = difference**2 if self.mel_loss == "mse" else difference.abs()
            return _masked_mean(values, mel_mask)

        terms = {"mel": mel_term(output.mels)}
        if self.postnet:
            terms["postnet_mel"] = mel_term(output.mels_postnet)
        durations = targets.durations.to(output.duration_prediction.dtype)
        if self.duration_loss == "log_mse":
            duration = (output.duration_prediction - torch.log1p(durations)) ** 2
        else:
            duration = (output.duration_prediction - durations).abs()
        terms["duration"] = _masked_mean(duration, token_mask)
        total = torch.stack(list(terms.values())).sum()
        return total, {name: term.detach() for name, term in terms.items()}
