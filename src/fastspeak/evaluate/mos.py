"""Naturalness judge: DistillMOS predicted mean opinion score (1..5), offline on CPU.

DistillMOS (Stahl & Gamper 2025, arXiv 2502.05356; PyPI ``distillmos`` 0.9.1) is a small
convolution + transformer model distilled from XLS-R SQA; its 17 MB weights ship in the wheel.
Measured here: human LibriVox 4.04, piper joe 4.05, festival HTS 3.32, espeak 2.27. It is a
predictor, not listeners: use it to compare systems on the same sentences.

The package imports torchaudio at module level only for its file-list CLI. fastspeak does not
depend on torchaudio, so it is installed with ``pip install --no-deps distillmos==0.9.1
xls-r-sqa==0.1.0`` and imported here behind a placeholder ``torchaudio`` module that exists
only while ``distillmos.sqa`` is being imported (the model code never touches it).

Input: 16 kHz mono. The model normalises each clip to peak 1, zero-pads clips shorter than
122880 samples (7.68 s) to that length, and averages windows of that length (hop <= 1 s) over
longer clips. Clips up to 7.68 s are therefore batched exactly; longer clips run alone.
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from collections.abc import Sequence

import numpy as np
import torch

from fastspeak.audio.io import resample

__all__ = ["MOS_SAMPLE_RATE", "MosPredictor"]

MOS_SAMPLE_RATE = 16000
_SEGMENT_SAMPLES = 122880  # distillmos.sqa.SEQ_LEN
_MIN_SAMPLES = 320  # one STFT window of the model (20 ms)


def _import_sqa() -> types.ModuleType:
    """``distillmos.sqa`` without torchaudio (used there only by the file-list CLI)."""
    if "distillmos.sqa" in sys.modules:
        return sys.modules["distillmos.sqa"]
    placeholder = None
    if importlib.util.find_spec("torchaudio") is None:
        placeholder = types.ModuleType("torchaudio")
        placeholder.__doc__ = "placeholder: fastspeak imports distillmos without torchaudio"
        sys.modules["torchaudio"] = placeholder
    try:
        return importlib.import_module("distillmos.sqa")
    except ImportError as error:
        raise ImportError(
            "MOS prediction needs distillmos: "
            "pip install --no-deps distillmos==0.9.1 xls-r-sqa==0.1.0"
        ) from error
    finally:
        if placeholder is not None and sys.modules.get("torchaudio") is placeholder:
            del sys.modules["torchaudio"]


@functools.lru_cache(maxsize=1)
def _model() -> torch.nn.Module:
    sqa = _import_sqa()
    model = sqa.ConvTransformerSQAModel(load_weights=False)  # load quietly (it prints)
    state = torch.load(sqa.DEFAULT_WEIGHTS_CHKPT, map_location="cpu", weights_only=True)
    model.load_state_dict(state["model"], strict=True)
    return model.eval()


class MosPredictor:
    """Predicted MOS per waveform with DistillMOS on CPU; one model per process.

    batch_size: clips of at most 7.68 s are scored this many at a time.
    """

    sample_rate = MOS_SAMPLE_RATE

    def __init__(self, batch_size: int = 8) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (got {batch_size})")
        self.batch_size = batch_size
        self._model = _model()

    def predict(self, wav: np.ndarray, sample_rate: int) -> float:
        """Predicted MOS (1..5) of one clip. wav: (T_wav,) float in [-1, 1]."""
        return float(self.predict_batch([wav], sample_rate)[0])

    def predict_batch(self, wavs: Sequence[np.ndarray], sample_rate: int) -> np.ndarray:
        """Predicted MOS of several clips at one sample rate. Returns (len(wavs),) float64."""
        clips = [self._prepare(wav, sample_rate) for wav in wavs]
        scores = np.full(len(clips), np.nan)
        short = [i for i, clip in enumerate(clips) if len(clip) <= _SEGMENT_SAMPLES]
        for start in range(0, len(short), self.batch_size):
            index = short[start : start + self.batch_size]
            batch = np.zeros((len(index), _SEGMENT_SAMPLES), dtype=np.float32)
            for row, i in enumerate(index):
                batch[row, : len(clips[i])] = clips[i]
            scores[index] = self._score(batch)
        for i, clip in enumerate(clips):
            if len(clip) > _SEGMENT_SAMPLES:
                scores[i] = self._score(clip[None, :])[0]
        return scores

    def _score(self, batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return self._model(torch.from_numpy(batch)).reshape(-1).double().numpy()

    @staticmethod
    def _prepare(wav: np.ndarray, sample_rate: int) -> np.ndarray:
        wav = np.asarray(wav, dtype=np.float32)
        if wav.ndim != 1:
            raise ValueError(f"MOS prediction expects a (T_wav,) waveform, got shape {wav.shape}")
        if not np.all(np.isfinite(wav)):
            raise ValueError("cannot score a waveform holding NaN or infinite samples")
        wav = resample(wav, int(sample_rate), MOS_SAMPLE_RATE)
        if len(wav) < _MIN_SAMPLES:
            raise ValueError(
                f"clip of {len(wav)} samples at 16 kHz is too short to score "
                f"(need at least {_MIN_SAMPLES})"
            )
        return wav
