"""The digit rules other than money, dates and units.

Negative numbers, decimals, ordinals (``1st``), years (``1984`` -> ``nineteen eighty-four``),
decades (``1990s``) and vague counts (``1,000s`` -> ``thousands``), sizes and multipliers
(``3x3`` -> ``three by three``, ``4x faster`` -> ``four times faster``), fractions and scores
(``3/4`` -> ``three quarters``, ``5/10`` and ``4.5/5`` -> ``out of``, ``24/7``, ``50/50``),
ranges (``1-5``, ``500-1000``, ``9am-5pm``, ``2-3%`` -> ``... to ...``), phone numbers
(``555-1234``, ``1-800-555-1234``, ``(555) 123-4567``, ``+1 555 123 4567``), versions and
addresses (``3.10.4``), scales (``4.5bn``), ratios (``3:1``), ``#5`` and plain cardinals.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.context import _has_plural_ending, _word_before
from fastspeak.text.normalize.dates import day_month_words
from fastspeak.text.normalize.numbers import (
    _SCALES,
    _plural_word,
    decimal_to_words,
    digits_to_words,
    number_to_words,
    ordinal_to_words,
    year_to_words,
)

_UNIT_RANGE = re.compile(
    r"(?<=\d)-(?=\d[\d.,]*\s?%)"  # 2-3%
    r"|(?:(?<=\d)|(?<=\d[AaPp][Mm])|(?<=\d [AaPp][Mm]))\s?-\s?(?=\d{1,2}(?::\d\d)?\s?[AaPp][Mm]\b)"
    r"|(?<=\d:\d\d)\s?-\s?(?=\d{1,2}:\d\d\b)"  # 9:00-17:00
)
"""A hyphen between two numbers or times that share a unit (``2-3%``, ``3-4pm``, ``9am-5pm``,
``9:00-17:00``): read "to"."""


_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _fraction_words(numerator: str, denominator: str) -> str:
    """``("3", "4")`` -> "three quarters"; a denominator over 100 is read "over"."""
    den = int(denominator)
    if den < 2 or den > 100 or len(numerator) > 6:
        return f"{number_to_words(numerator)} over {number_to_words(denominator)}"
    num = int(numerator)
    if den in _FRACTION_NAMES:
        name = _FRACTION_NAMES[den][0 if num == 1 else 1]
    else:
        name = ordinal_to_words(denominator)
        if num != 1:
            name = _plural_word(name)
    return f"{number_to_words(numerator)} {name}"


_SCORE_WORDS = frozenset("score scored scores scoring rate rated rating ratings grade".split())
_OF_AFTER_RE = re.compile(r"\s+of\b", re.IGNORECASE)
_SCORE_AFTER_RE = re.compile(
    r"\s*(?:[.,;:!?)\]…—-]|$)|\s+(?:and|at|but|by|for|from|in|on|overall|points?|stars?|would)\b",
    re.IGNORECASE,
)
"""What may follow a score (``5/10``): a mark, the end, or a word such as "for", "on",
"stars"; before a noun, "the" or "its" the number is a fraction ("1/10 scale", "1/10 the
price")."""
_GAVE_IT_RE = re.compile(r"\b(?:gave|give|gives|giving|rate|rated|rates)\s+(?:it|them|this)\s*$")


def _is_score(match: re.Match[str]) -> bool:
    """A slash number is a score ("out of") after a decimal (``4.5/5``), after score words
    ("scored 7/10", "rated 4/5", "gave it 8/10"), or over 10 or 100 where a score may end
    ("I scored 5/10.", "9/10 for effort", "8/10 stars") or before a plural noun ("9/10
    dentists")."""
    text, start, end = match.string, match.start(), match.end()
    numerator, denominator = match[1], match[2]
    if "." in numerator:
        return True
    if _OF_AFTER_RE.match(text, end):
        return False
    if _word_before(text, start) in _SCORE_WORDS or _GAVE_IT_RE.search(
        text, max(0, start - 30), start
    ):
        return True
    if denominator not in ("10", "100") or float(numerator) > int(denominator):
        return False
    if _SCORE_AFTER_RE.match(text, end):
        return True
    # a count of a plural noun: "9/10 dentists", "3/10 scheduled flights"
    words = _NEXT_WORDS_RE.match(text, end)
    if words is None:
        return False
    first, second = words[1].lower(), (words[2] or "").lower()
    return _is_plural(first) or (first.endswith("ed") and _is_plural(second))


_NEXT_WORDS_RE = re.compile(r"\s+([A-Za-z]+)(?:\s+([A-Za-z]+))?")


def _is_plural(word: str) -> bool:
    return word in ("people", "men", "women", "children") or _has_plural_ending(word)


def _fraction(match: re.Match[str]) -> str:
    """A number slash a number: ``24/7`` -> "twenty-four seven", ``50/50`` -> "fifty-fifty";
    "out of" for a score (:func:`_is_score`: ``4.5/5``, ``5/10``, "rated 4/5"), never before
    "of" ("1/10 of the budget" -> "one tenth of"); otherwise a fraction (``3/4`` -> "three
    quarters", "a 1/10 scale model" -> "one tenth")."""
    numerator, denominator = match[1], match[2]
    if (numerator, denominator) == ("24", "7"):
        return " twenty-four seven "
    if _is_score(match):
        return f" {_number_or_decimal(numerator)} out of {number_to_words(denominator)} "
    if numerator == denominator and int(numerator) >= 10:
        return f" {number_to_words(numerator)}-{number_to_words(denominator)} "
    return f" {_fraction_words(numerator, denominator)} "


_MIXED_FRACTION = re.compile(r"(?<![\w.,/])(\d{1,6}) (\d{1,2})/(\d{1,3})\b(?!/)")


def _mixed_fraction(match: re.Match[str]) -> str:
    """``1 1/2`` -> "one and one half" (a proper fraction after a whole number)."""
    whole, numerator, denominator = match[1], match[2], match[3]
    if not 0 < int(numerator) < int(denominator):
        return match.group()
    return f" {number_to_words(whole)} and {_fraction_words(numerator, denominator)} "


_ORDINAL = re.compile(r"\b(\d[\d,]*)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE = re.compile(r"(?<![\w.])(?<!\d,)(\d{1,3}(?:,\d{3})+|\d{2,7})'?s\b")
_POWER_PLURALS = {
    "100": "hundreds",
    "1000": "thousands",
    "10000": "tens of thousands",
    "100000": "hundreds of thousands",
    "1000000": "millions",
}
"""``1,000s`` of people: a power of ten with a plural ``s`` is a vague count."""
_DIMENSIONS = re.compile(r"(?<![\w.])(?!0x)\d+(?:\.\d+)?(?:x\d+(?:\.\d+)?)+(?![\w]|\.\d)")
_EQUALS_NEXT = re.compile(r"\s*=")
_MULTIPLIER = re.compile(
    r"(?<![=+*/^(])(?<![=+*/^(]\s)(?<![\w.])(\d+(?:\.\d+)?)x(?![\w])(?!\s*[-+*/^=<>)])"
    r"(?!\s+(?:greater|less) than\b)"
)
"""``10x faster``, ``up 3x``; not inside algebra ("2x + 3 = 7", "y = 0.5x", "2x > 6", whose
``>`` the comparison rule has read already: "two x")."""
_PHONE = re.compile(
    r"(?<![\w+])(?:"
    r"(?:1-)?(?:\d{3}-)?\d{3}-\d{4}"  # 555-1234, 1-800-555-1234
    r"|\(\d{3}\)\s?\d{3}[-\s]\d{4}"  # (555) 123-4567
    r"|\+\d{1,3}[-\s]\(?\d{3}\)?[-\s]\d{3}[-\s]\d{4}"  # +1 555 123 4567
    r"|\d{3}([.\s])\d{3}\1\d{4}"  # 555.123.4567, 555 123 4567
    r"|\+\d{1,3}(?:[-\s]\d{1,4}){2,6}"  # +44 20 7946 0958, +33 1 23 45 67 89
    r")\b"
)
_SERVICE_NUMBER = re.compile(r"(?<![\w.,$£€¥₹/-])(911|999|112)(?![\w/]|[.,]\d)")
_CALL_WORDS = frozenset("call called calling calls dial dialed dialled dialing dialling".split())
_SERVICE_WORDS_AFTER = frozenset(
    "call calls caller callers dispatcher dispatchers emergency line operator operators "
    "center centre".split()
)
_PHONE_CUE_WORDS = _CALL_WORDS | frozenset(
    "cell contact fax mobile number phone ring tel telephone text whatsapp".split()
)
"""Words before digit groups separated by spaces that make them a phone number ("Fax: 555
123 4567"); without one, "scores of 100 200 3000" stay numbers."""
_RANGE = re.compile(r"(?<![\w.,])(\d{1,4}(?:\.\d+)?)\s?-\s?(\d{1,4}(?:\.\d+)?)(?!\w|[.,]\d)")
_DOTTED = re.compile(r"(?<![\d.,])\d+(?:\.\d+){2,}(?![\d])")  # versions, addresses, dates
_SCALED = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)\s?(bn|mn|tn|k)\b")
_FRACTION = re.compile(r"(?<![\w.])(\d{1,6}(?:\.\d+)?)/(\d{1,6})\b")
_RATIO = re.compile(r"\b(\d+):(\d+)\b")
_DECIMAL = re.compile(r"(?<![\w.])(-?)(\d[\d,]*)?\.(\d+)(?!\d)")
_YEAR = re.compile(r"(?<![\w.,])(1[1-9]\d\d|20\d\d)(?!\w|[.,]\d)")
_CARDINAL = re.compile(r"(?<![\w.])(-?)(\d{1,3}(?:,\d{3})+|\d+)")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_NUMBER_SIGN = re.compile(r"#\s?(?=\d)")
_DIGITS_RE = re.compile(r"\d+")


def _ordinal(match: re.Match[str]) -> str:
    return f" {ordinal_to_words(match[1])} "


def _decade(match: re.Match[str]) -> str:
    """``1990s`` -> "nineteen nineties", ``80's`` -> "eighties", ``1,000s`` -> "thousands";
    other grouped or longer numbers with an ``s`` are left to the later rules."""
    digits = match[1].replace(",", "")
    if digits in _POWER_PLURALS:
        return f" {_POWER_PLURALS[digits]} "
    if len(digits) > 4 or "," in match[1]:
        return match.group()
    words = year_to_words(int(digits)) if len(digits) == 4 else number_to_words(digits)
    return f" {_plural_word(words)} "


def _dimensions(match: re.Match[str]) -> str:
    """``3x3`` -> "3 by 3", ``1920x1080``, ``4x100`` (a relay) -> "by"; before ``=`` the
    ``x`` is times (``3x4 = 12``). ``0x..`` (hexadecimal) is left alone."""
    joiner = " times " if _EQUALS_NEXT.match(match.string, match.end()) else " by "
    return joiner.join(match.group().split("x"))


def _multiplier(match: re.Match[str]) -> str:
    """``10x faster``, ``up 3x`` -> "10 times"."""
    return f"{match[1]} times"


def _is_round_range(first: str, second: str) -> bool:
    """``500-1000``, ``800-1200``: multiples of 50 rising are a range, not a local phone
    number (``555-1234``)."""
    low, high = int(first), int(second)
    return low < high and low % 50 == 0 and high % 50 == 0


def _phone(match: re.Match[str]) -> str:
    """Digit groups read digit by digit, a comma between them; a leading ``+`` is "plus".
    ``ddd-dddd`` of round numbers (:func:`_is_round_range`) is a range instead, and a ``+``
    number of fewer than 7 digits is not a phone number ("+1 2 3"), nor are groups separated
    by spaces alone without a cue word before them (:data:`_PHONE_CUE_WORDS`)."""
    groups = re.findall(r"\d+", match.group())
    if len(groups) == 2 and match.group()[0].isdigit() and _is_round_range(*groups):
        return _range_words(*groups)
    if len("".join(groups)) < 7:
        return match.group()
    if re.fullmatch(r"[\d ]+", match.group()) and (
        _word_before(match.string, match.start()) not in _PHONE_CUE_WORDS
    ):
        return match.group()  # "scores of 100 200 3000"
    plus = "plus " if match.group().startswith("+") else ""
    return f" {plus}{', '.join(digits_to_words(group) for group in groups)} "


def _range(match: re.Match[str]) -> str:
    return _range_words(match[1], match[2])


def _range_words(first: str, second: str) -> str:
    if _YEAR.fullmatch(first) and _YEAR.fullmatch(second):
        return f" {year_to_words(int(first))} to {year_to_words(int(second))} "
    if _YEAR.fullmatch(first) and len(second) == 2 and int(second) > int(first[2:]):
        # a season or fiscal year, "2023-24": the second year by its last two digits
        tail = number_to_words(second) if second[0] != "0" else f"oh {number_to_words(second[1])}"
        return f" {year_to_words(int(first))} to {tail} "
    return f" {_number_or_decimal(first)} to {_number_or_decimal(second)} "


def _number_or_decimal(number: str) -> str:
    integer, _, fraction = number.partition(".")
    return decimal_to_words(integer, fraction) if fraction else number_to_words(integer)


def _service_number(match: re.Match[str]) -> str:
    """``911``, ``999``, ``112`` after "call" or "dial" ("Dial 112") or before "call",
    "dispatcher", "operator"... ("911 calls") are read digit by digit; otherwise they are
    numbers ("Porsche 911", "Room 911", "911 new cases")."""
    after = _NEXT_WORDS_RE.match(match.string, match.end())
    if _word_before(match.string, match.start()) in _CALL_WORDS or (
        after is not None and after[1].lower() in _SERVICE_WORDS_AFTER
    ):
        return f" {digits_to_words(match[1])} "
    return match.group()


_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)")
_NOT_DATE_BEFORE = frozenset(
    "article build chapter clause figure paragraph release rule section step table v "
    "version".split()
)


