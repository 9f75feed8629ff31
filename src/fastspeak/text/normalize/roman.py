"""Roman numerals after a capitalised word.

``World War II`` -> ``World War two``, ``Henry VIII`` -> ``Henry the eighth``.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.abbreviations import SENTENCE_STARTERS
from fastspeak.text.normalize.numbers import number_to_words, ordinal_to_words

_ROMAN_RE = re.compile(
    r"\b(?P<before>[A-Z][A-Za-z]*)(?P<space>\s+)"
    r"(?P<numeral>X{0,3}(?:IX|IV|V?I{0,3}))(?<=[IVX])\b"
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
ROMAN_CARDINAL_WORDS = frozenset(
    "Act Apollo Article Book Bowl Chapter Class Episode Gemini Level Number Part Phase Round "
    "Scene Season Section Stage Title Type Vatican Volume War".split()
)
"""Words after which a Roman numeral is a cardinal ("World War II" -> "World War two"); after
any other capitalised word it is a regnal ordinal ("Henry VIII" -> "Henry the eighth")."""


def roman_to_int(numeral: str) -> int:
    """``"XIV"`` -> 14 (letters I, V, X; subtractive pairs)."""
    values = [_ROMAN_VALUES[letter] for letter in numeral]
    return sum(
        -value if value < after else value
        for value, after in zip(values, [*values[1:], 0], strict=True)
    )


def _roman(match: re.Match[str]) -> str:
    """II to XXXIX after a capitalised word: a cardinal after :data:`ROMAN_CARDINAL_WORDS`,
    "the" and an ordinal after a name. A lone ``I`` is never a numeral, and a lone ``V`` or
    ``X`` only after a cardinal word ("Part V"; "Malcolm X" stays)."""
    before, numeral = match["before"], match["numeral"]
    cardinal = before.capitalize() in ROMAN_CARDINAL_WORDS
    if numeral == "I" or (len(numeral) == 1 and not cardinal) or before in SENTENCE_STARTERS:
        return match.group()
    value = str(roman_to_int(numeral))
    words = number_to_words(value) if cardinal else f"the {ordinal_to_words(value)}"
    return f"{before}{match['space']}{words}"


def _read_roman_numerals(text: str) -> str:
    """Every Roman numeral after a capitalised word in ``text`` -> words (:func:`_roman`)."""
    return _ROMAN_RE.sub(_roman, text)
