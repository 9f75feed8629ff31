"""Evaluation: intelligibility (ASR WER), predicted MOS, MCD-DTW, f0 and duration metrics, RTF.

Judges run offline on CPU: pocketsphinx (ASR) and DistillMOS (MOS) load lazily, once per
process, on first use. :func:`evaluate_systems` runs named systems over a sentence list and
writes REPORT.json + REPORT.md.
"""

from fastspeak.evaluate.asr import Transcriber, normalize_transcript, word_error_rate
from fastspeak.evaluate.mos import MosPredictor
from fastspeak.evaluate.prosody import (
    DurationMetrics,
    F0Metrics,
    duration_errors,
    f0_errors,
    f0_moments,
    pitch_contour,
)
from fastspeak.evaluate.report import markdown_table, write_report
from fastspeak.evaluate.runner import SystemOutput, evaluate_systems
from fastspeak.evaluate.spectral import (
    SpectralMetrics,
    compare_mels,
    dtw_path,
    frame_rate_comb_db,
    log_mel,
    mel_cepstral_distortion,
)

__all__ = [
    "DurationMetrics",
    "F0Metrics",
    "MosPredictor",
    "SpectralMetrics",
    "SystemOutput",
    "Transcriber",
    "compare_mels",
    "frame_rate_comb_db",
    "dtw_path",
    "duration_errors",
    "evaluate_systems",
    "f0_errors",
    "f0_moments",
    "log_mel",
    "markdown_table",
    "mel_cepstral_distortion",
    "normalize_transcript",
    "pitch_contour",
    "word_error_rate",
    "write_report",
]
