"""English text normalisation: raw text -> plain speakable words and punctuation.

The output ("normalized text") is what every inventory phonemises and what the piper teacher
voice speaks, so it is deliberately simple:

* ASCII letters, ``'`` inside words (``don't``, ``dogs'``), ``-`` between letters
  (``twenty-four``), single spaces;
* the punctuation ``. , ? ! ; :`` attached to the preceding word, ``…`` attached likewise, and a
  spaced dash `` — `` (from dashes, `` - `` and brackets); runs of punctuation collapse to the
  strongest mark (``?!`` -> ``?``), and punctuation before the first word is dropped.

What is verbalised: cardinals, decimals, negative numbers, ordinals (``1st``), years
(``1984`` -> ``nineteen eighty-four``), decades (``1990s``), currency (``$ £ € ¥ ₹ ¢``, with
``million``/``bn`` scales, ``$5-10 million`` -> ``five to ten million dollars``, ``$15/month`` ->
``fifteen dollars per month``), times (``3:30pm`` -> ``three thirty PM``), dates (``3/4/1984``,
``1984-03-04``, ``March 4``, ``March 5-7``), percentages, fractions and scores (``3/4`` -> ``three
quarters``, ``5/10`` and ``4.5/5`` -> ``out of``, ``24/7``, ``50/50``), ranges (``1-5``,
``500-1000``, ``9am-5pm``, ``2-3%`` -> ``... to ...``), phone numbers (``555-1234``,
``1-800-555-1234``, ``(555) 123-4567``, ``+1 555 123 4567``), units after a number (``5 km`` ->
``five kilometers``, ``25°C`` -> ``twenty-five degrees Celsius``), Roman numerals after a
capitalised word (``World War II`` -> ``World War two``, ``Henry VIII`` -> ``Henry the eighth``),
emails and URLs (``john dot doe at example dot com``), common abbreviations (``Dr. Mr. Mrs. St.
etc. e.g. i.e. vs. No. Vol.``) and a few symbols (``& @ + = # ° × < > C#``).

Sentences: an abbreviation's or initial's period still ends a sentence before a usual sentence
start (``Main St. It is`` -> ``Main Street. It is``) and not inside a name (``John F.
Kennedy``); a blank line, and a line break before a list item, end a sentence (``1. First`` ->
``One. First``).

Acronyms: all-caps tokens are kept as written (``FBI``, ``NASA``); :func:`is_spelled_acronym`
decides whether one is read letter by letter. espeak-ng (and so the piper teacher) applies its
own, good, acronym rules to the compact form, while a spaced ``A`` (``"D N A"``) would be read as
the article "uh" — so spelling happens in the phonemisers, not here. Dotted initialisms become
compact (``U.S.`` -> ``US``) and ``a.m.``/``p.m.`` become ``AM``/``PM``.

Unicode: quotes and dashes are folded, other non-ASCII letters and digits are transliterated with
``unidecode`` (``Привет`` -> ``Privet``, ``café`` -> ``cafe``). Control characters, format
characters (zero-width joiners, bidi marks), emoji and other symbols are **dropped** silently when
the rest of the text is speakable. Letters that ``unidecode`` cannot transliterate, text with
nothing speakable, empty text and text over ``max_chars`` raise :class:`TextError`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable

from fastspeak.text.errors import TextError

DEFAULT_MAX_CHARS = 10000

PUNCTUATION = ".,?!;:—…"
"""Punctuation characters that survive normalisation (each becomes a boundary token)."""

_DASH = "—"
_ELLIPSIS = "…"

# ----------------------------------------------------------------------------------------------
# Unicode folding

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


def _fold_unicode(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
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


# ----------------------------------------------------------------------------------------------
# Numbers


_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_THOUSANDS = ("", " thousand", " million", " billion", " trillion")
_ORDINAL_WORDS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_DIGIT_WORDS = _ONES[:10]


def _below_thousand(number: int) -> str:
    hundreds, rest = divmod(number, 100)
    words = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_ONES[rest])
    return " ".join(words)


def cardinal_words(number: int) -> str:
    """0 <= number < 10**15 -> American English words: 123456 -> "one hundred twenty-three
    thousand four hundred fifty-six" (no "and", no commas; as ``inflect`` with andword="")."""
    if not 0 <= number < 10**15:
        raise AssertionError(f"cardinal_words supports 0..10**15-1, got {number}")
    if number == 0:
        return "zero"
    parts = []
    for scale in _THOUSANDS:
        number, group = divmod(number, 1000)
        if group:
            parts.append(_below_thousand(group) + scale)
        if not number:
            break
    return " ".join(reversed(parts))


