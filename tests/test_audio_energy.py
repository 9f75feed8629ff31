"""Frame energy = L2 norm over frequency of the STFT magnitude (FastSpeech 2)."""

from __future__ import annotations

import numpy as np
import torch

from fastspeak.audio.energy import frame_energy
from fastspeak.audio.mel import MelSpectrogram, mel_frames
from fastspeak.config import AudioConfig


def test_energy_matches_naive_numpy_stft() -> None:
    config = AudioConfig()
    rng = np.random.default_rng(1)
    wav = (0.1 * rng.standard_normal(5000)).astype(np.float32)
    magnitude = MelSpectrogram(config).spectrogram(torch.from_numpy(wav))
    energy = frame_energy(magnitude).numpy()

    padded = np.pad(wav.astype(np.float64), config.n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(config.n_fft) / config.n_fft)
    expected = []
    for frame in range(mel_frames(wav.size, config.hop_length)):
        start = frame * config.hop_length
        spectrum = np.abs(np.fft.rfft(padded[start : start + config.n_fft] * window))
        expected.append(np.sqrt(np.sum(spectrum**2)))
    np.testing.assert_allclose(energy, np.array(expected), rtol=1e-4)


def test_energy_numpy_and_torch_agree_and_keep_batch_shape() -> None:
    magnitude = torch.rand(2, 7, 513)
    energy = frame_energy(magnitude)
    assert energy.shape == (2, 7)
    np.testing.assert_allclose(frame_energy(magnitude.numpy()), energy.numpy(), rtol=1e-5)
