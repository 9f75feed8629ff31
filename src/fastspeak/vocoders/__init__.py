"""Vocoders: log-mel (B, n_mels, T) -> waveform; built by name with :func:`make_vocoder`."""

from fastspeak.vocoders.base import Vocoder, available_vocoders, make_vocoder, register_vocoder

__all__ = ["Vocoder", "available_vocoders", "make_vocoder", "register_vocoder"]
