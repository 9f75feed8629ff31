"""HiFi-GAN (Kong, Kim and Bae 2020, "HiFi-GAN: Generative Adversarial Networks for Efficient
and High Fidelity Speech Synthesis", arXiv 2010.05646): generator, discriminators, losses, the
inference vocoder and the weights-only export.

* :class:`HiFiGANGenerator` (section 2.1): log-mel (B, n_mels, T) -> waveform (B, T * hop) by
  transposed convolutions (rates multiplying to ``audio.hop_length``), each followed by the
  multi-receptive-field fusion of residual blocks (type 1 for V1/V2, type 2 for V3). Weight
  norm while training; :meth:`~HiFiGANGenerator.remove_weight_norm` folds it for inference.
* :class:`HiFiGANDiscriminator` (sections 2.2-2.3): the multi-period discriminator (periods
  2, 3, 5, 7, 11) and the multi-scale discriminator (3 scales; spectral norm on the first).
* Losses (section 2.4): LSGAN adversarial (:func:`discriminator_loss`, :class:`GeneratorLoss`),
  feature matching (x2) and mel-L1 (x45), the mel being THE mel of
  :class:`~fastspeak.audio.mel.MelSpectrogram` with the loss's own ``f_max``; optionally a
  multi-resolution STFT loss (:mod:`fastspeak.vocoders.stft_loss`).
* :class:`HiFiGANVocoder`: the :class:`~fastspeak.vocoders.base.Vocoder` protocol, batched;
  each conv input is zeroed past every item's length, so a padded batch gives item by item
  what each item gives alone (up to float rounding). Built by ``make_vocoder("hifigan",
  audio, checkpoint=PATH)``, i.e. ``--vocoder hifigan:PATH`` on the command line, where PATH
  is a ``fastspeak train-vocoder`` checkpoint or an :func:`export_generator` file.

Module names follow jik876/hifi-gan (``conv_pre``, ``ups``, ``resblocks``, ``conv_post``), so
its weight-norm-free generator weights load by name.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrizations, parametrize

from fastspeak.audio.mel import MelSpectrogram
from fastspeak.config import (
    AudioConfig,
    ConfigError,
    DiscriminatorConfig,
    HiFiGANConfig,
    VocoderTrainConfig,
    config_from_dict,
)
from fastspeak.models.ops import sequence_mask
from fastspeak.vocoders.base import VocoderError, checked_lengths
from fastspeak.vocoders.onnx_generator import (
    OnnxGenerator,
    onnxruntime_available,
    write_generator_onnx_int8,
)
from fastspeak.vocoders.stft_loss import MultiResolutionSTFTLoss

__all__ = [
    "EXPORT_FORMAT",
    "DiscriminatorOutput",
    "GeneratorLoss",
    "HiFiGANDiscriminator",
    "HiFiGANGenerator",
    "HiFiGANVocoder",
    "VocoderError",
    "discriminator_loss",
    "export_generator",
    "hifigan_vocoder",
    "load_generator",
]

EXPORT_FORMAT = "fastspeak-hifigan-generator"
BACKENDS = ("auto", "torch", "onnxruntime")
"""Where :class:`HiFiGANVocoder` runs the generator on the CPU ("auto": onnxruntime if installed)."""
CHECKPOINT_KIND = "hifigan"


def _padding(kernel_size: int, dilation: int = 1) -> int:
    """'same' padding of an odd kernel."""
    return (kernel_size * dilation - dilation) // 2


def _masked(x: Tensor, mask: Tensor | None) -> Tensor:
    """x (B, C, T) with positions where mask (B, 1, T) is False set to zero."""
    return x if mask is None else x * mask


def _weight_norm(module: nn.Module) -> nn.Module:
    return parametrizations.weight_norm(module)


def _init_weights(module: nn.Module, std: float = 0.01) -> None:
    """jik876's init: N(0, 0.01) conv weights (before weight norm is applied)."""
    if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
        nn.init.normal_(module.weight, 0.0, std)


# -- generator ------------------------------------------------------------------------------


