"""Acoustic models: FastSpeech 2 and its building blocks.

Public API::

    from fastspeak.models import FastSpeech2, FastSpeech2Loss, FastSpeech2Output
    model = FastSpeech2(config.model)
    model.set_statistics(pitch=stats["pitch"], energy=stats["energy"])
    output = model(tokens, token_lengths, durations, pitch, energy, speaker_ids, mel_lengths)
    total, terms = FastSpeech2Loss(config.model)(batch, output)
    output = model.eval().infer(tokens, token_lengths, speed=1.2, pitch_semitones=2.0)
"""

from fastspeak.models.fastspeech2 import FastSpeech2
from fastspeak.models.layers import FFTBlock, FFTStack, PostNet, sinusoidal_positions
from fastspeak.models.losses import FastSpeech2Loss, LossTargets
from fastspeak.models.ops import regulate_length, sequence_mask
from fastspeak.models.outputs import FastSpeech2Output, VarianceAdaptorOutput
from fastspeak.models.variance import (
    VarianceAdaptor,
    VarianceFeature,
    VariancePredictor,
    VarianceStatistics,
    durations_from_log,
)

__all__ = [
    "FFTBlock",
    "FFTStack",
    "FastSpeech2",
    "FastSpeech2Loss",
    "FastSpeech2Output",
    "LossTargets",
    "PostNet",
    "VarianceAdaptor",
    "VarianceAdaptorOutput",
    "VarianceFeature",
    "VariancePredictor",
    "VarianceStatistics",
    "durations_from_log",
    "regulate_length",
    "sequence_mask",
    "sinusoidal_positions",
]
