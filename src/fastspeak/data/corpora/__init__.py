"""Corpus readers: one small module per corpus, each turning a folder into ``list[Utterance]``.

Every reader has the signature ``read_<name>(root, alignments=None, *, skipped=None, ...)``
and returns utterances sorted by id, ids unique in the corpus. ``alignments`` points at a
folder of TextGrids (MFA output), looked up by utterance id anywhere below it. Items a reader
cannot use are appended to ``skipped`` (a list of :class:`Skipped`) and logged, never dropped
silently. Mistakes a user can make (missing root or metadata, unknown format, nothing found)
raise :class:`CorpusError`, a ``ValueError``. In every format, ``<root>/held_out.txt`` (one
utterance id per line; for tables, next to the table) marks utterances ``held_out=True``.

Formats (see each module's docstring for the exact layout):

=========  ==================================================================
ljspeech   metadata.csv (id|text|normalized) + wavs/<id>.wav
teacher    fastspeak teacher corpus: corpus.json + LJSpeech layout (+ speakers)
vctk       VCTK 0.92 wav48_silence_trimmed/<spk>/*_mic1.flac or 0.80 wav48/
libritts   LibriTTS / LibriTTS-R <subset>/<spk>/<chapter>/*.wav + .normalized.txt
aishell3   AISHELL-3 train|test/content.txt + wav/<spk>/<id>.wav
csv        a wav|text[|speaker] table (CSV, TSV or pipe-separated)
=========  ==================================================================
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from fastspeak.data.corpora.aishell3 import looks_like_aishell3, read_aishell3
from fastspeak.data.corpora.base import CorpusError, Skipped, as_path
from fastspeak.data.corpora.csv_table import looks_like_table, read_csv
from fastspeak.data.corpora.libritts import looks_like_libritts, read_libritts
from fastspeak.data.corpora.ljspeech import looks_like_ljspeech, read_ljspeech
from fastspeak.data.corpora.teacher import is_teacher_corpus, read_teacher
from fastspeak.data.corpora.vctk import looks_like_vctk, read_vctk
from fastspeak.data.types import Utterance

__all__ = [
    "READERS",
    "CorpusError",
    "Skipped",
    "detect_format",
    "read_aishell3",
    "read_corpus",
    "read_csv",
    "read_libritts",
    "read_ljspeech",
    "read_teacher",
    "read_vctk",
]

Reader = Callable[..., list[Utterance]]

READERS: dict[str, Reader] = {
    "ljspeech": read_ljspeech,
    "vctk": read_vctk,
    "libritts": read_libritts,
    "aishell3": read_aishell3,
    "csv": read_csv,
    "teacher": read_teacher,
}

# most specific first: a teacher corpus also looks like LJSpeech, LJSpeech like a table
_DETECTORS = (
    ("teacher", is_teacher_corpus),
    ("ljspeech", looks_like_ljspeech),
    ("vctk", looks_like_vctk),
    ("aishell3", looks_like_aishell3),
    ("libritts", looks_like_libritts),
    ("csv", looks_like_table),
)


def detect_format(root: str | os.PathLike[str]) -> str:
    """Name of the reader (a key of READERS) for the corpus at ``root``."""
    path = as_path(root)
    if not path.exists():
        raise CorpusError(f"corpus root {path} does not exist")
    if path.is_file():
        folder_format = next(
            (name for name, looks_like in _DETECTORS[:-1] if looks_like(path.parent)), None
        )
        if path.name == "metadata.csv" and folder_format is not None:  # LJSpeech's, a teacher's
            raise CorpusError(
                f"{path} belongs to the {folder_format} corpus in {path.parent}: pass the "
                f"folder, --data {path.parent}"
            )
        if looks_like_table(path):
            return "csv"
        raise CorpusError(
            f"{path} is a file but not a table (.csv/.tsv/.psv); pass a corpus folder or a table"
        )
    for name, looks_like in _DETECTORS:
        if looks_like(path):
            return name
    raise CorpusError(
        f"cannot tell the corpus format of {path}: expected corpus.json (teacher), metadata.csv + "
        "wavs/ (ljspeech), wav48_silence_trimmed/ or wav48/ + txt/ (vctk), train|test/content.txt "
        "(aishell3), <spk>/<chapter>/*.normalized.txt (libritts) or one .csv/.tsv table; "
        f"or pass --format, one of {sorted(READERS)}"
    )


def read_corpus(
    root: str | os.PathLike[str],
    format: str = "auto",
    alignments: str | os.PathLike[str] | None = None,
    *,
    skipped: list[Skipped] | None = None,
    **options: Any,
) -> list[Utterance]:
    """Read the corpus at ``root`` with the named reader (``"auto"``: detect_format).

    ``options`` go to the reader, e.g. ``mic="mic2"`` (vctk), ``transcript="pinyin"`` (aishell3).
    """
    if format == "auto":
        format = detect_format(root)
    reader = READERS.get(format)
    if reader is None:
        raise CorpusError(
            f"unknown corpus format {format!r} for {as_path(root)}; "
            f"choose one of {sorted(READERS)} or 'auto'"
        )
    return reader(root, alignments, skipped=skipped, **options)
