"""The static beta-binomial alignment prior (Badlani et al. 2022, section 3.1; FastPitch 1.1).

For an utterance of N tokens and T frames, frame t (1-based) gets a beta-binomial distribution
over the token index k in 0..N-1 with ``n = N - 1``, ``alpha = omega * t`` and
``beta = omega * (T + 1 - t)``: its mean moves along the diagonal and it is widest mid-
utterance. (FastPitch evaluates ``betabinom(N, ...)`` at 0..N-1, which leaves out the mass at
N; with ``n = N - 1`` each frame's distribution sums to one.)

Computed in closed form with log-gamma, vectorised over (N, T), and cached per (N, T, omega).
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

__all__ = ["batch_log_prior", "beta_binomial_prior"]

PRIOR_FLOOR = 1e-8
"""Added before the log (as FastPitch): the prior never forbids a cell outright."""


def _log_beta(a: Tensor, b: Tensor) -> Tensor:
    return torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)


@lru_cache(maxsize=1024)  # ~60 MB for utterances of 50 tokens and 300 frames
def _cached_log_prior(tokens: int, frames: int, scaling: float) -> Tensor:
    prior = beta_binomial_prior(tokens, frames, scaling)
    return torch.log(prior + PRIOR_FLOOR).float()


def beta_binomial_prior(tokens: int, frames: int, scaling: float = 1.0) -> Tensor:
    """The prior P(token k | frame t).

    Args:
        tokens: N >= 1; frames: T >= 1; scaling: omega > 0 (smaller = wider).
    Returns:
        (N, T) float64; every column (frame) sums to 1.
    """
    if tokens < 1 or frames < 1 or not scaling > 0:
        raise ValueError(
            f"beta-binomial prior needs tokens >= 1, frames >= 1, scaling > 0 "
            f"(got {tokens}, {frames}, {scaling})"
        )
    n = float(tokens - 1)
    k = torch.arange(tokens, dtype=torch.float64).unsqueeze(1)  # (N, 1)
    t = torch.arange(1, frames + 1, dtype=torch.float64).unsqueeze(0)  # (1, T)
    alpha, beta = scaling * t, scaling * (frames + 1 - t)
    log_choose = (
        torch.lgamma(torch.tensor(n + 1.0, dtype=torch.float64))
        - torch.lgamma(k + 1.0)
        - torch.lgamma(n - k + 1.0)
    )
    log_pmf = log_choose + _log_beta(k + alpha, n - k + beta) - _log_beta(alpha, beta)
    return torch.exp(log_pmf)


def batch_log_prior(
    token_lengths: Tensor,
    mel_lengths: Tensor,
    scaling: float = 1.0,
    max_tokens: int | None = None,
    max_frames: int | None = None,
) -> Tensor:
    """``log(prior + 1e-8)`` for a padded batch (cached per utterance shape).

    Args:
        token_lengths: (B,) long; mel_lengths: (B,) long.
        max_tokens, max_frames: N and T of the output (default: the longest lengths).
    Returns:
        (B, N, T) float32 on the lengths' device; 0 at padding (callers mask it themselves).
    """
    token_list = [int(n) for n in token_lengths.tolist()]
    frame_list = [int(t) for t in mel_lengths.tolist()]
    tokens_out = max(token_list, default=0) if max_tokens is None else max_tokens
    frames_out = max(frame_list, default=0) if max_frames is None else max_frames
    prior = torch.zeros(len(token_list), tokens_out, frames_out)
    for index, (tokens, frames) in enumerate(zip(token_list, frame_list, strict=True)):
        if tokens > 0 and frames > 0:
            prior[index, :tokens, :frames] = _cached_log_prior(tokens, frames, float(scaling))
    return prior.to(token_lengths.device)
