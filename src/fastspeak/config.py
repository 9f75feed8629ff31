"""Typed configuration: nested dataclasses, YAML files, dotted overrides.

A config file holds only the values that differ from the dataclass defaults::

    audio:
      sample_rate: 22050
    text:
      inventory: espeak

Overrides use dotted keys: ``--set audio.hop_length=256``. Unknown keys are errors that list
the valid ones, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import types
import typing
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml


class ConfigError(ValueError):
    """A config file or override the user wrote is invalid; the message names the key and fix."""


def _require(
    prefix: str, owner: Any, at_least_one: Sequence[str] = (), dropouts: Sequence[str] = ()
) -> None:
    """ConfigError unless every ``at_least_one`` field of ``owner`` is >= 1 and every
    ``dropouts`` field is a probability in [0, 1)."""
    for name in at_least_one:
        if getattr(owner, name) < 1:
            raise ConfigError(f"{prefix}.{name} must be >= 1 (got {getattr(owner, name)})")
    for name in dropouts:
        if not 0.0 <= getattr(owner, name) < 1.0:
            raise ConfigError(f"{prefix}.{name} must be in [0, 1) (got {getattr(owner, name)})")


@dataclass
class AudioConfig:
    """Waveform and mel-spectrogram settings (ming024 / HiFi-GAN LJSpeech defaults)."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float | None = 8000.0
    log_floor: float = 1e-5

    def __post_init__(self) -> None:
        for name in ("sample_rate", "hop_length", "n_fft", "win_length", "n_mels"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"audio.{name} must be > 0 (got {getattr(self, name)})")
        if not self.log_floor > 0:
            raise ConfigError(f"audio.log_floor must be > 0 (got {self.log_floor})")
        top = self.sample_rate / 2 if self.f_max is None else self.f_max
        if not 0 <= self.f_min < top:
            raise ConfigError(
                f"audio.f_min ({self.f_min}) must be >= 0 and below audio.f_max ({top}): the "
                "mel filterbank would be empty"
            )
        if self.win_length > self.n_fft:
            raise ConfigError(
                f"audio.win_length ({self.win_length}) must be <= audio.n_fft ({self.n_fft})"
            )
        if self.f_max is not None and self.f_max > self.sample_rate / 2:
            raise ConfigError(
                f"audio.f_max ({self.f_max}) exceeds Nyquist ({self.sample_rate / 2}); "
                "lower it or set it to null"
            )


@dataclass
class TextConfig:
    """Text frontend: which phone inventory turns text into tokens."""

    inventory: Literal["arpabet", "espeak", "characters"] = "espeak"
    language: str = "en-us"
    max_chars: int = 10000
    unknown_symbols: Literal["error", "skip"] = "skip"

    def __post_init__(self) -> None:
        if self.inventory not in ("arpabet", "espeak", "characters"):
            raise ConfigError(
                f"text.inventory must be one of arpabet, espeak, characters (got {self.inventory!r})"
            )


@dataclass
class FeatureConfig:
    """Pitch and energy extraction (FastSpeech 2, section 2.3)."""

    pitch_method: Literal["dio", "harvest"] = "dio"
    pitch_floor: float = 71.0
    pitch_ceiling: float = 800.0
    pitch_level: Literal["phoneme", "frame"] = "phoneme"
    energy_level: Literal["phoneme", "frame"] = "phoneme"
    trim_edge_silence: bool = True


@dataclass
class SplitConfig:
    """Deterministic train/val/test split (a seeded hash); held-out sentences always go to
    test, and every reading of one sentence (several speakers) to the same split."""

    val_size: int = 64
    test_size: int = 64
    seed: int = 1234


@dataclass
class PreprocessConfig:
    """How ``fastspeak preprocess`` runs."""

    workers: int = 0  # 0 = all cores
    min_seconds: float = 0.2
    max_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.workers < 0:
            raise ConfigError(
                f"preprocess.workers must be >= 0, 0 = every core (got {self.workers})"
            )
        if not 0 <= self.min_seconds < self.max_seconds:
            raise ConfigError(
                "preprocess.min_seconds must be >= 0 and below preprocess.max_seconds (got "
                f"{self.min_seconds}, {self.max_seconds})"
            )


@dataclass
class Config:
    """Everything a fastspeak run needs; saved beside every dataset and inside every checkpoint."""

    audio: AudioConfig = field(default_factory=AudioConfig)
    text: TextConfig = field(default_factory=TextConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig())
    train: TrainConfig = field(default_factory=lambda: TrainConfig())
    vocoder: VocoderConfig = field(default_factory=lambda: VocoderConfig())
    align: AlignerConfig = field(default_factory=lambda: AlignerConfig())

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def section_hash(self, *sections: str) -> str:
        """A short stable hash of the named sections (a cache key for derived data)."""
        payload = {name: dataclasses.asdict(getattr(self, name)) for name in sections}
        blob = json.dumps(payload, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Convert a YAML/override value to the field's declared type, or raise ConfigError."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        allowed = typing.get_args(tp)
        boolean = isinstance(value, bool) and not any(isinstance(a, bool) for a in allowed)
        if boolean or value not in allowed:  # True == 1, but true is not the choice 1
            raise ConfigError(f"{key} must be one of {list(allowed)} (got {value!r})")
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, key)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError("; ".join(errors))
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list (got {value!r})")
        (item_type, *_rest) = typing.get_args(tp) or (Any,)
        return [_coerce(v, item_type, f"{key}[]") for v in value]
    if tp is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"{key} must be true or false (got {value!r})")
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigError(f"{key} must be an integer (got {value!r})")
        try:
            return int(value)
        except ValueError as error:
            raise ConfigError(f"{key} must be an integer (got {value!r})") from error
    if tp is float:
        if isinstance(value, bool):
            raise ConfigError(f"{key} must be a number (got {value!r})")
        try:
            return float(value)
        except (TypeError, ValueError) as error:
            raise ConfigError(f"{key} must be a number (got {value!r})") from error
    if tp is str:
        if value is None or isinstance(value, (dict, list)):
            raise ConfigError(f"{key} must be a string (got {value!r})")
        return str(value)
    return value


