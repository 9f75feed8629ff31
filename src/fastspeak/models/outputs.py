"""Typed model outputs, read by name (never positional tuples).

Shapes: B batch, N tokens, T mel frames. ``L`` is N for phoneme-level pitch/energy and T for
frame-level. Masks are bool, True = valid. Pitch and energy are in the model's NORMALISED
domain (z-scores with the model's statistics); ``FastSpeech2.denormalize_pitch`` /
``denormalize_energy`` turn them back into Hz / raw energy.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

__all__ = ["FastSpeech2Output", "FastSpeechOutput", "VarianceAdaptorOutput"]


@dataclass
class VarianceAdaptorOutput:
    """What the variance adaptor hands to the decoder (and to the loss).

    Attributes:
        hidden: (B, T, C) frame-level features, zero at padded frames.
        mel_lengths: (B,) long.
        mel_mask: (B, T) bool.
        durations: (B, N) long frames per token (targets in ``forward``, rounded
            predictions after the speed control in ``infer``).
        log_duration_prediction: (B, N) predicted log(d + 1), 0 at padded tokens.
        pitch_prediction: (B, L) predicted normalised pitch, before any control.
        energy_prediction: (B, L) predicted normalised energy, before any control.
        pitch: (B, L) normalised pitch the decoder was conditioned on: the normalised targets
            in ``forward``, the controlled predictions in ``infer``.
        energy: (B, L) likewise for energy.
    """

    hidden: Tensor
    mel_lengths: Tensor
    mel_mask: Tensor
    durations: Tensor
    log_duration_prediction: Tensor
    pitch_prediction: Tensor
    energy_prediction: Tensor
    pitch: Tensor
    energy: Tensor


@dataclass
class FastSpeech2Output:
    """Output of ``FastSpeech2.forward`` (teacher-forced) and ``FastSpeech2.infer``.

    Attributes:
        mels: (B, T, n_mels) decoder mel (natural-log mel), zero at padded frames.
        mels_postnet: (B, T, n_mels) mel after the postnet residual; use this one.
        mel_lengths: (B,) long.
        mel_mask: (B, T) bool.
        token_mask: (B, N) bool.
        durations: (B, N) long frames per token (targets or rounded predictions).
        log_duration_prediction: (B, N) predicted log(d + 1).
        pitch_prediction: (B, L) predicted normalised pitch, before controls.
        energy_prediction: (B, L) predicted normalised energy, before controls.
        pitch: (B, L) normalised pitch used: normalised targets (forward) or controlled
            predictions (infer). The loss takes its pitch targets from here.
        energy: (B, L) normalised energy used, likewise.
        teacher_forced: True from ``forward``, False from ``infer``.
    """

    mels: Tensor
    mels_postnet: Tensor
    mel_lengths: Tensor
    mel_mask: Tensor
    token_mask: Tensor
    durations: Tensor
    log_duration_prediction: Tensor
    pitch_prediction: Tensor
    energy_prediction: Tensor
    pitch: Tensor
    energy: Tensor
    teacher_forced: bool


@dataclass
class FastSpeechOutput:
    """Output of ``FastSpeech.forward`` (teacher-forced) and ``FastSpeech.infer`` (the
    original FastSpeech: no pitch or energy). Field names match :class:`FastSpeech2Output`
    where the quantity is the same, so the trainer and the synthesizer read either.

    Attributes:
        mels: (B, T, n_mels) decoder mel (natural-log mel), zero at padded frames.
        mels_postnet: (B, T, n_mels) mel after the postnet residual (equal to ``mels`` with
            ``postnet: none``); use this one.
        mel_lengths: (B,) long.
        mel_mask: (B, T) bool.
        token_mask: (B, N) bool.
        durations: (B, N) long frames per token (targets, or rounded predictions after the
            speed control).
        duration_prediction: (B, N) the duration predictor's output, 0 at padded tokens, in
            the domain of ``duration_domain``.
        duration_domain: ``"log"`` (log(d + 1), the paper) or ``"linear"`` (frames, xcmyz).
        teacher_forced: True from ``forward``, False from ``infer``.
    """

    mels: Tensor
    mels_postnet: Tensor
    mel_lengths: Tensor
    mel_mask: Tensor
    token_mask: Tensor
    durations: Tensor
    duration_prediction: Tensor
    duration_domain: str
    teacher_forced: bool
