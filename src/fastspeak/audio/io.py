"""Reading and writing waveforms.

``load_audio`` is the one entry point for audio entering fastspeak: it returns float32 mono in
[-1, 1] at the requested rate, or raises :class:`AudioError` naming the file and the reason.
Resampling uses soxr (high quality, polyphase; a librosa dependency) when importable and
``scipy.signal.resample_poly`` otherwise; both give ``round(n * target / source)`` samples.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np

try:  # soxr ships with librosa; scipy is the fallback so the package works without it.
    import soxr
except ImportError:  # pragma: no cover - exercised only where soxr is missing
    soxr = None

__all__ = ["AudioError", "load_audio", "resample", "save_audio"]


class AudioError(ValueError):
    """An audio file cannot be used; the message names the file and the reason."""


def resample(wav: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample a mono float waveform with a polyphase (anti-aliased) resampler.

    wav: (T,) float. Returns (round(T * target_rate / source_rate),) float32.
    """
    if source_rate == target_rate:
        return np.asarray(wav, dtype=np.float32)
    wav = np.ascontiguousarray(wav, dtype=np.float32)
    expected = int(round(len(wav) * target_rate / source_rate))
    if soxr is not None:
        out = soxr.resample(wav, source_rate, target_rate, quality="HQ")
    else:  # pragma: no cover
        from scipy.signal import resample_poly

        common = math.gcd(int(source_rate), int(target_rate))
        out = resample_poly(wav, target_rate // common, source_rate // common)
    out = np.asarray(out, dtype=np.float32)
    if len(out) > expected:
        out = out[:expected]
    elif len(out) < expected:
        out = np.pad(out, (0, expected - len(out)))
    return out


def load_audio(path: str | os.PathLike[str], sample_rate: int) -> np.ndarray:
    """Read an audio file as float32 mono in [-1, 1] at ``sample_rate`` Hz.

    Channels are averaged (downmix); other rates are resampled (see :func:`resample`); float
    files with samples beyond [-1, 1] (and resampler overshoot) are clipped.

    Returns: (T_wav,) float32.
    Raises: AudioError for a missing, unreadable, corrupt, empty or non-finite file.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file {path} does not exist or is not a file")
    import soundfile  # here, not at import: training and GPU machines need no audio I/O

    try:
        data, file_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, TypeError, ValueError) as error:
        raise AudioError(
            f"audio file {path} cannot be read ({error}); is it a valid WAV/FLAC/OGG file?"
        ) from error
    if data.shape[0] == 0:
        raise AudioError(f"audio file {path} is empty (0 samples)")
    wav = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if not np.all(np.isfinite(wav)):
        raise AudioError(f"audio file {path} contains NaN or infinite samples")
    if file_rate != sample_rate:
        wav = resample(wav, int(file_rate), int(sample_rate))
        if wav.size == 0:
            raise AudioError(f"audio file {path} is too short to resample to {sample_rate} Hz")
    return np.clip(wav, -1.0, 1.0, out=np.ascontiguousarray(wav, dtype=np.float32))


def save_audio(path: str | os.PathLike[str], wav: np.ndarray, sample_rate: int) -> Path:
    """Write a waveform as a 16-bit PCM WAV file, atomically (temp file + rename).

    wav: (T,) mono or (T, channels), float in [-1, 1] (clipped); a torch tensor also works.
    Parent folders are created. A reader never sees a half-written file. Returns the path.
    """
    if hasattr(wav, "detach"):  # torch.Tensor, without importing torch here
        wav = wav.detach().cpu().numpy()
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim not in (1, 2):
        raise ValueError(f"save_audio expects (T,) or (T, channels), got shape {wav.shape}")
    if not np.all(np.isfinite(wav)):
        raise ValueError(f"refusing to write {path}: the waveform holds NaN or infinite samples")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    import soundfile

    try:
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; give the usual file mode
        soundfile.write(
            temp_name, np.clip(wav, -1.0, 1.0), int(sample_rate), subtype="PCM_16", format="WAV"
        )
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