def _dotted(match: re.Match[str]) -> str:
    """``3.10.4``, ``192.168.0.1``: each group as a number, "point" between them;
    ``555.123.4567`` is a phone number and ``15.03.2024`` a date, day first (a year of
    1900-2099, not after "version", "section"...)."""
    phone = _PHONE.fullmatch(match.group())
    if phone:
        return _phone(phone)
    date = _DOTTED_DATE.fullmatch(match.group())
    if date and _word_before(match.string, match.start()) not in _NOT_DATE_BEFORE:
        words = day_month_words(int(date[1]), int(date[2]), date[3])
        if words:
            return words
    return " " + " point ".join(number_to_words(group) for group in match.group().split(".")) + " "


def _scaled(match: re.Match[str]) -> str:
    """``4.5bn``, ``500k``: the number, then the scale's word."""
    return f" {_number_or_decimal(match[1].replace(',', ''))} {_SCALES[match[2].lower()]} "


def _ratio(match: re.Match[str]) -> str:
    return f" {number_to_words(match[1])} to {number_to_words(match[2])} "


def _decimal(match: re.Match[str]) -> str:
    sign = "minus " if match[1] else ""
    integer = (match[2] or "0").replace(",", "")
    return f" {sign}{decimal_to_words(integer, match[3])} "


