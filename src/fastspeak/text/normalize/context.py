"""The words around a rule's match, which several rules look at to choose a reading."""

from __future__ import annotations

import re

_WORD_BEFORE_RE = re.compile(r"([A-Za-z]+)[\s:]*$")
_WORD_AFTER_RE = re.compile(r"\s+([A-Za-z]+)")


def _word_before(text: str, start: int) -> str:
    """The lowercased word just before ``start`` ("" when there is none)."""
    match = _WORD_BEFORE_RE.search(text, max(0, start - 40), start)
    return match[1].lower() if match else ""


def _word_after(text: str, end: int) -> str:
    """The word after ``end`` across spaces, as written ("" before a mark or the end)."""
    match = _WORD_AFTER_RE.match(text, end)
    return match[1] if match else ""


def _has_plural_ending(word: str) -> bool:
    """An ``-s`` plural by its ending ("shares", not "glass", "bus", "this")."""
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is"))
