"""The one mel: agrees with librosa, frame count formula, batching, dtype and device."""

from __future__ import annotations

import librosa
import numpy as np
import pytest
import torch

from fastspeak.audio.mel import MelSpectrogram, mel_filterbank, mel_frames
from fastspeak.config import AudioConfig


def _librosa_log_mel(wav: np.ndarray, config: AudioConfig) -> np.ndarray:
    mel = librosa.feature.melspectrogram(
        y=wav,
        sr=config.sample_rate,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        win_length=config.win_length,
        window="hann",
        center=True,
        pad_mode="reflect",
        power=1.0,
        n_mels=config.n_mels,
        fmin=config.f_min,
        fmax=config.f_max,
        htk=False,
        norm="slaney",
    )
    return np.log(np.maximum(mel, config.log_floor)).T  # (T_mel, n_mels)


@pytest.mark.parametrize(
    "config",
    [
        AudioConfig(),
        AudioConfig(
            sample_rate=16000,
            n_fft=512,
            hop_length=128,
            win_length=400,
            n_mels=40,
            f_min=50.0,
            f_max=None,
        ),
    ],
    ids=["ljspeech", "16k-short-window"],
)
def test_mel_matches_librosa(config: AudioConfig) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(int(0.7 * config.sample_rate)) / config.sample_rate
    wav = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.05 * rng.standard_normal(t.size)).astype(
        np.float32
    )
    ours = MelSpectrogram(config)(torch.from_numpy(wav)).numpy()
    reference = _librosa_log_mel(wav, config)
    assert ours.shape == reference.shape == (mel_frames(wav.size, config.hop_length), config.n_mels)
    above_floor = reference > np.log(config.log_floor) + 1e-3
    assert above_floor.mean() > 0.9
    assert np.abs(ours - reference)[above_floor].max() < 1e-3


@pytest.mark.parametrize("num_samples", [513, 1000, 22050, 22050 + 255, 22050 + 256])
def test_frame_count(num_samples: int) -> None:
    config = AudioConfig()
    wav = torch.randn(num_samples) * 0.1
    mels = MelSpectrogram(config)(wav)
    assert mels.shape == (1 + num_samples // 256, config.n_mels)
    assert mels.shape[0] == mel_frames(num_samples, config.hop_length)


def test_batched_equals_single_and_float64() -> None:
    config = AudioConfig()
    mel = MelSpectrogram(config)
    wavs = torch.randn(3, 4000) * 0.1
    batched = mel(wavs)
    assert batched.shape == (3, mel_frames(4000, 256), 80)
    for index in range(3):
        torch.testing.assert_close(batched[index], mel(wavs[index]), atol=1e-5, rtol=0)
    double = mel(wavs.double())
    assert double.dtype == torch.float64
    torch.testing.assert_close(double.float(), batched, atol=1e-4, rtol=0)


def test_spectrogram_and_mel_from_magnitude_compose_to_forward() -> None:
    mel = MelSpectrogram(AudioConfig())
    wav = torch.randn(2, 3000) * 0.1
    magnitude = mel.spectrogram(wav)
    assert magnitude.shape == (2, mel_frames(3000, 256), 513)
    torch.testing.assert_close(mel.mel_from_magnitude(magnitude), mel(wav))


def test_buffers_not_in_state_dict_and_gradients_flow() -> None:
    mel = MelSpectrogram(AudioConfig())
    assert len(mel.state_dict()) == 0
    wav = (torch.randn(1, 2048) * 0.1).requires_grad_()
    mel(wav).mean().backward()
    assert wav.grad is not None and torch.isfinite(wav.grad).all()


def test_too_short_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too short"):
        MelSpectrogram(AudioConfig())(torch.zeros(100))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_gpu_matches_cpu() -> None:
    mel = MelSpectrogram(AudioConfig())
    wav = torch.randn(2, 8192) * 0.1
    on_gpu = mel.to("cuda")(wav.cuda())
    assert on_gpu.device.type == "cuda"
    torch.testing.assert_close(on_gpu.cpu(), mel.to("cpu")(wav), atol=1e-3, rtol=0)


@pytest.mark.parametrize(
    "config",
    [
        AudioConfig(),
        AudioConfig(
            sample_rate=16000, n_fft=512, win_length=512, n_mels=40, f_min=50.0, f_max=None
        ),
        AudioConfig(
            sample_rate=44100, n_fft=2048, hop_length=512, win_length=2048, n_mels=128, f_max=None
        ),
    ],
)
def test_filterbank_matches_librosa(config: AudioConfig) -> None:
    reference = librosa.filters.mel(
        sr=config.sample_rate,
        n_fft=config.n_fft,
        n_mels=config.n_mels,
        fmin=config.f_min,
        fmax=config.f_max,
        htk=False,
        norm="slaney",
    )
    np.testing.assert_allclose(mel_filterbank(config), reference, rtol=1e-5, atol=1e-8)
