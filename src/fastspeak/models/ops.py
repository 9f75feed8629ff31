"""Tensor operations shared by the models: masks and the length regulator.

Mask convention (the one used everywhere in fastspeak):
    ``sequence_mask(lengths)`` returns a bool tensor (B, T) that is **True at valid positions**
    and False at padding. Modules take lengths (or such a mask), never parallel ``max_len``
    integers, and zero their outputs where the mask is False.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "has_padding",
    "is_recording",
    "masked_fill_padding",
    "regulate_length",
    "sequence_mask",
]


def is_recording() -> bool:
    """True while tracing, compiling or exporting to ONNX: values must not be read back to
    Python there (the first input's values would be baked into the recorded graph)."""
    return bool(
        torch.jit.is_tracing() or torch.compiler.is_compiling() or torch.onnx.is_in_onnx_export()
    )


def sequence_mask(lengths: Tensor, max_length: int | None = None) -> Tensor:
    """Bool mask, True where ``t < lengths[b]`` (valid), False at padding.

    Args:
        lengths: (B,) integer lengths.
        max_length: T of the mask; defaults to ``lengths.max()`` (one host sync).
    Returns:
        (B, T) bool.
    """
    if max_length is None:
        max_length = int(lengths.max()) if lengths.numel() else 0
    positions = torch.arange(max_length, device=lengths.device)
    return positions.unsqueeze(0) < lengths.unsqueeze(1)


def has_padding(mask: Tensor) -> bool:
    """False when every position of ``mask`` (bool, True = valid) is valid, so masking can be
    skipped (one utterance, or equal lengths). One host sync. Always True while tracing,
    exporting, compiling or capturing a CUDA graph, so a recorded graph keeps the masked path
    for every input (and a capture never syncs).
    """
    if is_recording():
        return True
    if mask.is_cuda and torch.cuda.is_current_stream_capturing():
        return True
    return not bool(mask.all())


def masked_fill_padding(x: Tensor, mask: Tensor) -> Tensor:
    """Zero ``x`` where ``mask`` is False.

    x: (B, T) or (B, T, C); mask: (B, T) bool, True = valid.
    """
    if x.dim() == mask.dim() + 1:
        mask = mask.unsqueeze(-1)
    return x.masked_fill(~mask, 0.0)


def regulate_length(
    hidden: Tensor, durations: Tensor, max_length: int | None = None
) -> tuple[Tensor, Tensor]:
    """Length regulator (FastSpeech, section 3.2): repeat token ``n`` ``durations[b, n]`` times.

    Fully vectorised: frame ``t`` takes the first token whose cumulative duration exceeds
    ``t`` (``searchsorted`` over the cumulative sums), then one ``gather``. No Python loop over
    the batch or the tokens; the only host sync is ``mel_lengths.max()`` when ``max_length``
    is None. Zero durations (the token is skipped) and all-zero rows (length 0) are allowed.

    Args:
        hidden: (B, N, C) token-level features.
        durations: (B, N) integer frame counts >= 0 (padded tokens must be 0).
        max_length: T of the output. Longer utterances are truncated to it and their
            ``mel_lengths`` clamped; shorter ones are zero-padded. Defaults to the longest.
    Returns:
        expanded: (B, T, C) frame-level features, zero at padded frames. Differentiable
            with respect to ``hidden``.
        mel_lengths: (B,) long, ``durations.sum(1)`` clamped to ``max_length``.
    """
    if hidden.dim() != 3 or durations.shape != hidden.shape[:2]:
        raise ValueError(
            f"regulate_length needs hidden (B, N, C) and durations (B, N); "
            f"got {tuple(hidden.shape)} and {tuple(durations.shape)}"
        )
    batch, tokens, channels = hidden.shape
    durations = durations.long()
    ends = durations.cumsum(dim=1)  # (B, N): frame index where each token stops
    mel_lengths = (
        ends[:, -1] if tokens else torch.zeros(batch, dtype=torch.long, device=hidden.device)
    )
    recording = is_recording()
    length: int | Tensor
    if max_length is not None:
        length = max_length
    elif recording:  # a tensor, so a traced/exported graph keeps the length dynamic
        length = mel_lengths.max()
    else:
        length = int(mel_lengths.max()) if batch else 0
    frames = torch.arange(length, device=hidden.device).unsqueeze(0).expand(batch, -1)  # type: ignore[arg-type]
    # Number of tokens that end at or before frame t = index of the token covering frame t.
    if recording:  # ONNX has no searchsorted: count the ends directly, (B, T, N)
        index = (ends.unsqueeze(1) <= frames.unsqueeze(2)).sum(dim=2)
    else:
        index = torch.searchsorted(ends, frames.contiguous(), right=True)
    index = index.clamp(max=max(tokens - 1, 0))
    expanded = hidden.gather(1, index.unsqueeze(-1).expand(-1, -1, channels))
    mel_lengths = mel_lengths.clamp(max=frames.size(1))
    valid = frames < mel_lengths.unsqueeze(1)
    return masked_fill_padding(expanded, valid), mel_lengths
