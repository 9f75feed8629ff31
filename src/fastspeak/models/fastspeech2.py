"""FastSpeech 2 (Ren et al. 2020, arXiv 2006.04558), with ming024/FastSpeech2's LJSpeech setup.

tokens -> embedding -> FFT encoder (+ speaker embedding) -> variance adaptor (durations,
pitch, energy; length regulator) -> FFT decoder -> linear -> mel, + postnet residual.

``forward`` is teacher-forced (target durations/pitch/energy, returns predictions for the
loss); ``infer`` is free-running with speed / pitch / energy controls. Pitch and energy targets
are RAW (Hz, energy): the model normalises them with its own statistics buffers.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor, nn

from fastspeak.config import ModelConfig
from fastspeak.models.layers import FFTStack, PostNet, encode_tokens
from fastspeak.models.ops import masked_fill_padding
from fastspeak.models.outputs import FastSpeech2Output, VarianceAdaptorOutput
from fastspeak.models.variance import (
    Control,
    VarianceAdaptor,
    VarianceStatistics,
    teacher_forced_length,
)

__all__ = ["FastSpeech2"]


class FastSpeech2(nn.Module):
    """FastSpeech 2 acoustic model: tokens -> mel spectrogram.

    Args:
        config: the architecture. ``config.vocab_size`` must cover every token id (0 is
            padding); ``config.n_speakers > 1`` adds a speaker embedding. Pitch/energy
            statistics come from ``config.variance`` or :meth:`set_statistics`.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = copy.deepcopy(config)
        hidden = config.hidden
        kernels = (config.conv_kernel_sizes[0], config.conv_kernel_sizes[1])
        self.token_embedding = nn.Embedding(config.vocab_size, hidden, padding_idx=0)
        self.encoder = FFTStack(
            config.encoder_layers,
            hidden,
            config.attention_heads,
            config.conv_filter_size,
            kernels,
            config.encoder_dropout,
            config.max_seq_len,
        )
        self.speaker_embedding = (
            nn.Embedding(config.n_speakers, hidden) if config.n_speakers > 1 else None
        )
        self.variance_adaptor = VarianceAdaptor(config)
        self.decoder = FFTStack(
            config.decoder_layers,
            hidden,
            config.attention_heads,
            config.conv_filter_size,
            kernels,
            config.decoder_dropout,
            config.max_seq_len,
        )
        self.mel_linear = nn.Linear(hidden, config.n_mels)
        self.postnet = PostNet(
            config.n_mels,
            config.postnet_channels,
            config.postnet_kernel_size,
            config.postnet_layers,
            config.postnet_dropout,
        )

    # -- statistics ---------------------------------------------------------------------------
    def set_statistics(
        self,
        pitch: VarianceStatistics | Mapping[str, Any],
        energy: VarianceStatistics | Mapping[str, Any],
    ) -> None:
        """Set pitch/energy mean, std, min, max (raw units, e.g. the entries of stats.json).

        Updates the buffers (saved in checkpoints) and ``self.config.variance`` so the saved
        config rebuilds the same model.
        """
        variance = self.config.variance
        for name, value in (("pitch", pitch), ("energy", energy)):
            stats = VarianceStatistics.coerce(value)
            getattr(self.variance_adaptor, name).set_statistics(stats)
            for key in ("mean", "std", "min", "max"):
                setattr(variance, f"{name}_{key}", getattr(stats, key))

    def denormalize_pitch(self, pitch: Tensor) -> Tensor:
        """Normalised pitch (any shape) -> Hz."""
        return self.variance_adaptor.pitch.denormalize(pitch)

    def denormalize_energy(self, energy: Tensor) -> Tensor:
        """Normalised energy (any shape) -> raw energy."""
        return self.variance_adaptor.energy.denormalize(energy)

    # -- shared pieces ------------------------------------------------------------------------
    def _encode(
        self, tokens: Tensor, token_lengths: Tensor, speaker_ids: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        return encode_tokens(
            self.token_embedding,
            self.encoder,
            self.speaker_embedding,
            tokens,
            token_lengths,
            speaker_ids,
        )

    def _decode(
        self, adapted: VarianceAdaptorOutput, token_mask: Tensor, teacher_forced: bool
    ) -> FastSpeech2Output:
        mel_mask = adapted.mel_mask
        decoded = self.decoder(adapted.hidden, mask=mel_mask)
        mels = masked_fill_padding(self.mel_linear(decoded), mel_mask)
        mels_postnet = masked_fill_padding(mels + self.postnet(mels, mel_mask), mel_mask)
        return FastSpeech2Output(
            mels=mels,
            mels_postnet=mels_postnet,
            mel_lengths=adapted.mel_lengths,
            mel_mask=mel_mask,
            token_mask=token_mask,
            durations=adapted.durations,
            log_duration_prediction=adapted.log_duration_prediction,
            pitch_prediction=adapted.pitch_prediction,
            energy_prediction=adapted.energy_prediction,
            pitch=adapted.pitch,
            energy=adapted.energy,
            teacher_forced=teacher_forced,
        )

    # -- public API ---------------------------------------------------------------------------
    def forward(
        self,
        tokens: Tensor,
        token_lengths: Tensor,
        durations: Tensor,
        pitch: Tensor,
        energy: Tensor,
        speaker_ids: Tensor | None = None,
        mel_lengths: Tensor | None = None,
        static_frames: int | None = None,
    ) -> FastSpeech2Output:
        """Teacher-forced pass for training.

        Args:
            tokens: (B, N) long token ids, 0 = padding.
            token_lengths: (B,) long.
            durations: (B, N) long frames per token (0 at padding), summing to the mel lengths.
            pitch: raw f0 in Hz, (B, N) for phoneme level or (B, T) for frame level.
            energy: raw energy, (B, N) or (B, T).
            speaker_ids: (B,) long, required when ``n_speakers > 1`` (ignored otherwise).
            mel_lengths: (B,) long target mel lengths; when given they must equal
                ``durations.sum(1)`` (checked, one host sync) and fix T = max(mel_lengths).
            static_frames: T of the outputs when the batch is padded beyond its longest
                utterance (``Batch.static_frames``), so shapes repeat across steps.
        Returns:
            FastSpeech2Output with T = max(mel_lengths); ``pitch``/``energy`` hold the
            normalised targets.
        """
        max_length = teacher_forced_length(durations, mel_lengths, static_frames)
        hidden, token_mask = self._encode(tokens, token_lengths, speaker_ids)
        durations = masked_fill_padding(durations.long(), token_mask)
        adapted = self.variance_adaptor(hidden, token_mask, durations, pitch, energy, max_length)
        return self._decode(adapted, token_mask, teacher_forced=True)

    @torch.no_grad()
    def infer(
        self,
        tokens: Tensor,
        token_lengths: Tensor,
        speaker_ids: Tensor | None = None,
        speed: Control = 1.0,
        pitch_semitones: Control = 0.0,
        energy_db: Control = 0.0,
        max_frames: int | None = None,
        static_frames: int | None = None,
    ) -> FastSpeech2Output:
        """Free-running synthesis with controls (no gradients; call ``eval()`` first).

        Args:
            tokens: (B, N) long; token_lengths: (B,) long; speaker_ids: (B,) long or None.
            speed: speaking rate, durations are divided by it (2.0 = twice as fast).
                Float, (B,) per utterance or (B, N) per token; > 0.
            pitch_semitones: f0 shift in semitones applied in Hz (+12 = one octave up).
            energy_db: energy gain in dB applied to raw energy (+6 dB ~ x2).
            max_frames: truncate every utterance to at most this many frames.
            static_frames: make T exactly this (pad or truncate) without reading the
                predicted lengths back to the host, so the whole call has static shapes and
                no host sync (CUDA graphs, export); ``mel_lengths`` still give each length.
        Returns:
            FastSpeech2Output; durations are the rounded predicted frames (>= 1 frame per
            utterance), ``pitch``/``energy`` the controlled normalised values used.
        """
        hidden, token_mask = self._encode(tokens, token_lengths, speaker_ids)
        adapted = self.variance_adaptor.infer(
            hidden, token_mask, speed, pitch_semitones, energy_db, max_frames, static_frames
        )
        return self._decode(adapted, token_mask, teacher_forced=False)
