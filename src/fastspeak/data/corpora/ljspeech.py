"""LJSpeech (Ito & Johnson, 2017) and corpora laid out like it.

Layout::

    root/metadata.csv        id|raw text|normalized text   (pipe-separated, no header, no quoting)
    root/wavs/<id>.wav
    root/held_out.txt        optional, one id per line -> held_out=True
    root/textgrids/<id>.TextGrid   optional alignments (or pass ``alignments``)

With ``alignments`` given, TextGrids are looked up anywhere below it by id, so both
``<alignments>/<id>.TextGrid`` and MFA's ``<alignments>/LJSpeech/<id>.TextGrid`` work.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from fastspeak.data.corpora.base import (
    AUDIO_SUFFIXES,
    AlignmentIndex,
    CorpusError,
    HeldOut,
    Skipped,
    build_utterance,
    finish,
    read_lines,
    require_dir,
    require_file,
    safe_id,
    speaker_id,
)
from fastspeak.data.types import Utterance

METADATA_FILE = "metadata.csv"


def read_metadata_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-empty rows of a pipe-separated, unquoted metadata file, with 1-based line numbers."""
    lines = read_lines(path)
    rows = csv.reader(lines, delimiter="|", quoting=csv.QUOTE_NONE)
    return [
        (number, row) for number, row in enumerate(rows, start=1) if any(c.strip() for c in row)
    ]


def read_metadata_corpus(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None,
    *,
    format: str,
    multi_speaker: bool,
    skipped: list[Skipped] | None,
) -> list[Utterance]:
    """Read ``metadata.csv`` + ``wavs/``; rows are ``id|text|normalized`` or, with
    ``multi_speaker``, ``id|speaker|text|normalized`` with audio in ``wavs/<speaker>/<id>.wav``."""
    root = require_dir(root, format)
    columns = "id|speaker|text|normalized" if multi_speaker else "id|text|normalized"
    metadata = require_file(
        root / METADATA_FILE, f"the {format} metadata file ({columns}, one utterance per line)"
    )
    wavs = root / "wavs"
    if not wavs.is_dir():
        raise CorpusError(f"missing {wavs}: expected the {format} audio folder (wavs/<id>.wav)")
    index = AlignmentIndex.for_reader(alignments, default=root / "textgrids")
    held_out = HeldOut(root)
    first_text = 2 if multi_speaker else 1
    utterances: list[Utterance] = []
    problems: list[Skipped] = []
    named: set[Path] = set()  # the audio every row names, used or not
    for line, row in read_metadata_rows(metadata):
        fields = [field.strip() for field in row]
        raw_id = fields[0] if fields else ""
        speaker = fields[1] if multi_speaker and len(fields) > 1 else "default"
        named.add((wavs / speaker if multi_speaker else wavs) / f"{raw_id}.wav")
        if len(fields) <= first_text or not fields[0] or not fields[first_text]:
            problems.append(Skipped(metadata, f"line {line}: expected {columns}, got {row!r}"))
            continue
        if multi_speaker and not speaker:
            problems.append(Skipped(metadata, f"line {line}: empty speaker column"))
            continue
        # the normalized column when the corpus has one, else the raw transcript
        normalized = fields[first_text + 1] if len(fields) > first_text + 1 else ""
        text = normalized or fields[first_text]
        audio = (wavs / speaker if multi_speaker else wavs) / f"{raw_id}.wav"
        if not audio.is_file():
            problems.append(Skipped(audio, f"line {line} of {metadata}: audio file is missing"))
            continue
        utterance_id = speaker_id(speaker, raw_id) if multi_speaker else safe_id(raw_id)
        utterances.append(
            build_utterance(utterance_id, raw_id, audio, text, speaker, index, held_out)
        )
    problems += unlisted_audio(wavs, named, metadata, multi_speaker)
    return finish(
        utterances, root=root, format=format, problems=problems, skipped=skipped, alignments=index
    )


def unlisted_audio(
    wavs: Path, named: set[Path], metadata: Path, multi_speaker: bool
) -> list[Skipped]:
    """The audio files in ``wavs/`` (``wavs/<speaker>/`` with ``multi_speaker``) that no row
    of ``metadata`` names: a recording without a transcript is reported, not dropped."""
    pattern = "*/*" if multi_speaker else "*"
    layout = "wavs/<speaker>/<id>.wav" if multi_speaker else "wavs/<id>.wav"
    return [
        Skipped(audio, f"no row of {metadata} names it (rows name {layout})")
        for audio in sorted(wavs.glob(pattern))
        if audio.suffix.lower() in AUDIO_SUFFIXES and audio not in named and audio.is_file()
    ]


def read_ljspeech(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None = None,
    *,
    skipped: list[Skipped] | None = None,
) -> list[Utterance]:
    """Read an LJSpeech-layout corpus (single speaker "default")."""
    return read_metadata_corpus(
        root, alignments, format="ljspeech", multi_speaker=False, skipped=skipped
    )


def looks_like_ljspeech(root: Path) -> bool:
    """metadata.csv + wavs/, and the first row's id names a wav in wavs/."""
    metadata = root / METADATA_FILE
    if not metadata.is_file() or not (root / "wavs").is_dir():
        return False
    with metadata.open(encoding="utf-8-sig", errors="replace") as stream:
        for line in stream:
            if line.strip():
                first_id = line.split("|", 1)[0].strip()
                return bool(first_id) and (root / "wavs" / f"{first_id}.wav").is_file()
    return False