def ordinal_of_words(words: str) -> str:
    """ "twenty-one" -> "twenty-first", "one hundred" -> "one hundredth"."""
    head, separator, last = max(
        (words.rpartition(" "), words.rpartition("-")), key=lambda parts: len(parts[0])
    )
    if last in _ORDINAL_WORDS:
        last = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{separator}{last}"


def digits_to_words(digits: str) -> str:
    """``"007"`` -> ``"zero zero seven"`` (digit by digit)."""
    return " ".join(_DIGIT_WORDS[int(d)] for d in digits if d.isdigit())


@functools.lru_cache(maxsize=8192)
def number_to_words(digits: str) -> str:
    """A non-negative integer written in digits -> American English words (no "and").

    Leading zeros (``"007"``) and numbers over 15 digits are read digit by digit.
    """
    digits = digits.replace(",", "")
    if not digits.isdigit():
        raise AssertionError(f"number_to_words expects digits, got {digits!r}")
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > 15:
        return digits_to_words(digits)
    return cardinal_words(int(digits))


@functools.lru_cache(maxsize=4096)
def ordinal_to_words(digits: str) -> str:
    """``"21"`` -> ``"twenty-first"``."""
    digits = digits.replace(",", "")
    if len(digits) > 15:
        return digits_to_words(digits)
    return ordinal_of_words(cardinal_words(int(digits)))


def decimal_to_words(integer: str, fraction: str) -> str:
    """``("3", "14")`` -> ``"three point one four"``."""
    words = number_to_words(integer) if integer else "zero"
    return f"{words} point {digits_to_words(fraction)}" if fraction else words


def year_to_words(year: int) -> str:
    """Read a year the English way: 1984 -> nineteen eighty-four, 2005 -> two thousand five."""
    if 2000 <= year <= 2009 or year % 1000 == 0 or not 1000 <= year <= 9999:
        return number_to_words(str(year))
    high, low = divmod(year, 100)
    if low == 0:
        return f"{number_to_words(str(high))} hundred"
    if low < 10:
        return f"{number_to_words(str(high))} oh {number_to_words(str(low))}"
    return f"{number_to_words(str(high))} {number_to_words(str(low))}"


def _plural_word(words: str) -> str:
    """Pluralise the last word of a number phrase: "nineteen ninety" -> "nineteen nineties"."""
    head, sep, last = words.rpartition(" ")
    if "-" in last:
        first, _, last_part = last.rpartition("-")
        return f"{head}{sep}{first}-{_plural_word(last_part)}"
    if last.endswith("y"):
        last = last[:-1] + "ies"
    elif last.endswith(("s", "x")):
        last += "es"
    else:
        last += "s"
    return f"{head}{sep}{last}"


_SCALES = {
    "thousand": "thousand",
    "k": "thousand",
    "million": "million",
    "m": "million",
    "mn": "million",
    "billion": "billion",
    "b": "billion",
    "bn": "billion",
    "trillion": "trillion",
    "tn": "trillion",
}

_CURRENCIES: dict[str, tuple[str, str, str | None, str | None]] = {
    # symbol: (unit, units, subunit, subunits)
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
    "₹": ("rupee", "rupees", "paisa", "paise"),
}

_NUMBER = r"\d{1,3}(?:,\d{3})+|\d+"
_AMOUNT = rf"[$£€¥₹]\s?(?:{_NUMBER})(?:\.\d+)?"
_SCALE_AFTER = r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|tn|[kKmMbB])\b)?"
_PER_UNIT = r"(?:\s?/\s?(?P<per>[A-Za-z]+)\b)?"
_PER_WORDS = {"h": "hour", "hr": "hour", "mo": "month", "yr": "year", "wk": "week"}
_CURRENCY_RANGE = re.compile(
    rf"(?P<first>{_AMOUNT})\s?-\s?(?P<second>[$£€¥₹]?\s?(?:{_NUMBER})(?:\.\d+)?)"
    rf"{_SCALE_AFTER}{_PER_UNIT}"
)
_CURRENCY_BEFORE = re.compile(
    rf"(?:(?<![\w-])(?P<sign>-))?"
    rf"(?P<symbol>[$£€¥₹])\s?(?P<integer>{_NUMBER})(?:\.(?P<fraction>\d+))?"
    rf"{_SCALE_AFTER}{_PER_UNIT}"
)
_CURRENCY_AFTER = re.compile(
    rf"(?<![\w.])(?P<integer>{_NUMBER})(?:[.,](?P<fraction>\d{{1,2}}))?\s?(?P<symbol>[€£¥₹])"
)


