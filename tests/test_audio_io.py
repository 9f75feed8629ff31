"""load_audio / save_audio: formats, downmix, resampling, clear errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from fastspeak.audio.io import AudioError, load_audio, save_audio


def test_round_trip_16_bit(tmp_path: Path) -> None:
    wav = (0.5 * np.sin(np.linspace(0, 200, 22050))).astype(np.float32)
    path = save_audio(tmp_path / "sub" / "a.wav", wav, 22050)
    info = soundfile.info(path)
    assert (info.subtype, info.samplerate, info.channels) == ("PCM_16", 22050, 1)
    loaded = load_audio(path, 22050)
    assert loaded.dtype == np.float32 and loaded.shape == wav.shape
    np.testing.assert_allclose(loaded, wav, atol=1 / 32768 + 1e-6)
    assert [p.name for p in path.parent.iterdir()] == ["a.wav"]  # no temp file left


def test_downmix_and_clip(tmp_path: Path) -> None:
    stereo = np.stack([np.full(1000, 0.5), np.full(1000, -0.1)], axis=1)
    path = tmp_path / "stereo.wav"
    soundfile.write(path, stereo, 22050, subtype="FLOAT")
    np.testing.assert_allclose(load_audio(path, 22050), 0.2, atol=1e-6)
    soundfile.write(path, np.full(1000, 1.7), 22050, subtype="FLOAT")
    assert load_audio(path, 22050).max() == 1.0


def test_resample_16k_to_22k(tmp_path: Path) -> None:
    t = np.arange(16001) / 16000
    path = save_audio(tmp_path / "16k.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 16000)
    wav = load_audio(path, 22050)
    assert wav.shape == (round(16001 * 22050 / 16000),)
    spectrum = np.abs(np.fft.rfft(wav * np.hanning(wav.size)))
    assert abs(np.argmax(spectrum) * 22050 / wav.size - 440) < 2


def test_corrupt_file_raises_audio_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.wav"
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEjunkjunkjunk" + bytes(range(50)))
    with pytest.raises(AudioError, match="corrupt.wav"):
        load_audio(path, 22050)


def test_empty_file_raises_audio_error(tmp_path: Path) -> None:
    zero_bytes = tmp_path / "zero.wav"
    zero_bytes.touch()
    with pytest.raises(AudioError, match="zero.wav"):
        load_audio(zero_bytes, 22050)
    no_samples = tmp_path / "nosamples.wav"
    soundfile.write(no_samples, np.zeros(0), 22050)
    with pytest.raises(AudioError, match="nosamples.wav.*empty"):
        load_audio(no_samples, 22050)


def test_missing_file_raises_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="does not exist"):
        load_audio(tmp_path / "missing.wav", 22050)
    assert issubclass(AudioError, ValueError)
