"""Phoneme-level averaging and corpus statistics for pitch and energy.

Zero convention (shared by pitch and energy, all levels):
    A value of exactly 0.0 means "no value": an unvoiced frame (f0), a phone with zero duration,
    or a phone with no voiced frame when pitch is averaged over voiced frames only.
    :func:`normalize` keeps such zeros at 0.0 (so after normalisation they sit at the corpus mean,
    the least harmful regression target), as NVIDIA FastPitch does. Feed :class:`RunningStats`
    only real values (e.g. ``pitch[pitch > 0]``) so the zeros do not bias mean and std.

Statistics are kept in raw units (Hz, STFT-magnitude norm) and saved to stats.json; the dataset
normalises at training time from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["RunningStats", "average_by_durations", "denormalize", "normalize"]


def average_by_durations(
    values: np.ndarray, durations: np.ndarray, voiced_mask: np.ndarray | None = None
) -> np.ndarray:
    """Mean of each phone's frames (FastSpeech 2 phoneme-level pitch/energy, ming024 style).

    values: (T_mel,) frame values (pitch in Hz or energy).
    durations: (N,) int frame counts per phone, summing to T_mel; zeros allowed.
    voiced_mask: optional (T_mel,) bool; when given only those frames count (pitch averaged over
      voiced frames, FastPitch style). Without it every frame counts (energy, or pitch already
      filled by :func:`fastspeak.audio.pitch.interpolate_unvoiced` as in ming024).
    Returns: (N,) float32; phones with zero duration, or no counted frame, get 0.0.
    Vectorised with cumulative sums (float64), no loop over phones.
    """
    values = np.asarray(values, dtype=np.float64)
    durations = np.asarray(durations)
    if values.ndim != 1 or durations.ndim != 1:
        raise ValueError(
            f"values and durations must be 1-D, got {values.shape} and {durations.shape}"
        )
    if durations.size and durations.min() < 0:
        raise ValueError("durations must be non-negative")
    total = int(durations.sum())
    if total != len(values):
        raise ValueError(
            f"durations sum to {total} frames but there are {len(values)} values; "
            "the durations must cover the mel frames exactly"
        )
    ends = np.cumsum(durations, dtype=np.int64)
    starts = ends - durations
    if voiced_mask is None:
        weights = np.ones_like(values)
    else:
        weights = np.asarray(voiced_mask, dtype=bool).astype(np.float64)
        if weights.shape != values.shape:
            raise ValueError(f"voiced_mask {weights.shape} must match values {values.shape}")
    value_sums = np.concatenate(([0.0], np.cumsum(values * weights)))
    counts = np.concatenate(([0.0], np.cumsum(weights)))
    sums = value_sums[ends] - value_sums[starts]
    frames = counts[ends] - counts[starts]
    out = np.zeros(len(durations), dtype=np.float64)
    np.divide(sums, frames, out=out, where=frames > 0.5)
    return out.astype(np.float32)


def normalize(values: np.ndarray, mean: float, std: float, keep_zeros: bool = True) -> np.ndarray:
    """z-score ``(values - mean) / std`` as float32.

    keep_zeros: entries exactly 0.0 ("no value", see the module docstring) stay 0.0.
    """
    values = np.asarray(values, dtype=np.float32)
    if not std > 0:
        raise ValueError(f"std must be > 0 (got {std}); were the stats computed on any data?")
    out = (values - np.float32(mean)) / np.float32(std)
    if keep_zeros:
        out[values == 0.0] = 0.0
    return out


def denormalize(
    values: np.ndarray, mean: float, std: float, zero_mask: np.ndarray | None = None
) -> np.ndarray:
    """Inverse of :func:`normalize`; entries flagged in ``zero_mask`` become 0.0 again."""
    out = np.asarray(values, dtype=np.float32) * np.float32(std) + np.float32(mean)
    if zero_mask is not None:
        out[np.asarray(zero_mask, dtype=bool)] = 0.0
    return out


class RunningStats:
    """Streaming count, mean, std, min, max and robust (percentile) min/max; mergeable.

    Mean and variance use Chan et al.'s parallel update of (count, mean, M2) in float64, so
    per-worker objects merged in any order give the same result as one pass. ``std`` is the
    population std (ddof=0, like sklearn's StandardScaler used by ming024).

    Robust min/max are the ``quantiles`` (default 0.5 % / 99.5 %) of a uniform random sample
    of at most ``sample_size`` values (priority sampling: each value gets a uniform key, the
    smallest keys are kept; a union of samples is again such a sample, so merging is exact).
    While ``count <= sample_size`` they equal ``np.percentile`` of all values.

    Give each worker its own ``seed`` (or None) so their samples are independent.
    """

    def __init__(
        self,
        sample_size: int = 20000,
        quantiles: tuple[float, float] = (0.005, 0.995),
        seed: int | None = None,
    ) -> None:
        if sample_size < 1:
            raise ValueError("sample_size must be >= 1")
        self.sample_size = int(sample_size)
        self.quantiles = (float(quantiles[0]), float(quantiles[1]))
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self._rng = np.random.default_rng(seed)
        self._values = np.empty(0, dtype=np.float64)
        self._keys = np.empty(0, dtype=np.float64)
        self._pending_values: list[np.ndarray] = []
        self._pending_keys: list[np.ndarray] = []
        self._pending = 0
        self._threshold = np.inf  # largest kept key once the sample is full
        self._frozen_robust: tuple[float, float] | None = None

    # -- accumulation -------------------------------------------------------------------------
    def _combine(self, count: int, mean: float, m2: float, low: float, high: float) -> None:
        if count == 0:
            return
        total = self.count + count
        delta = mean - self.mean
        self.mean += delta * count / total
        self.m2 += m2 + delta * delta * self.count * count / total
        self.count = total
        self.min = min(self.min, low)
        self.max = max(self.max, high)

    def _add_sample(self, values: np.ndarray, keys: np.ndarray) -> None:
        keep = keys < self._threshold
        if not keep.all():
            values, keys = values[keep], keys[keep]
        if values.size == 0:
            return
        self._pending_values.append(values)
        self._pending_keys.append(keys)
        self._pending += values.size
        if self._pending > self.sample_size:
            self._compact()

    def _compact(self) -> None:
        if self._pending_values:
            values = np.concatenate([self._values, *self._pending_values])
            keys = np.concatenate([self._keys, *self._pending_keys])
            self._pending_values, self._pending_keys, self._pending = [], [], 0
            if keys.size > self.sample_size:
                chosen = np.argpartition(keys, self.sample_size - 1)[: self.sample_size]
                values, keys = values[chosen], keys[chosen]
                self._threshold = float(keys.max())
            self._values, self._keys = values, keys

    def update(self, values: np.ndarray) -> RunningStats:
        """Add values (any shape; flattened). NaN/inf are errors. Returns self."""
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0:
            return self
        if not np.all(np.isfinite(values)):
            raise ValueError("RunningStats.update got NaN or infinite values")
        if self._frozen_robust is not None:
            raise ValueError(
                "these stats were restored without their sample and cannot take more data; "
                "save them with to_dict(include_sample=True)"
            )
        mean = float(values.mean())
        m2 = float(np.square(values - mean).sum())
        self._combine(values.size, mean, m2, float(values.min()), float(values.max()))
        self._add_sample(values, self._rng.random(values.size))
        return self

    def merge(self, other: RunningStats) -> RunningStats:
        """Fold ``other`` (e.g. another worker's stats) into self. Returns self."""
        if other.count == 0:
            return self
        if self._frozen_robust is not None or other._frozen_robust is not None:
            raise ValueError(
                "stats restored without their sample cannot be merged; "
                "save them with to_dict(include_sample=True)"
            )
        if other.quantiles != self.quantiles:
            raise ValueError(f"cannot merge quantiles {other.quantiles} into {self.quantiles}")
        other._compact()
        self._combine(other.count, other.mean, other.m2, other.min, other.max)
        self._add_sample(other._values, other._keys)
        return self

    # -- results ------------------------------------------------------------------------------
    @property
    def variance(self) -> float:
        return self.m2 / self.count if self.count else float("nan")

    @property
    def std(self) -> float:
        return float(np.sqrt(self.variance))

    def _robust(self) -> tuple[float, float]:
        if self._frozen_robust is not None:
            return self._frozen_robust
        self._compact()
        if self._values.size == 0:
            return float("nan"), float("nan")
        low, high = np.quantile(self._values, self.quantiles)
        return float(low), float(high)

    @property
    def robust_min(self) -> float:
        return self._robust()[0]

    @property
    def robust_max(self) -> float:
        return self._robust()[1]

    def to_dict(self, include_sample: bool = False) -> dict[str, Any]:
        """JSON-ready summary (stats.json). ``include_sample=True`` adds what merging needs."""
        robust_min, robust_max = self._robust()
        data: dict[str, Any] = {
            "count": self.count,
            "mean": self.mean,
            "std": self.std if self.count else None,
            "min": self.min if self.count else None,
            "max": self.max if self.count else None,
            "robust_min": robust_min if self.count else None,
            "robust_max": robust_max if self.count else None,
            "quantiles": list(self.quantiles),
            "m2": self.m2,
            "sample_size": self.sample_size,
        }
        if include_sample:
            self._compact()
            data["sample"] = {"values": self._values.tolist(), "keys": self._keys.tolist()}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], seed: int | None = None) -> RunningStats:
        """Rebuild from :meth:`to_dict`. Without a sample the result is read-only."""
        stats = cls(sample_size=data["sample_size"], quantiles=tuple(data["quantiles"]), seed=seed)
        stats.count = int(data["count"])
        if stats.count == 0:
            return stats
        stats.mean = float(data["mean"])
        stats.m2 = float(data["m2"])
        stats.min = float(data["min"])
        stats.max = float(data["max"])
        sample = data.get("sample")
        if sample is None:
            stats._frozen_robust = (float(data["robust_min"]), float(data["robust_max"]))
        else:
            stats._values = np.asarray(sample["values"], dtype=np.float64)
            stats._keys = np.asarray(sample["keys"], dtype=np.float64)
            if stats._keys.size >= stats.sample_size:
                stats._threshold = float(stats._keys.max())
        return stats

    def __repr__(self) -> str:
        return (
            f"RunningStats(count={self.count}, mean={self.mean:.6g}, std={self.std:.6g}, "
            f"min={self.min:.6g}, max={self.max:.6g})"
        )