class ResBlock1(nn.Module):
    """Residual block of V1/V2 (paper fig. 1, MRF): per dilation, leaky ReLU -> dilated conv
    -> leaky ReLU -> conv, added to the input. (B, C, T) -> (B, C, T)."""

    def __init__(
        self, channels: int, kernel_size: int, dilations: Sequence[int], slope: float
    ) -> None:
        super().__init__()
        self.slope = slope
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_padding(kernel_size, d))
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=_padding(kernel_size))
            for _ in dilations
        )

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        for conv1, conv2 in zip(self.convs1, self.convs2, strict=True):
            residual = conv1(_masked(F.leaky_relu(x, self.slope), mask))
            residual = conv2(_masked(F.leaky_relu(residual, self.slope), mask))
            x = x + residual
        return x


class ResBlock2(nn.Module):
    """Residual block of V3: per dilation, leaky ReLU -> dilated conv, added to the input."""

    def __init__(
        self, channels: int, kernel_size: int, dilations: Sequence[int], slope: float
    ) -> None:
        super().__init__()
        self.slope = slope
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_padding(kernel_size, d))
            for d in dilations
        )

    def forward(self, x: Tensor, mask: Tensor | None = None) -> Tensor:
        for conv in self.convs:
            x = x + conv(_masked(F.leaky_relu(x, self.slope), mask))
        return x


class HiFiGANGenerator(nn.Module):
    """HiFi-GAN generator (Kong et al. 2020, section 2.1).

    Args:
        config: the layout (``vocoder.generator``; V1/V2/V3 or custom).
        n_mels: input mel channels (``audio.n_mels``).
        weight_norm: wrap every conv in weight norm (training; a fresh model has it);
            False builds plain convs, e.g. to load an exported generator.

    ``forward(mels, mel_lengths=None)``: mels (B, n_mels, T_mel) natural-log mel -> wavs
    (B, T_mel * hop) in [-1, 1]. With ``mel_lengths`` (B,), every conv input is zeroed past each
    item's end, so padding never leaks into the valid samples (slower: training passes None).
    """

    def __init__(self, config: HiFiGANConfig, n_mels: int, weight_norm: bool = True) -> None:
        super().__init__()
        rates, kernels = config.upsample_rates, config.upsample_kernel_sizes
        channels = config.upsample_initial_channel
        block_kernels, block_dilations = (
            config.resblock_kernel_sizes,
            config.resblock_dilation_sizes,
        )
        assert rates and kernels and channels and block_kernels and block_dilations  # post_init
        self.config = config
        self.n_mels = n_mels
        self.slope = config.leaky_relu_slope
        self.upsample_rates = list(rates)
        self.hop_length = config.hop_length
        self.num_kernels = len(block_kernels)
        self.conv_pre = nn.Conv1d(n_mels, channels, 7, padding=3)
        self.ups = nn.ModuleList(
            nn.ConvTranspose1d(
                channels // 2**index,
                channels // 2 ** (index + 1),
                kernel,
                rate,
                padding=(kernel - rate) // 2,
            )
            for index, (rate, kernel) in enumerate(zip(rates, kernels, strict=True))
        )
        block = ResBlock1 if config.resblock == 1 else ResBlock2
        self.resblocks = nn.ModuleList(
            block(channels // 2 ** (index + 1), kernel, dilations, self.slope)
            for index in range(len(rates))
            for kernel, dilations in zip(block_kernels, block_dilations, strict=True)
        )
        self.conv_post = nn.Conv1d(channels // 2 ** len(rates), 1, 7, padding=3)
        self.ups.apply(_init_weights)
        self.resblocks.apply(_init_weights)
        self.weight_norm = False
        if weight_norm:
            self.apply_weight_norm()

    def _convs(self) -> list[nn.Module]:
        return [
            module
            for module in self.modules()
            if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d))
        ]

    def apply_weight_norm(self) -> None:
        """Wrap every conv in weight norm (Salimans and Kingma 2016), as for training."""
        if not self.weight_norm:
            for module in self._convs():
                _weight_norm(module)
            self.weight_norm = True

    def remove_weight_norm(self) -> HiFiGANGenerator:
        """Fold weight norm into plain conv weights (same outputs, faster inference)."""
        if self.weight_norm:
            for module in self._convs():
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
            self.weight_norm = False
        return self

    def forward(self, mels: Tensor, mel_lengths: Tensor | None = None) -> Tensor:
        mask = None
        if mel_lengths is not None:
            mask = sequence_mask(mel_lengths, mels.shape[-1]).unsqueeze(1).to(mels.dtype)
        x = self.conv_pre(_masked(mels, mask))
        for index, (upsample, rate) in enumerate(zip(self.ups, self.upsample_rates, strict=True)):
            x = upsample(_masked(F.leaky_relu(x, self.slope), mask))
            if mask is not None:
                mask = mask.repeat_interleave(rate, dim=-1)
            blocks = self.resblocks[index * self.num_kernels : (index + 1) * self.num_kernels]
            fused = blocks[0](x, mask)
            for block in blocks[1:]:
                fused = fused + block(x, mask)
            x = fused / self.num_kernels
        x = _masked(F.leaky_relu(x), mask)  # jik876: the default slope 0.01 here
        with torch.autocast(x.device.type, enabled=False):  # the waveform itself in fp32
            x = self.conv_post(x.float())
        return torch.tanh(x).squeeze(1)


