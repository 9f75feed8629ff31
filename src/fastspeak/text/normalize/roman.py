"""Roman numerals after a capitalised word.

``World War II`` -> ``World War two``, ``Final Fantasy VII`` -> ``Final Fantasy seven``,
``Henry VIII`` -> ``Henry the eighth``.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.abbreviations import SENTENCE_STARTERS, _starts_sentence
from fastspeak.text.normalize.context import _word_after
from fastspeak.text.normalize.numbers import number_to_words, ordinal_to_words

_ROMAN_RE = re.compile(
    r"\b(?P<before>[A-Z][A-Za-z]*)(?P<space>\s+)"
    r"(?P<numeral>X{0,3}(?:IX|IV|V?I{0,3}))(?<=[IVX])\b"
)
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}
ROMAN_CARDINAL_WORDS = frozenset(
    "Act Annex Apollo Appendix Article Book Bowl Canto Category Chapter Class Count Division "
    "Episode Exhibit Figure Gemini Grade Item Level Mark Number Part Phase Psalm Round Scene "
    "Schedule Season Section Stage Table Tier Title Type Vatican Volume War Ww".split()
)
"""Heading words after which a Roman numeral, even a lone ``V`` or ``X``, is a cardinal
("World War II" -> "World War two", "Part V" -> "Part five")."""

ROMAN_REGNAL_WORDS = frozenset(
    "Albert Alexander Alfonso Amenhotep Anne Baldwin Benedict Boniface Catherine Charles Clement Constantine "
    "Darius Edward Elizabeth Ferdinand Francis Frederick George Gregory Gustav Gustavus Haakon "
    "Harald Harold Henry Innocent Ivan James John Juan King Leo Louis Mary Napoleon Nicholas Paul Peter Philip "
    "Pius Pope Ptolemy Queen Rameses Ramses Richard Robert Sixtus Stephen Thutmose Urban "
    "Wilhelm William".split()
)
"""Regnal names and titles after which a Roman numeral is "the" and an ordinal ("Henry VIII"
-> "Henry the eighth", "Pope John Paul II" -> "Pope John Paul the second")."""

_GIVEN_NAMES = frozenset(
    "Andrew Anthony Arthur Bill Bob Christopher Daniel David Donald Frank Harry Howard Jack Jim "
    "Joe Joseph Kenneth Martin Michael Robert Samuel Steven Ted Thomas Tom Walter".split()
)
"""Given names that, with :data:`ROMAN_REGNAL_WORDS`, make "Given Surname III" a generational
suffix ("John Smith III" -> "John Smith the third")."""

_MEDICAL_WORDS = frozenset(
    "access acetaminophen antibiotic antibiotics bag bags catheter drip drips fentanyl fluid "
    "fluids heparin infusion insulin line lines medication medications morphine paracetamol "
    "push saline site therapy tylenol vancomycin".split()
)
"""Words next to which ``IV`` is intravenous, not four ("Morphine IV", "IV fluids")."""

_NAME_BEFORE_RE = re.compile(r"\b([A-Z][a-z]+)\s+$")


def roman_to_int(numeral: str) -> int:
    """``"XIV"`` -> 14 (letters I, V, X; subtractive pairs)."""
    values = [_ROMAN_VALUES[letter] for letter in numeral]
    return sum(
        -value if value < after else value
        for value, after in zip(values, [*values[1:], 0], strict=True)
    )


def _is_title_numeral(match: re.Match[str]) -> bool:
    """A numeral after another capitalised word is a title's number (a sequel, "Rocky IV",
    "Final Fantasy VII") unless that word is all capitals ("ITEM VI IS"), ``XXX`` (a rating),
    ``IV`` or ``VI`` after a word that starts the sentence ("Start IV fluids", "Use VI or
    Emacs": a verb), or ``IV`` by a medical word ("Morphine IV", "IV fluids")."""
    before, numeral, text = match["before"], match["numeral"], match.string
    if numeral == "XXX" or (len(before) > 1 and before.isupper()):
        return False
    if numeral in ("IV", "VI") and _starts_sentence(text, match.start()):
        return False
    if numeral == "IV":
        neighbours = {before.lower(), _word_after(text, match.end()).lower()}
        return not neighbours & _MEDICAL_WORDS
    return True


def _is_generational(match: re.Match[str]) -> bool:
    """II to IV after "Given Surname" is a generational suffix ("John Smith III")."""
    if match["numeral"] not in ("II", "III", "IV"):
        return False
    name = _NAME_BEFORE_RE.search(match.string, max(0, match.start() - 30), match.start())
    return name is not None and (name[1] in ROMAN_REGNAL_WORDS or name[1] in _GIVEN_NAMES)


def _roman(match: re.Match[str]) -> str:
    """II to XXXIX after a capitalised word: a cardinal after a heading word
    (:data:`ROMAN_CARDINAL_WORDS`), "the" and an ordinal after a regnal name
    (:data:`ROMAN_REGNAL_WORDS`) or as a generational suffix (:func:`_is_generational`), a
    cardinal after another title word (:func:`_is_title_numeral`).
    A lone ``I`` is never a numeral, and a lone ``V`` or ``X`` only after a heading word or a
    regnal name ("Part V", "Henry V"; "Malcolm X" stays), and not before a capitalised word:
    there it is a middle initial ("James V. Forrestal")."""
    before, numeral = match["before"], match["numeral"]
    if numeral == "I" or before in SENTENCE_STARTERS:
        return match.group()
    if len(numeral) == 1 and re.match(r"\.?\s+[A-Z][a-z]", match.string[match.end() :]):
        return match.group()
    value = str(roman_to_int(numeral))
    if before.capitalize() in ROMAN_CARDINAL_WORDS:
        words = number_to_words(value)
    elif before.capitalize() in ROMAN_REGNAL_WORDS or _is_generational(match):
        words = f"the {ordinal_to_words(value)}"
    elif len(numeral) > 1 and _is_title_numeral(match):
        words = number_to_words(value)
    else:
        return match.group()
    return f"{before}{match['space']}{words}"


def _read_roman_numerals(text: str) -> str:
    """Every Roman numeral after a capitalised word in ``text`` -> words (:func:`_roman`)."""
    return _ROMAN_RE.sub(_roman, text)
