"""Acoustic models: FastSpeech 2, FastSpeech and their building blocks.

Public API::

    from fastspeak.models import FastSpeech2, FastSpeech2Loss, FastSpeech2Output
    model = FastSpeech2(config.model)
    model.set_statistics(pitch=stats["pitch"], energy=stats["energy"])
    output = model(tokens, token_lengths, durations, pitch, energy, speaker_ids, mel_lengths)
    total, terms = FastSpeech2Loss(config.model)(batch, output)
    output = model.eval().infer(tokens, token_lengths, speed=1.2, pitch_semitones=2.0)

    # either model by name (config.model.name: fastspeech2 | fastspeech)
    from fastspeak.models import build_model, model_spec
    spec = model_spec(config.model.name)
    model = spec.build(config.model, stats)
    total, terms = spec.loss(config.model)(batch, model(**spec.inputs_from(batch)))
"""

from fastspeak.models.cbhg import CBHG, CBHGPostNet
from fastspeak.models.fastspeech import FastSpeech
from fastspeak.models.fastspeech2 import FastSpeech2
from fastspeak.models.layers import FFTBlock, FFTStack, PostNet, sinusoidal_positions
from fastspeak.models.losses import FastSpeech2Loss, FastSpeechLoss, LossTargets
from fastspeak.models.ops import regulate_length, sequence_mask
from fastspeak.models.outputs import FastSpeech2Output, FastSpeechOutput, VarianceAdaptorOutput
from fastspeak.models.registry import MODELS, ModelSpec, build_model, model_spec, spec_for_kind
from fastspeak.models.variance import (
    VarianceAdaptor,
    VarianceFeature,
    VariancePredictor,
    VarianceStatistics,
    durations_from_log,
)

__all__ = [
    "CBHG",
    "MODELS",
    "CBHGPostNet",
    "FFTBlock",
    "FFTStack",
    "FastSpeech2",
    "FastSpeech2Loss",
    "FastSpeech2Output",
    "FastSpeech",
    "FastSpeechLoss",
    "FastSpeechOutput",
    "ModelSpec",
    "LossTargets",
    "PostNet",
    "VarianceAdaptor",
    "VarianceAdaptorOutput",
    "VarianceFeature",
    "VariancePredictor",
    "VarianceStatistics",
    "build_model",
    "durations_from_log",
    "model_spec",
    "regulate_length",
    "sequence_mask",
    "sinusoidal_positions",
    "spec_for_kind",
]
