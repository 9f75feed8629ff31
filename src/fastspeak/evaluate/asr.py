"""Intelligibility judge: pocketsphinx transcription and word/character error rates (jiwer).

pocketsphinx 5.1.1 ships its US-English acoustic model, dictionary and 3-gram language model,
so this runs offline. It is a weak recogniser (measured WER on 20 sentences: festival HTS
10.7 %, piper joe 26.2 %, human LibriVox 28 %, espeak 85 %): it flags broken or unintelligible
audio well, but it does not rank natural voices. Compare systems on the same sentences only.

Both sides go through :func:`normalize_transcript` (lower case, punctuation stripped, apostrophes
inside words kept, whitespace collapsed); our reference text is already normalised (numbers
verbalised) by :mod:`fastspeak.text.normalize`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from fastspeak.audio.io import resample

if TYPE_CHECKING:
    from pocketsphinx import Decoder

__all__ = ["ASR_SAMPLE_RATE", "Transcriber", "normalize_transcript", "word_error_rate"]

ASR_SAMPLE_RATE = 16000
ASR_PEAK = 0.9
"""Each clip is scaled to this peak before recognition (a quiet or loud copy of the same
speech scored 0.377 -> 0.456 WER at gains 0.05 and 2 on 10 clips before)."""

_ALTERNATE_MARK = re.compile(r"\(\d+\)")  # "read(2)": a dictionary pronunciation variant
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")
_EDGE_APOSTROPHE = re.compile(r"(?<![a-z0-9])'|'(?![a-z0-9])")


def normalize_transcript(text: str) -> str:
    """Lower case, no punctuation (hyphens and slashes become spaces), single spaces.

    Apostrophes inside words stay ("don't"), quote marks around words go. Non-ASCII letters
    are dropped: the reference is expected to be normalised English already.
    """
    text = _ALTERNATE_MARK.sub("", text.lower())
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _NOT_WORD.sub(" ", text)
    text = _EDGE_APOSTROPHE.sub(" ", text)
    return " ".join(text.split())


@functools.lru_cache(maxsize=1)
def _decoder() -> Decoder:
    """The process's one pocketsphinx decoder (loading the model takes about a second)."""
    try:
        from pocketsphinx import Decoder
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "ASR evaluation needs pocketsphinx: pip install pocketsphinx==5.1.1"
        ) from error
    return Decoder(samprate=ASR_SAMPLE_RATE, loglevel="FATAL")


class Transcriber:
    """Speech -> text with pocketsphinx's bundled en-us model (16 kHz).

    Instances share one decoder per process; it is not thread-safe (use processes to
    parallelise). Roughly 0.1-0.3x real time on one CPU core.
    """

    sample_rate = ASR_SAMPLE_RATE

    def __init__(self) -> None:
        self._decoder = _decoder()

    def transcribe(self, wav: np.ndarray, sample_rate: int) -> str:
        """Recognise one utterance.

        wav: (T_wav,) float in [-1, 1] (or int16 PCM) at ``sample_rate`` Hz; a (T, channels)
        array is averaged to mono, then scaled to a 0.9 peak (``ASR_PEAK``). Returns the
        lower-case hypothesis, "" when nothing is heard.
        """
        pcm = _to_pcm16(wav, sample_rate)
        if pcm.size == 0:
            return ""
        decoder = self._decoder
        # a fresh front end each time: its cepstral-mean estimate otherwise carries over, and
        # a transcript then depends on the audio judged before it
        decoder.reinit_feat()
        decoder.start_utt()
        decoder.process_raw(pcm.tobytes(), no_search=False, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        return normalize_transcript(hypothesis.hypstr) if hypothesis is not None else ""


def _to_pcm16(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    wav = np.asarray(wav)
    if wav.dtype == np.int16:
        wav = wav.astype(np.float32) / 32768.0
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim == 2:
        wav = wav.mean(axis=1)
    if wav.ndim != 1:
        raise ValueError(f"transcribe expects a (T_wav,) waveform, got shape {wav.shape}")
    if not np.all(np.isfinite(wav)):
        raise ValueError("cannot transcribe a waveform holding NaN or infinite samples")
    wav = resample(wav, int(sample_rate), ASR_SAMPLE_RATE)
    peak = float(np.abs(wav).max()) if wav.size else 0.0
    if peak > 0:  # the recogniser hears every clip at one level: WER must not follow loudness
        wav = wav * (ASR_PEAK / peak)
    return np.round(np.clip(wav, -1.0, 1.0) * 32767.0).astype("<i2")


def word_error_rate(references: Sequence[str], hypotheses: Sequence[str]) -> dict[str, float]:
    """Corpus-level WER and CER (jiwer): total edits over total reference words / characters.

    Both sides are normalised with :func:`normalize_transcript`. Pairs whose reference is empty
    after normalisation are skipped (they have no words to get wrong).
    Returns {"wer", "cer", "substitutions", "deletions", "insertions", "reference_words"};
    wer/cer are fractions (0.25 = 25 %), NaN when no reference has words.
    """
    import jiwer

    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
    pairs = [
        (normalize_transcript(r), normalize_transcript(h))
        for r, h in zip(references, hypotheses, strict=True)
    ]
    pairs = [(r, h) for r, h in pairs if r]
    if not pairs:
        nan = float("nan")
        return {"wer": nan, "cer": nan, "substitutions": 0, "deletions": 0, "insertions": 0,
                "reference_words": 0}  # fmt: skip
    refs = [r for r, _ in pairs]
    hyps = [h for _, h in pairs]
    words = jiwer.process_words(refs, hyps)
    characters = jiwer.process_characters(refs, hyps)
    return {
        "wer": float(words.wer),
        "cer": float(characters.cer),
        "substitutions": int(words.substitutions),
        "deletions": int(words.deletions),
        "insertions": int(words.insertions),
        "reference_words": int(words.hits + words.substitutions + words.deletions),
    }
