"""Times of day and dates.

Times (``3:30pm`` -> ``three thirty PM``, ``10:00`` -> ``ten o'clock``, ``5 pm`` -> ``five PM``)
and dates (``3/4/1984``, ``1984-03-04``, ``March 4``, ``March 5-7``, ``5 January 2024`` ->
``the fifth of January twenty twenty-four``).
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.context import _word_after, _word_before
from fastspeak.text.normalize.numbers import number_to_words, ordinal_to_words, year_to_words

_TIME = re.compile(
    r"\b(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s?(?P<ampm>[AaPp])\s?[Mm]\b)?"
)
_HOUR_AMPM = re.compile(r"\b(?P<hour>\d{1,2})\s?(?P<ampm>[AaPp])\s?[Mm]\b")
_DOTTED_TIME = re.compile(r"(?<![\w.])(\d{1,2})\.(\d{2})(?=\s?[AaPp]\s?[Mm]\b)")
"""``9.30am`` (the British way of writing a time): read as ``9:30am``."""


def _ampm(marker: str | None) -> str:
    return f" {marker.upper()}M" if marker else ""


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 24 or minute > 59:
        return f" {number_to_words(match['hour'])} {number_to_words(match['minute'])} "
    words = number_to_words(str(hour))
    if minute == 0:
        if not match["ampm"]:
            words += " hundred" if hour > 12 else " o'clock"
    elif minute < 10:
        words += f" oh {number_to_words(str(minute))}"
    else:
        words += f" {number_to_words(str(minute))}"
    if match["second"] and int(match["second"]):
        words += f" and {number_to_words(str(int(match['second'])))} seconds"
    return f" {words}{_ampm(match['ampm'])} "


def _hour_ampm(match: re.Match[str]) -> str:
    return f" {number_to_words(match['hour'])}{_ampm(match['ampm'])} "


_MONTHS = (
    "January February March April May June July August September October November December"
).split()
_MONTH_ABBREVIATIONS = {month[:3].lower(): month for month in _MONTHS} | {"sept": "September"}


def _year_words(year: str) -> str:
    return year_to_words(int(year)) if len(year) == 4 else number_to_words(year)


def _date(month: int, day: int, year: str | None) -> str | None:
    """ "March fourth nineteen eighty-four"; None for a month or day out of range."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    words = f"{_MONTHS[month - 1]} {ordinal_to_words(str(day))}"
    if year:
        words += f" {_year_words(year)}"
    return f" {words} "