def _currency_words(symbol: str, integer: str, fraction: str | None, scale: str | None) -> str:
    unit, units, subunit, subunits = _CURRENCIES[symbol]
    integer = integer.replace(",", "")
    if scale:
        amount = decimal_to_words(integer, fraction or "")
        return f"{amount} {_SCALES[scale.lower()]} {units}"
    if fraction is not None and (len(fraction) > 2 or subunit is None):
        return f"{decimal_to_words(integer, fraction)} {units}"
    cents = int(fraction.ljust(2, "0")) if fraction else 0
    parts = []
    if int(integer) != 0 or cents == 0:
        parts.append(f"{number_to_words(integer)} {unit if int(integer) == 1 else units}")
    if cents and subunit and subunits:
        parts.append(f"{number_to_words(str(cents))} {subunit if cents == 1 else subunits}")
    return " ".join(parts)


def _per(match: re.Match[str]) -> str:
    """`` per month`` for ``/month`` (``/mo``, ``/kg`` spelled out), else nothing."""
    per = match["per"]
    if not per:
        return ""
    return f" per {_UNITS[per][0] if per in _UNITS else _PER_WORDS.get(per.lower(), per)}"


def _currency_before(match: re.Match[str]) -> str:
    """``$15/month`` -> "fifteen dollars per month"."""
    words = _currency_words(match["symbol"], match["integer"], match["fraction"], match["scale"])
    sign = "minus " if match["sign"] else ""
    return f" {sign}{words}{_per(match)} "


def _currency_range(match: re.Match[str]) -> str:
    """``$100-200`` -> "one hundred dollars to two hundred dollars" (the second amount takes
    the first one's currency when it has none); a scale after the second amount is shared:
    ``$5-10 million`` -> "five to ten million dollars"."""
    first = _CURRENCY_BEFORE.fullmatch(match["first"])
    second = match["second"].strip()
    if second[0] not in _CURRENCIES:
        second = match["first"][0] + second
    last = _CURRENCY_BEFORE.fullmatch(second)
    assert first is not None and last is not None
    if match["scale"]:
        low, high = (
            decimal_to_words(m["integer"].replace(",", ""), m["fraction"] or "")
            for m in (first, last)
        )
        units = _CURRENCIES[first["symbol"]][1]
        words = f"{low} to {high} {_SCALES[match['scale'].lower()]} {units}"
    else:
        words = f"{_currency_before(first).strip()} to {_currency_before(last).strip()}"
    return f" {words}{_per(match)} "


def _currency_after(match: re.Match[str]) -> str:
    return f" {_currency_words(match['symbol'], match['integer'], match['fraction'], None)} "


_TIME = re.compile(
    r"\b(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s?(?P<ampm>[AaPp])\s?[Mm]\b)?"
)
_HOUR_AMPM = re.compile(r"\b(?P<hour>\d{1,2})\s?(?P<ampm>[AaPp])\s?[Mm]\b")
_UNIT_RANGE = re.compile(
    r"(?<=\d)-(?=\d[\d.,]*\s?%)"  # 2-3%
    r"|(?:(?<=\d)|(?<=\d[AaPp][Mm])|(?<=\d [AaPp][Mm]))\s?-\s?(?=\d{1,2}(?::\d\d)?\s?[AaPp][Mm]\b)"
    r"|(?<=\d:\d\d)\s?-\s?(?=\d{1,2}:\d\d\b)"  # 9:00-17:00
)
"""A hyphen between two numbers or times that share a unit (``2-3%``, ``3-4pm``, ``9am-5pm``,
``9:00-17:00``): read "to"."""


def _ampm(marker: str | None) -> str:
    return f" {marker.upper()}M" if marker else ""


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 24 or minute > 59:
        return f" {number_to_words(match['hour'])} {number_to_words(match['minute'])} "
    words = number_to_words(str(hour))
    if minute == 0 and not match["ampm"]:
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


