"""Shared pieces of the corpus readers: errors, skip reports, alignment lookup, id rules.

Every reader returns ``list[Utterance]`` sorted by id, with ids unique in the corpus. What a
reader cannot use (a wav without a transcript, a metadata row whose audio is missing) is not
dropped silently: it is appended to the caller's ``skipped`` list as a :class:`Skipped` and
summarised in one warning on the ``fastspeak.data.corpora`` logger.
"""

from __future__ import annotations

import logging
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from fastspeak.data.types import Utterance

logger = logging.getLogger("fastspeak.data.corpora")

HELD_OUT_FILE = "held_out.txt"
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
_UNSAFE_ID_CHARS = re.compile(r"[^\w.-]")


class CorpusError(ValueError):
    """A corpus on disk is not what its reader expects (the message names path and fix)."""


@dataclass(frozen=True)
class Skipped:
    """An item a reader could not turn into an utterance, and why."""

    path: Path
    reason: str


def as_path(path: str | os.PathLike[str]) -> Path:
    return Path(path).expanduser()


def require_dir(root: str | os.PathLike[str], format: str) -> Path:
    """``root`` as a Path; CorpusError unless it is an existing directory."""
    path = as_path(root)
    if not path.exists():
        raise CorpusError(f"{format} corpus root {path} does not exist")
    if not path.is_dir():
        raise CorpusError(f"{format} corpus root {path} is not a directory; pass the corpus folder")
    return path


def require_file(path: Path, expected: str) -> Path:
    if not path.is_file():
        raise CorpusError(f"missing {path}: expected {expected}")
    return path


def safe_id(raw: str) -> str:
    """Make ``raw`` safe as a file name: anything but word characters, '.' and '-' becomes '_'."""
    cleaned = _UNSAFE_ID_CHARS.sub("_", raw.strip())
    if not cleaned or cleaned.startswith("."):
        cleaned = "_" + cleaned
    return cleaned


def speaker_id(speaker: str, stem: str) -> str:
    """Utterance id for a multi-speaker corpus: ``<speaker>_<stem>`` unless the stem already
    starts with the speaker name (VCTK ``p225_001``, LibriTTS ``84_121123_...``, AISHELL-3
    ``SSB00050001``), so ids stay unique when several speakers reuse file names."""
    if stem.startswith(speaker):
        return safe_id(stem)
    return safe_id(f"{speaker}_{stem}")


def build_utterance(
    utterance_id: str,
    stem: str,
    audio: Path,
    text: str,
    speaker: str,
    index: AlignmentIndex,
    held_out: HeldOut,
) -> Utterance:
    """An Utterance whose TextGrid and held-out flag are looked up by file stem or id."""
    return Utterance(
        id=utterance_id,
        audio_path=audio,
        text=text,
        speaker=speaker,
        alignment_path=index.find(stem, utterance_id, speaker=speaker),
        held_out=held_out.any(stem, utterance_id),
    )


def read_text(path: Path) -> str:
    """A transcript file's stripped text (UTF-8, falling back to Latin-1 for old corpora)."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return " ".join(text.split())


def read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 text file without line endings (a BOM is dropped)."""
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path} is not UTF-8 text ({error}); re-save it as UTF-8") from error


class HeldOut:
    """Ids listed in ``<root>/held_out.txt`` (one per line; blank lines and '#' comments ignored)."""

    def __init__(self, root: Path) -> None:
        path = root / HELD_OUT_FILE
        self.ids: frozenset[str] = frozenset()
        if path.is_file():
            entries = (line.split("#", 1)[0].strip() for line in read_lines(path))
            self.ids = frozenset(entry for entry in entries if entry)

    def __contains__(self, utterance_id: object) -> bool:
        return utterance_id in self.ids

    def any(self, *ids: str) -> bool:
        return any(i in self.ids for i in ids)


