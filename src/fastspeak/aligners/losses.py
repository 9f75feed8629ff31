"""Aligner losses (Badlani et al. 2022, sections 3.2-3.3; FastPitch 1.1's ``ForwardSumLoss``
and ``BinLoss``).

* Forward-sum: -log P(mels | tokens) summed over every monotonic path, computed as CTC over the
  attention with one extra "blank" class of fixed log-probability ``blank_logprob`` (-1) and
  the target sequence 1..N (every token visited in order). ``ctc_loss`` with
  ``reduction="mean"`` divides each utterance's loss by its token count and averages over the
  batch: FastPitch's per-utterance loop, in one call.
* Binarisation: KL(hard || soft) = -sum over the MAS path of log soft_attention, divided by
  the number of path cells (frames); it pulls the soft attention onto the hard path. Its
  weight is 0 before ``binarization_start_step``, then rises linearly to
  ``binarization_weight`` over ``binarization_warmup_steps``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from fastspeak.aligners.model import MASKED_LOG, AlignerOutput
from fastspeak.config import AlignerConfig

__all__ = ["AlignerLoss", "binarization_loss", "forward_sum_loss"]


def forward_sum_loss(
    log_attention: Tensor,
    token_lengths: Tensor,
    mel_lengths: Tensor,
    blank_logprob: float = -1.0,
) -> Tensor:
    """Forward-sum (CTC) loss of an attention matrix, normalised per utterance.

    Args:
        log_attention: (B, N, T) log scores of frame t on token n (padding is ignored).
        token_lengths: (B,) long; mel_lengths: (B,) long.
        blank_logprob: log score of the blank class before the log-softmax.
    Returns:
        Scalar float32: mean over utterances of -log P / N_b. Infinite losses (T < N, no path)
        are zeroed (``zero_infinity``).
    """
    batch, tokens, _ = log_attention.shape
    token_mask = torch.arange(tokens, device=log_attention.device) < token_lengths.unsqueeze(1)
    scores = log_attention.float().masked_fill(~token_mask.unsqueeze(2), MASKED_LOG)
    blank = scores.new_full((batch, 1, scores.size(2)), blank_logprob)
    log_probs = torch.log_softmax(torch.cat([blank, scores], dim=1), dim=1)  # (B, N + 1, T)
    targets = torch.arange(1, tokens + 1, device=log_attention.device).expand(batch, tokens)
    return F.ctc_loss(
        log_probs.permute(2, 0, 1),  # (T, B, N + 1)
        targets,
        mel_lengths.long(),
        token_lengths.long(),
        blank=0,
        reduction="mean",
        zero_infinity=True,
    )


def binarization_loss(soft_attention: Tensor, hard_attention: Tensor) -> Tensor:
    """KL(hard || soft): mean over the path's cells of -log soft_attention.

    soft_attention, hard_attention: (B, N, T); hard is a 0/1 path, 0 at padding.
    Returns a scalar.
    """
    on_path = hard_attention > 0
    log_soft = torch.log(soft_attention.float().clamp(min=1e-12))
    total = torch.where(on_path, log_soft, torch.zeros_like(log_soft)).sum()
    return -total / on_path.sum().clamp(min=1)


class AlignerLoss(nn.Module):
    """``(output, step) -> (total, {"forward_sum", "binarization", "binarization_weight"})``.

    ``step`` is the 1-based optimizer step (it sets the binarisation weight; see the module
    docstring). ``total`` carries the graph; the named terms are detached.
    """

    def __init__(self, config: AlignerConfig) -> None:
        super().__init__()
        self.blank_logprob = config.blank_logprob
        self.weight = config.binarization_weight
        self.start = config.binarization_start_step
        self.warmup = config.binarization_warmup_steps

    def binarization_weight(self, step: int) -> float:
        """0 before the start step, then a linear ramp to the full weight."""
        if step < self.start:
            return 0.0
        ramp = 1.0 if self.warmup == 0 else min((step - self.start + 1) / self.warmup, 1.0)
        return self.weight * ramp

    def forward(self, output: AlignerOutput, step: int) -> tuple[Tensor, dict[str, Tensor]]:
        forward_sum = forward_sum_loss(
            output.log_attention, output.token_lengths, output.mel_lengths, self.blank_logprob
        )
        binarization = binarization_loss(output.soft_attention, output.hard_attention)
        weight = self.binarization_weight(step)
        total = forward_sum + weight * binarization if weight > 0 else forward_sum
        terms = {
            "forward_sum": forward_sum.detach(),
            "binarization": binarization.detach(),
            "binarization_weight": torch.tensor(weight),
        }
        return total, terms
