"""The one log-mel spectrogram of fastspeak, shared by data preparation, losses and vocoders.

HiFi-GAN / ming024 style (Kong et al. 2020, arXiv 2010.05646; Ren et al. 2020, arXiv 2006.04558):
magnitude STFT (power 1) with a periodic Hann window, ``center=True`` and reflect padding,
Slaney-normalised Slaney-scale mel filters (librosa's default), then the natural log of the mel
energies clamped below at ``AudioConfig.log_floor``. It matches
``log(max(librosa.feature.melspectrogram(power=1.0, center=True, pad_mode="reflect"), floor))``.

Frame count: ``T_mel = 1 + T_wav // hop_length`` (see :func:`mel_frames`); frame ``t`` is
centred on sample ``t * hop_length``, which is also where pyworld puts its f0 frames.

Energy (FastSpeech 2) needs the linear magnitude, so the STFT is exposed on its own::

    magnitude = mel_spectrogram.spectrogram(wav)        # (B, T_mel, n_fft // 2 + 1)
    mels = mel_spectrogram.mel_from_magnitude(magnitude)  # (B, T_mel, n_mels)
    energy = frame_energy(magnitude)                    # (B, T_mel), one STFT for both

The window and filterbank are non-persistent buffers: they follow ``.to(device)`` but are not
saved in checkpoints (they are a pure function of ``AudioConfig``, which checkpoints carry).
"""

from __future__ import annotations

import numpy as np
import torch

from fastspeak.config import AudioConfig

__all__ = ["MelSpectrogram", "mel_filterbank", "mel_frames"]


def mel_frames(num_samples: int, hop_length: int) -> int:
    """Number of mel frames for ``num_samples`` samples with ``center=True``: 1 + T // hop."""
    return 1 + num_samples // hop_length


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's Auditory Toolbox mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3.0)
    logarithmic = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, logarithmic, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * (200.0 / 3.0)
    logarithmic = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, logarithmic, linear)


def mel_filterbank(config: AudioConfig) -> np.ndarray:
    """Slaney-scale, Slaney-normalised triangular mel filters: (n_mels, n_fft // 2 + 1) float32.

    Identical to ``librosa.filters.mel(htk=False, norm="slaney")`` (librosa's default, used by
    HiFi-GAN and ming024), written out in numpy so the runtime path does not import librosa.
    """
    f_max = config.sample_rate / 2 if config.f_max is None else config.f_max
    fft_hz = np.fft.rfftfreq(config.n_fft, d=1.0 / config.sample_rate)
    edges_mel = np.linspace(_hz_to_mel(config.f_min), _hz_to_mel(f_max), config.n_mels + 2)
    edges_hz = _mel_to_hz(edges_mel)  # (n_mels + 2,) lower edge, centre, upper edge per filter
    widths = np.diff(edges_hz)
    ramps = edges_hz[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges_hz[2:] - edges_hz[:-2]))[:, None]  # Slaney area normalisation
    return weights.astype(np.float32)


class MelSpectrogram(torch.nn.Module):
    """Waveform -> natural-log mel spectrogram, batched, on the input's device.

    forward(wav): wav (B, T_wav) or (T_wav,) float -> mels (B, T_mel, n_mels) or (T_mel, n_mels),
    T_mel = 1 + T_wav // hop_length. Half-precision input is computed in float32 (also under
    autocast); float64 input stays float64. Differentiable (usable inside losses).
    """

    window: torch.Tensor
    mel_basis: torch.Tensor

    def __init__(self, config: AudioConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer(
            "window", torch.hann_window(config.win_length, periodic=True), persistent=False
        )
        self.register_buffer(
            "mel_basis", torch.from_numpy(mel_filterbank(config)), persistent=False
        )

    @property
    def n_freq(self) -> int:
        return self.config.n_fft // 2 + 1

    def spectrogram(self, wav: torch.Tensor) -> torch.Tensor:
        """Linear STFT magnitude (power 1).

        wav: (B, T_wav) or (T_wav,). Returns (B, T_mel, n_fft//2+1) or (T_mel, n_fft//2+1).
        """
        squeeze = wav.dim() == 1
        if squeeze:
            wav = wav.unsqueeze(0)
        if wav.dim() != 2:
            raise ValueError(f"wav must be (B, T_wav) or (T_wav,), got shape {tuple(wav.shape)}")
        pad = self.config.n_fft // 2
        if wav.shape[-1] <= pad:
            raise ValueError(
                f"waveform of {wav.shape[-1]} samples is too short for reflect padding; "
                f"need more than n_fft // 2 = {pad} samples"
            )
        if wav.dtype not in (torch.float32, torch.float64):
            wav = wav.float()
        with torch.autocast(wav.device.type, enabled=False):
            stft = torch.stft(
                wav,
                n_fft=self.config.n_fft,
                hop_length=self.config.hop_length,
                win_length=self.config.win_length,
                window=self.window.to(dtype=wav.dtype),
                center=True,
                pad_mode="reflect",
                normalized=False,
                onesided=True,
                return_complex=True,
            )
            magnitude = stft.abs().transpose(1, 2)  # (B, T_mel, n_freq)
        return magnitude.squeeze(0) if squeeze else magnitude

    def mel_from_magnitude(self, magnitude: torch.Tensor) -> torch.Tensor:
        """(..., T_mel, n_freq) linear magnitude -> (..., T_mel, n_mels) natural-log mel."""
        with torch.autocast(magnitude.device.type, enabled=False):
            mel = torch.matmul(magnitude, self.mel_basis.to(dtype=magnitude.dtype).T)
            return torch.log(torch.clamp(mel, min=self.config.log_floor))

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        return self.mel_from_magnitude(self.spectrogram(wav))