def from_dict(cls: type, data: dict[str, Any] | None, prefix: str = "") -> Any:
    """Build dataclass ``cls`` from a (partial) nested dict; unknown keys raise ConfigError."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.') or 'config'} must be a mapping (got {data!r})")
    hints = _field_types(cls)
    valid = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in valid:
            raise ConfigError(f"unknown config key {dotted!r}; valid keys here: {', '.join(valid)}")
        tp = hints[key]
        if _is_dataclass_type(tp):
            if isinstance(value, str) and "name" in {f.name for f in dataclasses.fields(tp)}:
                value = {"name": value}  # `model: fastspeech` selects by name, defaults else
            kwargs[key] = from_dict(tp, value, prefix=f"{dotted}.")
        else:
            kwargs[key] = _coerce(value, tp, dotted)
    try:
        return cls(**kwargs)
    except TypeError as error:
        raise ConfigError(f"{prefix or 'config'}: {error}") from error


def yaml_problem(error: yaml.YAMLError) -> str:
    """Where and what a YAML parse error is, for a message: ``"line 2 column 1: found
    character '\\t' that cannot start any token (YAML indents with spaces, not tabs)"``
    (lines and columns counted from 1)."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = "" if mark is None else f"line {mark.line + 1} column {mark.column + 1}: "
    tab = "'\\t'" in problem or "tab character" in problem
    hint = " (YAML indents with spaces, not tabs)" if tab else ""
    return f"{where}{problem}{hint}"


_GIVEN_KEYS = "_given_keys"  # the attribute load_config sets on the Config it returns


def _leaf_keys(cls: type, data: dict[str, Any], prefix: str = "") -> set[str]:
    """The dotted keys a validated nested dict for dataclass ``cls`` sets (a section given by
    name, ``model: fastspeech``, sets ``model.name``; a null section sets none)."""
    hints = _field_types(cls)
    keys: set[str] = set()
    for key, value in data.items():
        dotted, tp = f"{prefix}{key}", hints[key]
        if not _is_dataclass_type(tp):
            keys.add(dotted)
        elif isinstance(value, dict):
            keys |= _leaf_keys(tp, value, f"{dotted}.")
        elif isinstance(value, str):
            keys.add(f"{dotted}.name")
    return keys


def given_keys(config: Config) -> frozenset[str] | None:
    """The dotted keys (``"model.hidden"``) that the config file and ``--set`` overrides of
    :func:`load_config` wrote, or None for a Config made otherwise (every key counts then)."""
    return getattr(config, _GIVEN_KEYS, None)


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    """A (nested) dataclass or dict as {dotted key: leaf value}; lists are leaves."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flatten(item, f"{prefix}.{key}"))
    return flat


def given_differences(
    config: Config, saved: Config, section: str, ignore: Collection[str] = ()
) -> list[tuple[str, Any, Any]]:
    """(dotted key, ``config``'s value, ``saved``'s value) for every key under ``section``
    (``"model"``, ``"vocoder.generator"``) whose values differ and that the user gave (see
    :func:`given_keys`; any key when unknown), except the keys in ``ignore``; in key order.

    A run resumed or fine-tuned from a checkpoint takes such a section from the checkpoint:
    these are the settings it would drop."""
    ours, theirs = config, saved
    for name in section.split("."):
        ours, theirs = getattr(ours, name), getattr(theirs, name)
    given = given_keys(config)
    saved_values = _flatten(theirs, section)
    return [
        (key, value, saved_values.get(key))
        for key, value in _flatten(ours, section).items()
        if value != saved_values.get(key) and key not in ignore and (given is None or key in given)
    ]


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"audio.hop_length=256"`` -> (["audio", "hop_length"], 256) with YAML value parsing."""
    if "=" not in text:
        raise ConfigError(f"override {text!r} must look like section.key=value")
    key, raw = text.split("=", 1)
    path = [part for part in key.strip().split(".") if part]
    if not path:
        raise ConfigError(f"override {text!r} has an empty key")
    if not raw.strip():
        return path, ""
    try:
        return path, yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise ConfigError(
            f"--set {text!r}: the value {raw!r} is not valid YAML: {yaml_problem(error)}"
        ) from error


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Merge dotted overrides into a nested dict (validation happens in ``from_dict``)."""
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            if isinstance(node.get(part), str):  # `model: fastspeech`, the by-name shorthand
                node[part] = {"name": node[part]}
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {text!r}: {part!r} is not a section")
        if isinstance(value, str) and isinstance(node.get(path[-1]), dict):
            node[path[-1]]["name"] = value  # --set model=fastspeech keeps the other model keys
        else:
            node[path[-1]] = value
    return data


def load_config(path: str | Path | None = None, overrides: list[str] | None = None) -> Config:
    """Load a YAML config (or defaults when ``path`` is None) and apply dotted overrides."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist; see configs/ for examples")
        try:
            loaded = yaml.safe_load(path.read_text())
        except yaml.YAMLError as error:
            raise ConfigError(f"{path} {yaml_problem(error)}") from error
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"config file {path} must hold a mapping at the top level")
        data = loaded or {}
    data = apply_overrides(data, overrides or [])
    config = from_dict(Config, data)
    setattr(config, _GIVEN_KEYS, frozenset(_leaf_keys(Config, data)))
    return config


def config_from_dict(data: dict[str, Any]) -> Config:
    """Rebuild a Config saved with ``Config.to_dict`` (e.g. from a dataset or checkpoint)."""
    return from_dict(Config, data)