def _date(month: int, day: int, year: str | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    words = f"{_MONTHS[month - 1]} {ordinal_to_words(str(day))}"
    if year:
        words += f" {year_to_words(int(year)) if len(year) == 4 else number_to_words(year)}"
    return f" {words} "


_DATE_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})\b")
_DATE_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(
    r"\b(?P<month>" + "|".join(_MONTHS) + r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
    r"\s(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:-(?P<last>\d{1,2})(?:st|nd|rd|th)?)?\b(?!:)"
)


def _date_us(match: re.Match[str]) -> str:
    return _date(int(match[1]), int(match[2]), match[3]) or match.group().replace("/", " / ")


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
_WORD_BEFORE_RE = re.compile(r"([A-Za-z]+)[\s:]*$")


def _word_before(text: str, start: int) -> str:
    """The lowercased word just before ``start`` ("" when there is none)."""
    match = _WORD_BEFORE_RE.search(text, max(0, start - 40), start)
    return match[1].lower() if match else ""


def _fraction(match: re.Match[str]) -> str:
    """A number slash a number: ``24/7`` -> "twenty-four seven", ``50/50`` -> "fifty-fifty";
    "out of" after a decimal (``4.5/5``), after score or rated, or over 10 or 100 (``5/10``);
    otherwise a fraction (``3/4`` -> "three quarters")."""
    numerator, denominator = match[1], match[2]
    if (numerator, denominator) == ("24", "7"):
        return " twenty-four seven "
    if (
        "." in numerator
        or _word_before(match.string, match.start()) in _SCORE_WORDS
        or (denominator in ("10", "100") and float(numerator) <= int(denominator))
    ):
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


_PERCENT = re.compile(r"(?<![\w.])(-?)(\d[\d,]*)(?:\.(\d+))?\s?%")


def _percent(match: re.Match[str]) -> str:
    sign = "minus " if match[1] else ""
    return f" {sign}{decimal_to_words(match[2].replace(',', ''), match[3] or '')} percent "


