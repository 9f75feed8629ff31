"""The vocoder contract: log-mel spectrograms in, waveforms out.

Every vocoder takes the ONE mel of :mod:`fastspeak.audio.mel` (natural-log Slaney mel of the
magnitude STFT, ``center=True``) in channels-first layout, like HiFi-GAN::

    wavs, wav_lengths = vocoder(mels, mel_lengths)
    # mels: (B, n_mels, T_mel) float, mel_lengths: (B,) long or None (all T_mel frames valid)
    # wavs: (B, T_mel * hop_length) float, zero after each item's wav_lengths = lengths * hop

Vocoders are built by name through :func:`make_vocoder`, so the CLI, the server and the
synthesis facade never import a concrete class.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import torch

from fastspeak.config import AudioConfig

__all__ = ["Vocoder", "VocoderFactory", "available_vocoders", "make_vocoder", "register_vocoder"]


@runtime_checkable
class Vocoder(Protocol):
    """Anything that turns batched log-mels into waveforms at ``sample_rate`` Hz.

    ``__call__(mels, lengths=None)``:
        mels: (B, n_mels, T_mel) natural-log mel (padding frames are ignored);
        lengths: (B,) long valid frames per item, or None for all ``T_mel``.
    Returns ``(wavs, wav_lengths)``: wavs (B, T_mel * hop_length) float on the input's device,
    zero past each item's end; wav_lengths (B,) long = ``lengths * hop_length``.
    Batched output equals unbatched output item by item.
    """

    sample_rate: int

    def __call__(
        self, mels: torch.Tensor, lengths: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


VocoderFactory = Callable[..., Vocoder]
"""``factory(audio_config, **options) -> Vocoder``."""

_BUILTIN: dict[str, str] = {
    "griffinlim": "fastspeak.vocoders.griffinlim:GriffinLim",
}
"""Built-in vocoders as ``module:attribute``, imported only when asked for."""

_REGISTERED: dict[str, VocoderFactory] = {}


def register_vocoder(name: str, factory: VocoderFactory) -> None:
    """Make ``make_vocoder(name, ...)`` call ``factory(audio_config, **options)``."""
    _REGISTERED[name] = factory


def available_vocoders() -> list[str]:
    """Names :func:`make_vocoder` accepts."""
    return sorted(set(_BUILTIN) | set(_REGISTERED))


def make_vocoder(name: str, audio_config: AudioConfig, **options: Any) -> Vocoder:
    """Build the vocoder called ``name`` for ``audio_config``.

    Args:
        name: ``"griffinlim"`` (no weights, any config) or a registered name.
        audio_config: the mel settings of the acoustic model that feeds it.
        options: passed to the vocoder's constructor (e.g. ``n_iter=64`` for Griffin-Lim).
    Raises:
        ValueError: an unknown name (the message lists the valid ones).
    """
    factory = _REGISTERED.get(name)
    if factory is None:
        target = _BUILTIN.get(name)
        if target is None:
            raise ValueError(
                f"unknown vocoder {name!r}; choose one of {', '.join(available_vocoders())}"
            )
        module_name, attribute = target.split(":")
        factory = getattr(importlib.import_module(module_name), attribute)
    return factory(audio_config, **options)
