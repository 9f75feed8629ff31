"""The one record every corpus reader produces."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Utterance:
    """One recording with its transcript.

    Attributes:
        id: unique within a corpus and safe as a file name.
        audio_path: the wav/flac file.
        text: the transcript as the corpus gives it (normalised text where the corpus has it).
        speaker: speaker name; "default" for single-speaker corpora.
        alignment_path: a TextGrid with a phones tier (MFA output or a teacher corpus), if any.
        held_out: True for sentences of the fixed held-out list; they only ever go to test.
    """

    id: str
    audio_path: Path
    text: str
    speaker: str = "default"
    alignment_path: Path | None = None
    held_out: bool = False
