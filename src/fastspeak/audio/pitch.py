"""Fundamental frequency (f0) on the mel frame grid, with WORLD (pyworld).

FastSpeech 2 (arXiv 2006.04558, 2.3) takes f0 from WORLD; ming024/FastSpeech2 uses DIO refined
by StoneMask, which we follow (~9 ms per second of audio per core; Harvest is more robust on
creaky voice but ~15x slower). The frame period is ``hop_length / sample_rate`` seconds, so
f0 frame ``t`` is centred on sample ``t * hop_length`` exactly like mel frame ``t``
(``center=True``); the result is padded/trimmed to the caller's ``n_frames``.

Convention: f0 in Hz, 0.0 = unvoiced. :func:`interpolate_unvoiced` fills unvoiced frames
linearly for frame-level targets; phoneme-level averaging lives in
:func:`fastspeak.audio.stats.average_by_durations`.
"""

from __future__ import annotations

import numpy as np
import pyworld

from fastspeak.config import AudioConfig, FeatureConfig

__all__ = ["UnvoicedError", "extract_pitch", "interpolate_unvoiced"]

MIN_VOICED_FRAMES = 2


class UnvoicedError(ValueError):
    """Too few voiced frames for a pitch contour; the caller should skip the utterance."""


def _check_voiced(f0: np.ndarray, min_voiced: int) -> np.ndarray:
    voiced = f0 > 0
    count = int(voiced.sum())
    if count < min_voiced:
        raise UnvoicedError(
            f"only {count} of {len(f0)} frames are voiced (need at least {min_voiced}); "
            "the audio is silent, noise or not speech"
        )
    return voiced


def extract_pitch(
    wav: np.ndarray,
    config: AudioConfig,
    features: FeatureConfig,
    n_frames: int,
    min_voiced: int = MIN_VOICED_FRAMES,
) -> np.ndarray:
    """f0 contour in Hz aligned with the mel frames, 0.0 where unvoiced.

    wav: (T_wav,) float in [-1, 1] at ``config.sample_rate``.
    n_frames: the mel frame count, normally ``mel_frames(len(wav), hop_length)``; WORLD yields
      that many frames already, so padding (with 0 = unvoiced) or trimming is at most a frame
      unless the caller asks for a different length.
    min_voiced: raise UnvoicedError when fewer frames are voiced (0 disables the check).
    Returns: (n_frames,) float32.
    """
    x = np.ascontiguousarray(wav, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"extract_pitch expects a mono (T_wav,) waveform, got shape {x.shape}")
    frame_period_ms = config.hop_length / config.sample_rate * 1000.0
    floor, ceiling = float(features.pitch_floor), float(features.pitch_ceiling)
    if features.pitch_method == "dio":
        f0, times = pyworld.dio(
            x, config.sample_rate, f0_floor=floor, f0_ceil=ceiling, frame_period=frame_period_ms
        )
        f0 = pyworld.stonemask(x, f0, times, config.sample_rate)
    elif features.pitch_method == "harvest":
        f0, _ = pyworld.harvest(
            x, config.sample_rate, f0_floor=floor, f0_ceil=ceiling, frame_period=frame_period_ms
        )
    else:
        raise ValueError(
            f"features.pitch_method must be 'dio' or 'harvest' (got {features.pitch_method!r})"
        )
    f0 = f0[:n_frames]
    if len(f0) < n_frames:
        f0 = np.pad(f0, (0, n_frames - len(f0)))
    f0 = f0.astype(np.float32)
    if min_voiced > 0:
        _check_voiced(f0, min_voiced)
    return f0


def interpolate_unvoiced(
    f0: np.ndarray, min_voiced: int = MIN_VOICED_FRAMES
) -> tuple[np.ndarray, np.ndarray]:
    """Fill unvoiced (0) frames by linear interpolation between voiced neighbours.

    Frames before the first / after the last voiced frame hold that frame's value (as in
    ming024/FastSpeech2's ``interp1d(..., fill_value=(first, last))``).
    f0: (T,) Hz, 0 = unvoiced. Returns (f0_interp (T,) float32, voiced_mask (T,) bool).
    Raises UnvoicedError when fewer than ``min_voiced`` frames are voiced.
    """
    f0 = np.asarray(f0)
    voiced = _check_voiced(f0, max(min_voiced, 1))
    index = np.flatnonzero(voiced)
    filled = np.interp(np.arange(len(f0)), index, f0[index]).astype(np.float32)
    return filled, voiced