_UNITS: dict[str, tuple[str, str]] = {
    # abbreviation after a number: (singular, plural)
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "V": ("volt", "volts"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "s": ("second", "seconds"),
    "sec": ("second", "seconds"),
    "ms": ("millisecond", "milliseconds"),
    "¢": ("cent", "cents"),
}
_UNIT = re.compile(
    r"(?<![\w.,])(?P<number>\d[\d,]*(?:\.\d+)?)(?P<space>\s?)"
    r"(?P<unit>" + "|".join(map(re.escape, sorted(_UNITS, key=len, reverse=True))) + r")(?![\w/])"
)
_DEGREES_SCALE = re.compile(r"(?<=\d)\s+degrees\s?(?P<scale>[CF])\b")


def _unit(match: re.Match[str]) -> str:
    """``5 km`` -> "5 kilometers", ``1 kg`` -> "1 kilogram" (the number is read later). A
    glued ``s`` is left alone (``80s`` is a decade)."""
    unit = match["unit"]
    if unit == "s" and not match["space"]:
        return match.group()
    singular, plural = _UNITS[unit]
    return f"{match['number']} {singular if match['number'] == '1' else plural}"


def _degrees_scale(match: re.Match[str]) -> str:
    """``25°C`` (folded to "25 degrees C") -> "25 degrees Celsius"."""
    return " degrees " + ("Celsius" if match["scale"] == "C" else "Fahrenheit")


_ORDINAL = re.compile(r"\b(\d[\d,]*)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE = re.compile(r"\b(\d{2,4})'?s\b")
_PHONE = re.compile(
    r"(?<![\w+(])(?:"
    r"(?:1-)?(?:\d{3}-)?\d{3}-\d{4}"  # 555-1234, 1-800-555-1234
    r"|\(\d{3}\)\s?\d{3}[-\s]\d{4}"  # (555) 123-4567
    r"|\+\d{1,3}[-\s]\(?\d{3}\)?[-\s]\d{3}[-\s]\d{4}"  # +1 555 123 4567
    r")\b"
)
_RANGE = re.compile(r"(?<![\w.,])(\d{1,4}(?:\.\d+)?)\s?-\s?(\d{1,4}(?:\.\d+)?)(?![\w,]|\.\d)")
_DOTTED = re.compile(r"(?<![\d.,])\d+(?:\.\d+){2,}(?![\d])")  # versions, addresses, dates
_SCALED = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)\s?(bn|mn|tn|k)\b")
_FRACTION = re.compile(r"(?<![\w.])(\d{1,6}(?:\.\d+)?)/(\d{1,6})\b")
_RATIO = re.compile(r"\b(\d+):(\d+)\b")
_DECIMAL = re.compile(r"(?<![\w.])(-?)(\d[\d,]*)?\.(\d+)(?!\d)")
_YEAR = re.compile(r"(?<![\w.,])(1[1-9]\d\d|20\d\d)(?![\w,]|\.\d)")
_CARDINAL = re.compile(r"(?<![\w.])(-?)(\d{1,3}(?:,\d{3})+|\d+)")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_NUMBER_SIGN = re.compile(r"#\s?(?=\d)")


def _ordinal(match: re.Match[str]) -> str:
    return f" {ordinal_to_words(match[1])} "


def _decade(match: re.Match[str]) -> str:
    digits = match[1]
    words = year_to_words(int(digits)) if len(digits) == 4 else number_to_words(digits)
    return f" {_plural_word(words)} "


def _is_round_range(first: str, second: str) -> bool:
    """``500-1000``, ``800-1200``: multiples of 50 rising are a range, not a local phone
    number (``555-1234``)."""
    low, high = int(first), int(second)
    return low < high and low % 50 == 0 and high % 50 == 0


def _phone(match: re.Match[str]) -> str:
    """Digit groups read digit by digit, a comma between them; a leading ``+`` is "plus".
    ``ddd-dddd`` of round numbers (:func:`_is_round_range`) is a range instead."""
    groups = re.findall(r"\d+", match.group())
    if len(groups) == 2 and match.group()[0].isdigit() and _is_round_range(*groups):
        return _range_words(*groups)
    plus = "plus " if match.group().startswith("+") else ""
    return f" {plus}{', '.join(digits_to_words(group) for group in groups)} "


def _range(match: re.Match[str]) -> str:
    return _range_words(match[1], match[2])


def _range_words(first: str, second: str) -> str:
    if _YEAR.fullmatch(first) and _YEAR.fullmatch(second):
        return f" {year_to_words(int(first))} to {year_to_words(int(second))} "
    return f" {_number_or_decimal(first)} to {_number_or_decimal(second)} "


def _number_or_decimal(number: str) -> str:
    integer, _, fraction = number.partition(".")
    return decimal_to_words(integer, fraction) if fraction else number_to_words(integer)


def _dotted(match: re.Match[str]) -> str:
    """``3.10.4``, ``192.168.0.1``: each group as a number, "point" between them."""
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


def _year(match: re.Match[str]) -> str:
    return f" {year_to_words(int(match[1]))} "


def _cardinal(match: re.Match[str]) -> str:
    sign = "minus " if match[1] else ""
    return f" {sign}{number_to_words(match[2])} "


# ----------------------------------------------------------------------------------------------
# Abbreviations

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
_NUMBER_ABBREVIATION_RE = re.compile(r"\b(No|Nos|no|nos|Vol|Vols|vol|vols)\.\s?(?=\d|[IVX]+\b)")
_MONTH_ABBREVIATION_RE = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.(?=\s\d)"
)
_LATIN_RE = re.compile(r"\b(e\.\s?g|i\.\s?e)\.?(?=[\s,;:]|$)", re.IGNORECASE)
_AMPM_RE = re.compile(r"\b([AaPp])\.[Mm]\.")
_INITIALISM_RE = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_INITIAL_RE = re.compile(r"\b([A-Z])\.(?=\s+[A-Z])")
_NEXT_WORD_RE = re.compile(r"\s+([A-Z][a-z]*)\b(?!\.)")
_NEXT_INITIAL_RE = re.compile(r"\s+[A-Z]\.")

SENTENCE_STARTERS = frozenset(
    "A After An And As At But For He Her His How I If In It Its My No On Our She So That The "
    "Their Then There These They This Those We What When Where Who Why You Your".split()
)
"""Words that after an abbreviation's period mean a new sentence ("Main St. It is"), where a
name would not ("St. Louis")."""


def _keeps_period(text: str, end: int) -> bool:
    """An abbreviation's period also ends the sentence at the end of text or before a capital."""
    rest = text[end:]
    return not rest.strip() or bool(re.match(r"\s+[A-Z]", rest))


def _sentence_follows(text: str, end: int) -> bool:
    """True at the end of text or before a word from :data:`SENTENCE_STARTERS`."""
    if not text[end:].strip():
        return True
    match = _NEXT_WORD_RE.match(text, end)
    return match is not None and match[1] in SENTENCE_STARTERS