@dataclass
class VarianceConfig:
    """Variance adaptor of FastSpeech 2 (section 2.3): predictors, pitch/energy embeddings, stats.

    The ``*_mean``/``*_std``/``*_min``/``*_max`` fields are corpus statistics in RAW units (Hz,
    STFT-magnitude norm), as written to stats.json by preprocessing. The defaults are only
    placeholders: the trainer sets the real ones here or through
    ``FastSpeech2.set_statistics``; either way they end up as buffers in every checkpoint.
    """

    filter_size: int = 256
    kernel_size: int = 3
    dropout: float = 0.5
    n_bins: int = 256
    pitch_quantization: Literal["linear", "log"] = "linear"
    energy_quantization: Literal["linear", "log"] = "linear"
    # "bins": ming024 bucketize + nn.Embedding; "conv": FastPitch's Conv1d over the value.
    embedding: Literal["bins", "conv"] = "bins"
    embedding_kernel_size: int = 3
    pitch_mean: float = 200.0
    pitch_std: float = 50.0
    pitch_min: float = 70.0
    pitch_max: float = 800.0
    energy_mean: float = 40.0
    energy_std: float = 40.0
    energy_min: float = 0.01
    energy_max: float = 400.0

    def __post_init__(self) -> None:
        _require("model.variance", self, ("filter_size",), ("dropout",))
        if self.kernel_size % 2 != 1 or self.embedding_kernel_size % 2 != 1:
            raise ConfigError(
                "model.variance.kernel_size and model.variance.embedding_kernel_size must be "
                f"odd (got {self.kernel_size}, {self.embedding_kernel_size})"
            )
        if self.n_bins < 3:  # the two end rows stay unused (VarianceFeature)
            raise ConfigError(f"model.variance.n_bins must be >= 3 (got {self.n_bins})")
        for name in ("pitch", "energy"):
            std, low, high = (getattr(self, f"{name}_{key}") for key in ("std", "min", "max"))
            if not std > 0:
                raise ConfigError(f"model.variance.{name}_std must be > 0 (got {std})")
            if not low < high:
                raise ConfigError(
                    f"model.variance.{name}_min ({low}) must be < {name}_max ({high})"
                )
            if getattr(self, f"{name}_quantization") == "log" and not low > 0:
                raise ConfigError(
                    f"model.variance.{name}_quantization=log needs {name}_min > 0 (got {low}); "
                    "use linear quantization or a positive (robust) minimum"
                )