def day_month_words(day: int, month: int, year: str | None) -> str | None:
    """The British order: "the twenty-fifth of December twenty twenty-six"; None for a month
    or day out of range."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    words = f"the {ordinal_to_words(str(day))} of {_MONTHS[month - 1]}"
    if year:
        words += f" {_year_words(year)}"
    return f" {words} "


_DATE_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_MONTH_SLASH_DAY = re.compile(r"(?<![\w./$£€¥₹])(\d{1,2})/(\d{1,2})(?![\w/%]|[.,]\d)")
_SLASH_DATE_BEFORE = frozenset(
    "after before due ending ends expires from on since starting starts through thru till "
    "until".split()
)
"""Words after which a month/day without a year (``12/25``) is a date ("ends 12/25", "on
7/4"); elsewhere it is a fraction or a score (``3/4``, ``5/10``). After "by" only a day
that cannot be a denominator makes it a date ("by 4/15", not "reduced by 1/2")."""
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(
    r"\b(?P<month>" + "|".join(_MONTHS) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
    r"\s(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:-(?P<last>\d{1,2})(?:st|nd|rd|th)?)?\b(?!:)"
)


def _date_us(match: re.Match[str]) -> str:
    """``3/4/1984`` -> "March fourth nineteen eighty-four"; a first number over 12 is the
    day, the British order (``25/12/2026`` -> "the twenty-fifth of December ...")."""
    first, second = int(match[1]), int(match[2])
    if first > 12:
        words = day_month_words(first, second, match[3])
    else:
        words = _date(first, second, match[3])
    return words or match.group().replace("/", " / ")


def _is_day_only(number: str) -> bool:
    """Over 12 and not an inch fraction's 16ths, 32nds or 64ths: a day, not a denominator
    ("by 4/15" is a date, "by 1/2" and "by 3/16" fractions)."""
    return 12 < int(number) <= 31 and number not in ("16", "32")


def _month_slash_day(match: re.Match[str]) -> str:
    """``9/11`` -> "nine eleven"; after "on", "until", "ends"... (:data:`_SLASH_DATE_BEFORE`)
    a month/day is a date ("ends 12/25" -> "ends December twenty-fifth") when the end, a
    mark, a capital or a small word follows (:data:`_WORDS_AFTER_A_SLASH_DATE`); otherwise
    ("until 1/4 inch thick", "on 3/4 of the days") it is left to the fraction rules."""
    following = _word_after(match.string, match.end())
    if following.lower() == "of":
        return match.group()
    if (match[1], match[2]) == ("9", "11"):
        return " nine eleven "
    before = _word_before(match.string, match.start())
    if before not in _SLASH_DATE_BEFORE and not (before == "by" and _is_day_only(match[2])):
        return match.group()
    if following.islower() and following not in _WORDS_AFTER_A_SLASH_DATE:
        return match.group()  # "until 1/4 inch thick", "after 1/2 hour"
    return _date(int(match[1]), int(match[2]), None) or match.group()


def _date_iso(match: re.Match[str]) -> str:
    return _date(int(match[2]), int(match[3]), match[1]) or match.group().replace("-", " - ")


def _month_day(match: re.Match[str]) -> str:
    month = match["month"].rstrip(".")
    if month not in _MONTHS:
        month = _MONTH_ABBREVIATIONS[month[:3].lower()]
    days = [day for day in (match["day"], match["last"]) if day]
    if not all(1 <= int(day) <= 31 for day in days):
        return match.group()
    return f"{month} {' to '.join(ordinal_to_words(day) for day in days)}"


_DAY_MONTH = re.compile(
    r"\b(?:(?P<first>\d{1,2})(?:st|nd|rd|th)?(?P<joiner>-|\s(?:to|and|through|until)\s))?"
    r"(?P<day>\d{1,2})(?P<suffix>st|nd|rd|th)?\s(?P<of>of\s)?(?P<month>"
    + "|".join(_MONTHS)
    + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b(?:,?\s(?P<year>\d{4})\b)?"
)


_DATE_WORDS_BEFORE = frozenset("after before between by from on since till until".split())
_WORDS_AFTER_A_DATE = frozenset(
    "after and are as at because before but by during every for from had has he i in is it "
    "last next on or she since so that the then they this through till to until was we were "
    "when which while will with would you".split()
)
_WORD_BEFORE_RE = re.compile(r"([A-Za-z]+)\s+$")
_WORDS_AFTER_A_SLASH_DATE = _WORDS_AFTER_A_DATE - {"and", "or", "to", "through"}
"""A "to" after a slash number may be a fraction's range ("from 1/4 to 1/2 cup")."""


def _is_bare_date(match: re.Match[str]) -> bool:
    """``5 January`` with no suffix, "of" or year is a date at the end of text, before a mark,
    or after "on"/"from"/"by"... or before a small word ("we", "at", "the") - not before a
    capitalised word or a noun ("Top 5 March Madness", "2 June birthdays")."""
    text, end = match.string, match.end()
    word = _word_after(text, end)
    if not word:
        return True
    if word.lower() in _WORDS_AFTER_A_DATE:
        return True
    before = _WORD_BEFORE_RE.search(text, max(0, match.start() - 20), match.start())
    return word.islower() and before is not None and before[1].lower() in _DATE_WORDS_BEFORE


def _day_month(match: re.Match[str]) -> str:
    """``5 January 2024`` (the British order) -> "the fifth of January twenty twenty-four",
    a range of days too ("12-14 September", "from 1 to 15 August" -> "the twelfth to the
    fourteenth of September", "the first to the fifteenth of August"); without a suffix, "of" or a year it must look like a date (:func:`_is_bare_date`), and "5
    May" alone stays a number and a verb."""
    if not 1 <= int(match["day"]) <= 31:
        return match.group()
    first = match["first"]
    if first and not 1 <= int(first) < int(match["day"]):
        return match.group()
    if not (match["suffix"] or match["of"] or match["year"]) and (
        match["month"] == "May" or not _is_bare_date(match)
    ):
        return match.group()
    year = f" {year_to_words(int(match['year']))}" if match["year"] else ""
    article = "" if match.string[: match.start()].lower().endswith("the ") else "the "
    month = _MONTH_ABBREVIATIONS.get(match["month"].lower(), match["month"])
    day = f"{ordinal_to_words(match['day'])} of {month}{year}"
    if first:
        joiner = match["joiner"].strip()
        day = f"{ordinal_to_words(first)} {'to' if joiner == '-' else joiner} the {day}"
    return f" {article}{day} "
