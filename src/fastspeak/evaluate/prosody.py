"""Prosody metrics: f0 error and correlation, f0 distribution moments, duration error.

f0 comes from :func:`fastspeak.audio.pitch.extract_pitch` (WORLD DIO + StoneMask) on the mel
frame grid, so a mel DTW path (:func:`fastspeak.evaluate.spectral.compare_mels`) aligns two
contours frame by frame. Error and correlation use only aligned pairs voiced in both contours.

FastSpeech 2 (Ren et al. 2020, arXiv 2006.04558, Table 3) compares systems by the standard
deviation (sigma), skewness (gamma) and kurtosis (kappa) of their pitch: closer to the
recordings is better. :func:`f0_moments` computes those over voiced frames (Hz; Fisher, i.e.
excess, kurtosis as in scipy.stats).

Durations (frames per token) compare aligners or duration predictors:
:func:`duration_errors` gives the mean absolute per-token error and the mean absolute error of
the token boundaries (cumulative sums) in milliseconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fastspeak.audio.io import resample
from fastspeak.audio.mel import mel_frames
from fastspeak.audio.pitch import extract_pitch
from fastspeak.config import AudioConfig, FeatureConfig

__all__ = [
    "DurationMetrics",
    "F0Metrics",
    "duration_errors",
    "f0_errors",
    "f0_moments",
    "pitch_contour",
    "resample_contour",
]


MIN_CORRELATION_PAIRS = 10
"""Voiced-in-both frame pairs an item needs for an f0 correlation (about 0.1 s)."""


@dataclass(frozen=True)
class F0Metrics:
    """f0 agreement between a reference and a test contour over aligned frame pairs.

    rmse_hz: root mean square error over pairs voiced in both (NaN when none).
    correlation: Pearson correlation over the same pairs (NaN with fewer than
      ``MIN_CORRELATION_PAIRS`` or no variance: two pairs always correlate by +-1).
    voicing_error: fraction of pairs whose voiced/unvoiced decisions differ.
    voiced_pairs / pairs: counts.
    """

    rmse_hz: float
    correlation: float
    voicing_error: float
    voiced_pairs: int
    pairs: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class DurationMetrics:
    """Duration agreement of two token-duration sequences, in milliseconds.

    mae_ms: mean |d_ref - d_test| per token. boundary_mae_ms: mean |cumsum(d_ref) -
    cumsum(d_test)| over token end boundaries. total_difference_ms: test total - reference total.
    """

    mae_ms: float
    boundary_mae_ms: float
    total_difference_ms: float
    tokens: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def pitch_contour(
    wav: np.ndarray,
    sample_rate: int,
    audio_config: AudioConfig | None = None,
    feature_config: FeatureConfig | None = None,
) -> np.ndarray:
    """f0 in Hz (0 = unvoiced) on the mel frame grid of ``audio_config``.

    wav: (T_wav,) float at ``sample_rate`` (resampled to ``audio_config.sample_rate``).
    Returns (1 + T_wav' // hop_length,) float32 where T_wav' is the resampled length; never
    raises for unvoiced audio (an all-zero contour comes back).
    """
    audio_config = audio_config or AudioConfig()
    feature_config = feature_config or FeatureConfig()
    wav = resample(np.asarray(wav, dtype=np.float32), int(sample_rate), audio_config.sample_rate)
    n_frames = mel_frames(len(wav), audio_config.hop_length)
    return extract_pitch(wav, audio_config, feature_config, n_frames, min_voiced=0)


def resample_contour(f0: np.ndarray, n_frames: int) -> np.ndarray:
    """Stretch a contour to ``n_frames`` by nearest-frame lookup (keeps 0 = unvoiced exact).

    f0: (T,). Returns (n_frames,) with frame t taken from round(t * (T - 1) / (n_frames - 1)).
    """
    f0 = np.asarray(f0)
    if len(f0) == 0 or n_frames <= 0:
        raise ValueError(f"cannot resample a contour of {len(f0)} frames to {n_frames}")
    if n_frames == 1:
        return f0[:1].copy()
    index = np.rint(np.arange(n_frames) * (len(f0) - 1) / (n_frames - 1)).astype(np.int64)
    return f0[index]


def f0_errors(
    reference_f0: np.ndarray,
    test_f0: np.ndarray,
    path: tuple[np.ndarray, np.ndarray] | None = None,
) -> F0Metrics:
    """Compare two f0 contours (Hz, 0 = unvoiced).

    reference_f0: (N,), test_f0: (M,).
    path: (path_reference (L,), path_test (L,)) frame pairs, e.g. the mel DTW path of
      :class:`fastspeak.evaluate.spectral.SpectralMetrics`. Without it, equal lengths pair frame
      t with frame t and different lengths stretch the test contour to N frames
      (:func:`resample_contour`; right when the durations are given / teacher-forced).
    """
    reference_f0 = np.asarray(reference_f0, dtype=np.float64)
    test_f0 = np.asarray(test_f0, dtype=np.float64)
    if reference_f0.ndim != 1 or test_f0.ndim != 1:
        raise ValueError(
            f"f0 contours must be 1-D, got shapes {reference_f0.shape} and {test_f0.shape}"
        )
    if path is not None:
        reference_pairs, test_pairs = reference_f0[path[0]], test_f0[path[1]]
    elif len(reference_f0) == len(test_f0):
        reference_pairs, test_pairs = reference_f0, test_f0
    else:
        reference_pairs, test_pairs = reference_f0, resample_contour(test_f0, len(reference_f0))
    reference_voiced, test_voiced = reference_pairs > 0, test_pairs > 0
    both = reference_voiced & test_voiced
    pairs = len(reference_pairs)
    voiced_pairs = int(both.sum())
    rmse = correlation = float("nan")
    if voiced_pairs:
        difference = reference_pairs[both] - test_pairs[both]
        rmse = float(np.sqrt(np.mean(difference**2)))
    if voiced_pairs >= MIN_CORRELATION_PAIRS:
        a, b = reference_pairs[both], test_pairs[both]
        if a.std() > 0 and b.std() > 0:
            correlation = float(np.corrcoef(a, b)[0, 1])
    voicing_error = float(np.mean(reference_voiced != test_voiced)) if pairs else float("nan")
    return F0Metrics(
        rmse_hz=rmse,
        correlation=correlation,
        voicing_error=voicing_error,
        voiced_pairs=voiced_pairs,
        pairs=pairs,
    )


def f0_moments(f0: np.ndarray) -> dict[str, float]:
    """Mean, standard deviation, skewness and excess kurtosis of the voiced f0 values (Hz).

    f0: (T,) one contour, or several concatenated (pool a system's test set). Zeros
    (unvoiced) are ignored. Values are NaN with fewer than 3 voiced frames.
    """
    import scipy.stats  # ~1-2 s to import; only needed here

    f0 = np.asarray(f0, dtype=np.float64).reshape(-1)
    voiced = f0[f0 > 0]
    if len(voiced) < 3:
        nan = float("nan")
        return {"mean": nan, "std": nan, "skewness": nan, "kurtosis": nan, "voiced_frames": 0}
    constant = voiced.std() == 0
    return {
        "mean": float(voiced.mean()),
        "std": float(voiced.std()),
        "skewness": float("nan") if constant else float(scipy.stats.skew(voiced)),
        "kurtosis": float("nan") if constant else float(scipy.stats.kurtosis(voiced)),
        "voiced_frames": int(len(voiced)),
    }


def duration_errors(
    reference_durations: np.ndarray,
    test_durations: np.ndarray,
    hop_length: int,
    sample_rate: int,
) -> DurationMetrics:
    """Per-token and boundary errors between two duration sequences of the same tokens.

    durations: (N,) frames per token (integers or fractional); one frame = hop_length /
    sample_rate seconds.
    """
    reference = np.asarray(reference_durations, dtype=np.float64).reshape(-1)
    test = np.asarray(test_durations, dtype=np.float64).reshape(-1)
    if reference.shape != test.shape:
        raise ValueError(
            f"duration sequences differ in length ({len(reference)} vs {len(test)} tokens); "
            "both must describe the same token sequence"
        )
    if len(reference) == 0:
        raise ValueError("duration sequences are empty")
    frame_ms = hop_length / sample_rate * 1000.0
    boundaries = np.abs(np.cumsum(reference) - np.cumsum(test))
    return DurationMetrics(
        mae_ms=float(np.mean(np.abs(reference - test)) * frame_ms),
        boundary_mae_ms=float(np.mean(boundaries) * frame_ms),
        total_difference_ms=float((test.sum() - reference.sum()) * frame_ms),
        tokens=int(len(reference)),
    )
