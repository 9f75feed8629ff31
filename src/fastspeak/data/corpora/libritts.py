"""LibriTTS (Zen et al., 2019) and LibriTTS-R (Koizumi et al., 2023), same layout::

    <root>/<subset>/<speaker>/<chapter>/<speaker>_<chapter>_<para>_<sent>.wav
                                        <speaker>_<chapter>_<para>_<sent>.normalized.txt
                                        <speaker>_<chapter>_<para>_<sent>.original.txt

``root`` may be the corpus folder (all subsets found below it are read) or one subset folder
(``train-clean-100``). Text is the ``.normalized.txt`` transcript, falling back to
``.original.txt``; wavs with neither are skipped and reported. Speaker = speaker folder,
id = file stem (it starts with the speaker). Alignments, if given, are found by id anywhere
below ``alignments``.
"""

from __future__ import annotations

import os
from itertools import chain
from pathlib import Path

from fastspeak.data.corpora.base import (
    AlignmentIndex,
    HeldOut,
    Skipped,
    build_utterance,
    finish,
    read_text,
    require_dir,
    speaker_id,
)
from fastspeak.data.types import Utterance


def looks_like_libritts(root: Path) -> bool:
    """A ``*.normalized.txt``/``*.original.txt`` at subset or corpus depth."""
    patterns = (
        f"{'*/' * depth}*.{kind}.txt" for depth in (2, 3) for kind in ("normalized", "original")
    )
    return any(next(root.glob(pattern), None) is not None for pattern in patterns)


def read_libritts(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None = None,
    *,
    skipped: list[Skipped] | None = None,
) -> list[Utterance]:
    """Read LibriTTS or LibriTTS-R, given the corpus root or one subset folder."""
    root = require_dir(root, "libritts")
    index = AlignmentIndex.for_reader(alignments)
    held_out = HeldOut(root)
    utterances: list[Utterance] = []
    problems: list[Skipped] = []
    wavs = chain(root.glob("*/*/*.wav"), root.glob("*/*/*/*.wav"))
    for audio in sorted(wavs):
        stem = audio.name[: -len(".wav")]
        speaker = audio.parent.parent.name
        if not stem.startswith(f"{speaker}_"):
            problems.append(
                Skipped(audio, f"not <speaker>/<chapter>/{speaker}_<chapter>_..._.wav layout")
            )
            continue
        for kind in ("normalized", "original"):
            transcript = audio.with_name(f"{stem}.{kind}.txt")
            if transcript.is_file():
                break
        else:
            problems.append(Skipped(audio, f"no {stem}.normalized.txt or {stem}.original.txt"))
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
        utterances,
        root=root,
        format="libritts",
        problems=problems,
        skipped=skipped,
        alignments=index,
    )
