"""AISHELL-3 (Shi et al., 2021): Mandarin, 218 speakers.

Layout (``root`` is the corpus folder, or one split folder)::

    <split>/content.txt              <id>.wav<TAB>广 guang3 州 zhou1 ...   (split = train, test)
    <split>/wav/<speaker>/<id>.wav

``content.txt`` alternates characters and tonal pinyin. ``Utterance`` has one text field, so
``transcript`` chooses what goes into it: ``"hanzi"`` (default) joins the characters
("广州..."), ``"pinyin"`` joins the syllables with spaces ("guang3 zhou1 ..."), which a
Mandarin frontend can consume without its own polyphone disambiguation. fastspeak's text
frontend is English-only for now; a Mandarin frontend (pinyin -> initials/finals + tones) is
planned, and the reader already keeps both forms reachable. Both splits are read; the
official test speakers are *not* marked held_out (they are unseen speakers, not held-out
sentences); list ids in ``held_out.txt`` for that.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fastspeak.data.corpora.base import (
    AlignmentIndex,
    CorpusError,
    HeldOut,
    Skipped,
    build_utterance,
    finish,
    read_lines,
    require_dir,
    speaker_id,
)
from fastspeak.data.types import Utterance

SPLITS = ("train", "test")
TRANSCRIPTS = ("hanzi", "pinyin")
_PINYIN = re.compile(r"^[a-zü]+[1-5]$")


def split_dirs(root: Path) -> list[Path]:
    """The split folders (``train``, ``test``) of an AISHELL-3 root, or ``[root]`` for a split."""
    splits = [root / name for name in SPLITS if (root / name / "content.txt").is_file()]
    if not splits and (root / "content.txt").is_file() and (root / "wav").is_dir():
        splits = [root]
    return splits


def looks_like_aishell3(root: Path) -> bool:
    return bool(split_dirs(root))


def parse_content_line(line: str) -> tuple[str, list[str], list[str]] | None:
    """``<id>.wav\\t字 zi4 ...`` -> (file name, characters, pinyin); None if malformed."""
    name, _, rest = line.strip().partition("\t")
    if not rest:
        name, _, rest = line.strip().partition(" ")
    tokens = rest.split()
    hanzi, pinyin = tokens[0::2], tokens[1::2]
    if not tokens or len(hanzi) != len(pinyin) or not name.endswith(".wav"):
        return None
    if not all(_PINYIN.match(syllable) for syllable in pinyin):
        return None
    return name.strip(), hanzi, pinyin


def read_aishell3(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None = None,
    *,
    transcript: str = "hanzi",
    skipped: list[Skipped] | None = None,
) -> list[Utterance]:
    """Read AISHELL-3; ``transcript`` is "hanzi" (characters) or "pinyin" (tonal syllables)."""
    root = require_dir(root, "aishell3")
    if transcript not in TRANSCRIPTS:
        raise CorpusError(
            f"unknown AISHELL-3 transcript {transcript!r}; choose one of {TRANSCRIPTS}"
        )
    splits = split_dirs(root)
    if not splits:
        raise CorpusError(
            f"missing {root / 'train' / 'content.txt'}: expected AISHELL-3 train/ and/or test/ "
            "folders, each with content.txt and wav/<speaker>/<id>.wav"
        )
    index = AlignmentIndex.for_reader(alignments)
    held_out = HeldOut(root)
    utterances: list[Utterance] = []
    problems: list[Skipped] = []
    for split in splits:
        content = split / "content.txt"
        audio_files = {path.name: path for path in (split / "wav").glob("*/*.wav")}
        for number, line in enumerate(read_lines(content), start=1):
            if not line.strip():
                continue
            parsed = parse_content_line(line)
            if parsed is None:
                problems.append(
                    Skipped(content, f"line {number}: expected '<id>.wav<TAB>字 zi4 ...'")
                )
                continue
            name, hanzi, pinyin = parsed
            audio = audio_files.get(name)
            if audio is None:
                problems.append(
                    Skipped(split / "wav" / name, f"line {number} of {content}: no such wav")
                )
                continue
            stem, speaker = audio.stem, audio.parent.name
            utterance_id = speaker_id(speaker, stem)
            text = "".join(hanzi) if transcript == "hanzi" else " ".join(pinyin)
            utterances.append(
                build_utterance(utterance_id, stem, audio, text, speaker, index, held_out)
            )
    return finish(
        utterances,
        root=root,
        format="aishell3",
        problems=problems,
        skipped=skipped,
        alignments=index,
    )