@dataclass
class FastSpeechConfig:
    """Parts of the original FastSpeech (Ren et al. 2019, arXiv 1905.09263) that FastSpeech 2
    does not have; used only when ``model.name`` is ``fastspeech``. Defaults follow
    xcmyz/FastSpeech (CBHG postnet, MSE mel loss) except the duration loss, which follows the
    paper (MSE on log durations, section 3.3); ``duration_loss: linear_l1`` is xcmyz's.

    ``postnet``: ``cbhg`` (xcmyz: CBHG over the mel + linear, a residual), ``plain`` (the
    Tacotron 2 conv postnet sized by ``model.postnet_*``, as FastSpeech 2 uses), ``none`` (the
    paper's figure 1: decoder -> linear, no postnet).
    """

    postnet: Literal["cbhg", "plain", "none"] = "cbhg"
    mel_loss: Literal["mse", "l1"] = "mse"
    duration_loss: Literal["log_mse", "linear_l1"] = "log_mse"
    duration_filter_size: int = 256
    duration_kernel_size: int = 3
    duration_dropout: float = 0.1
    cbhg_bank_size: int = 8
    cbhg_projection_channels: int = 256
    cbhg_highway_layers: int = 4

    def __post_init__(self) -> None:
        _require(
            "model.fastspeech",
            self,
            ("duration_filter_size", "cbhg_bank_size", "cbhg_projection_channels"),
            ("duration_dropout",),
        )
        choices = {
            "postnet": ("cbhg", "plain", "none"),
            "mel_loss": ("mse", "l1"),
            "duration_loss": ("log_mse", "linear_l1"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"model.fastspeech.{name} must be one of {list(allowed)} "
                    f"(got {getattr(self, name)!r})"
                )
        if self.duration_kernel_size % 2 != 1:
            raise ConfigError(
                "model.fastspeech.duration_kernel_size must be odd "
                f"(got {self.duration_kernel_size})"
            )
        for name in ("duration_filter_size", "cbhg_bank_size", "cbhg_projection_channels"):
            if getattr(self, name) < 1:
                raise ConfigError(f"model.fastspeech.{name} must be >= 1")
        if self.cbhg_highway_layers < 0:
            raise ConfigError("model.fastspeech.cbhg_highway_layers must be >= 0")


@dataclass
class ModelConfig:
    """The acoustic model: ``name`` picks it (``fastspeech2``, the default, or ``fastspeech``,
    the original FastSpeech; see :mod:`fastspeak.models.registry`). In YAML write
    ``model: {name: fastspeech, ...}`` or just ``model: fastspeech``; on the command line
    ``--set model.name=fastspeech``. Defaults: ming024's FastSpeech 2 LJSpeech setup (about
    35M parameters). The FFT encoder/decoder fields serve both models; ``variance`` only
    FastSpeech 2 and ``fastspeech`` only FastSpeech.

    ``vocab_size`` and ``n_speakers`` come from the dataset (len(vocab), speaker count);
    ``n_speakers`` 0 or 1 means no speaker embedding. ``max_seq_len`` only sizes a cached
    positional-encoding table: longer inputs are encoded on the fly, never truncated.
    ``pitch_level``/``energy_level`` must match ``features`` (the trainer checks).
    """

    name: Literal["fastspeech2", "fastspeech"] = "fastspeech2"
    vocab_size: int = 128
    n_speakers: int = 0
    n_mels: int = 80
    hidden: int = 256
    encoder_layers: int = 4
    decoder_layers: int = 6
    attention_heads: int = 2
    conv_filter_size: int = 1024
    conv_kernel_sizes: list[int] = field(default_factory=lambda: [9, 1])
    encoder_dropout: float = 0.2
    decoder_dropout: float = 0.2
    max_seq_len: int = 1000
    pitch_level: Literal["phoneme", "frame"] = "phoneme"
    energy_level: Literal["phoneme", "frame"] = "phoneme"
    postnet_layers: int = 5
    postnet_channels: int = 512
    postnet_kernel_size: int = 5
    postnet_dropout: float = 0.5
    variance: VarianceConfig = field(default_factory=VarianceConfig)
    fastspeech: FastSpeechConfig = field(default_factory=FastSpeechConfig)

    def __post_init__(self) -> None:
        if self.name not in ("fastspeech2", "fastspeech"):
            raise ConfigError(f"model.name must be fastspeech2 or fastspeech (got {self.name!r})")
        _require(
            "model",
            self,
            ("hidden", "attention_heads", "encoder_layers", "decoder_layers", "conv_filter_size",
             "postnet_channels", "n_mels", "max_seq_len"),
            ("encoder_dropout", "decoder_dropout", "postnet_dropout"),
        )  # fmt: skip
        if self.hidden % self.attention_heads != 0:
            raise ConfigError(
                f"model.hidden ({self.hidden}) must be divisible by "
                f"model.attention_heads ({self.attention_heads})"
            )
        if len(self.conv_kernel_sizes) != 2 or any(k % 2 != 1 for k in self.conv_kernel_sizes):
            raise ConfigError(
                f"model.conv_kernel_sizes must be two odd sizes (got {self.conv_kernel_sizes})"
            )
        if self.postnet_kernel_size % 2 != 1 or self.postnet_layers < 1:
            raise ConfigError("model.postnet_kernel_size must be odd and postnet_layers >= 1")
        if self.vocab_size < 2:
            raise ConfigError(f"model.vocab_size must be >= 2 (got {self.vocab_size})")
        if self.n_speakers < 0:
            raise ConfigError(f"model.n_speakers must be >= 0 (got {self.n_speakers})")


@dataclass
class TrainConfig:
    """Acoustic-model training (ming024/FastSpeech2 LJSpeech defaults; see fastspeak.train).

    ``learning_rate`` is the PEAK learning rate of every schedule; None means ming024's Noam
    peak ``hidden**-0.5 * warmup_steps**-0.5`` (9.88e-4 for hidden 256, warm-up 4000).
    ``anneal_steps``/``anneal_rate`` multiply the lr (x0.3 after 300k, 400k, 500k steps) for
    the "noam" and "constant" schedules; "cosine" decays to ``min_lr_ratio`` x peak at
    ``max_steps``. ``amp``: "auto" = bf16 autocast on CUDA, none on CPU; true/false force it
    (CPU bf16 autocast is only worth it on CPUs with native bf16 — AVX-512 BF16 or AMX; on an
    AVX2-only CPU such as the development machine it is 40-60x slower than fp32).
    ``durations``: where the model's durations come from: ``data`` (the FEATDIR's: teacher
    timings, MFA TextGrids or a ``--durations`` file, chosen at preprocessing) or ``learned``
    (an aligner trained jointly with the model, the ``align`` section; see
    :mod:`fastspeak.aligners.joint`).
    """

    max_steps: int = 900000
    batch_size: int = 16
    max_frames_per_batch: int = 0  # > 0: batch by padded frames instead of batch_size
    bucket_batches: int = 50  # length buckets hold this many batches, sorted by frames
    pad_multiple: int = 16  # pad N and T of a batch to multiples: few shapes, cached kernels
    grad_accumulation: int = 1
    schedule: Literal["noam", "constant", "cosine"] = "noam"
    learning_rate: float | None = None
    warmup_steps: int = 4000
    anneal_steps: list[int] = field(default_factory=lambda: [300000, 400000, 500000])
    anneal_rate: float = 0.3
    min_lr_ratio: float = 0.01
    betas: list[float] = field(default_factory=lambda: [0.9, 0.98])
    eps: float = 1e-9
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    amp: bool | Literal["auto"] = "auto"
    amp_dtype: Literal["bfloat16", "float16"] = "bfloat16"
    ema: bool = False
    ema_decay: float = 0.9999
    seed: int = 1234
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    num_workers: int = 2
    log_interval: int = 100
    val_interval: int = 1000
    plot_interval: int = 5000
    save_interval: int = 1000  # checkpoints/latest.pt
    milestone_interval: int = 100000  # checkpoints/step_XXXXXXXXX.pt, kept
    progress: bool = True
    durations: Literal["data", "learned"] = "data"

    def __post_init__(self) -> None:
        positive = (
            "max_steps",
            "batch_size",
            "grad_accumulation",
            "bucket_batches",
            "pad_multiple",
        )
        for name in positive + ("log_interval", "val_interval", "plot_interval"):
            if getattr(self, name) < 1:
                raise ConfigError(f"train.{name} must be >= 1 (got {getattr(self, name)})")
        for name in ("save_interval", "milestone_interval", "warmup_steps", "num_workers"):
            if getattr(self, name) < 0:
                raise ConfigError(f"train.{name} must be >= 0 (got {getattr(self, name)})")
        if self.learning_rate is not None and not self.learning_rate > 0:
            raise ConfigError(f"train.learning_rate must be > 0 or null (got {self.learning_rate})")
        if self.schedule == "noam" and self.warmup_steps < 1:
            raise ConfigError("train.schedule=noam needs train.warmup_steps >= 1")
        if len(self.betas) != 2 or not all(0.0 <= beta < 1.0 for beta in self.betas):
            raise ConfigError(f"train.betas must be two numbers in [0, 1) (got {self.betas})")
        if not 0.0 < self.ema_decay < 1.0:
            raise ConfigError(f"train.ema_decay must be in (0, 1) (got {self.ema_decay})")
        if self.device != "auto" and self.device.split(":")[0] not in ("cpu", "cuda", "mps"):
            raise ConfigError(
                f"train.device must be auto, cpu, cuda, cuda:N or mps (got {self.device!r})"
            )


HIFIGAN_VARIANTS: dict[str, dict[str, Any]] = {
    "v1": {
        "resblock": 1,
        "upsample_rates": [8, 8, 2, 2],
        "upsample_kernel_sizes": [16, 16, 4, 4],
        "upsample_initial_channel": 512,
        "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    },
    "v2": {
        "resblock": 1,
        "upsample_rates": [8, 8, 2, 2],
        "upsample_kernel_sizes": [16, 16, 4, 4],
        "upsample_initial_channel": 128,
        "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    },
    "v3": {
        "resblock": 2,
        "upsample_rates": [8, 8, 4],
        "upsample_kernel_sizes": [16, 16, 8],
        "upsample_initial_channel": 256,
        "resblock_kernel_sizes": [3, 5, 7],
        "resblock_dilation_sizes": [[1, 2], [2, 6], [3, 12]],
    },
}
"""The generators of HiFi-GAN (Kong et al. 2020, arXiv 2010.05646, table 1 / jik876's
config_v1/v2/v3.json): V1 for quality (13.9M parameters), V2 small (0.9M), V3 fast (1.5M)."""


@dataclass
class HiFiGANConfig:
    """The HiFi-GAN generator (Kong et al. 2020, section 2.1): ``variant`` picks the paper's
    V1/V2/V3 layout; any layout field left null takes the variant's value (filled in here, so
    a saved config is explicit), a set one replaces it (e.g. fewer channels for tests).

    The upsampling rates must multiply to ``audio.hop_length`` (checked against the audio
    section by :meth:`VocoderConfig.check_audio`); each transposed convolution's kernel must be
    at least its rate with an even difference, so it makes exactly ``rate`` samples per input.
    """

    variant: Literal["v1", "v2", "v3"] = "v1"
    resblock: Literal[1, 2] | None = None
    upsample_rates: list[int] | None = None
    upsample_kernel_sizes: list[int] | None = None
    upsample_initial_channel: int | None = None
    resblock_kernel_sizes: list[int] | None = None
    resblock_dilation_sizes: list[list[int]] | None = None
    leaky_relu_slope: float = 0.1

    def __post_init__(self) -> None:
        if self.variant not in HIFIGAN_VARIANTS:
            raise ConfigError(
                f"vocoder.generator.variant must be one of {sorted(HIFIGAN_VARIANTS)} "
                f"(got {self.variant!r})"
            )
        for name, value in HIFIGAN_VARIANTS[self.variant].items():
            if getattr(self, name) is None:
                setattr(self, name, json.loads(json.dumps(value)))  # a fresh copy
        assert self.upsample_rates is not None and self.upsample_kernel_sizes is not None
        assert self.resblock_kernel_sizes is not None and self.resblock_dilation_sizes is not None
        assert self.upsample_initial_channel is not None
        prefix = "vocoder.generator"
        if self.resblock not in (1, 2):
            raise ConfigError(f"{prefix}.resblock must be 1 or 2 (got {self.resblock!r})")
        if not self.upsample_rates or len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise ConfigError(
                f"{prefix}.upsample_rates ({self.upsample_rates}) and upsample_kernel_sizes "
                f"({self.upsample_kernel_sizes}) must be non-empty lists of the same length"
            )
        for rate, kernel in zip(self.upsample_rates, self.upsample_kernel_sizes, strict=True):
            if rate < 1 or kernel < rate or (kernel - rate) % 2:
                raise ConfigError(
                    f"{prefix}: upsample rate {rate} with kernel {kernel}: need rate >= 1, "
                    "kernel >= rate and kernel - rate even (e.g. kernel = 2 x rate)"
                )
        if self.upsample_initial_channel < 2 ** len(self.upsample_rates):
            raise ConfigError(
                f"{prefix}.upsample_initial_channel ({self.upsample_initial_channel}) must be "
                f">= 2 ** len(upsample_rates) = {2 ** len(self.upsample_rates)}: channels halve "
                "at every upsampling"
            )
        if not self.resblock_kernel_sizes or len(self.resblock_kernel_sizes) != len(
            self.resblock_dilation_sizes
        ):
            raise ConfigError(
                f"{prefix}.resblock_kernel_sizes and resblock_dilation_sizes must be non-empty "
                "lists of the same length (one dilation list per kernel size)"
            )
        needed = 3 if self.resblock == 1 else 2
        for kernel, dilations in zip(
            self.resblock_kernel_sizes, self.resblock_dilation_sizes, strict=True
        ):
            if kernel < 1 or kernel % 2 != 1:
                raise ConfigError(f"{prefix}.resblock_kernel_sizes must be odd (got {kernel})")
            if len(dilations) != needed or any(d < 1 for d in dilations):
                raise ConfigError(
                    f"{prefix}: resblock type {self.resblock} takes {needed} dilations >= 1 per "
                    f"kernel (got {dilations})"
                )

    @property
    def hop_length(self) -> int:
        """Samples per mel frame this generator makes: the product of the upsampling rates."""
        assert self.upsample_rates is not None
        return math.prod(self.upsample_rates)


@dataclass
class DiscriminatorConfig:
    """HiFi-GAN's discriminators (Kong et al. 2020, section 2.2-2.3): the multi-period
    discriminator (one 2-D conv stack per period over the waveform folded to (T/p, p)) and the
    multi-scale discriminator (``scales`` 1-D conv stacks on the waveform average-pooled
    0, 1, 2... times). The channel lists are the paper's; smaller ones are for tests.

    ``period_channels``: output channels of the period stack (all strided by 3 along time
    except the last, stride 1). ``scale_channels``/``scale_groups``: the seven grouped 1-D
    convs of a scale discriminator (kernels 15, 41, 41, 41, 41, 41, 5).
    """

    periods: list[int] = field(default_factory=lambda: [2, 3, 5, 7, 11])
    scales: int = 3
    period_channels: list[int] = field(default_factory=lambda: [32, 128, 512, 1024, 1024])
    scale_channels: list[int] = field(
        default_factory=lambda: [128, 128, 256, 512, 1024, 1024, 1024]
    )
    scale_groups: list[int] = field(default_factory=lambda: [1, 4, 16, 16, 16, 16, 1])

    def __post_init__(self) -> None:
        prefix = "vocoder.discriminator"
        if any(period < 2 for period in self.periods) or len(set(self.periods)) != len(
            self.periods
        ):
            raise ConfigError(f"{prefix}.periods must be distinct and >= 2 (got {self.periods})")
        if self.scales < 0 or (self.scales == 0 and not self.periods):
            raise ConfigError(f"{prefix}: need scales >= 0 and at least one discriminator")
        if not self.period_channels or any(c < 1 for c in self.period_channels):
            raise ConfigError(f"{prefix}.period_channels must be a non-empty list of >= 1")
        if len(self.scale_channels) != 7 or len(self.scale_groups) != 7:
            raise ConfigError(
                f"{prefix}.scale_channels and scale_groups must hold 7 values each (the "
                "seven convs of a scale discriminator)"
            )
        inputs = [1, *self.scale_channels[:-1]]
        for index, (channels_in, channels, groups) in enumerate(
            zip(inputs, self.scale_channels, self.scale_groups, strict=True)
        ):
            if groups < 1 or channels_in % groups or channels % groups:
                raise ConfigError(
                    f"{prefix}: scale conv {index} has {channels_in} -> {channels} channels in "
                    f"{groups} groups; groups must divide both"
                )


@dataclass
class VocoderTrainConfig:
    """HiFi-GAN training (Kong et al. 2020, section 3 / jik876's config_v1.json): AdamW
    (0.8, 0.99), lr 2e-4 decayed x0.999 per epoch, batch 16 segments of 8192 samples, loss
    ``adversarial + feature_loss_weight x feature matching + mel_loss_weight x mel L1``.

    ``loss_f_max``: upper edge of the mel filterbank used by the mel-L1 LOSS (the paper's
    ``fmax_for_loss``: null = Nyquist, the full band, so the generator is also pushed above the
    input mel's ``audio.f_max``); the generator's input mel is always the audio section's.
    ``amp``: as ``train.amp`` (bf16 autocast on CUDA for "auto"). ``grad_clip`` 0 = none (the
    paper clips nothing); non-finite steps are skipped either way. ``compile``: run the
    generator and discriminators through ``torch.compile``: true = its default mode (fewer,
    fused kernels), or a mode: "reduce-overhead" (also CUDA graphs) or
    "max-autotune-no-cudagraphs". A step is ~10k small kernels, launch-bound on a large GPU;
    the first steps pay the compilation.
    ``stft_loss_weight``: adds ``weight x (spectral convergence + log-magnitude L1)`` of a
    multi-resolution STFT to the generator's loss in both phases (Parallel WaveGAN's loss,
    :mod:`fastspeak.vocoders.stft_loss`; ``stft_resolutions``: [n_fft, hop, window length]
    each, by default Parallel WaveGAN's three); 0 = the paper's recipe. Mel bands above ~1 kHz
    are wider than the frame rate (86 Hz): mel L1 cannot tell a comb at its multiples from
    noise of the same band energies, these STFTs can. ``adversarial_stft_loss_weight``: the
    STFT loss's weight once the discriminators are in (null = ``stft_loss_weight``; 0 = the
    paper's adversarial phase after STFT-loss pretraining in ``mel_only_steps``).
    ``mel_only_steps``: the first so many steps of a run train the generator alone on mel L1
    (the discriminators are neither run nor updated; a step costs the generator's share, and
    the adversarial phase starts from a generator that already follows the mels: the
    generator-first schedule of MelGAN / Parallel WaveGAN recipes). 0 = the paper's recipe.
    ``discriminator_warmup_steps``: the next so many steps (the first ones without
    ``mel_only_steps``) update the discriminators alone (for fresh discriminators: after the
    mel-only phase, or in a run started from an exported generator).
    ``generator_lr_ramp_steps``: when a run starts a trained generator (``--init-from``) whose
    optimizer has made fewer than N updates (an exported generator's new optimizer, or a
    checkpoint stopped before or early in its generator's updates), the generator's lr ramps
    linearly to all of it, ``(k + 1) / N`` at the optimizer's ``k``-th update. A new Adam's
    first update moves every weight by about the lr whatever its gradient (its second-moment
    estimate is one gradient), which undoes a trained generator: one mel-only step from a V2
    exported at validation mel L1 0.38 measured 1.30 without the ramp. Runs from scratch never
    ramp; a resumed run continues its ramp.
    ``val_utterances``: how many validation utterances are vocoded whole for ``val/mel_l1``
    (every ``val_interval`` steps). ``sample_interval``: TensorBoard audio samples and mel
    plots (matplotlib) of two of them every so many steps and at the first validation; 0 =
    none. ``batch_size`` is per process (DDP).
    """

    max_steps: int = 2_500_000
    batch_size: int = 16
    segment_size: int = 8192
    learning_rate: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.8, 0.99])
    weight_decay: float = 0.01
    lr_decay: float = 0.999
    mel_loss_weight: float = 45.0
    feature_loss_weight: float = 2.0
    loss_f_max: float | None = None
    stft_loss_weight: float = 0.0
    adversarial_stft_loss_weight: float | None = None
    stft_resolutions: list[list[int]] = field(
        default_factory=lambda: [[1024, 120, 600], [2048, 240, 1200], [512, 50, 240]]
    )
    grad_clip: float = 0.0
    mel_only_steps: int = 0
    discriminator_warmup_steps: int = 0
    generator_lr_ramp_steps: int = 200
    amp: bool | Literal["auto"] = "auto"
    amp_dtype: Literal["bfloat16", "float16"] = "bfloat16"
    compile: bool | Literal["reduce-overhead", "max-autotune-no-cudagraphs"] = False
    seed: int = 1234
    device: str = "auto"
    num_workers: int = 4
    log_interval: int = 100
    val_interval: int = 1000
    val_utterances: int = 4
    sample_interval: int = 5000
    save_interval: int = 1000
    milestone_interval: int = 100000
    progress: bool = True

    def __post_init__(self) -> None:
        prefix = "vocoder.train"
        for name in ("max_steps", "batch_size", "segment_size", "log_interval", "val_interval"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{prefix}.{name} must be >= 1 (got {getattr(self, name)})")
        for name in (
            "mel_only_steps",
            "discriminator_warmup_steps",
            "generator_lr_ramp_steps",
            "num_workers",
            "val_utterances",
            "sample_interval",
            "save_interval",
            "milestone_interval",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{prefix}.{name} must be >= 0 (got {getattr(self, name)})")
        if not self.learning_rate > 0:
            raise ConfigError(f"{prefix}.learning_rate must be > 0 (got {self.learning_rate})")
        if not 0.0 < self.lr_decay <= 1.0:
            raise ConfigError(f"{prefix}.lr_decay must be in (0, 1] (got {self.lr_decay})")
        if len(self.betas) != 2 or not all(0.0 <= beta < 1.0 for beta in self.betas):
            raise ConfigError(f"{prefix}.betas must be two numbers in [0, 1) (got {self.betas})")
        for name in (
            "weight_decay",
            "mel_loss_weight",
            "feature_loss_weight",
            "stft_loss_weight",
            "grad_clip",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{prefix}.{name} must be >= 0 (got {getattr(self, name)})")
        for triple in self.stft_resolutions:
            if len(triple) != 3 or not 1 <= triple[2] <= triple[0] or triple[1] < 1:
                raise ConfigError(
                    f"{prefix}.stft_resolutions: each entry is [n_fft, hop, window length] "
                    f"with 1 <= window length <= n_fft and hop >= 1 (got {triple})"
                )
        if self.adversarial_stft_loss_weight is not None and self.adversarial_stft_loss_weight < 0:
            raise ConfigError(
                f"{prefix}.adversarial_stft_loss_weight must be >= 0 or null "
                f"(got {self.adversarial_stft_loss_weight})"
            )
        uses_stft = bool(self.stft_loss_weight or self.adversarial_stft_weight)
        if uses_stft and not self.stft_resolutions:
            raise ConfigError(
                f"{prefix}.stft_resolutions is empty but the STFT loss is on (stft_loss_weight "
                f"{self.stft_loss_weight}, adversarial_stft_loss_weight "
                f"{self.adversarial_stft_loss_weight}): list [n_fft, hop, window length] "
                "entries or set the weights to 0"
            )
        largest_fft = max((triple[0] for triple in self.stft_resolutions), default=0)
        if uses_stft and self.segment_size <= largest_fft // 2:
            raise ConfigError(
                f"{prefix}.segment_size {self.segment_size} is too short for the STFT loss's "
                f"{largest_fft}-point FFT (stft_resolutions): use segments longer than "
                f"{largest_fft // 2} samples or smaller FFTs"
            )
        if self.loss_f_max is not None and not self.loss_f_max > 0:
            raise ConfigError(f"{prefix}.loss_f_max must be > 0 or null (got {self.loss_f_max})")
        if self.device != "auto" and self.device.split(":")[0] not in ("cpu", "cuda", "mps"):
            raise ConfigError(
                f"{prefix}.device must be auto, cpu, cuda, cuda:N or mps (got {self.device!r})"
            )

    @property
    def adversarial_stft_weight(self) -> float:
        """The STFT loss's weight with the discriminators: ``adversarial_stft_loss_weight``, or
        ``stft_loss_weight`` when that is null."""
        if self.adversarial_stft_loss_weight is None:
            return self.stft_loss_weight
        return self.adversarial_stft_loss_weight


@dataclass
class VocoderConfig:
    """The neural vocoder (HiFi-GAN) and its training: ``fastspeak train-vocoder``."""

    generator: HiFiGANConfig = field(default_factory=HiFiGANConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    train: VocoderTrainConfig = field(default_factory=VocoderTrainConfig)

    def check_audio(self, audio: AudioConfig) -> None:
        """Raise ConfigError unless this vocoder fits ``audio``: the generator makes
        ``audio.hop_length`` samples per frame, segments are whole frames, the loss band is
        below Nyquist."""
        rates = self.generator.upsample_rates
        if self.generator.hop_length != audio.hop_length:
            raise ConfigError(
                f"vocoder.generator.upsample_rates {rates} multiply to "
                f"{self.generator.hop_length} samples per frame but audio.hop_length is "
                f"{audio.hop_length}; choose rates whose product is {audio.hop_length}"
            )
        segment = self.train.segment_size
        if segment % audio.hop_length:
            raise ConfigError(
                f"vocoder.train.segment_size ({segment}) must be a multiple of audio.hop_length "
                f"({audio.hop_length}), e.g. {max(1, round(segment / audio.hop_length)) * audio.hop_length}"
            )
        if segment <= audio.n_fft // 2:
            raise ConfigError(
                f"vocoder.train.segment_size ({segment}) must exceed audio.n_fft // 2 "
                f"({audio.n_fft // 2}) for the mel loss's STFT"
            )
        f_max = self.train.loss_f_max
        if f_max is not None and f_max > audio.sample_rate / 2:
            raise ConfigError(
                f"vocoder.train.loss_f_max ({f_max}) exceeds Nyquist ({audio.sample_rate / 2}); "
                "lower it or set it to null (= Nyquist)"
            )


@dataclass
class AlignerConfig:
    """The learned aligner (Badlani et al. 2022, "One TTS Alignment To Rule Them All", arXiv
    2108.10447; NVIDIA FastPitch 1.1's ``AlignmentEncoder``) and its standalone training by
    ``fastspeak align``. See :mod:`fastspeak.aligners`.

    Architecture: a token embedding of ``text_channels`` -> conv (``kernel_size``) -> ReLU ->
    1x1 conv to ``attention_channels`` (keys); mels -> conv (``kernel_size``) -> ReLU -> 1x1
    -> ReLU -> 1x1 to ``attention_channels`` (queries); soft attention
    ``softmax_n(-temperature * |query_t - key_n|^2) * prior`` with the beta-binomial prior of
    ``prior_scaling`` (omega in the paper; 1.0 as FastPitch). ``vocab_size`` and ``n_mels``
    come from the data, as in ``model``.

    Loss: forward-sum (CTC over the attention, a blank of log-probability ``blank_logprob``)
    plus ``binarization_weight`` x the binarisation loss (KL between the MAS path and the soft
    attention), ramped in linearly over ``binarization_warmup_steps`` from
    ``binarization_start_step`` (FastPitch: 6000, 50, 1.0).

    Standalone training (``fastspeak align``): ``steps`` optimizer updates of Adam at
    ``learning_rate`` (linear warm-up over ``warmup_steps``, then a cosine decay to
    ``min_lr_ratio`` x peak) on batches of ``batch_size`` utterances; ``grad_clip`` 0 = off.
    Device, seed, data workers, logging and checkpoint intervals come from the ``train``
    section. ``max_prior_deviation`` is the threshold of ``fastspeak align --check``: the mean
    distance, as a fraction of the utterance, between each token's centre and the diagonal.

    Joint training (``train.durations: learned``): the FastSpeech 2 / FastSpeech trainer adds
    ``joint_weight`` x the aligner loss to the model loss and trains on MAS durations.

    Refinement (``fastspeak align``, after training, before export; 0 rounds = off): each of
    ``refine_iterations`` rounds trains a frame classifier (``refine_channels`` wide, seeing
    ``refine_context`` frames each side) for ``refine_epochs`` at ``refine_learning_rate`` on
    the current durations, then realigns by MAS over its scaled likelihoods plus
    ``refine_aligner_weight`` x the aligner's log-attention; ``refine_margin`` frames at each
    end of every token are left out of the classifier's training. See
    :mod:`fastspeak.aligners.refine`.

    Transition states (``transition_tokens``, off by default): the aligner sees a learned
    transition token between every two tokens (Glow-TTS / VITS ``add_blank``), aligns the
    2N - 1 states, and gives each transition's frames ``transition_share`` to the token before
    it and the rest to the token after it (0.5: the boundary in the transition's middle).
    Needs ``refine_aligner_weight`` 0 (refinement realigns tokens, not states).

    Duration prior (``fastspeak align``, after training, before refinement; 0 rounds = off;
    2 by default: it helped every aligner measured, piper and flite, with and without
    transitions):
    each of ``duration_prior_rounds`` rounds fits a log-normal duration per token id (one for
    all transitions) on the train split's current durations and re-segments every utterance
    by an explicit-duration HMM over the aligner's posteriors, the duration log-densities
    weighted ``duration_prior_weight`` / c, c the aligner's mean -log P(state | frame) along its
    own path (20: near the best on piper and flite). See
    :mod:`fastspeak.aligners.duration_prior`.
    """

    vocab_size: int = 128
    n_mels: int = 80
    text_channels: int = 256
    attention_channels: int = 80
    kernel_size: int = 3
    temperature: float = 0.0005
    prior_scaling: float = 1.0
    blank_logprob: float = -1.0
    binarization_weight: float = 1.0
    binarization_start_step: int = 6000
    binarization_warmup_steps: int = 50
    steps: int = 10000
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup_steps: int = 500
    min_lr_ratio: float = 0.1
    weight_decay: float = 1e-6
    grad_clip: float = 1.0
    joint_weight: float = 1.0
    max_prior_deviation: float = 0.15
    refine_iterations: int = 0
    refine_epochs: int = 3
    refine_context: int = 0
    refine_channels: int = 256
    refine_learning_rate: float = 1e-3
    refine_aligner_weight: float = 0.0
    refine_margin: int = 0
    transition_tokens: bool = False
    transition_share: float = 0.5
    duration_prior_rounds: int = 2
    duration_prior_weight: float = 20.0

    def __post_init__(self) -> None:
        for name in (
            "text_channels",
            "attention_channels",
            "steps",
            "batch_size",
            "refine_epochs",
            "refine_channels",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"align.{name} must be >= 1 (got {getattr(self, name)})")
        if self.kernel_size % 2 != 1:
            raise ConfigError(f"align.kernel_size must be odd (got {self.kernel_size})")
        if self.vocab_size < 2 or self.n_mels < 1:
            raise ConfigError("align.vocab_size must be >= 2 and align.n_mels >= 1")
        for name in (
            "temperature",
            "prior_scaling",
            "learning_rate",
            "max_prior_deviation",
            "refine_learning_rate",
        ):
            if not getattr(self, name) > 0:
                raise ConfigError(f"align.{name} must be > 0 (got {getattr(self, name)})")
        for name in (
            "binarization_weight",
            "binarization_start_step",
            "binarization_warmup_steps",
            "warmup_steps",
            "weight_decay",
            "grad_clip",
            "joint_weight",
            "refine_iterations",
            "refine_context",
            "refine_aligner_weight",
            "refine_margin",
            "duration_prior_rounds",
            "duration_prior_weight",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"align.{name} must be >= 0 (got {getattr(self, name)})")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise ConfigError(f"align.min_lr_ratio must be in [0, 1] (got {self.min_lr_ratio})")
        if not 0.0 <= self.transition_share <= 1.0:
            raise ConfigError(
                f"align.transition_share must be in [0, 1] (got {self.transition_share})"
            )
        if self.transition_tokens and self.refine_aligner_weight:
            raise ConfigError(
                "align.refine_aligner_weight needs align.transition_tokens false: refinement "
                "realigns tokens, the aligner's scores are over tokens and transitions"
            )
