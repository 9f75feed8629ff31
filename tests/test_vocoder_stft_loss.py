"""The multi-resolution STFT loss (Parallel WaveGAN) against a frame-by-frame numpy reference,
its closed forms, its sensitivity to a frame-rate comb, and its place in HiFi-GAN training."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from fastspeak.config import AudioConfig, ConfigError, VocoderTrainConfig, load_config
from fastspeak.vocoders.hifigan import GeneratorLoss
from fastspeak.vocoders.stft_loss import MultiResolutionSTFTLoss

TINY = Path(__file__).parent.parent / "configs" / "piper_joe" / "hifigan_tiny.yaml"
AUDIO = AudioConfig()
RESOLUTIONS = [[64, 16, 48], [128, 32, 128]]


def naive_magnitudes(wav: np.ndarray, n_fft: int, hop: int, window: int) -> np.ndarray:
    """(T,) -> (frames, n_fft // 2 + 1): centred frames (reflect padding), a periodic Hann
    window of ``window`` samples in the middle of ``n_fft``, one rfft per frame."""
    padded = np.pad(wav, n_fft // 2, mode="reflect")
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
    offset = (n_fft - window) // 2
    frames = []
    for start in range(0, len(padded) - n_fft + 1, hop):
        frame = np.zeros(n_fft)
        frame[offset : offset + window] = padded[start + offset : start + offset + window] * hann
        frames.append(np.sqrt(np.maximum(np.abs(np.fft.rfft(frame)) ** 2, 1e-7)))
    return np.array(frames)


def test_loss_equals_a_frame_by_frame_reference() -> None:
    generator = np.random.default_rng(0)
    wavs = generator.normal(0, 0.1, (2, 1000))
    generated = wavs + generator.normal(0, 0.03, wavs.shape)
    wavs[1, 500:] = 0.0  # silence: bins at the power floor
    generated[1, 500:] = generator.normal(0, 1e-5, 500)
    convergence, log_magnitude = MultiResolutionSTFTLoss(RESOLUTIONS)(
        torch.from_numpy(wavs).float(), torch.from_numpy(generated).float()
    )
    expected_convergence, expected_log = [], []
    for n_fft, hop, window in RESOLUTIONS:
        real = np.stack([naive_magnitudes(wav, n_fft, hop, window) for wav in wavs])
        fake = np.stack([naive_magnitudes(wav, n_fft, hop, window) for wav in generated])
        expected_convergence.append(np.linalg.norm(real - fake) / np.linalg.norm(real))
        expected_log.append(np.mean(np.abs(np.log(real) - np.log(fake))))
    assert float(convergence) == pytest.approx(np.mean(expected_convergence), rel=1e-4)
    assert float(log_magnitude) == pytest.approx(np.mean(expected_log), rel=1e-4)


def test_closed_forms_for_a_copy_and_a_louder_copy() -> None:
    wavs = torch.randn(2, 4096) * 0.1  # every bin far above the power floor
    loss = MultiResolutionSTFTLoss(RESOLUTIONS)
    assert [float(term) for term in loss(wavs, wavs.clone())] == [0.0, 0.0]
    convergence, log_magnitude = loss(wavs, 1.5 * wavs)
    assert float(convergence) == pytest.approx(0.5, rel=1e-4)  # |1 - 1.5|
    assert float(log_magnitude) == pytest.approx(math.log(1.5), rel=1e-3)


def test_the_stft_loss_tells_a_frame_rate_comb_from_noise_where_mel_l1_cannot() -> None:
    """White noise against (a) a pulse train at the frame rate (86 Hz) of the same power and
    (b) another draw of the noise: the 80-band mel L1 scores the comb no worse than the other
    noise (its bands average the teeth away), the STFTs' log magnitude much worse. This is the
    artifact the mel-only generators drew."""
    generator = torch.Generator().manual_seed(0)
    noise, other = torch.randn(2, 1, 8 * 8192, generator=generator) * 0.05
    comb = torch.zeros_like(noise)
    comb[:, :: AUDIO.hop_length] = 0.05 * math.sqrt(AUDIO.hop_length)  # the noise's power
    assert float(comb.square().mean()) == pytest.approx(float(noise.square().mean()), rel=0.05)
    train = dataclasses.replace(load_config(TINY).vocoder.train, stft_loss_weight=1.0)
    loss = GeneratorLoss(AUDIO, train)
    _, against_comb = loss.reconstruction(noise, comb)
    _, against_noise = loss.reconstruction(noise, other)
    assert against_comb["mel_l1"] < 1.1 * against_noise["mel_l1"]
    assert against_comb["stft_log_magnitude"] > 1.5 * against_noise["stft_log_magnitude"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stft_loss_weight": -1.0}, "stft_loss_weight must be >= 0"),
        ({"stft_resolutions": [[512, 50]]}, r"\[n_fft, hop, window length\]"),
        ({"stft_resolutions": [[512, 50, 1024]]}, "window length <= n_fft"),
        ({"stft_resolutions": [[512, 0, 240]]}, "hop >= 1"),
        ({"stft_resolutions": [], "stft_loss_weight": 1.0}, "stft_resolutions is empty"),
        ({"segment_size": 1024, "stft_loss_weight": 1.0}, "too short for the STFT loss's 2048"),
        ({"adversarial_stft_loss_weight": -1.0}, "adversarial_stft_loss_weight must be >= 0"),
        ({"segment_size": 1024, "adversarial_stft_loss_weight": 2.0}, "too short"),
    ],
)
def test_bad_stft_settings_name_the_key(change: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        VocoderTrainConfig(**change)