def _name_follows(text: str, end: int) -> bool:
    """True before a capitalised word that is not a usual sentence start ("St. Louis")."""
    return bool(re.match(r"\s+[A-Z]", text[end:])) and not _sentence_follows(text, end)


def _period_if_kept(text: str, end: int) -> str:
    return "." if _keeps_period(text, end) else ""


def _doctor(match: re.Match[str]) -> str:
    """``Dr.`` after a capitalised word and before the end, a mark or a new sentence is Drive
    ("Elm Dr. The house" -> "Elm Drive. The house"); otherwise Doctor."""
    before, text, end = match["before"] or "", match.string, match.end()
    rest = text[end:].lstrip()
    if before and (not rest or rest[0] in ",.;:!?" or _sentence_follows(text, end)):
        return f"{before}Drive{_period_if_kept(text, end)}"
    return f"{before}Doctor"


def _saint(match: re.Match[str]) -> str:
    """``St.`` before a name is Saint ("St. Louis"); otherwise Street, keeping the sentence
    end ("Main St. It is" -> "Main Street. It is")."""
    if _name_follows(match.string, match.end()):
        return "Saint"
    return f"Street{_period_if_kept(match.string, match.end())}"


def _trailing(match: re.Match[str]) -> str:
    word = _TRAILING[match[1].lower()]
    if match[1][0].isupper():
        word = word.capitalize()
    return f"{word}{_period_if_kept(match.string, match.end())}"


def _number_abbreviation(match: re.Match[str]) -> str:
    """``No. 5`` -> "Number five", ``vol. II`` -> "volume two" (case as written)."""
    word = _NUMBER_ABBREVIATIONS[match[1].lower()]
    return f"{word.capitalize() if match[1][0].isupper() else word} "


def _initialism(match: re.Match[str]) -> str:
    """``U.S.`` -> ``US``; the period stays at the end of text and before a new sentence
    ("the U.K. My sister" -> "the UK. My sister")."""
    letters = match.group().replace(".", "").upper()
    return f"{letters}{'.' if _sentence_follows(match.string, match.end()) else ''}"


def _initial(match: re.Match[str]) -> str:
    """A single capital's period is dropped before a name ("John F. Kennedy", "met J. Smith",
    "J. K. Rowling") and kept at the end of text or before a new sentence ("plan B. The
    first", "an A. His sister")."""
    return match.group() if _sentence_follows(match.string, match.end()) else match[1]


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


# ----------------------------------------------------------------------------------------------
# Web addresses

_WEB_SYMBOLS = {
    ".": "dot",
    "/": "slash",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "-": "dash",
    "_": "underscore",
    ":": "colon",
    "#": "hash",
    "@": "at",
    "%": "percent",
    "~": "tilde",
    "+": "plus",
}
_TOP_LEVEL_DOMAINS = "com|org|net|edu|gov|io|co|uk|us|ca|au|de|fr|ai|dev|app|info|biz|me|tv"
_WEB_ADDRESS_RE = re.compile(
    r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"  # john.doe@example.com
    r"|(?:\bhttps?://|\bwww\.)\S*[\w/]"  # https://example.com/a?b=c, www.example.com
    rf"|\b[\w-]+(?:\.[\w-]+)*\.(?:{_TOP_LEVEL_DOMAINS})\b(?:/\S*[\w/])?"  # example.com/docs
)
_SCHEME_RE = re.compile(r"^https?://")
_WEB_SYMBOL_RE = re.compile("[" + re.escape("".join(_WEB_SYMBOLS)) + "]")


def _web_address(match: re.Match[str]) -> str:
    """An email or URL with its marks as words: "john dot doe at example dot com", "example dot
    com slash docs"; ``http://``/``https://`` is not read, ``www`` is spelled."""
    address = _SCHEME_RE.sub("", match.group()).replace("www.", "WWW.")
    return " " + _WEB_SYMBOL_RE.sub(lambda m: f" {_WEB_SYMBOLS[m.group()]} ", address) + " "


# ----------------------------------------------------------------------------------------------
# Roman numerals

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


# ----------------------------------------------------------------------------------------------
# Symbols and cleanup