_COUNT_BEFORE = frozenset(
    "about almost approximately around employs exactly has have had hired just nearly only "
    "over some than total with".split()
)
"""Words after which a four-digit number before a plural noun is a count ("has 2048
followers", "with 1234 lines"); elsewhere it stays a year ("Fiscal 2023 results", "2019
levels", "2024 marks")."""
_DATE_BEFORE_COMMA_RE = re.compile(
    r"(?:\b(?:in|since|of|by|from|until|during|year|fiscal|1[1-9]\d\d|20\d\d)|[a-z](?:st|nd|rd|th)"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December))\s*,?\s*$",
    re.IGNORECASE,
)
"""What comes before a year that a comma follows ("In 1984, he", "July fourth, 1776,", the
years of a list "1984, 1985, and 1986"); a
four-digit number before a comma elsewhere is a count ("Attendance was 1995, down")."""


def _year(match: re.Match[str]) -> str:
    """``1984`` -> "nineteen eighty-four"; a count instead ("one thousand nine hundred
    ninety-five") before a plural noun after a counting word (:data:`_COUNT_BEFORE`: "has
    2048 followers") and before a comma unless a date word comes before it
    (:data:`_DATE_BEFORE_COMMA_RE`: "In 1984, he" is a year, "Attendance was 1995, down" a
    count)."""
    text, start, end = match.string, match.start(), match.end()
    words = _NEXT_WORDS_RE.match(text, end)
    counted = (
        words is not None and _is_plural(words[1]) and _word_before(text, start) in _COUNT_BEFORE
    )
    before_comma = text.startswith(",", end) and not _DATE_BEFORE_COMMA_RE.search(
        text, max(0, start - 40), start
    )
    if counted or before_comma:
        return f" {number_to_words(match[1])} "
    return f" {year_to_words(int(match[1]))} "


def _cardinal(match: re.Match[str]) -> str:
    sign = "minus " if match[1] else ""
    return f" {sign}{number_to_words(match[2])} "
