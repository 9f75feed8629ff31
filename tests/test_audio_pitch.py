"""f0 with WORLD on the mel frame grid; unvoiced handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fastspeak.audio.io import load_audio, save_audio
from fastspeak.audio.mel import mel_frames
from fastspeak.audio.pitch import UnvoicedError, extract_pitch, interpolate_unvoiced
from fastspeak.config import AudioConfig, FeatureConfig


def _tone(frequency: float, seconds: float, sample_rate: int) -> np.ndarray:
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    harmonics = sum(np.sin(2 * np.pi * k * frequency * t) / k for k in range(1, 6))
    return (0.3 * harmonics / 2.3).astype(np.float32)


@pytest.mark.parametrize("method", ["dio", "harvest"])
def test_pitch_of_200_hz_tone(method: str) -> None:
    config = AudioConfig()
    wav = _tone(200.0, 0.6 if method == "harvest" else 1.0, config.sample_rate)
    n_frames = mel_frames(wav.size, config.hop_length)
    f0 = extract_pitch(wav, config, FeatureConfig(pitch_method=method), n_frames)
    assert f0.shape == (n_frames,) and f0.dtype == np.float32
    voiced = f0[f0 > 0]
    assert voiced.size > 0.8 * n_frames
    assert abs(np.median(voiced) - 200.0) < 2.0


def test_pitch_from_file_resampled(tmp_path: Path) -> None:
    config = AudioConfig()
    path = save_audio(tmp_path / "tone.wav", _tone(150.0, 0.8, 16000), 16000)
    wav = load_audio(path, config.sample_rate)
    n_frames = mel_frames(wav.size, config.hop_length)
    f0 = extract_pitch(wav, config, FeatureConfig(), n_frames)
    assert abs(np.median(f0[f0 > 0]) - 150.0) < 2.0


def test_pad_and_trim_to_requested_frames() -> None:
    config = AudioConfig()
    wav = _tone(200.0, 0.5, config.sample_rate)
    n_frames = mel_frames(wav.size, config.hop_length)
    for requested in (n_frames - 3, n_frames + 4):
        f0 = extract_pitch(wav, config, FeatureConfig(), requested)
        assert f0.shape == (requested,)


def test_silence_raises_unvoiced_error() -> None:
    config = AudioConfig()
    wav = np.zeros(config.sample_rate // 2, dtype=np.float32)
    n_frames = mel_frames(wav.size, config.hop_length)
    with pytest.raises(UnvoicedError, match="voiced"):
        extract_pitch(wav, config, FeatureConfig(), n_frames)
    f0 = extract_pitch(wav, config, FeatureConfig(), n_frames, min_voiced=0)
    assert not f0.any()
    with pytest.raises(UnvoicedError):
        interpolate_unvoiced(f0)
    assert issubclass(UnvoicedError, ValueError)


def test_interpolate_unvoiced() -> None:
    f0 = np.array([0, 0, 100, 0, 0, 130, 0, 200, 0], dtype=np.float32)
    filled, voiced = interpolate_unvoiced(f0)
    np.testing.assert_allclose(filled, [100, 100, 100, 110, 120, 130, 165, 200, 200])
    np.testing.assert_array_equal(voiced, f0 > 0)
    with pytest.raises(UnvoicedError):
        interpolate_unvoiced(np.array([0, 120, 0], dtype=np.float32))
