"""The vocoder contract: log-mel spectrograms in, waveforms out.

Every vocoder takes the ONE mel of :mod:`fastspeak.audio.mel` (natural-log Slaney mel of the
magnitude STFT, ``center=True``) in channels-first layout, like HiFi-GAN::

    wavs, wav_lengths = vocoder(mels, mel_lengths)
    # mels: (B, n_mels, T_mel) float, mel_lengths: (B,) long or None (all T_mel frames valid)
    # wavs: (B, T_mel * hop_length) float, zero after each item's wav_lengths = lengths * hop

Vocoders are built by name through :func:`make_vocoder`, so the CLI, the server and the
synthesis facade never import a concrete class. A vocoder with trained weights is named
``NAME:PATH`` (``--vocoder hifigan:runs/voc/checkpoints/latest.pt``), the same as
``make_vocoder("hifigan", audio, checkpoint="runs/voc/checkpoints/latest.pt")``.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import torch

from fastspeak.config import AudioConfig

__all__ = [
    "Vocoder",
    "VocoderError",
    "VocoderFactory",
    "available_vocoders",
    "make_vocoder",
    "register_vocoder",
]


class VocoderError(ValueError):
    """A vocoder name, file or setting the user gave does not fit; the message names the fix."""


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


def checked_lengths(mels: torch.Tensor, lengths: torch.Tensor | None, n_mels: int) -> torch.Tensor:
    """Check a vocoder's input against the contract and return its lengths.

    mels: (B, n_mels, T_mel); lengths: (B,) with 1 <= length <= T_mel, or None (all T_mel).
    Returns (B,) long on the mels' device. Raises ValueError naming the bad shape or values.
    """
    if mels.dim() != 3 or mels.shape[1] != n_mels:
        raise ValueError(f"mels must be (B, n_mels={n_mels}, T_mel), got shape {tuple(mels.shape)}")
    batch, _, frames = mels.shape
    if lengths is None:
        return torch.full((batch,), frames, dtype=torch.long, device=mels.device)
    lengths = lengths.to(device=mels.device, dtype=torch.long)
    if lengths.shape != (batch,) or bool((lengths < 1).any() | (lengths > frames).any()):
        raise ValueError(
            f"lengths must be (B,) = ({batch},) with 1 <= length <= {frames}, "
            f"got {lengths.tolist()}"
        )
    return lengths


VocoderFactory = Callable[..., Vocoder]
"""``factory(audio_config, **options) -> Vocoder``."""

_BUILTIN: dict[str, str] = {
    "griffinlim": "fastspeak.vocoders.griffinlim:GriffinLim",
    "hifigan": "fastspeak.vocoders.hifigan:hifigan_vocoder",
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
        name: ``"griffinlim"`` (no weights, any config), ``"hifigan:PATH"`` (trained weights:
            a ``fastspeak train-vocoder`` checkpoint or an exported generator) or a registered
            name. ``"NAME:PATH"`` is short for ``make_vocoder(NAME, ..., checkpoint=PATH)``.
        audio_config: the mel settings of the acoustic model that feeds it.
        options: passed to the vocoder's constructor (e.g. ``n_iter=64`` for Griffin-Lim).
    Raises:
        VocoderError: an unknown name (the message lists the valid ones), or a checkpoint given
            to a vocoder that takes none.
    """
    if name not in _REGISTERED and name not in _BUILTIN and ":" in name:
        name, checkpoint = name.split(":", 1)
        if "checkpoint" in options:
            raise VocoderError(f"vocoder {name!r}: give the checkpoint once, not in both places")
        options = {**options, "checkpoint": checkpoint}
    factory = _REGISTERED.get(name)
    if factory is None:
        target = _BUILTIN.get(name)
        if target is None:
            raise VocoderError(
                f"unknown vocoder {name!r}; choose one of {', '.join(available_vocoders())} "
                "(vocoders with trained weights: NAME:PATH, e.g. hifigan:runs/voc/latest.pt)"
            )
        module_name, attribute = target.split(":")
        factory = getattr(importlib.import_module(module_name), attribute)
    if "checkpoint" in options and "checkpoint" not in inspect.signature(factory).parameters:
        raise VocoderError(
            f"vocoder {name!r} has no trained weights; use --vocoder {name} without :PATH"
        )
    return factory(audio_config, **options)
