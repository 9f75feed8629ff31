"""Abbreviations: ``Dr. Mr. Mrs. St. etc. e.g. i.e. vs. No. Vol.`` and the like, initials.

An abbreviation's or initial's period still ends a sentence before a usual sentence start
(``Main St. It is`` -> ``Main Street. It is``) and not inside a name (``John F. Kennedy``).
Dotted initialisms become compact (``U.S.`` -> ``US``) and ``a.m.``/``p.m.`` become
``AM``/``PM``.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.dates import _MONTH_ABBREVIATIONS, _MONTHS

_MONTH_NAMES = frozenset(_MONTHS)

_TITLES = {
    "Mr": "mister",
    "Mrs": "missus",
    "Ms": "miz",
    "Messrs": "messieurs",
    "Prof": "professor",
    "Mt": "mount",
    "Gen": "general",
    "Capt": "captain",
    "Lt": "lieutenant",
    "Col": "colonel",
    "Sgt": "sergeant",
    "Rev": "reverend",
    "Hon": "honorable",
    "Gov": "governor",
    "Sen": "senator",
    "Rep": "representative",
    "Pres": "president",
    "Fr": "father",
    "Ft": "fort",
}
"""Abbreviations that precede a name: the period never ends a sentence."""

_TRAILING = {
    "jr": "junior",
    "sr": "senior",
    "etc": "et cetera",
    "inc": "incorporated",
    "ltd": "limited",
    "corp": "corporation",
    "co": "company",
    "bros": "brothers",
    "ave": "avenue",
    "blvd": "boulevard",
    "rd": "road",
    "dept": "department",
    "approx": "approximately",
    "est": "established",
}
"""Abbreviations that may end a sentence: the period is kept before a capital or the end."""

_TITLES_NO_PERIOD = {"Mr": "mister", "Mrs": "missus", "Ms": "miz", "Dr": "doctor"}
_TITLE_RE = re.compile(r"\b(" + "|".join(_TITLES) + r")\.(?=\s|$)")
_TITLE_NO_PERIOD_RE = re.compile(r"\b(Mr|Mrs|Ms|Dr)\b(?=\s[A-Z])")
_TRAILING_RE = re.compile(r"\b(" + "|".join(_TRAILING) + r")\.", re.IGNORECASE)
_VERSUS_RE = re.compile(r"\bvs\b\.?", re.IGNORECASE)
_DOCTOR_RE = re.compile(r"\b(?P<before>[A-Z][a-z]+\s)?Dr\.")
_SAINT_RE = re.compile(r"\bSt\.")
_NUMBER_ABBREVIATIONS = {"no": "number", "nos": "numbers", "vol": "volume", "vols": "volumes"}
_NUMBER_ABBREVIATION_RE = re.compile(
    r"\b(?:(No|Nos|no|nos)\.\s?(?=\d|(?!I\b)[IVX]+\b)|(Vol|Vols|vol|vols)\.\s?(?=\d|[IVX]+\b))"
)
"""``No.`` before digits or a numeral other than a lone ``I`` ("No. I don't" is the word no and
the pronoun); ``Vol.`` before digits or any numeral."""
_MONTH_ABBREVIATION_RE = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.(?=\s\d)"
)
_LATIN_RE = re.compile(r"\b(e\.\s?g|i\.\s?e)\.?(?=[\s,;:]|$)", re.IGNORECASE)
_AMPM_RE = re.compile(r"\b([AaPp])\.[Mm]\.")
_INITIALISM_RE = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_INITIAL_RE = re.compile(r"\b([A-Z])\.(?=\s+[A-Z])")
_NEXT_WORD_RE = re.compile(r"\s+([A-Z][a-z]*)\b(?!\.)")

SENTENCE_STARTERS = frozenset(
    "A After An And As At But For He Her His How I If In It Its My No On Our She So That The "
    "Their Then There These They This Those We What When Where Who Why You Your".split()
)
"""Words that after an abbreviation's period mean a new sentence ("Main St. It is"), where a
name would not ("St. Louis")."""


_GOES_ON_AFTER_ABBREVIATION = frozenset(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday "
    "NE NW SE SW ET PT CT MT EST EDT PST PDT CST CDT MST MDT GMT UTC BST CET".split()
)
"""Capitalised words that go on the phrase after an abbreviation's period ("5 p.m. Friday",
"Pennsylvania Ave. NW", "3 p.m. EST"), not start a new sentence; a month goes on only
before a day's number ("5 p.m. March 3", not "9 p.m. May we suggest"), "Day" only after
"Jr."/"Sr." ("King Jr. Day", not "6 p.m. Day passes")."""
_AFTER_WORD_RE = re.compile(r"\s+([A-Z][A-Za-z]*)\b(?![-&'])(\s+\d)?")


def _keeps_period(text: str, end: int) -> bool:
    """An abbreviation's period also ends the sentence at the end of text or before a capital,
    except before a word that goes on the phrase (:data:`_GOES_ON_AFTER_ABBREVIATION`)."""
    rest = text[end:]
    if not rest.strip():
        return True
    after = _AFTER_WORD_RE.match(rest)
    if after is None:
        return bool(re.match(r"\s+[A-Z]", rest))
    word = after[1]
    goes_on = (
        word in _GOES_ON_AFTER_ABBREVIATION
        or (word in _MONTH_NAMES and after[2] is not None)
        or (word in ("Day", "DAY") and text[:end].upper().endswith(("JR.", "SR.")))
    )
    return not goes_on


def _sentence_follows(text: str, end: int, *, pronoun_i: bool = True) -> bool:
    """True at the end of text or before a word from :data:`SENTENCE_STARTERS`; with
    ``pronoun_i=False`` the pronoun ``I`` does not count ("In the U.S. I lived" goes on)."""
    if not text[end:].strip():
        return True
    match = _NEXT_WORD_RE.match(text, end)
    if match is None or (match[1] == "I" and not pronoun_i):
        return False
    return match[1] in SENTENCE_STARTERS


def _starts_sentence(text: str, start: int) -> bool:
    """True when ``start`` is at the start of text or just after a sentence's end mark (or an
    opening quote or bracket)."""
    before = text[:start].rstrip()
    return not before or before[-1] in ".?!:;…\"'(["


def _name_follows(text: str, end: int) -> bool:
    """True before a capitalised word that is not a usual sentence start ("St. Louis")."""
    return bool(re.match(r"\s+[A-Z]", text[end:])) and not _sentence_follows(text, end)


def _period_if_kept(text: str, end: int) -> str:
    return "." if _keeps_period(text, end) else ""


_HOUSE_NUMBER_RE = re.compile(r"\b\d+[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){0,2}$")
_STREET_PREPOSITION_RE = re.compile(
    r"\b(?:along|at|by|down|from|into|near|not|of|off|on|onto|past|to|toward|towards|up|via)\s+"
    r"(?:[A-Z][a-z]+\s+){0,2}$"
)


def _doctor(match: re.Match[str]) -> str:
    """``Dr.`` after a capitalised word is Drive only with a street cue: a house number before
    the street name ("12 Oak Dr. Smith lives", "5 Lake Shore Dr."), or a preposition before it
    ("on", "at", "onto", "down", "of"...) when the end, a mark or a new sentence follows ("on Elm Dr.
    The house" -> "on Elm Drive. The house"); otherwise Doctor ("Ask Dr. Who", "Thanks Dr. I
    will", "Good Morning Dr. How are you", "Dr. Smith")."""
    before, text, end = match["before"] or "", match.string, match.end()
    rest = text[end:].lstrip()
    start = match.start()
    street = bool(before) and (
        _HOUSE_NUMBER_RE.search(text, max(0, start - 60), start) is not None
        or (
            _STREET_PREPOSITION_RE.search(text, max(0, start - 60), start) is not None
            and (not rest or rest[0] in ",.;:!?" or _sentence_follows(text, end))
        )
    )
    if street:
        return f"{before}Drive{_period_if_kept(text, end)}"
    return f"{before}Doctor"


def _saint(match: re.Match[str]) -> str:
    """``St.`` before a name is Saint ("St. Louis"); otherwise Street, keeping the sentence
    end ("Main St. It is" -> "Main Street. It is")."""
    if _name_follows(match.string, match.end()):
        return "Saint"
    return f"Street{_period_if_kept(match.string, match.end())}"


def _trailing(match: re.Match[str]) -> str:
    """``Jr.`` -> "Junior", ``etc.`` -> "et cetera"; ``EST.`` written in capitals is a time
    zone ("3 p.m. EST.") and ``CO.`` after a comma a state ("Denver, CO."): they stay."""
    if match[1] == "EST" or (match[1] == "CO" and match.string[: match.start()].endswith(", ")):
        return match.group()
    word = _TRAILING[match[1].lower()]
    if match[1][0].isupper():
        word = word.capitalize()
    return f"{word}{_period_if_kept(match.string, match.end())}"


def _number_abbreviation(match: re.Match[str]) -> str:
    """``No. 5`` -> "Number five", ``vol. II`` -> "volume two" (case as written)."""
    abbreviation = match[1] or match[2]
    word = _NUMBER_ABBREVIATIONS[abbreviation.lower()]
    return f"{word.capitalize() if abbreviation[0].isupper() else word} "


def _initialism(match: re.Match[str]) -> str:
    """``U.S.`` -> ``US``; the period stays at the end of text and before a new sentence
    ("the U.K. My sister" -> "the UK. My sister"), though not before ``I`` ("In the U.S. I
    lived" is one sentence)."""
    letters = match.group().replace(".", "").upper()
    ends = _sentence_follows(match.string, match.end(), pronoun_i=False)
    return f"{letters}{'.' if ends else ''}"


def _initial(match: re.Match[str]) -> str:
    """A single capital's period is dropped before a name ("John F. Kennedy", "met J. Smith",
    "J. K. Rowling") and kept at the end of text or before a new sentence ("plan B. The
    first", "an A. His sister"); ``I`` after it does not start a sentence."""
    ends = _sentence_follows(match.string, match.end(), pronoun_i=False)
    return match.group() if ends else match[1]


def _expand_abbreviations(text: str) -> str:
    text = _LATIN_RE.sub(lambda m: " for example" if m[1][0] in "eE" else " that is", text)
    text = _AMPM_RE.sub(lambda m: f"{m[1].upper()}M{_period_if_kept(m.string, m.end())}", text)
    text = _NUMBER_ABBREVIATION_RE.sub(_number_abbreviation, text)
    text = _MONTH_ABBREVIATION_RE.sub(lambda m: _MONTH_ABBREVIATIONS[m[1].lower()[:3]], text)
    text = _DOCTOR_RE.sub(_doctor, text)
    text = _SAINT_RE.sub(_saint, text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m[1]].capitalize(), text)
    text = _TITLE_NO_PERIOD_RE.sub(lambda m: _TITLES_NO_PERIOD[m[1]].capitalize(), text)
    text = _TRAILING_RE.sub(_trailing, text)
    text = _VERSUS_RE.sub("versus", text)
    text = _INITIALISM_RE.sub(_initialism, text)
    return _INITIAL_RE.sub(_initial, text)
