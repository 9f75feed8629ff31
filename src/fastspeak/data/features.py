"""Per-utterance acoustic features: mel, pitch, energy at frame or phoneme level.

One ``FeatureExtractor`` serves preprocessing and the feature benchmark. It computes the STFT
once and derives both the mel and the energy from it (FastSpeech 2, section 2.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from fastspeak.audio.energy import frame_energy
from fastspeak.audio.mel import MelSpectrogram, mel_frames
from fastspeak.audio.pitch import extract_pitch, interpolate_unvoiced
from fastspeak.audio.stats import average_by_durations
from fastspeak.config import Config


@dataclass
class UtteranceFeatures:
    """Features of one utterance (numpy, float32 unless stated).

    Attributes:
        mels: (T_mel, n_mels) natural-log mel spectrogram.
        durations: (N,) int64 frames per token, summing to T_mel.
        pitch: (N,) phoneme-level or (T_mel,) frame-level f0 in Hz, unvoiced frames
            interpolated (FastSpeech 2 / ming024); normalised later from stats.json.
        energy: (N,) or (T_mel,) L2 norm of the STFT magnitude per frame.
        voiced: (T_mel,) bool, frames WORLD found voiced.
    """

    mels: np.ndarray
    durations: np.ndarray
    pitch: np.ndarray
    energy: np.ndarray
    voiced: np.ndarray


class FeatureExtractor:
    """wav + token durations -> ``UtteranceFeatures`` for one ``Config``."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.mel = MelSpectrogram(config.audio)

    @torch.inference_mode()
    def __call__(self, wav: np.ndarray, durations: np.ndarray) -> UtteranceFeatures:
        """Extract features.

        Args:
            wav: (T_wav,) float32 at ``config.audio.sample_rate``.
            durations: (N,) int frames per token; must sum to 1 + T_wav // hop_length.

        Raises:
            fastspeak.audio.pitch.UnvoicedError: too few voiced frames to be speech.
        """
        audio, features = self.config.audio, self.config.features
        n_frames = mel_frames(len(wav), audio.hop_length)
        if int(durations.sum()) != n_frames:
            raise ValueError(f"durations sum to {int(durations.sum())}, mel has {n_frames} frames")
        magnitude = self.mel.spectrogram(torch.from_numpy(np.ascontiguousarray(wav)))
        mels = self.mel.mel_from_magnitude(magnitude).numpy()
        energy = frame_energy(magnitude).numpy().astype(np.float32)
        f0 = extract_pitch(wav, audio, features, n_frames)
        pitch, voiced = interpolate_unvoiced(f0)
        if features.pitch_level == "phoneme":
            pitch = average_by_durations(pitch, durations)
        if features.energy_level == "phoneme":
            energy = average_by_durations(energy, durations)
        return UtteranceFeatures(
            mels=mels.astype(np.float32),
            durations=durations.astype(np.int64),
            pitch=pitch.astype(np.float32),
            energy=energy.astype(np.float32),
            voiced=voiced,
        )
