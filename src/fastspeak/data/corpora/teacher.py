"""fastspeak's own teacher corpora (built by ``fastspeak.data.teacher``).

Recognised by ``root/corpus.json`` containing ``"format": "fastspeak-teacher"``.

Single speaker (LJSpeech layout)::

    metadata.csv   id|text|normalized
    wavs/<id>.wav          textgrids/<id>.TextGrid          held_out.txt

Several speakers (chosen when ``wavs/`` holds speaker folders)::

    metadata.csv   id|speaker|text|normalized
    wavs/<speaker>/<id>.wav    textgrids/<speaker>/<id>.TextGrid    held_out.txt

In multi-speaker corpora the utterance id is ``<speaker>_<id>`` (the same sentence id recurs
for each speaker); ``held_out.txt`` may list either form.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fastspeak.data.corpora.base import CorpusError, Skipped, require_dir, require_file
from fastspeak.data.corpora.ljspeech import read_metadata_corpus
from fastspeak.data.types import Utterance

MANIFEST_FILE = "corpus.json"
TEACHER_FORMAT = "fastspeak-teacher"


def read_manifest(root: Path) -> dict[str, object]:
    path = require_file(root / MANIFEST_FILE, f'a JSON manifest with "format": "{TEACHER_FORMAT}"')
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorpusError(f"{path} is not valid JSON ({error})") from error
    if not isinstance(manifest, dict) or manifest.get("format") != TEACHER_FORMAT:
        raise CorpusError(f'{path} does not say "format": "{TEACHER_FORMAT}"')
    return manifest


def is_teacher_corpus(root: Path) -> bool:
    try:
        read_manifest(root)
    except CorpusError:
        return False
    return True


def read_teacher(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None = None,
    *,
    skipped: list[Skipped] | None = None,
) -> list[Utterance]:
    """Read a teacher corpus; ``alignments`` defaults to its own ``textgrids/``."""
    root = require_dir(root, "teacher")
    read_manifest(root)
    wavs = root / "wavs"
    multi_speaker = wavs.is_dir() and any(child.is_dir() for child in wavs.iterdir())
    return read_metadata_corpus(
        root, alignments, format="teacher", multi_speaker=multi_speaker, skipped=skipped
    )
