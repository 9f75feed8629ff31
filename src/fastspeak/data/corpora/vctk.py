"""CSTR VCTK (Yamagishi et al., 2019): 110 English speakers.

VCTK-Corpus-0.92 layout (the default ``mic1``; ``mic="mic2"`` picks the other microphone)::

    wav48_silence_trimmed/<spk>/<spk>_<nnn>_mic1.flac
    txt/<spk>/<spk>_<nnn>.txt

The older VCTK-Corpus (0.80) layout ``wav48/<spk>/<spk>_<nnn>.wav`` + ``txt/`` is read too.
Speaker = folder name, id = ``<spk>_<nnn>``. Recordings without a transcript (all of p315,
a few others) are skipped and reported through ``skipped`` and a warning. Alignments, if
given, are looked up by id anywhere below ``alignments`` (MFA writes ``<spk>/<id>.TextGrid``).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastspeak.data.corpora.base import (
    AlignmentIndex,
    CorpusError,
    HeldOut,
    Skipped,
    build_utterance,
    finish,
    read_text,
    require_dir,
    speaker_id,
)
from fastspeak.data.types import Utterance

MICROPHONES = ("mic1", "mic2")


def audio_layout(root: Path, mic: str) -> tuple[Path, str, str] | None:
    """(audio folder, glob pattern, suffix to strip for the id) of a VCTK root, if any."""
    trimmed = root / "wav48_silence_trimmed"
    if trimmed.is_dir():
        return trimmed, f"*_{mic}.flac", f"_{mic}.flac"
    legacy = root / "wav48"
    if legacy.is_dir():
        return legacy, "*.wav", ".wav"
    return None


def looks_like_vctk(root: Path) -> bool:
    return (root / "txt").is_dir() and audio_layout(root, "mic1") is not None


def read_vctk(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None = None,
    *,
    mic: str = "mic1",
    skipped: list[Skipped] | None = None,
) -> list[Utterance]:
    """Read VCTK (0.92 flac or 0.80 wav layout)."""
    root = require_dir(root, "vctk")
    if mic not in MICROPHONES:
        raise CorpusError(f"unknown VCTK microphone {mic!r}; choose one of {MICROPHONES}")
    layout = audio_layout(root, mic)
    if layout is None:
        raise CorpusError(
            f"{root} has neither wav48_silence_trimmed/ (VCTK 0.92) nor wav48/ (VCTK 0.80); "
            "pass the VCTK corpus folder"
        )
    audio_dir, pattern, suffix = layout
    txt_dir = root / "txt"
    if not txt_dir.is_dir():
        raise CorpusError(f"missing {txt_dir}: expected VCTK transcripts txt/<spk>/<id>.txt")
    index = AlignmentIndex.for_reader(alignments)
    held_out = HeldOut(root)
    utterances: list[Utterance] = []
    problems: list[Skipped] = []
    for speaker_dir in sorted(p for p in audio_dir.iterdir() if p.is_dir()):
        speaker = speaker_dir.name
        for audio in sorted(speaker_dir.glob(pattern)):
            stem = audio.name[: -len(suffix)]
            transcript = txt_dir / speaker / f"{stem}.txt"
            if not transcript.is_file():
                problems.append(Skipped(audio, f"no transcript {transcript}"))
                continue
            text = read_text(transcript)
            if not text:
                problems.append(Skipped(audio, f"empty transcript {transcript}"))
                continue
            utterance_id = speaker_id(speaker, stem)
            utterances.append(
                build_utterance(utterance_id, stem, audio, text, speaker, index, held_out)
            )
    return finish(
        utterances, root=root, format="vctk", problems=problems, skipped=skipped, alignments=index
    )
