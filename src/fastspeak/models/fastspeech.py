"""FastSpeech (Ren et al. 2019, arXiv 1905.09263) with xcmyz/FastSpeech's semantics.

tokens -> embedding -> FFT encoder (+ speaker embedding) -> duration predictor and length
regulator -> FFT decoder -> linear -> mel, + postnet residual (CBHG as xcmyz, the Tacotron 2
conv postnet, or none as in the paper's figure 1).

Shares every building block with FastSpeech 2 (:class:`~fastspeak.models.layers.FFTStack`,
:class:`~fastspeak.models.variance.VariancePredictor` as the duration predictor,
:func:`~fastspeak.models.ops.regulate_length`); only pitch and energy are absent.

Differences from xcmyz (deliberate): the duration predictor is the shared
VariancePredictor (Conv -> ReLU -> LayerNorm -> Dropout, as FastSpeech 2; xcmyz put LayerNorm
before ReLU and a ReLU after the linear layer), no cap on the input length (xcmyz: 300
tokens), no hard-coded CUDA, a vectorised length regulator, and ``speed`` = 1 / the paper's
alpha (``speed=2.0`` halves every duration, as in FastSpeech 2; xcmyz's
``int((d + 0.5) * alpha)`` becomes ``round(d / speed)``).

Characters or phones: the model takes any token ids. Training needs token durations; for
phones they come from teacher TextGrids or MFA (``fastspeak preprocess``). Characters have no
such timings: they need attention alignments from a teacher (the paper's and xcmyz's source)
or a learned aligner.
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from fastspeak.config import ModelConfig
from fastspeak.models.cbhg import CBHGPostNet
from fastspeak.models.layers import FFTStack, PostNet, encode_tokens
from fastspeak.models.ops import masked_fill_padding, regulate_length, sequence_mask
from fastspeak.models.outputs import FastSpeechOutput
from fastspeak.models.variance import (
    Control,
    VariancePredictor,
    durations_from_log,
    output_length,
    teacher_forced_length,
)

__all__ = ["FastSpeech"]


class FastSpeech(nn.Module):
    """The original FastSpeech acoustic model: tokens -> mel spectrogram.

    Args:
        config: the architecture; ``config.fastspeech`` holds the FastSpeech-only parts
            (postnet kind, duration predictor size, loss domains). ``config.vocab_size`` must
            cover every token id (0 is padding); ``config.n_speakers > 1`` adds a speaker
            embedding (not in the paper; the same as FastSpeech 2 here).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = copy.deepcopy(config)
        options = config.fastspeech
        hidden = config.hidden
        kernels = (config.conv_kernel_sizes[0], config.conv_kernel_sizes[1])
        self.duration_domain = "log" if options.duration_loss == "log_mse" else "linear"
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
        self.duration_predictor = VariancePredictor(
            hidden,
            options.duration_filter_size,
            options.duration_kernel_size,
            options.duration_dropout,
        )
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
        self.postnet: nn.Module | None
        if options.postnet == "cbhg":
            self.postnet = CBHGPostNet(
                config.n_mels,
                options.cbhg_bank_size,
                options.cbhg_projection_channels,
                options.cbhg_highway_layers,
            )
        elif options.postnet == "plain":
            self.postnet = PostNet(
                config.n_mels,
                config.postnet_channels,
                config.postnet_kernel_size,
                config.postnet_layers,
                config.postnet_dropout,
            )
        else:
            self.postnet = None

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
        self,
        hidden: Tensor,
        token_mask: Tensor,
        durations: Tensor,
        prediction: Tensor,
        max_length: int | None,
        teacher_forced: bool,
    ) -> FastSpeechOutput:
        expanded, mel_lengths = regulate_length(hidden, durations, max_length)
        mel_mask = sequence_mask(mel_lengths, expanded.size(1))
        decoded = self.decoder(expanded, mask=mel_mask)
        mels = masked_fill_padding(self.mel_linear(decoded), mel_mask)
        mels_postnet = mels
        if self.postnet is not None:
            mels_postnet = masked_fill_padding(mels + self.postnet(mels, mel_mask), mel_mask)
        return FastSpeechOutput(
            mels=mels,
            mels_postnet=mels_postnet,
            mel_lengths=mel_lengths,
            mel_mask=mel_mask,
            token_mask=token_mask,
            durations=durations,
            duration_prediction=prediction,
            duration_domain=self.duration_domain,
            teacher_forced=teacher_forced,
        )

    # -- public API ---------------------------------------------------------------------------
    def forward(
        self,
        tokens: Tensor,
        token_lengths: Tensor,
        durations: Tensor,
        speaker_ids: Tensor | None = None,
        mel_lengths: Tensor | None = None,
        static_frames: int | None = None,
    ) -> FastSpeechOutput:
        """Teacher-forced pass for training (FastSpeech, section 3.2: the length regulator
        uses the teacher's durations; the duration predictor is trained beside it).

        Args:
            tokens: (B, N) long token ids, 0 = padding.
            token_lengths: (B,) long.
            durations: (B, N) long frames per token (0 at padding), summing to the mel lengths.
            speaker_ids: (B,) long, required when ``n_speakers > 1`` (ignored otherwise).
            mel_lengths: (B,) long target mel lengths; when given they must equal
                ``durations.sum(1)`` (checked, one host sync) and fix T = max(mel_lengths).
            static_frames: T of the outputs when the batch is padded beyond its longest
                utterance (``Batch.static_frames``), so shapes repeat across steps.
        Returns:
            FastSpeechOutput with T = max(mel_lengths).
        """
        max_length = teacher_forced_length(durations, mel_lengths, static_frames)
        hidden, token_mask = self._encode(tokens, token_lengths, speaker_ids)
        durations = masked_fill_padding(durations.long(), token_mask)
        prediction = self.duration_predictor(hidden, token_mask)
        return self._decode(hidden, token_mask, durations, prediction, max_length, True)

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
    ) -> FastSpeechOutput:
        """Free-running synthesis (no gradients; call ``eval()`` first).

        Args:
            tokens: (B, N) long; token_lengths: (B,) long; speaker_ids: (B,) long or None.
            speed: speaking rate = 1 / the paper's alpha (section 3.2); durations are divided
                by it (2.0 = twice as fast). Float, (B,) per utterance or (B, N) per token.
            pitch_semitones, energy_db: accepted so one synthesis path serves both models;
                FastSpeech has no pitch or energy control, so anything but 0 is a ValueError.
            max_frames: truncate every utterance to at most this many frames.
            static_frames: T exactly (pad or truncate), with no host sync (CUDA graphs).
        Returns:
            FastSpeechOutput; durations are the rounded predicted frames (>= 1 frame per
            utterance).
        """
        for name, value in (("pitch_semitones", pitch_semitones), ("energy_db", energy_db)):
            if (
                isinstance(value, Tensor)
                and bool((value != 0).any())
                or (not isinstance(value, Tensor) and value != 0.0)
            ):
                raise ValueError(
                    f"FastSpeech has no pitch or energy control ({name}={value}); use a "
                    "FastSpeech 2 model (model.name=fastspeech2) for pitch and energy controls"
                )
        hidden, token_mask = self._encode(tokens, token_lengths, speaker_ids)
        prediction = self.duration_predictor(hidden, token_mask)
        log_durations = prediction
        if self.duration_domain == "linear":  # xcmyz: frames, kept >= 0 (its final ReLU)
            log_durations = torch.log1p(prediction.clamp(min=0.0))
        durations = durations_from_log(log_durations, token_mask, speed)
        max_length = output_length(durations, max_frames, static_frames)
        return self._decode(hidden, token_mask, durations, prediction, max_length, False)
