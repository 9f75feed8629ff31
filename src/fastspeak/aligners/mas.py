"""Monotonic alignment search (MAS): the most likely monotonic token path through a
(B, N, T) log-probability matrix, as hard durations.

Glow-TTS (Kim et al. 2020, arXiv 2005.11129, algorithm 1) and Badlani et al. 2022 (section
3.2): every frame belongs to exactly one token; the path starts at token 0 on frame 0, ends at
token N-1 on frame T-1 and moves at most one token per frame, so every token gets >= 1 frame
(this needs T >= N). The score of a path is the sum of its log-probabilities:

    Q[n, t] = log_probs[n, t] + max(Q[n, t-1], Q[n-1, t-1])

and the backtrack from (N-1, T-1) moves to the previous token when it is strictly better (or
when the frames left equal the tokens left), else stays; ties stay on the same token. Sums
run in float64.

Two implementations give identical paths: numba (compiled once, cached on disk) over the whole
batch on the CPU, O(N * T) per utterance with no Python per cell (about 5 ms for 16 x 80 x 700;
accelerator tensors are copied to the host); and torch, vectorised over the batch and the
tokens with a Python loop over frames (about 20x slower on a CPU), used where numba is not
installed.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
from torch import Tensor

try:
    import numba
except ImportError:  # pragma: no cover - numba is a dependency; a bare GPU image may lack it
    numba = None  # type: ignore[assignment]

from fastspeak.models.ops import sequence_mask

__all__ = ["durations_to_attention", "monotonic_alignment_search"]


def _search_batch(
    log_probs: np.ndarray, token_lengths: np.ndarray, mel_lengths: np.ndarray
) -> np.ndarray:  # pragma: no cover - jit
    batch, tokens, frames = log_probs.shape
    durations = np.zeros((batch, tokens), dtype=np.int64)
    value = np.empty((tokens, frames), dtype=np.float64)
    for b in range(batch):
        n_tokens = token_lengths[b]
        n_frames = mel_lengths[b]
        if n_tokens == 0 or n_frames == 0:
            continue
        for n in range(n_tokens):
            value[n, 0] = -np.inf
        value[0, 0] = log_probs[b, 0, 0]
        for t in range(1, n_frames):
            for n in range(n_tokens):
                if n > t:
                    value[n, t] = -np.inf
                    continue
                best = value[n, t - 1]
                if n > 0 and value[n - 1, t - 1] > best:
                    best = value[n - 1, t - 1]
                value[n, t] = best + log_probs[b, n, t]
        n = n_tokens - 1
        for t in range(n_frames - 1, -1, -1):
            durations[b, n] += 1
            if n > 0 and (n == t or value[n - 1, t - 1] > value[n, t - 1]):
                n -= 1
    return durations


if numba is not None:
    _search_batch = numba.njit(cache=True, nogil=True)(_search_batch)


def _search_torch(log_probs: Tensor, token_lengths: Tensor, mel_lengths: Tensor) -> Tensor:
    """The same DP and backtrack as ``_search_batch``, vectorised over (B, N); float64."""
    batch, tokens, frames = log_probs.shape
    device = log_probs.device
    value = torch.full((batch, tokens, frames), -torch.inf, dtype=torch.float64, device=device)
    value[:, 0, 0] = log_probs[:, 0, 0]
    token_index = torch.arange(tokens, device=device)
    for t in range(1, frames):
        previous = value[:, :, t - 1]
        moved = torch.nn.functional.pad(previous[:, :-1], (1, 0), value=-torch.inf)
        current = torch.maximum(previous, moved) + log_probs[:, :, t]
        value[:, :, t] = current.masked_fill(token_index > t, -torch.inf)
    rows = torch.arange(batch, device=device)
    position = token_lengths - 1  # (B,) the token of the frame being assigned
    durations = torch.zeros(batch, tokens, dtype=torch.long, device=device)
    for t in range(frames - 1, -1, -1):
        active = t < mel_lengths
        durations[rows, position] += active.long()
        if t == 0:
            break
        stay = value[rows, position, t - 1]
        move = value[rows, (position - 1).clamp(min=0), t - 1]
        go = active & (position > 0) & ((position == t) | (move > stay))
        position = position - go.long()
    return durations


def monotonic_alignment_search(
    log_probs: Tensor,
    token_lengths: Tensor,
    mel_lengths: Tensor,
    implementation: Literal["auto", "numba", "torch"] = "auto",
) -> Tensor:
    """Hard durations of the best monotonic path (see the module docstring).

    Args:
        log_probs: (B, N, T) log-probabilities (or any scores) of frame t belonging to token n;
            values at padding are ignored. -inf is allowed (a path through it scores -inf).
        token_lengths: (B,) long, >= 1.
        mel_lengths: (B,) long, >= token_lengths (one frame per token at least).
        implementation: "auto" = numba when installed, else torch; both give the same
            durations.
    Returns:
        (B, N) long durations on ``log_probs.device``: >= 1 for every valid token, 0 at padded
        tokens, summing to ``mel_lengths``. No gradient.
    Raises:
        ValueError: an utterance has fewer frames than tokens, or lengths exceed the matrix.
    """
    if log_probs.dim() != 3:
        raise ValueError(f"log_probs must be (B, N, T), got shape {tuple(log_probs.shape)}")
    batch, tokens, frames = log_probs.shape
    token_lengths_np = token_lengths.detach().cpu().long().numpy()
    mel_lengths_np = mel_lengths.detach().cpu().long().numpy()
    if token_lengths_np.shape != (batch,) or mel_lengths_np.shape != (batch,):
        raise ValueError("token_lengths and mel_lengths must be (B,)")
    if (token_lengths_np > tokens).any() or (mel_lengths_np > frames).any():
        raise ValueError(f"lengths exceed the (B, N, T) = {tuple(log_probs.shape)} matrix")
    short = np.flatnonzero((mel_lengths_np < token_lengths_np) | (token_lengths_np < 1))
    if len(short):
        b = int(short[0])
        raise ValueError(
            f"monotonic alignment search needs 1 <= tokens <= frames; utterance {b} of the "
            f"batch has {token_lengths_np[b]} tokens and {mel_lengths_np[b]} frames"
        )
    if implementation == "auto":
        implementation = "numba" if numba is not None else "torch"
    if implementation == "torch":
        device = log_probs.device
        return _search_torch(
            log_probs.detach().to(torch.float64),
            torch.from_numpy(token_lengths_np).to(device),
            torch.from_numpy(mel_lengths_np).to(device),
        )
    if implementation != "numba" or numba is None:
        raise ValueError(
            f"implementation must be auto, numba (installed) or torch, not {implementation!r}"
        )
    values = log_probs.detach().to("cpu", torch.float64).numpy()
    durations = _search_batch(np.ascontiguousarray(values), token_lengths_np, mel_lengths_np)
    return torch.from_numpy(durations).to(log_probs.device)


def durations_to_attention(durations: Tensor, max_frames: int | None = None) -> Tensor:
    """Durations -> the hard (one-hot) attention of the path they describe.

    Args:
        durations: (B, N) integer frames per token (0 at padded tokens).
        max_frames: T of the output; defaults to the longest utterance.
    Returns:
        (B, N, T) float: 1 where frame t belongs to token n, 0 elsewhere (and at padded frames).
    """
    durations = durations.long()
    ends = durations.cumsum(dim=1)  # (B, N)
    lengths = ends[:, -1] if durations.size(1) else durations.new_zeros(durations.size(0))
    if max_frames is None:
        max_frames = int(lengths.max()) if durations.numel() else 0
    frames = torch.arange(max_frames, device=durations.device).expand(durations.size(0), -1)
    index = torch.searchsorted(ends, frames.contiguous(), right=True)  # (B, T) token of frame t
    tokens = torch.arange(durations.size(1), device=durations.device)
    attention = index.unsqueeze(1) == tokens.view(1, -1, 1)  # (B, N, T)
    valid = sequence_mask(lengths, max_frames).unsqueeze(1)
    return (attention & valid).float()
