"""Do a corpus's phone labels line up with its audio? Signed offsets, audio time - label time.

Two measures that need no model, over the first ``--limit`` utterances of a corpus folder
(``wavs/**.wav`` beside ``textgrids/**.TextGrid``, as ``fastspeak corpus teacher`` writes):

- pause pattern: the lag (2 ms steps, +-100 ms) that best matches the labelled speech/pause
  pattern with the audio's (10 ms frames within 35 dB of the loudest are "speech"), per
  utterance; also the speech onset and offset against the first and last labelled phone;
- spectral change: for each boundary between two speech phones of >= 30 ms, where the
  spectral flux (40-band log mel, 2 ms hop, frames 6 ms apart) peaks within half of each phone
  (at most 60 ms) of the labelled boundary.

A positive offset means the audio comes after the labels. Used for the flite question in
docs/evaluations/aligner_piper_cpu.md::

    python scripts/label_offsets.py data/corpora/piper_joe data/corpora/flite3/wavs/slt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import librosa
import numpy as np
import soundfile

from fastspeak.data.alignments import Segment, read_textgrid
from fastspeak.text.symbols import is_silence_label

PAUSE_LABELS = {",", ".", "!", "?", ";", ":", "|"}


def _is_speech(segment: Segment) -> bool:
    return not (is_silence_label(segment.label) or segment.label in PAUSE_LABELS)


def _textgrid_for(wav: Path) -> Path:
    parts = list(wav.with_suffix(".TextGrid").parts)
    parts[len(parts) - 1 - parts[::-1].index("wavs")] = "textgrids"
    return Path(*parts)


def pause_pattern(wav: np.ndarray, rate: int, segments: list[Segment]) -> tuple[float, ...]:
    """(best lag, onset offset, offset offset) in seconds for one utterance."""
    hop, window = int(0.002 * rate), int(0.010 * rate)
    frames = np.lib.stride_tricks.sliding_window_view(wav, window)[::hop]
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    active = level > level.max() - 35
    times = (np.arange(len(level)) * hop + window / 2) / rate
    speech = [segment for segment in segments if _is_speech(segment)]
    labelled = np.zeros_like(active)
    for segment in speech:
        labelled[(times >= segment.start) & (times < segment.end)] = True
    lag = max(range(-50, 51), key=lambda shift: np.mean(np.roll(labelled, shift) == active))
    onset = times[np.argmax(active)] - speech[0].start
    offset = times[len(active) - 1 - np.argmax(active[::-1])] - speech[-1].end
    return lag * hop / rate, onset, offset


def spectral_change(wav: np.ndarray, rate: int, segments: list[Segment]) -> list[float]:
    """Seconds from each speech-speech boundary to the flux peak around it."""
    hop = rate // 500
    mel = librosa.feature.melspectrogram(y=wav, sr=rate, n_fft=512, hop_length=hop, n_mels=40)
    log_mel = np.log(mel + 1e-6)
    span = 3
    flux = np.zeros(log_mel.shape[1])
    flux[span:-span] = np.linalg.norm(log_mel[:, 2 * span :] - log_mel[:, : -2 * span], axis=0)
    times = np.arange(log_mel.shape[1]) * hop / rate
    offsets = []
    for left, right in zip(segments, segments[1:], strict=False):
        if not (_is_speech(left) and _is_speech(right)):
            continue
        if min(left.duration, right.duration) < 0.03:
            continue
        before, after = min(0.06, left.duration / 2), min(0.06, right.duration / 2)
        near = np.flatnonzero((times > left.end - before) & (times < left.end + after))
        offsets.append(float(times[near[np.argmax(flux[near])]] - left.end))
    return offsets


def _summary(name: str, seconds: list[float]) -> str:
    ms = 1000 * np.asarray(seconds)
    return (
        f"{name}: median {np.median(ms):+.1f} ms, mean {ms.mean():+.1f} ms, quartiles "
        f"{np.percentile(ms, 25):+.1f} / {np.percentile(ms, 75):+.1f} (n={len(ms)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "corpora", nargs="+", type=Path, help="corpus folders (or wavs/ subfolders)"
    )
    parser.add_argument("--limit", type=int, default=120, help="utterances per corpus")
    args = parser.parse_args()
    for corpus in args.corpora:
        wavs = sorted(corpus.rglob("*.wav"))[: args.limit]
        lags, onsets, offsets, changes = [], [], [], []
        for path in wavs:
            wav, rate = soundfile.read(path, dtype="float64")
            segments = read_textgrid(_textgrid_for(path))
            lag, onset, offset = pause_pattern(wav, rate, segments)
            lags.append(lag)
            onsets.append(onset)
            offsets.append(offset)
            changes.extend(spectral_change(wav, rate, segments))
        print(f"{corpus} ({len(wavs)} utterances)")
        print("  " + _summary("pause-pattern lag", lags))
        print("  " + _summary("speech onset", onsets))
        print("  " + _summary("speech offset", offsets))
        print("  " + _summary("spectral change at phone boundaries", changes))


if __name__ == "__main__":
    main()
