"""FastSpeech 2 variance adaptor (Ren et al. 2020, section 2.3).

Duration, pitch and energy predictors, the length regulator, and pitch/energy embeddings.

Design choices (differences from ming024/FastSpeech2 are deliberate):

* Pitch and energy targets come in RAW units (Hz, energy) as preprocessing stores them; each
  :class:`VarianceFeature` z-scores them with its statistics buffers (mean, std, min, max in raw
  units), so datasets never normalise. A raw value of exactly 0.0 means "no value" (see
  :mod:`fastspeak.audio.stats`) and maps to 0.0, the corpus mean.
* Quantisation boundaries are buffers in the normalised domain: ``n_bins - 1`` edges spaced
  linearly between the normalised min and max, or spaced logarithmically in raw units
  ("log") and then normalised. ``embedding="conv"`` replaces the bins with FastPitch's
  Conv1d over the value.
* All three predictors read the same encoder output (regulated to frames for frame-level
  features), as in FastPitch; ming024 fed the energy predictor the pitch embedding too, so a
  pitch control also moved energy. Here each control changes only its own quantity.
* Controls act in physical units: ``speed`` divides durations, ``pitch_semitones`` scales f0
  by 2^(st/12) in Hz, ``energy_db`` scales raw energy by 10^(dB/20). ming024 multiplied the
  pitch z-scores (barely audible) and applied the pitch factor to energy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn

from fastspeak.config import ModelConfig, VarianceConfig
from fastspeak.models.layers import Dropout
from fastspeak.models.ops import is_recording, masked_fill_padding, regulate_length, sequence_mask
from fastspeak.models.outputs import VarianceAdaptorOutput

__all__ = [
    "Control",
    "VarianceAdaptor",
    "VarianceFeature",
    "VariancePredictor",
    "VarianceStatistics",
    "durations_from_log",
    "output_length",
    "teacher_forced_length",
]

Control = float | Tensor
"""A control value: a float for the whole batch, a (B,) tensor per utterance or (B, N) per token."""


@dataclass(frozen=True)
class VarianceStatistics:
    """Corpus statistics of one feature in raw units (Hz for pitch)."""

    mean: float
    std: float
    min: float
    max: float

    @classmethod
    def coerce(cls, value: VarianceStatistics | Mapping[str, Any]) -> VarianceStatistics:
        """Accept a VarianceStatistics or a mapping with keys mean, std, min, max (e.g. one
        entry of stats.json; other keys are ignored). To quantise over a robust range, pass
        ``{**entry, "min": entry["robust_min"], "max": entry["robust_max"]}``."""
        if isinstance(value, VarianceStatistics):
            return value
        missing = [key for key in ("mean", "std", "min", "max") if value.get(key) is None]
        if missing:
            raise ValueError(f"statistics need mean, std, min and max; missing {missing}")
        return cls(*(float(value[key]) for key in ("mean", "std", "min", "max")))


class VariancePredictor(nn.Module):
    """Duration / pitch / energy predictor (FastSpeech 2, section 2.3, fig. 1c).

    2 x [Conv1d(k) -> ReLU -> LayerNorm -> Dropout] -> Linear -> (B, T). Padded positions are
    zeroed between layers so that padding never reaches valid positions through the convs.
    """

    def __init__(self, in_channels: int, filter_size: int, kernel_size: int, dropout: float):
        super().__init__()
        self.conv1 = nn.Conv1d(in_channels, filter_size, kernel_size, padding=kernel_size // 2)
        self.norm1 = nn.LayerNorm(filter_size)
        self.conv2 = nn.Conv1d(filter_size, filter_size, kernel_size, padding=kernel_size // 2)
        self.norm2 = nn.LayerNorm(filter_size)
        self.dropout = Dropout(dropout)
        self.projection = nn.Linear(filter_size, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """x: (B, T, C); mask: (B, T) bool, True = valid -> (B, T), 0 at padding."""
        x = masked_fill_padding(x, mask)
        for conv, norm in ((self.conv1, self.norm1), (self.conv2, self.norm2)):
            x = torch.relu(conv(x.transpose(1, 2))).transpose(1, 2)
            x = masked_fill_padding(self.dropout(norm(x)), mask)
        return masked_fill_padding(self.projection(x).squeeze(-1), mask)


class ConvValueEmbedding(nn.Module):
    """FastPitch-style continuous embedding: Conv1d(1 -> C, k) over the value sequence."""

    def __init__(self, channels: int, kernel_size: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, channels, kernel_size, padding=kernel_size // 2)

    def forward(self, values: Tensor) -> Tensor:
        """values: (B, T), zero at padding -> (B, T, C)."""
        return self.conv(values.unsqueeze(1)).transpose(1, 2)


class VarianceFeature(nn.Module):
    """One prosodic feature (pitch or energy): predictor, statistics buffers and embedding.

    Buffers (saved in checkpoints): ``mean``, ``std``, ``minimum``, ``maximum`` (raw units)
    and ``boundaries`` (``n_bins - 1`` bucket edges in the normalised domain, the first at the
    corpus minimum, the last at its maximum).

    Of the ``n_bins`` embedding rows, the first is reached only by the corpus minimum itself
    and the last only by values above the corpus maximum, so training leaves both (nearly)
    untouched; :meth:`embed` clamps the bucket index into ``[1, n_bins - 2]``, so values beyond
    the corpus range (a prediction below the minimum, a control that pushes above the maximum)
    use the nearest trained row instead of a random one.
    """

    mean: Tensor
    std: Tensor
    minimum: Tensor
    maximum: Tensor
    boundaries: Tensor

    def __init__(
        self,
        channels: int,
        config: VarianceConfig,
        quantization: Literal["linear", "log"],
        statistics: VarianceStatistics,
        name: str,
    ) -> None:
        super().__init__()
        self.name = name
        self.quantization = quantization
        self.n_bins = config.n_bins
        self.predictor = VariancePredictor(
            channels, config.filter_size, config.kernel_size, config.dropout
        )
        self.embedding: nn.Module
        if config.embedding == "bins":
            self.embedding = nn.Embedding(config.n_bins, channels)
        else:
            self.embedding = ConvValueEmbedding(channels, config.embedding_kernel_size)
        self.uses_bins = config.embedding == "bins"
        for buffer in ("mean", "std", "minimum", "maximum"):
            self.register_buffer(buffer, torch.zeros(()))
        self.register_buffer("boundaries", torch.zeros(config.n_bins - 1))
        self.set_statistics(statistics)

    @torch.no_grad()
    def set_statistics(self, statistics: VarianceStatistics | Mapping[str, Any]) -> None:
        """Set mean/std/min/max (raw units) and recompute the bucket boundaries."""
        stats = VarianceStatistics.coerce(statistics)
        if not stats.std > 0 or not stats.min < stats.max:
            raise ValueError(f"{self.name} statistics need std > 0 and min < max; got {stats}")
        if self.quantization == "log" and not stats.min > 0:
            raise ValueError(
                f"{self.name} log quantization needs min > 0 (got {stats.min}); "
                "use a robust minimum or linear quantization"
            )
        self.mean.fill_(stats.mean)
        self.std.fill_(stats.std)
        self.minimum.fill_(stats.min)
        self.maximum.fill_(stats.max)
        count = self.n_bins - 1
        if self.quantization == "log":
            raw = torch.exp(
                torch.linspace(math.log(stats.min), math.log(stats.max), count, dtype=torch.float64)
            )
        else:
            raw = torch.linspace(stats.min, stats.max, count, dtype=torch.float64)
        self.boundaries.copy_((raw - stats.mean) / stats.std)

    def statistics(self) -> VarianceStatistics:
        """The current statistics (raw units)."""
        return VarianceStatistics(
            float(self.mean), float(self.std), float(self.minimum), float(self.maximum)
        )

    def normalize(self, raw: Tensor, mask: Tensor) -> Tensor:
        """raw: (B, L) raw units -> z-scores (B, L); exact zeros ("no value") and padding -> 0."""
        normalized = (raw.float() - self.mean) / self.std
        return normalized.masked_fill((raw == 0) | ~mask, 0.0)

    def denormalize(self, normalized: Tensor) -> Tensor:
        """z-scores (B, L) -> raw units (B, L)."""
        return normalized * self.std + self.mean

    def scale(self, normalized: Tensor, factor: Tensor, mask: Tensor) -> Tensor:
        """Multiply the RAW value by ``factor`` (B, L) and return it normalised again."""
        scaled = (self.denormalize(normalized) * factor - self.mean) / self.std
        return masked_fill_padding(scaled, mask)

    def predict(self, hidden: Tensor, mask: Tensor) -> Tensor:
        """hidden: (B, L, C) -> normalised prediction (B, L), 0 at padding."""
        return self.predictor(hidden, mask)

    def embed(self, normalized: Tensor, mask: Tensor) -> Tensor:
        """normalised values (B, L) -> embedding (B, L, C), zero at padding."""
        if self.uses_bins:
            buckets = torch.bucketize(normalized.detach(), self.boundaries)
            embedded = self.embedding(buckets.clamp(1, self.n_bins - 2))
        else:
            embedded = self.embedding(masked_fill_padding(normalized, mask))
        return masked_fill_padding(embedded, mask)


def _control_tensor(value: Control, token_mask: Tensor, name: str) -> Tensor:
    """float, (B,) or (B, N) control -> float tensor (B, N)."""
    shape = token_mask.shape
    if not isinstance(value, Tensor):  # a fill kernel: no host-to-device copy (CUDA graphs)
        return torch.full(shape, float(value), dtype=torch.float32, device=token_mask.device)
    tensor = value.to(device=token_mask.device, dtype=torch.float32)
    if tensor.dim() == 1 and tensor.size(0) == shape[0]:
        tensor = tensor.unsqueeze(1)
    if (
        tensor.dim() not in (0, 2)
        or (tensor.dim() == 2 and tensor.size(0) not in (1, shape[0]))
        or (tensor.dim() == 2 and tensor.size(1) not in (1, shape[1]))
    ):
        raise ValueError(
            f"{name} must be a float, a (B,) tensor or a (B, N) tensor for tokens of shape "
            f"{tuple(shape)}; got shape {tuple(tensor.shape)}"
        )
    return tensor.expand(shape)


def output_length(
    durations: Tensor, max_length: int | None, static_length: int | None
) -> int | None:
    """T of a free-running output: ``static_length`` when given (no host sync), else the
    longest utterance capped at ``max_length`` (one sync), else None (the longest).

    durations: (B, N) predicted frames.
    """
    if static_length is not None:
        if static_length < 1:
            raise ValueError(f"static_frames must be >= 1 (got {static_length})")
        return static_length
    if max_length is not None:  # a cap, not a pad: T = min(cap, longest utterance)
        return min(max_length, int(durations.sum(dim=1).max()))
    return None


def teacher_forced_length(
    durations: Tensor, mel_lengths: Tensor | None, static_length: int | None
) -> int | None:
    """T of a teacher-forced output: ``static_length`` when given, else the longest of
    ``mel_lengths`` (checked to equal ``durations.sum(1)``; one host sync), else None.

    durations: (B, N) the data's frames per token; mel_lengths: (B,) or None.
    Raises ValueError when the durations do not sum to the mel lengths.
    """
    length = None
    if mel_lengths is not None:
        if not torch.equal(durations.long().sum(dim=1), mel_lengths.long()):
            raise ValueError(
                "durations do not sum to mel_lengths; the alignments and the mels disagree"
            )
        length = int(mel_lengths.max())
    return static_length if static_length is not None else length


def durations_from_log(log_durations: Tensor, token_mask: Tensor, speed: Control = 1.0) -> Tensor:
    """Predicted log(d + 1) -> integer frames ``round((exp(log_d) - 1) / speed)`` >= 0.

    Every utterance gets at least one frame: when all its tokens round to 0 the token with
    the largest prediction gets 1. Padded tokens get 0.

    Args:
        log_durations: (B, N) predicted log(d + 1).
        token_mask: (B, N) bool.
        speed: rate; 2.0 speaks twice as fast. Float, (B,) or (B, N), > 0.
    Returns:
        (B, N) long.
    """
    speed_tensor = _control_tensor(speed, token_mask, "speed")
    if not isinstance(speed, Tensor):
        if not speed > 0:
            raise ValueError(f"speed must be > 0 (got {speed})")
    elif not is_recording() and bool((speed_tensor[token_mask] <= 0).any()):
        raise ValueError("speed must be > 0 at every token")
    frames = ((torch.exp(log_durations) - 1.0) / speed_tensor).clamp(min=0.0)
    frames = masked_fill_padding(frames, token_mask)
    durations = torch.round(frames).long()
    empty = durations.sum(dim=1) == 0
    longest = frames.masked_fill(~token_mask, -1.0).argmax(dim=1, keepdim=True)
    return durations.scatter_add(1, longest, empty.long().unsqueeze(1))


class VarianceAdaptor(nn.Module):
    """Duration predictor + length regulator + pitch and energy predictors and embeddings.

    Attribute names are the checkpoint format: ``duration_predictor``, ``pitch``, ``energy``.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        variance = config.variance
        self.pitch_level = config.pitch_level
        self.energy_level = config.energy_level
        self.duration_predictor = VariancePredictor(
            config.hidden, variance.filter_size, variance.kernel_size, variance.dropout
        )
        self.pitch = VarianceFeature(
            config.hidden,
            variance,
            variance.pitch_quantization,
            VarianceStatistics(
                variance.pitch_mean, variance.pitch_std, variance.pitch_min, variance.pitch_max
            ),
            "pitch",
        )
        self.energy = VarianceFeature(
            config.hidden,
            variance,
            variance.energy_quantization,
            VarianceStatistics(
                variance.energy_mean, variance.energy_std, variance.energy_min, variance.energy_max
            ),
            "energy",
        )

    def forward(
        self,
        hidden: Tensor,
        token_mask: Tensor,
        durations: Tensor,
        pitch: Tensor,
        energy: Tensor,
        max_length: int | None = None,
    ) -> VarianceAdaptorOutput:
        """Teacher-forced: condition on target durations, pitch and energy.

        Args:
            hidden: (B, N, C) encoder output, zero at padded tokens.
            token_mask: (B, N) bool.
            durations: (B, N) long target frames per token.
            pitch: raw target pitch in Hz, (B, N) phoneme-level or (B, T') frame-level with
                T' >= T (extra frames are cut).
            energy: raw target energy, (B, N) or (B, T') likewise.
            max_length: T of the output (default: longest ``durations.sum(1)``).
        """
        log_durations = self.duration_predictor(hidden, token_mask)
        return self._adapt(
            hidden, token_mask, durations, log_durations, max_length, (pitch, None), (energy, None)
        )

    def infer(
        self,
        hidden: Tensor,
        token_mask: Tensor,
        speed: Control = 1.0,
        pitch_semitones: Control = 0.0,
        energy_db: Control = 0.0,
        max_length: int | None = None,
        static_length: int | None = None,
    ) -> VarianceAdaptorOutput:
        """Free-running: predicted durations, pitch and energy, with controls.

        Args:
            hidden: (B, N, C) encoder output; token_mask: (B, N) bool.
            speed: rate (2.0 = twice as fast); float, (B,) or (B, N).
            pitch_semitones: f0 shift in semitones (+12 doubles f0); float, (B,) or (B, N).
            energy_db: energy gain in dB (+6 about doubles raw energy); float, (B,) or (B, N).
            max_length: truncate the output to at most this many frames.
            static_length: T exactly (pad or truncate), with no host sync.
        """
        log_durations = self.duration_predictor(hidden, token_mask)
        durations = durations_from_log(log_durations, token_mask, speed)
        max_length = output_length(durations, max_length, static_length)
        pitch_factor = energy_factor = None
        if isinstance(pitch_semitones, Tensor) or pitch_semitones != 0.0:
            semitones = _control_tensor(pitch_semitones, token_mask, "pitch_semitones")
            pitch_factor = torch.pow(2.0, semitones / 12.0)
        if isinstance(energy_db, Tensor) or energy_db != 0.0:
            decibels = _control_tensor(energy_db, token_mask, "energy_db")
            energy_factor = torch.pow(10.0, decibels / 20.0)
        return self._adapt(
            hidden,
            token_mask,
            durations,
            log_durations,
            max_length,
            (None, pitch_factor),
            (None, energy_factor),
        )

    def _adapt(
        self,
        hidden: Tensor,
        token_mask: Tensor,
        durations: Tensor,
        log_durations: Tensor,
        max_length: int | None,
        pitch_source: tuple[Tensor | None, Tensor | None],
        energy_source: tuple[Tensor | None, Tensor | None],
    ) -> VarianceAdaptorOutput:
        """Shared path; each source is (raw target, None) or (None, per-token factor or None)."""
        features = (
            (self.pitch, self.pitch_level, pitch_source),
            (self.energy, self.energy_level, energy_source),
        )
        predictions: dict[str, Tensor] = {}
        values: dict[str, Tensor] = {}
        x = hidden
        for feature, level, (target, factor) in features:
            if level == "phoneme":
                prediction = feature.predict(hidden, token_mask)
                used = self._values(feature, prediction, token_mask, target, factor)
                x = x + feature.embed(used, token_mask)
                predictions[feature.name], values[feature.name] = prediction, used

        frame_level = [item for item in features if item[1] == "frame"]
        channels = hidden.size(-1)
        if frame_level:  # predictors read the plain encoder output, regulated in the same gather
            both, mel_lengths = regulate_length(torch.cat([x, hidden], -1), durations, max_length)
            x, frame_hidden = both.split(channels, dim=-1)
        else:
            x, mel_lengths = regulate_length(x, durations, max_length)
        mel_mask = sequence_mask(mel_lengths, x.size(1))

        for feature, _level, (target, factor) in frame_level:
            prediction = feature.predict(frame_hidden, mel_mask)
            if target is not None:
                if target.size(1) < x.size(1):
                    raise ValueError(
                        f"frame-level {feature.name} has {target.size(1)} frames but the "
                        f"durations need {x.size(1)}; features and durations disagree"
                    )
                target = target[:, : x.size(1)]
            if factor is not None:
                factor = regulate_length(factor.unsqueeze(-1), durations, x.size(1))[0]
                factor = factor.squeeze(-1)
            used = self._values(feature, prediction, mel_mask, target, factor)
            x = x + feature.embed(used, mel_mask)
            predictions[feature.name], values[feature.name] = prediction, used

        return VarianceAdaptorOutput(
            hidden=masked_fill_padding(x, mel_mask),
            mel_lengths=mel_lengths,
            mel_mask=mel_mask,
            durations=durations,
            log_duration_prediction=log_durations,
            pitch_prediction=predictions["pitch"],
            energy_prediction=predictions["energy"],
            pitch=values["pitch"],
            energy=values["energy"],
        )

    @staticmethod
    def _values(
        feature: VarianceFeature,
        prediction: Tensor,
        mask: Tensor,
        target: Tensor | None,
        factor: Tensor | None,
    ) -> Tensor:
        """The normalised values to embed: target, controlled prediction, or prediction."""
        if target is not None:
            if target.shape != mask.shape:
                raise ValueError(
                    f"{feature.name} target has shape {tuple(target.shape)}, expected "
                    f"{tuple(mask.shape)} ({feature.name} level must match the data)"
                )
            return feature.normalize(target, mask)
        if factor is not None:
            return feature.scale(prediction, factor, mask)
        return prediction