_SYMBOL_WORDS = {
    "&": " and ",
    "@": " at ",
    "+": " plus ",
    "=": " equals ",
    "%": " percent ",
    "$": " dollar ",
    "£": " pound ",
    "€": " euro ",
    "¥": " yen ",
    "₹": " rupee ",
    "¢": " cents ",
}
_SYMBOL_RE = re.compile("[" + re.escape("".join(_SYMBOL_WORDS)) + "]")
_SHARP_RE = re.compile(r"\b([A-G])#(?![\w#])")
_COMPARISON_RE = re.compile(r"(?:(?<=\s)|^)([<>]=?)(?=\s|-?\d)")
_COMPARISON_WORDS = {
    "<": " less than ",
    ">": " greater than ",
    "<=": " less than or equal to ",
    ">=": " greater than or equal to ",
}
_BRACKETS_RE = re.compile(r"[()\[\]{}]")
_DOUBLE_DASH_RE = re.compile(r"-{2,}")
_SPACED_HYPHEN_RE = re.compile(r"(?<=\s)-(?=\s)|(?<=\s)-$|^-(?=\s)")
_DOTS_RE = re.compile(r"\.{2,}")
_APOSTROPHE_RE = re.compile(r"(?<![A-Za-z])'|'(?![A-Za-z])(?<![sS]')")
_HYPHEN_RE = re.compile(r"(?<![A-Za-z])-|-(?![A-Za-z])")
_DISALLOWED_RE = re.compile(r"[^A-Za-z' \-.,?!;:—…]")
_PUNCT_RUN_RE = re.compile(r"\s*([.,?!;:—…])(?:\s*[.,?!;:—…])*\s*")
_SPACES_RE = re.compile(r"\s+")
_DIGITS_RE = re.compile(r"\d+")
_LEADING_PUNCT_RE = re.compile(r"^[\s.,?!;:—…]+")

_STRENGTH = {"?": 8, "!": 7, "…": 6, ".": 5, ";": 4, ":": 3, "—": 2, ",": 1}


def _punctuation_run(match: re.Match[str]) -> str:
    marks = [char for char in match.group() if char in _STRENGTH]
    mark = max(marks, key=lambda char: _STRENGTH[char])
    return f" {mark} " if mark == _DASH else f"{mark} "


_STEPS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (_UNIT_RANGE, " to "),
    (_DOTTED, _dotted),
    (_CURRENCY_RANGE, _currency_range),
    (_CURRENCY_BEFORE, _currency_before),
    (_CURRENCY_AFTER, _currency_after),
    (_TIME, _time),
    (_HOUR_AMPM, _hour_ampm),
    (_DATE_US, _date_us),
    (_DATE_ISO, _date_iso),
    (_MONTH_DAY, _month_day),
    (_PERCENT, _percent),
    (_UNIT, _unit),
    (_DEGREES_SCALE, _degrees_scale),
    (_PHONE, _phone),
    (_MIXED_FRACTION, _mixed_fraction),
    (_FRACTION, _fraction),
    (_ORDINAL, _ordinal),
    (_DECADE, _decade),
    (_RANGE, _range),
    (_SCALED, _scaled),
    (_RATIO, _ratio),
    (_NUMBER_SIGN, " number "),
    (_DECIMAL, _decimal),
    (_YEAR, _year),
    (_CARDINAL, _cardinal),
)


def _verbalize(text: str) -> str:
    text = _WEB_ADDRESS_RE.sub(_web_address, text)
    text = _DOTS_RE.sub(_ELLIPSIS, text)
    text = _DOUBLE_DASH_RE.sub(f" {_DASH} ", text)
    text = _expand_abbreviations(text)
    text = _ROMAN_RE.sub(_roman, text)
    if any(char.isdigit() for char in text):
        for pattern, replacement in _STEPS:
            text = pattern.sub(replacement, text)
        # numbers glued to letters ("v2.0", "mp3"): apart, then the same steps again
        text = _LETTER_DIGIT.sub(" ", text)
        for pattern, replacement in _STEPS:
            text = pattern.sub(replacement, text)
        # digits no step could read are spoken one by one, never dropped
        text = _DIGITS_RE.sub(lambda m: f" {digits_to_words(m.group())} ", text)
    text = _SPACED_HYPHEN_RE.sub(f" {_DASH} ", text)
    text = _SHARP_RE.sub(r"\1 sharp", text)
    text = _COMPARISON_RE.sub(lambda m: _COMPARISON_WORDS[m[1]], text)
    return _SYMBOL_RE.sub(lambda m: _SYMBOL_WORDS[m.group()], text)


