"""Acronyms: which all-caps words are read letter by letter.

All-caps tokens are kept as written (``FBI``, ``NASA``); :func:`is_spelled_acronym` decides
whether one is read letter by letter. espeak-ng (and so the piper teacher) applies its own, good,
acronym rules to the compact form, while a spaced ``A`` (``"D N A"``) would be read as the article
"uh" — so spelling happens in the phonemisers, not here.
"""

from __future__ import annotations

import functools
import re

_ONSETS = frozenset(
    "B C D F G H J K L M N P Q R S T V W X Z BL BR CH CL CR DR DW FL FR GL GN GR KN KR PH PL PR "
    "PS QU SC SCH SCR SH SHR SK SL SM SN SP SPL SPR SQU ST STR SW TH THR TR TW WH WR".split()
) | {""}
_CODAS = frozenset(
    "B C D F G H K L M N P R S T V W X Z CH CK CT FT GH LB LD LF LK LL LM LP LS LT MB MP MS ND NG "
    "NK NS NT PH PS PT RB RC RD RF RG RK RL RM RN RP RS RT SH SK SP SS ST TH TS TCH".split()
) | {""}
SPELLED_ACRONYMS = frozenset("AI AM PM CEO CFO COO CTO EU UK UN US USA UFO IOU ID IQ OJ".split())
"""Pronounceable-looking acronyms that are nevertheless read letter by letter."""
WORD_ACRONYMS = frozenset("NASA NATO UNESCO UNICEF LASER RADAR SCUBA AIDS OPEC FIFA".split())
"""Acronyms read as words even where the pronounceability rule would spell them."""

_SYLLABLE_RE = re.compile(r"^([^AEIOUY]*)([AEIOUY]+(?:[^AEIOUY]{1,2}[AEIOUY]+)*)([^AEIOUY]*)$")


@functools.lru_cache(maxsize=4096)
def is_spelled_acronym(word: str) -> bool:
    """True if an all-caps word of 2-5 letters is read letter by letter (``FBI``, ``DNA``).

    Rule: listed in :data:`SPELLED_ACRONYMS`, or not in :data:`WORD_ACRONYMS` and not shaped
    like an English syllable chain (no vowel, an initial or final consonant cluster English
    does not use, or three consonants in a row). ``NASA``, ``LOVE`` and ``HELP`` are words.
    """
    if not (2 <= len(word) <= 5 and word.isascii() and word.isalpha() and word.isupper()):
        return False
    if word in SPELLED_ACRONYMS:
        return True
    if word in WORD_ACRONYMS:
        return False
    match = _SYLLABLE_RE.match(word)
    if match is None:
        return True
    onset, _, coda = match.groups()
    return onset not in _ONSETS or coda not in _CODAS


_SHOUTED_SENTENCE_RE = re.compile(r"[^.!?;:\n]+[.!?;:\n]*")
_CAPS_WORD_RE = re.compile(r"\b[A-Z]+(?:'[A-Z]+)?\b")
_PRONOUN_RE = re.compile(
    r"(?<!\bTHE )(?<!\bIN )\b(IT|US)\b(?=(?P<next>\s+[A-Z']+\b|\s*[.!?]|\s*$))"
)
_AFTER_PRONOUN = {
    "IT": frozenset(
        "AGAIN ALL ANYWAY BACK CAN COULD DID DIDN'T DOES DOESN'T DOWN HAD HAS HERE IS ISN'T "
        "MIGHT MUST NOW OFF ON OUT SO THERE TODAY TOO UP WAS WASN'T WILL WON'T WOULD".split()
    ),
    "US": frozenset("AGAIN ALL BACK HERE NOW OUT SO THERE TODAY TOO UP".split()),
}
"""Words after which, in a shouted sentence, ``IT`` and ``US`` are the pronouns ("DO IT NOW",
"IT IS TIME", "JOIN US TODAY"); before a noun they stay the acronyms ("US TROOPS", "IT
SUPPORT")."""


def read_shouted_words(text: str) -> str:
    """In a sentence written all in capitals (three capitalised words at least, no lowercase
    letter), the pronouns ``IT`` and ``US`` at the sentence's end or before a word of
    :data:`_AFTER_PRONOUN` ("DO IT NOW", "CONTACT US TODAY!", "TALK TO US") and ``AM`` after
    ``I`` ("I AM SO HAPPY") are the words, not acronyms; "THE US", "IN IT", "US TROOPS",
    "Members: US, UK" and text in normal case keep the acronym."""

    def pronoun(match: re.Match[str]) -> str:
        following = match["next"].strip()
        if not following or following[0] in ".!?" or following in _AFTER_PRONOUN[match[1]]:
            return match[1].lower()
        return match[1]

    def sentence(match: re.Match[str]) -> str:
        part = match.group()
        if any(char.islower() for char in part) or len(_CAPS_WORD_RE.findall(part)) < 3:
            return part
        part = _PRONOUN_RE.sub(pronoun, part)
        return re.sub(r"(?<=\bI )AM\b", "am", part)

    return _SHOUTED_SENTENCE_RE.sub(sentence, text)