# -- discriminators -------------------------------------------------------------------------


@dataclass
class DiscriminatorOutput:
    """What the discriminators say about a batch of waveforms.

    Attributes:
        scores: one (B, N_d) tensor of patch scores per sub-discriminator (period ones first).
        features: per sub-discriminator, the activations of every layer (for feature matching).
    """

    scores: list[Tensor]
    features: list[list[Tensor]]

    def split(self, first: int) -> tuple[DiscriminatorOutput, DiscriminatorOutput]:
        """The first ``first`` batch items and the rest (after scoring real + fake together)."""

        def cut(tensors: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
            return [t[:first] for t in tensors], [t[first:] for t in tensors]

        scores = cut(self.scores)
        features = [cut(layers) for layers in self.features]
        return (
            DiscriminatorOutput(scores[0], [pair[0] for pair in features]),
            DiscriminatorOutput(scores[1], [pair[1] for pair in features]),
        )


class PeriodDiscriminator(nn.Module):
    """One period of the MPD: the waveform (B, T) folded into (B, 1, T / p, p) (reflect-padded
    to a multiple of p), 2-D convs with (5, 1) kernels along time (stride 3, the last 1), a
    (3, 1) output conv. Returns (scores (B, N), features of every layer)."""

    def __init__(self, period: int, channels: Sequence[int]) -> None:
        super().__init__()
        self.period = period
        inputs = [1, *channels[:-1]]
        strides = [3] * (len(channels) - 1) + [1]
        self.convs = nn.ModuleList(
            _weight_norm(nn.Conv2d(c_in, c_out, (5, 1), (stride, 1), padding=(2, 0)))
            for c_in, c_out, stride in zip(inputs, channels, strides, strict=True)
        )
        self.conv_post = _weight_norm(nn.Conv2d(channels[-1], 1, (3, 1), padding=(1, 0)))

    def forward(self, wavs: Tensor) -> tuple[Tensor, list[Tensor]]:
        batch, length = wavs.shape
        remainder = length % self.period
        x = wavs.unsqueeze(1)
        if remainder:
            x = F.pad(x, (0, self.period - remainder), mode="reflect")
        x = x.view(batch, 1, -1, self.period)
        return _scores_and_features(self.convs, self.conv_post, x)


def _scores_and_features(
    convs: nn.ModuleList, conv_post: nn.Module, x: Tensor
) -> tuple[Tensor, list[Tensor]]:
    """A discriminator's conv stack (leaky ReLU 0.1 after each) and output conv: (scores
    (B, -1) flattened, every layer's output for the feature-matching loss)."""
    features = []
    for conv in convs:
        x = F.leaky_relu(conv(x), 0.1)
        features.append(x)
    x = conv_post(x)
    features.append(x)
    return x.flatten(1), features


class ScaleDiscriminator(nn.Module):
    """One scale of the MSD: seven grouped 1-D convs (kernels 15, 41 x5, 5; strides 1, 2, 2, 4,
    4, 1, 1) and a kernel-3 output conv, on a (B, T) waveform. Returns (scores, features)."""

    KERNELS = (15, 41, 41, 41, 41, 41, 5)
    STRIDES = (1, 2, 2, 4, 4, 1, 1)

    def __init__(
        self, channels: Sequence[int], groups: Sequence[int], spectral_norm: bool = False
    ) -> None:
        super().__init__()
        norm = parametrizations.spectral_norm if spectral_norm else _weight_norm
        inputs = [1, *channels[:-1]]
        self.convs = nn.ModuleList(
            norm(nn.Conv1d(c_in, c_out, kernel, stride, groups=group, padding=kernel // 2))
            for c_in, c_out, kernel, stride, group in zip(
                inputs, channels, self.KERNELS, self.STRIDES, groups, strict=True
            )
        )
        self.conv_post = norm(nn.Conv1d(channels[-1], 1, 3, padding=1))

    def forward(self, wavs: Tensor) -> tuple[Tensor, list[Tensor]]:
        x = wavs.unsqueeze(1)
        return _scores_and_features(self.convs, self.conv_post, x)


class HiFiGANDiscriminator(nn.Module):
    """The MPD and MSD together: ``forward(wavs (B, T)) -> DiscriminatorOutput`` with the
    period discriminators first, then the scales (the first on the raw waveform with spectral
    norm, the next ones on the waveform average-pooled (4, 2) once more each)."""

    def __init__(self, config: DiscriminatorConfig) -> None:
        super().__init__()
        self.periods = nn.ModuleList(
            PeriodDiscriminator(period, config.period_channels) for period in config.periods
        )
        self.scales = nn.ModuleList(
            ScaleDiscriminator(config.scale_channels, config.scale_groups, spectral_norm=index == 0)
            for index in range(config.scales)
        )
        self.pool = nn.AvgPool1d(4, 2, padding=2)

    def forward(self, wavs: Tensor) -> DiscriminatorOutput:
        periods, scales = self.score_periods(wavs), self.score_scales(wavs)
        return DiscriminatorOutput(
            periods.scores + scales.scores, periods.features + scales.features
        )

    def score_periods(self, wavs: Tensor) -> DiscriminatorOutput:
        """The multi-period discriminator alone (the first entries of ``forward``)."""
        outputs = [discriminator(wavs) for discriminator in self.periods]
        return DiscriminatorOutput([o[0] for o in outputs], [o[1] for o in outputs])

    def score_scales(self, wavs: Tensor) -> DiscriminatorOutput:
        """The multi-scale discriminator alone (the last entries of ``forward``)."""
        scores, features = [], []
        x = wavs
        for index, discriminator in enumerate(self.scales):
            if index > 0:
                x = self.pool(x.unsqueeze(1)).squeeze(1)
            if index == 0:  # spectral norm's power iteration fails under autocast in some
                # torch versions (pytorch#125544): this one always runs in fp32
                with torch.autocast(x.device.type, enabled=False):
                    score, layers = discriminator(x.float())
            else:
                score, layers = discriminator(x)
            scores.append(score)
            features.append(layers)
        return DiscriminatorOutput(scores, features)


# -- losses ---------------------------------------------------------------------------------


def discriminator_loss(
    real: DiscriminatorOutput, fake: DiscriminatorOutput
) -> tuple[Tensor, dict[str, Tensor]]:
    """LSGAN discriminator loss (Mao et al. 2017; paper eq. 1): sum over sub-discriminators of
    mean((1 - D(x))^2) + mean(D(G(s))^2). Returns (total, {"real", "fake"}), fp32."""
    real_loss = torch.stack([torch.mean((1.0 - score.float()) ** 2) for score in real.scores])
    fake_loss = torch.stack([torch.mean(score.float() ** 2) for score in fake.scores])
    real_loss, fake_loss = real_loss.sum(), fake_loss.sum()
    return real_loss + fake_loss, {"real": real_loss.detach(), "fake": fake_loss.detach()}


class GeneratorLoss(nn.Module):
    """Generator loss (paper eq. 6): ``adversarial + feature_loss_weight x feature matching +
    mel_loss_weight x mel L1`` (weights 2 and 45 as in jik876/hifi-gan), plus
    ``stft_loss_weight x (spectral convergence + log-magnitude L1)`` of a multi-resolution
    STFT (:mod:`fastspeak.vocoders.stft_loss`) when that weight is not 0 (the paper's: 0);
    ``adversarial_stft_loss_weight`` (when set) replaces it in :meth:`forward`, the loss with
    discriminators.

    The mel L1 compares THE mel (:class:`~fastspeak.audio.mel.MelSpectrogram`) of the real and
    generated waveforms with the filterbank's upper edge at ``train.loss_f_max`` (null =
    Nyquist), everything else as ``audio``.

    ``forward(wavs, generated, real, fake)``: wavs/generated (B, T_wav); real/fake the
    discriminators' outputs on them (real detached by the caller or not: only ``generated``
    needs gradients). Returns (total, {"adversarial", "feature_matching", "mel_l1"} and, with
    the STFT loss, {"stft_convergence", "stft_log_magnitude"}), the terms unweighted, fp32.
    :meth:`reconstruction` is the part without discriminators (the mel-only phase's loss).
    """

    def __init__(self, audio: AudioConfig, train: VocoderTrainConfig) -> None:
        super().__init__()
        self.mel = MelSpectrogram(dataclasses.replace(audio, f_max=train.loss_f_max))
        self.mel_loss_weight = train.mel_loss_weight
        self.feature_loss_weight = train.feature_loss_weight
        self.stft_loss_weight = train.stft_loss_weight
        self.adversarial_stft_loss_weight = train.adversarial_stft_weight
        uses_stft = self.stft_loss_weight or self.adversarial_stft_loss_weight
        self.stft = MultiResolutionSTFTLoss(train.stft_resolutions) if uses_stft else None

    def mel_l1(self, wavs: Tensor, generated: Tensor) -> Tensor:
        """Mean |log-mel(wavs) - log-mel(generated)|, both (B, T_wav)."""
        return F.l1_loss(self.mel(generated.float()), self.mel(wavs.float()))

    def reconstruction(
        self, wavs: Tensor, generated: Tensor, adversarial: bool = False
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """``mel_loss_weight x mel L1`` (+ the STFT loss, weighted for the phase:
        ``adversarial`` = with discriminators): wavs/generated (B, T_wav) -> (loss, its
        unweighted terms detached), fp32."""
        mel_l1 = self.mel_l1(wavs, generated)
        loss = self.mel_loss_weight * mel_l1
        terms = {"mel_l1": mel_l1.detach()}
        weight = self.adversarial_stft_loss_weight if adversarial else self.stft_loss_weight
        if self.stft is not None and weight:
            convergence, log_magnitude = self.stft(wavs, generated)
            loss = loss + weight * (convergence + log_magnitude)
            terms |= {
                "stft_convergence": convergence.detach(),
                "stft_log_magnitude": log_magnitude.detach(),
            }
        return loss, terms

    def forward(
        self,
        wavs: Tensor,
        generated: Tensor,
        real: DiscriminatorOutput,
        fake: DiscriminatorOutput,
    ) -> tuple[Tensor, dict[str, Tensor]]:
        adversarial = torch.stack(
            [torch.mean((1.0 - score.float()) ** 2) for score in fake.scores]
        ).sum()
        matching = torch.stack(
            [
                torch.mean(torch.abs(real_layer.detach().float() - fake_layer.float()))
                for real_layers, fake_layers in zip(real.features, fake.features, strict=True)
                for real_layer, fake_layer in zip(real_layers, fake_layers, strict=True)
            ]
        ).sum()
        reconstruction, terms = self.reconstruction(wavs, generated, adversarial=True)
        total = adversarial + self.feature_loss_weight * matching + reconstruction
        terms = {
            "adversarial": adversarial.detach(),
            "feature_matching": matching.detach(),
            **terms,
        }
        return total, terms


# -- inference ------------------------------------------------------------------------------


class HiFiGANVocoder(nn.Module):
    """A trained generator behind the :class:`~fastspeak.vocoders.base.Vocoder` protocol.

    Args:
        generator: the generator (its weight norm is removed here).
        audio: the audio settings of the mels it receives (must match the generator's n_mels
            and hop).
        backend: for CPU input with float32 weights, "onnxruntime" runs the generator on
            onnxruntime (several times faster on a CPU; exported in memory at the first call,
            with the weights of that moment and ``torch.get_num_threads()`` threads), "torch"
            on PyTorch, "auto" (default) onnxruntime when it is installed. GPU or half-precision
            weights always run on PyTorch.
        onnx_model: an ONNX file of this generator for the onnxruntime path instead of the
            in-memory export (the int8 model an export ships, see :func:`export_generator`).

    ``forward(mels, lengths=None)``: mels (B, n_mels, T_mel) natural-log mel, lengths (B,) ->
    (wavs (B, T_mel * hop) zero past each item's end, wav_lengths (B,) = lengths * hop), on
    the device and in the float dtype of its weights (float32 from onnxruntime).
    """

    def __init__(
        self,
        generator: HiFiGANGenerator,
        audio: AudioConfig,
        backend: str = "auto",
        onnx_model: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__()
        if generator.n_mels != audio.n_mels or generator.hop_length != audio.hop_length:
            raise VocoderError(
                f"the HiFi-GAN generator takes {generator.n_mels} mels at {generator.hop_length} "
                f"samples per frame but the mels have audio.n_mels={audio.n_mels}, "
                f"audio.hop_length={audio.hop_length}; use a vocoder trained on this audio config"
            )
        if backend not in BACKENDS:
            raise VocoderError(
                f"HiFi-GAN backend must be one of {', '.join(BACKENDS)}, got {backend!r}"
            )
        if backend == "onnxruntime" and not onnxruntime_available():
            raise VocoderError(
                "the onnxruntime backend needs the onnxruntime package (pip install onnxruntime)"
            )
        self.generator = generator.remove_weight_norm().eval()
        self.audio = audio
        self.sample_rate = audio.sample_rate
        self.hop_length = audio.hop_length
        self.backend = backend
        self._onnxruntime = backend == "onnxruntime" or (
            backend == "auto" and onnxruntime_available()
        )
        self.onnx_model = None if onnx_model is None else Path(onnx_model)
        self._onnx: OnnxGenerator | None = None
        self._onnx_lock = threading.Lock()

    def uses_onnxruntime(self, mels: Tensor) -> bool:
        """Whether a call with ``mels`` runs on onnxruntime: backend "onnxruntime", or "auto"
        with onnxruntime installed; CPU input and float32 weights either way."""
        if not self._onnxruntime or mels.device.type != "cpu":
            return False
        return next(self.generator.parameters()).dtype == torch.float32

    def _forward_onnxruntime(self, mels: Tensor, lengths: Tensor) -> Tensor:
        """Item by item at its own length (no padding reaches the generator)."""
        with self._onnx_lock:  # one export even when server threads call at once
            if self._onnx is None:  # the weights as they are at the first call
                self._onnx = OnnxGenerator(self.generator, model=self.onnx_model)
        wavs = torch.zeros(mels.shape[0], mels.shape[-1] * self.hop_length)
        for row, length in enumerate(lengths.tolist()):
            item = mels[row : row + 1, :, :length].float().numpy()
            wavs[row, : length * self.hop_length] = torch.from_numpy(self._onnx(item)[0])
        return wavs

    def forward(self, mels: Tensor, lengths: Tensor | None = None) -> tuple[Tensor, Tensor]:
        lengths = checked_lengths(mels, lengths, self.generator.n_mels)
        frames = mels.shape[-1]
        if self.uses_onnxruntime(mels):
            return self._forward_onnxruntime(mels, lengths), lengths * self.hop_length
        dtype = next(self.generator.parameters()).dtype
        padded = bool((lengths < frames).any())
        wavs = self.generator(mels.to(dtype), lengths if padded else None)
        wav_lengths = lengths * self.hop_length
        if padded:
            wavs = wavs * sequence_mask(wav_lengths, wavs.shape[-1]).to(wavs.dtype)
        return wavs, wav_lengths


def _read_export(path: Path) -> tuple[dict[str, Tensor], dict[str, Any]]:
    """(state dict, JSON config) of an exported generator given its .json or weights file."""
    meta_path = path if path.suffix == ".json" else path.with_suffix(".json")
    if not meta_path.is_file():
        raise VocoderError(
            f"{meta_path} does not exist: an exported generator is a weights file with its JSON "
            "config beside it (see fastspeak.vocoders.hifigan.export_generator)"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != EXPORT_FORMAT:
        raise VocoderError(f"{meta_path} is not an exported HiFi-GAN generator")
    weights = meta_path.parent / meta["weights"]
    if not weights.is_file():
        raise VocoderError(f"{weights} (named in {meta_path}) does not exist")
    if weights.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file
        except ImportError as error:
            raise VocoderError(
                f"{weights} is a safetensors file: pip install safetensors to read it"
            ) from error
        try:
            state = load_file(str(weights))
        except Exception as error:  # noqa: BLE001 - safetensors raises its own error type
            raise VocoderError(
                f"{weights} is not readable ({error}); re-export the voice with its vocoder"
            ) from error
    else:
        try:
            state = torch.load(weights, map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - unpickling raises many types
            raise VocoderError(f"{weights} is not readable ({error})") from error
    return state, meta


def is_exported_generator(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names an exported generator (its JSON, or a weights file with the JSON
    beside it) rather than a ``fastspeak train-vocoder`` checkpoint."""
    path = Path(path)
    return path.suffix in (".json", ".safetensors") or (
        path.suffix == ".pt" and path.with_suffix(".json").is_file()
    )


def load_generator(
    path: str | os.PathLike[str],
) -> tuple[HiFiGANGenerator, AudioConfig, dict[str, Any]]:
    """A trained generator, weight norm removed, eval mode, float32, on the CPU.

    Args:
        path: a ``fastspeak train-vocoder`` checkpoint (``.pt``) or an exported generator
            (its ``.json`` or its weights file, see :func:`export_generator`).
    Returns:
        (generator, the audio config it was trained on, info {"source", "step", "onnx_int8":
        the Path of the int8 ONNX model an export ships, or None}).
    Raises:
        VocoderError / CheckpointError naming the file and the problem.
    """
    from fastspeak.train.checkpoint import load_checkpoint

    path = Path(path)
    if not path.exists():
        raise VocoderError(f"vocoder file {path} does not exist")
    if is_exported_generator(path):
        state, meta = _read_export(path)
        try:
            audio = AudioConfig(**meta["audio"])
            layout = HiFiGANConfig(**meta["generator"])
        except (TypeError, ConfigError) as error:
            raise VocoderError(f"{path}: bad generator config ({error})") from error
        generator = HiFiGANGenerator(layout, audio.n_mels, weight_norm=False)
        state = {name: tensor.float() for name, tensor in state.items()}
        int8 = meta.get("onnx_int8")
        info = {
            "source": str(path),
            "step": meta.get("step"),
            "onnx_int8": None if not int8 else (path.parent / int8),
        }
    else:
        checkpoint = load_checkpoint(path)
        if checkpoint.get("kind") != CHECKPOINT_KIND:
            raise VocoderError(
                f"{path} holds a {checkpoint.get('kind', 'fastspeech2')} model, not a HiFi-GAN "
                "vocoder; give a `fastspeak train-vocoder` checkpoint or an exported generator"
            )
        config = config_from_dict(checkpoint["config"])
        audio = config.audio
        generator = HiFiGANGenerator(config.vocoder.generator, audio.n_mels, weight_norm=True)
        state = checkpoint["model"]
        info = {"source": str(path), "step": checkpoint.get("step"), "onnx_int8": None}
    try:
        generator.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise VocoderError(
            f"{path}: the weights do not fit the generator its config describes ({error})"
        ) from error
    return generator.remove_weight_norm().eval(), audio, info


def hifigan_vocoder(
    audio: AudioConfig,
    checkpoint: str | os.PathLike[str] | None = None,
    backend: str = "auto",
    int8: bool = True,
) -> HiFiGANVocoder:
    """The ``hifigan`` entry of the vocoder registry: ``make_vocoder("hifigan", audio,
    checkpoint=PATH)``, or ``make_vocoder("hifigan:PATH", audio)`` (``--vocoder hifigan:PATH``);
    ``backend`` as in :class:`HiFiGANVocoder`. An export that ships an int8 ONNX model runs on
    it on the CPU unless ``int8=False`` (``make_vocoder(..., int8=False)``).

    Raises VocoderError when no weights are given or they were trained on other audio settings.
    """
    if checkpoint is None or not str(checkpoint):
        raise VocoderError(
            "the hifigan vocoder needs trained weights: --vocoder hifigan:PATH (PATH a "
            "`fastspeak train-vocoder` checkpoint or an exported generator)"
        )
    generator, trained_audio, info = load_generator(checkpoint)
    _require_audio(checkpoint, trained_audio, audio)
    onnx_model = info["onnx_int8"] if int8 and backend != "torch" else None
    return HiFiGANVocoder(generator, audio, backend, onnx_model)


def _require_audio(
    source: str | os.PathLike[str], trained: AudioConfig, audio: AudioConfig
) -> None:
    """VocoderError unless the vocoder at ``source`` was trained on ``audio``'s mels."""
    if trained != audio:
        raise VocoderError(
            f"the vocoder {source} was trained on mels with {trained} but this model's "
            f"mels use {audio}; train the vocoder on the same audio config"
        )


def export_generator(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    int8_calibration: Sequence[np.ndarray] | None = None,
    audio: AudioConfig | None = None,
) -> tuple[Path, Path]:
    """Weights-only export for shipping: the generator alone, weight norm removed, float16.

    Args:
        source: a ``fastspeak train-vocoder`` checkpoint, or an exported generator (re-written,
            e.g. into a voice folder).
        out: the weights file: ``NAME.safetensors`` (needs the ``safetensors`` package) or
            ``NAME.pt`` (a plain tensor dict, read with ``torch.load(weights_only=True)``).
            ``NAME.json`` beside it holds the format, the audio and generator configs and the
            training step. Both are written atomically.
        int8_calibration: also write ``NAME.int8.onnx``, the generator with int8 convolutions
            calibrated on these (1, n_mels, T) log-mels (:func:`~fastspeak.vocoders.
            onnx_generator.write_generator_onnx_int8`); the CPU path then runs on it.
        audio: when given, the audio settings the generator must have been trained on
            (VocoderError before anything is written otherwise).
    Returns:
        (weights path, JSON path); load them with :func:`load_generator` or
        ``--vocoder hifigan:NAME.json``.
    """
    from fastspeak.files import atomic_path, atomic_write_bytes, atomic_write_text

    out = Path(out)
    if out.suffix not in (".safetensors", ".pt"):
        raise VocoderError(f"export to NAME.safetensors or NAME.pt (got {out})")
    generator, trained_audio, info = load_generator(source)
    if audio is not None:
        _require_audio(source, trained_audio, audio)
    state = {name: tensor.half().contiguous() for name, tensor in generator.state_dict().items()}
    if out.suffix == ".safetensors":
        try:
            from safetensors.torch import save
        except ImportError as error:
            raise VocoderError(
                "writing .safetensors needs the safetensors package (pip install "
                "safetensors); or export to NAME.pt"
            ) from error
        atomic_write_bytes(out, save(state))  # save_file would replace the file (mode 0600)
    else:
        with atomic_path(out) as temporary:
            torch.save(state, temporary)
    meta = {
        "format": EXPORT_FORMAT,
        "version": 1,
        "weights": out.name,
        "dtype": "float16",
        "step": info["step"],
        "parameters": sum(tensor.numel() for tensor in state.values()),
        "audio": dataclasses.asdict(trained_audio),
        "generator": dataclasses.asdict(generator.config),
    }
    if int8_calibration is not None:
        int8_path = out.with_suffix(".int8.onnx")
        with atomic_path(int8_path) as temporary:
            write_generator_onnx_int8(generator, int8_calibration, temporary)
        meta["onnx_int8"] = int8_path.name
    meta_path = out.with_suffix(".json")
    atomic_write_text(meta_path, json.dumps(meta, indent=2) + "\n")
    return out, meta_path
