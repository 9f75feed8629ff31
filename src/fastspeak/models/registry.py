"""The acoustic models by name: ``model.name`` in the config -> class, loss, checkpoint kind.

The trainer (:mod:`fastspeak.train.loop`), synthesis (:mod:`fastspeak.synthesis`) and
distillation (:mod:`fastspeak.data.distill`) go through this table, so every model takes the
same path::

    spec = model_spec(config.model.name)        # or spec_for_kind(checkpoint["kind"])
    model = spec.build(config.model, stats)     # statistics applied where the model has them
    output = model(**spec.inputs_from(batch))   # teacher-forced, keyword arguments
    total, terms = spec.loss(config.model)(batch, output)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastspeak.config import ConfigError, ModelConfig
from fastspeak.models.fastspeech import FastSpeech
from fastspeak.models.fastspeech2 import FastSpeech2
from fastspeak.models.losses import FastSpeech2Loss, FastSpeechLoss
from fastspeak.models.outputs import FastSpeech2Output, FastSpeechOutput

__all__ = [
    "MODELS",
    "AcousticModel",
    "ModelOutput",
    "ModelSpec",
    "build_model",
    "model_spec",
    "spec_for_kind",
]

AcousticModel = FastSpeech2 | FastSpeech
"""Any registered acoustic model (each has ``config``, ``forward`` and ``infer``)."""

ModelOutput = FastSpeech2Output | FastSpeechOutput
"""What their ``forward``/``infer`` return (both have ``mels_postnet``, ``mel_lengths``)."""


@dataclass(frozen=True)
class ModelSpec:
    """One registered model.

    Attributes:
        name: the value of ``model.name``.
        model: the class, built from a ModelConfig.
        loss: the loss class, ``(config) -> (targets, output) -> (total, terms)``.
        kind: the ``kind`` written in its checkpoints.
        inputs: the Batch fields its ``forward`` takes, as keyword arguments.
        variance_statistics: whether it takes pitch/energy statistics (``set_statistics``)
            and pitch/energy targets whose level must match the data.
    """

    name: str
    model: type[FastSpeech2] | type[FastSpeech]
    loss: type[FastSpeech2Loss] | type[FastSpeechLoss]
    kind: str
    inputs: tuple[str, ...]
    variance_statistics: bool

    def build(self, config: ModelConfig, stats: Mapping[str, Any] | None = None) -> AcousticModel:
        """A fresh model; ``stats`` (a FEATDIR's stats.json) sets pitch/energy statistics
        for models that have them (and is ignored by the others)."""
        if config.name != self.name:
            raise ConfigError(f"model.name is {config.name!r}, this is the {self.name} entry")
        model = self.model(config)
        if stats is not None and isinstance(model, FastSpeech2):
            model.set_statistics(pitch=stats["pitch"], energy=stats["energy"])
        return model

    def inputs_from(self, batch: Any) -> dict[str, Any]:
        """The keyword arguments of ``forward`` taken from a Batch (or any object with
        those attributes)."""
        return {name: getattr(batch, name) for name in self.inputs}


MODELS: dict[str, ModelSpec] = {
    "fastspeech2": ModelSpec(
        name="fastspeech2",
        model=FastSpeech2,
        loss=FastSpeech2Loss,
        kind="fastspeech2",
        inputs=(
            "tokens",
            "token_lengths",
            "durations",
            "pitch",
            "energy",
            "speaker_ids",
            "mel_lengths",
            "static_frames",
        ),
        variance_statistics=True,
    ),
    "fastspeech": ModelSpec(
        name="fastspeech",
        model=FastSpeech,
        loss=FastSpeechLoss,
        kind="fastspeech",
        inputs=(
            "tokens",
            "token_lengths",
            "durations",
            "speaker_ids",
            "mel_lengths",
            "static_frames",
        ),
        variance_statistics=False,
    ),
}


def model_spec(name: str) -> ModelSpec:
    """The entry for ``model.name``; ConfigError listing the names otherwise."""
    if name not in MODELS:
        raise ConfigError(f"unknown model.name {name!r}; choose one of {', '.join(MODELS)}")
    return MODELS[name]


def spec_for_kind(kind: str) -> ModelSpec | None:
    """The entry whose checkpoints say ``kind`` (None for e.g. a vocoder checkpoint)."""
    return next((spec for spec in MODELS.values() if spec.kind == kind), None)


def build_model(config: ModelConfig, stats: Mapping[str, Any] | None = None) -> AcousticModel:
    """``model_spec(config.name).build(config, stats)``."""
    return model_spec(config.name).build(config, stats)
