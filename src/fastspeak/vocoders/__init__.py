"""Vocoders: log-mel (B, n_mels, T) -> waveform; built by name with :func:`make_vocoder`."""

from fastspeak.vocoders.base import (
    Vocoder,
    VocoderError,
    available_vocoders,
    make_vocoder,
    register_vocoder,
)

__all__ = ["Vocoder", "VocoderError", "available_vocoders", "make_vocoder", "register_vocoder"]