class AlignmentIndex:
    """TextGrids found anywhere under a directory, looked up by file stem.

    Covers every layout in use: ``<dir>/<id>.TextGrid``, ``<dir>/<speaker>/<id>.TextGrid`` (MFA
    output for multi-speaker corpora, teacher corpora), ``<dir>/LJSpeech/<id>.TextGrid``
    (ming024's FastSpeech2 preprocessing) and deeper mirrors such as LibriTTS
    ``<dir>/<speaker>/<chapter>/<id>.TextGrid``. When one stem occurs in several folders, the
    one under the utterance's speaker folder wins.
    """

    def __init__(self, directory: Path | None, *, required: bool = False) -> None:
        self.directory = directory
        self.given = required  # named by the user (--alignments), not a reader's default
        self._by_stem: dict[str, list[Path]] = defaultdict(list)
        if directory is None:
            return
        if not directory.is_dir():
            if required:
                raise CorpusError(
                    f"alignment directory {directory} is not a directory; pass the folder that "
                    "holds the <id>.TextGrid files (MFA output)"
                )
            return
        for dirpath, _dirnames, filenames in os.walk(directory):
            for name in filenames:
                stem, suffix = os.path.splitext(name)
                if suffix.lower() == ".textgrid":
                    self._by_stem[stem].append(Path(dirpath) / name)

    @classmethod
    def for_reader(
        cls, alignments: str | os.PathLike[str] | None, default: Path | None = None
    ) -> AlignmentIndex:
        """The index for a corpus reader's ``alignments`` argument: that folder, which must
        exist, or when it is None the reader's ``default`` folder, used only if present."""
        if alignments is not None:
            return cls(as_path(alignments), required=True)
        return cls(default)

    def __len__(self) -> int:
        return sum(len(paths) for paths in self._by_stem.values())

    def find(self, *stems: str, speaker: str | None = None) -> Path | None:
        """The TextGrid for the first of ``stems`` that has one, or None."""
        for stem in stems:
            candidates = self._by_stem.get(stem)
            if not candidates:
                continue
            if len(candidates) == 1:
                return candidates[0]
            assert self.directory is not None
            if speaker is not None:
                own = [p for p in candidates if speaker in p.relative_to(self.directory).parts[:-1]]
                if len(own) == 1:
                    return own[0]
            shallow = [p for p in candidates if p.parent == self.directory]
            if len(shallow) == 1:
                return shallow[0]
            listed = ", ".join(str(p) for p in sorted(candidates)[:4])
            raise CorpusError(
                f"several TextGrids for utterance {stem!r} under {self.directory}: {listed}; "
                "keep one per utterance (or one per speaker folder)"
            )
        return None


def finish(
    utterances: list[Utterance],
    *,
    root: Path,
    format: str,
    problems: list[Skipped],
    skipped: list[Skipped] | None,
    alignments: AlignmentIndex | None = None,
) -> list[Utterance]:
    """Report what was skipped, check the result is usable, and sort it by id."""
    if skipped is not None:
        skipped.extend(problems)
    if problems:
        shown = "; ".join(f"{p.path}: {p.reason}" for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        logger.warning(
            "%s corpus %s: skipped %d item(s): %s%s", format, root, len(problems), shown, more
        )
    if not utterances:
        raise CorpusError(
            f"no utterances found in {format} corpus {root}"
            + (
                f" ({len(problems)} item(s) skipped, first: {problems[0].reason})"
                if problems
                else ""
            )
            + "; check the path and the format"
        )
    counts = Counter(u.id for u in utterances)
    duplicates = sorted(i for i, n in counts.items() if n > 1)
    if duplicates:
        examples = [u for u in utterances if u.id == duplicates[0]]
        raise CorpusError(
            f"{format} corpus {root}: {len(duplicates)} utterance id(s) occur more than once, "
            f"e.g. {duplicates[0]!r} for {', '.join(str(u.audio_path) for u in examples)}; "
            "give the audio files distinct names"
        )
    if alignments is not None and alignments.given and len(alignments) == 0:
        logger.warning(
            "%s corpus %s: 0 TextGrids found under %s (searched recursively); pass the "
            "folder that holds the <id>.TextGrid files (MFA output)",
            format,
            root,
            alignments.directory,
        )
    elif alignments is not None and alignments.directory is not None and len(alignments) > 0:
        missing = sum(1 for u in utterances if u.alignment_path is None)
        if missing:
            logger.warning(
                "%s corpus %s: %d of %d utterances have no TextGrid under %s",
                format,
                root,
                missing,
                len(utterances),
                alignments.directory,
            )
    return sorted(utterances, key=lambda u: u.id)
