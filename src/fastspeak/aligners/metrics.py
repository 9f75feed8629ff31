"""Phone-boundary error of durations against reference durations (FastSpeech 2, section 3.2.2
and table 5: "mean absolute error of phoneme boundaries", MFA 12.47 ms, teacher attention
19.68 ms).

A token's boundary is where it ends: the cumulative sum of durations in frames, times
``hop_length / sample_rate``. The last token's end is the utterance end, the same in both when
the durations sum to the same frame count, so it is left out; every other boundary counts once.

A teacher that puts a blank symbol between its phones (piper / VITS, where blanks average
2.1 frames at the piper corpus's boundaries) gives each boundary as an interval: the token
before it owns the blank's frames in the reference (piper's own bookkeeping), yet the blank
belongs to neither phone, so its start is as much the teacher's boundary as its end. With
``blank_frames`` the offset is measured to the nearest cut inside that interval (0 inside it);
without, to its end, the reference durations as they stand. Reports give both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = ["BoundaryErrors", "boundary_errors", "boundary_offsets"]


@dataclass(frozen=True)
class BoundaryErrors:
    """Absolute boundary errors in milliseconds over every boundary of every utterance."""

    mean_ms: float
    median_ms: float
    p95_ms: float
    exact_fraction: float  # boundaries placed on the reference frame
    boundaries: int
    utterances: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def boundary_offsets(
    predicted: Sequence[int] | np.ndarray,
    reference: Sequence[int] | np.ndarray,
    blank_frames: Sequence[int] | np.ndarray | None = None,
) -> np.ndarray:
    """Signed boundary offsets in frames (predicted - reference) of one utterance.

    predicted, reference: (N,) integer frames per token, N >= 1; blank_frames: (N,) the last
    frames of each reference token that are its teacher's blank (each token's end boundary is
    then the interval ``[end - blank, end]``, and a predicted boundary inside it is 0 off).
    Returns (N - 1,) int64. Raises ValueError when the lengths differ.
    """
    predicted = np.asarray(predicted, dtype=np.int64)
    reference = np.asarray(reference, dtype=np.int64)
    if predicted.ndim != 1 or predicted.shape != reference.shape:
        raise ValueError(
            f"durations must be two (N,) arrays of one length; got {predicted.shape} and "
            f"{reference.shape}"
        )
    predicted_ends = np.cumsum(predicted)[:-1]
    reference_ends = np.cumsum(reference)[:-1]
    if blank_frames is None:
        return predicted_ends - reference_ends
    blank = np.asarray(blank_frames, dtype=np.int64)
    if blank.shape != reference.shape:
        raise ValueError(f"blank_frames has shape {blank.shape}, the durations {reference.shape}")
    earliest = reference_ends - blank[:-1]
    late = np.maximum(predicted_ends - reference_ends, 0)
    early = np.minimum(predicted_ends - earliest, 0)
    return late + early


def boundary_errors(
    predicted: Sequence[Sequence[int] | np.ndarray],
    reference: Sequence[Sequence[int] | np.ndarray],
    hop_length: int,
    sample_rate: int,
    blank_frames: Sequence[Sequence[int] | np.ndarray] | None = None,
) -> BoundaryErrors:
    """Mean / median / 95th-percentile absolute phone-boundary error in ms.

    Args:
        predicted: per utterance, (N_i,) frames per token.
        reference: per utterance, (N_i,) frames per token (same tokens).
        hop_length, sample_rate: the mel frame hop (one frame = hop / rate seconds).
        blank_frames: per utterance, (N_i,) the teacher's blank frames ending each reference
            token: errors to the nearest cut inside each blank (see :func:`boundary_offsets`).
    Returns:
        BoundaryErrors over all boundaries pooled (NaN statistics when there are none).
    """
    if len(predicted) != len(reference):
        raise ValueError(f"{len(predicted)} predicted utterances but {len(reference)} references")
    if hop_length <= 0 or sample_rate <= 0:
        raise ValueError("hop_length and sample_rate must be > 0")
    if blank_frames is not None and len(blank_frames) != len(reference):
        raise ValueError(f"{len(blank_frames)} blank_frames for {len(reference)} references")
    blanks = blank_frames if blank_frames is not None else [None] * len(reference)
    offsets = [
        boundary_offsets(p, r, b) for p, r, b in zip(predicted, reference, blanks, strict=True)
    ]
    frames = np.abs(np.concatenate(offsets)) if offsets else np.zeros(0, dtype=np.int64)
    milliseconds = frames * (1000.0 * hop_length / sample_rate)
    if not len(milliseconds):
        nan = float("nan")
        return BoundaryErrors(nan, nan, nan, nan, 0, len(predicted))
    return BoundaryErrors(
        mean_ms=float(milliseconds.mean()),
        median_ms=float(np.median(milliseconds)),
        p95_ms=float(np.percentile(milliseconds, 95)),
        exact_fraction=float((frames == 0).mean()),
        boundaries=int(len(milliseconds)),
        utterances=len(predicted),
    )
