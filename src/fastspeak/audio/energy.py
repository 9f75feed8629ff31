"""Frame energy: the L2 norm over frequency of each STFT magnitude frame (FastSpeech 2, 2.3).

Computed from the SAME magnitude as the mel (``MelSpectrogram.spectrogram``), so the
energy frames line up with the mel frames and no second STFT is taken.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import torch

__all__ = ["frame_energy"]

ArrayT = TypeVar("ArrayT", np.ndarray, torch.Tensor)


def frame_energy(magnitude: ArrayT) -> ArrayT:
    """L2 norm of each frame's linear STFT magnitude.

    magnitude: (..., T_mel, n_freq), numpy array or torch tensor.
    Returns (..., T_mel), same type (and device) as the input; raw units, not normalised.
    """
    if isinstance(magnitude, torch.Tensor):
        return torch.linalg.vector_norm(magnitude, ord=2, dim=-1)
    return np.linalg.norm(np.asarray(magnitude), axis=-1)
