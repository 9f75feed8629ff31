"""The interface every phone inventory implements, and helpers they share."""

from __future__ import annotations

import re
from typing import Protocol, runtime_checkable

from fastspeak.text.symbols import PUNCTUATION_TOKENS

WORD_OR_PUNCTUATION_RE = re.compile(r"[A-Za-z]+(?:['-][A-Za-z]+)*'?|[.,?!;:—…]")
"""Words (letters with inner ``'``/``-`` and a trailing possessive ``'``) and punctuation of
normalized text."""


@runtime_checkable
class Phonemizer(Protocol):
    """Normalized text -> tokens of one inventory (phones, characters, boundaries)."""

    inventory: str
    """``"arpabet"``, ``"espeak"`` or ``"characters"`` (as in ``TextConfig.inventory``)."""

    def phonemize(self, normalized: str) -> list[str]:
        """Tokens for text already passed through ``normalize_text`` (may be empty)."""
        ...


def words_and_punctuation(normalized: str) -> list[str]:
    """Split normalized text into words and single punctuation characters, in order."""
    return WORD_OR_PUNCTUATION_RE.findall(normalized)


def punctuation_token(char: str) -> str | None:
    """The boundary token of a punctuation character, or None if it is not punctuation."""
    return PUNCTUATION_TOKENS.get(char)
