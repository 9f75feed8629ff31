"""Unicode folding: any text -> printable ASCII and the symbols later rules read.

Quotes and dashes are folded, other non-ASCII letters and digits are transliterated with
``unidecode`` (``Привет`` -> ``Privet``, ``café`` -> ``cafe``). Control characters, format
characters (zero-width joiners, bidi marks), emoji and other symbols are **dropped** silently when
the rest of the text is speakable. Currency signs (``£ € ¥ ₹ ¢``) are kept for the later rules,
``°`` and ``×`` become words, ``½ ¼ ¾`` become fractions. Letters that ``unidecode`` cannot
transliterate raise :class:`TextError`.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from fastspeak.text.errors import TextError
from fastspeak.text.normalize.cleanup import _DASH, _ELLIPSIS

_FOLD: dict[str, str] = {
    "\u2014": f" {_DASH} ",  # em dash
    "\u2015": f" {_DASH} ",  # horizontal bar
    "\u2013": "-",  # en dash: range between digits, dash when spaced
    "\u2012": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",  # minus sign
    "\u2026": _ELLIPSIS,
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "\u02bc": "'",
    "£": "£",
    "€": "€",
    "¥": "¥",
    "₹": "₹",
    "°": " degrees ",
    "\u2103": " degrees C ",  # ℃
    "\u2109": " degrees F ",  # ℉
    "×": " times ",
    "¢": "¢",
    "\u00bd": " 1/2 ",
    "\u00bc": " 1/4 ",
    "\u00be": " 3/4 ",
}

_NON_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Map one non-printable-ASCII character to ASCII text (or one of the kept symbols)."""
    if char in _FOLD:
        return _FOLD[char]
    category = unicodedata.category(char)
    major = category[0]
    if major == "Z" or char in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
        return " "
    if major in "CSM":
        # controls, format chars, surrogates, private use, unassigned; emoji and other
        # symbols; stray combining marks left after NFC: dropped
        return ""
    from unidecode import UnidecodeError, unidecode  # imported on first use: vocabularies
    # (and so training) do not need the normaliser's dependencies

    try:
        folded = unidecode(char, errors="strict")
    except UnidecodeError:
        folded = None
    if folded is None or "[?]" in folded:
        if major == "L" and category != "Lm":
            raise _Untransliterable(char)
        return ""
    return folded


class _Untransliterable(Exception):
    def __init__(self, char: str) -> None:
        super().__init__(char)
        self.char = char


_GLUED_TIMES = re.compile(r"(?<=\d)\u00d7(?=\d)")
"""``1920×1080``: an ``x`` for the digit rules (dimensions, "by"); a spaced ``×`` is times."""


def _fold_unicode(text: str) -> str:
    text = _GLUED_TIMES.sub("x", unicodedata.normalize("NFC", text))
    if text.isascii() and text.isprintable():
        return text
    try:
        return _NON_PRINTABLE_ASCII.sub(lambda match: _fold_char(match.group()), text)
    except _Untransliterable as error:
        char = error.char
        name = unicodedata.name(char, "unnamed character")
        raise TextError(
            f"text contains the letter {char!r} (U+{ord(char):04X} {name}), which cannot be "
            "transliterated to Latin letters; the frontend speaks English only, so remove it or "
            "write the text in romanised form"
        ) from None