def _clean(text: str) -> str:
    text = _BRACKETS_RE.sub(f" {_DASH} ", text)
    text = _APOSTROPHE_RE.sub(" ", text)
    text = _HYPHEN_RE.sub(" ", text)
    text = _DISALLOWED_RE.sub(" ", text)
    text = _PUNCT_RUN_RE.sub(_punctuation_run, text)
    text = _LEADING_PUNCT_RE.sub("", text)
    return _SPACES_RE.sub(" ", text).strip()


# ----------------------------------------------------------------------------------------------
# Lines

_LINE_BREAK_RE = re.compile(r"\r\n?")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n\s*")
_LIST_ITEM_RE = re.compile(r"^[ \t]*(?:(?P<number>\d{1,3})[.)]|[-*•])[ \t]+", re.MULTILINE)


def _line_end(match: re.Match[str]) -> str:
    """A period where a line that must end a sentence has no mark of its own ("Shopping:" keeps
    its colon); nothing at the start of text."""
    before = match.string[: match.start()].rstrip()
    return " " if not before or before[-1] in ".?!:;…" else " . "


def _list_item(match: re.Match[str]) -> str:
    """A list item at a line start begins a sentence; its number is read as a sentence of its
    own ("1. First" -> "One. First"), a bullet (``-``, ``*``, ``•``) is dropped."""
    number = match["number"]
    return _line_end(match) + (f"{number_to_words(number).capitalize()}. " if number else "")


def _mark_lines(text: str) -> str:
    """Line structure -> sentence ends: a blank line ends a sentence (a heading, a paragraph),
    as does a line break before a list item; other line breaks become spaces later."""
    if "\n" not in text and "\r" not in text and not _LIST_ITEM_RE.match(text):
        return text
    text = _LINE_BREAK_RE.sub("\n", text)
    text = _LIST_ITEM_RE.sub(_list_item, text)
    return _BLANK_LINE_RE.sub(_line_end, text)


# ----------------------------------------------------------------------------------------------
# Public API


def normalize_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Turn raw English text into plain speakable words and punctuation.

    Args:
        text: any user text.
        max_chars: longest accepted input (``text.max_chars``); longer text raises.

    Returns:
        The normalized text (see the module docstring for its exact alphabet).

    Raises:
        TextError: empty text, text over ``max_chars``, text with no letters or digits to
            speak, or letters of a script ``unidecode`` cannot transliterate.
    """
    if not isinstance(text, str):
        raise TextError(f"text must be a string, got {type(text).__name__}")
    if len(text) > max_chars:
        raise TextError(
            f"text is {len(text)} characters long, over the limit of {max_chars} "
            "(text.max_chars); split it into paragraphs or sentences and synthesise them one "
            "at a time, or raise text.max_chars"
        )
    if not text.strip():
        raise TextError("text is empty; give at least one word to speak")
    folded = _fold_unicode(_mark_lines(text))
    if not any(char.isalnum() and char.isascii() for char in folded):
        raise TextError(
            f"text {_preview(text)} has nothing to speak: no letters or digits (only "
            "symbols, emoji, punctuation or control characters); give at least one word"
        )
    normalized = _clean(_verbalize(folded))
    if not any("a" <= char.lower() <= "z" for char in normalized):
        raise TextError(
            f"text {_preview(text)} has nothing to speak after normalisation; "
            "give at least one word"
        )
    return normalized


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# "?" and "!" end a sentence; "." only before something that is not a lowercase letter: espeak
# (piper's frontend) reads "no. then" as one clause, and preprocessing reads whole utterances
_SENTENCE_END_RE = re.compile(r"(?<=[?!])\s+|(?<=\.)\s+(?![a-z])")


def split_sentences(normalized: str) -> list[str]:
    """Split normalized text after ``?`` and ``!``, and after ``.`` unless a lowercase word
    follows (the mark stays with its sentence).

    Abbreviations are already expanded by :func:`normalize_text`; a period before a lowercase
    word ("fig. two", "no. then") is one clause for espeak, as for the whole-utterance reading
    preprocessing does, so splitting there would add a boundary token and a pause that the
    training data never had.
    """
    return [sentence for sentence in _SENTENCE_END_RE.split(normalized.strip()) if sentence]


# ----------------------------------------------------------------------------------------------
# Acronyms

_VOWELS = frozenset("AEIOUY")
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
