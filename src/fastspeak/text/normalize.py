"""English text normalisation: raw text -> plain speakable words and punctuation.

The output ("normalized text") is what every inventory phonemises and what the piper teacher
voice speaks, so it is deliberately simple:

* ASCII letters, ``'`` inside words (``don't``, ``dogs'``), ``-`` between letters
  (``twenty-four``), single spaces;
* the punctuation ``. , ? ! ; :`` attached to the preceding word, ``…`` attached likewise, and a
  spaced dash `` — `` (from dashes, `` - `` and brackets); runs of punctuation collapse to the
  strongest mark (``?!`` -> ``?``), and punctuation before the first word is dropped.

What is verbalised: cardinals, decimals, negative numbers, ordinals (``1st``), years
(``1984`` -> ``nineteen eighty-four``), decades (``1990s``), currency (``$ £ € ¥ ₹``, with
``million``/``bn`` scales), times (``3:30pm`` -> ``three thirty PM``), dates (``3/4/1984``,
``1984-03-04``, ``March 4``), percentages, simple fractions, ranges (``1-5`` -> ``one to five``),
phone-like digit groups, common abbreviations (``Dr. Mr. Mrs. St. etc. e.g. i.e. vs.``) and a few
symbols (``& @ + = # °``).

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
_CURRENCY_RANGE = re.compile(
    rf"(?P<first>{_AMOUNT})\s?-\s?(?P<second>[$£€¥₹]?\s?(?:{_NUMBER})(?:\.\d+)?)"
)
_CURRENCY_BEFORE = re.compile(
    rf"(?:(?<![\w-])(?P<sign>-))?"
    rf"(?P<symbol>[$£€¥₹])\s?(?P<integer>{_NUMBER})(?:\.(?P<fraction>\d+))?"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|tn|[kKmMbB])\b)?"
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


def _currency_before(match: re.Match[str]) -> str:
    words = _currency_words(match["symbol"], match["integer"], match["fraction"], match["scale"])
    sign = "minus " if match["sign"] else ""
    return f" {sign}{words} "


def _currency_range(match: re.Match[str]) -> str:
    """``$100-200`` -> "one hundred dollars to two hundred dollars" (the second amount takes
    the first one's currency when it has none)."""
    first = _CURRENCY_BEFORE.fullmatch(match["first"])
    second = match["second"].strip()
    if second[0] not in _CURRENCIES:
        second = match["first"][0] + second
    last = _CURRENCY_BEFORE.fullmatch(second)
    assert first is not None and last is not None
    return f" {_currency_before(first).strip()} to {_currency_before(last).strip()} "


def _currency_after(match: re.Match[str]) -> str:
    return f" {_currency_words(match['symbol'], match['integer'], match['fraction'], None)} "


_TIME = re.compile(
    r"\b(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s?(?P<ampm>[AaPp])\s?[Mm]\b)?"
)
_HOUR_AMPM = re.compile(r"\b(?P<hour>\d{1,2})\s?(?P<ampm>[AaPp])\s?[Mm]\b")


def _ampm(marker: str | None) -> str:
    return f" {marker.upper()}M" if marker else ""


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 24 or minute > 59:
        return f" {number_to_words(match['hour'])} {number_to_words(match['minute'])} "
    words = number_to_words(str(hour))
    if minute == 0:
        words += "" if match["ampm"] else " o'clock"
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
    r"\s(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?!:)"
)


def _date_us(match: re.Match[str]) -> str:
    return _date(int(match[1]), int(match[2]), match[3]) or match.group().replace("/", " / ")


def _date_iso(match: re.Match[str]) -> str:
    return _date(int(match[2]), int(match[3]), match[1]) or match.group().replace("-", " - ")


def _month_day(match: re.Match[str]) -> str:
    month = match["month"].rstrip(".")
    if month not in _MONTHS:
        month = _MONTH_ABBREVIATIONS[month[:3].lower()]
    day = int(match["day"])
    if not 1 <= day <= 31:
        return match.group()
    return f"{month} {ordinal_to_words(str(day))}"


_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _fraction(match: re.Match[str]) -> str:
    numerator, denominator = match[1], match[2]
    den = int(denominator)
    if den < 2 or den > 100 or len(numerator) > 6:
        return f" {number_to_words(numerator)} over {number_to_words(denominator)} "
    num = int(numerator)
    if den in _FRACTION_NAMES:
        name = _FRACTION_NAMES[den][0 if num == 1 else 1]
    else:
        name = ordinal_to_words(denominator)
        if num != 1:
            name = _plural_word(name)
    return f" {number_to_words(numerator)} {name} "


_MIXED_FRACTION = re.compile(r"(?<![\w.,/])(\d{1,6}) (\d{1,2})/(\d{1,3})\b(?!/)")


def _mixed_fraction(match: re.Match[str]) -> str:
    """``1 1/2`` -> "one and one half" (a proper fraction after a whole number)."""
    whole, numerator, denominator = match[1], match[2], match[3]
    if not 0 < int(numerator) < int(denominator):
        return match.group()
    fraction = _FRACTION.fullmatch(f"{numerator}/{denominator}")
    assert fraction is not None
    return f" {number_to_words(whole)} and {_fraction(fraction).strip()} "


_PERCENT = re.compile(r"(?<![\w.])(-?)(\d[\d,]*)(?:\.(\d+))?\s?%")


def _percent(match: re.Match[str]) -> str:
    sign = "minus " if match[1] else ""
    return f" {sign}{decimal_to_words(match[2].replace(',', ''), match[3] or '')} percent "


_ORDINAL = re.compile(r"\b(\d[\d,]*)(st|nd|rd|th)\b", re.IGNORECASE)
_DECADE = re.compile(r"\b(\d{2,4})'?s\b")
_PHONE = re.compile(r"\b(?:1-)?(?:\d{3}-)?\d{3}-\d{4}\b")
_RANGE = re.compile(r"(?<![\w.,])(\d{1,4}(?:\.\d+)?)\s?-\s?(\d{1,4}(?:\.\d+)?)(?![\w,]|\.\d)")
_DOTTED = re.compile(r"(?<![\d.,])\d+(?:\.\d+){2,}(?![\d])")  # versions, addresses, dates
_SCALED = re.compile(r"(?<![\w.,])(\d[\d,]*(?:\.\d+)?)\s?(bn|mn|tn|k)\b")
_FRACTION = re.compile(r"\b(\d{1,6})/(\d{1,6})\b")
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


def _phone(match: re.Match[str]) -> str:
    return " " + ", ".join(digits_to_words(group) for group in match.group().split("-")) + " "


def _range(match: re.Match[str]) -> str:
    first, second = match[1], match[2]
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
_DOCTOR_RE = re.compile(r"\b(?P<before>[A-Z][a-z]+\s)?Dr\.(?P<after>\s[A-Z])?")
_SAINT_RE = re.compile(r"\bSt\.(?P<after>\s[A-Z])?")
_NUMBER_ABBREVIATION_RE = re.compile(r"\b(No|Nos|no|nos)\.\s?(?=\d)")
_MONTH_ABBREVIATION_RE = re.compile(
    r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.(?=\s\d)"
)
_LATIN_RE = re.compile(r"\b(e\.\s?g|i\.\s?e)\.?(?=[\s,;:]|$)", re.IGNORECASE)
_AMPM_RE = re.compile(r"\b([AaPp])\.[Mm]\.")
_INITIALISM_RE = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_INITIAL_RE = re.compile(r"\b([A-Z])\.(?=\s+[A-Z])")


def _keeps_period(text: str, end: int) -> bool:
    """An abbreviation's period also ends the sentence at the end of text or before a capital."""
    rest = text[end:]
    return not rest.strip() or bool(re.match(r"\s+[A-Z]", rest))


def _expand_abbreviations(text: str) -> str:
    text = _LATIN_RE.sub(lambda m: " for example" if m[1][0] in "eE" else " that is", text)
    text = _AMPM_RE.sub(
        lambda m: f"{m[1].upper()}M" + ("." if _keeps_period(m.string, m.end()) else ""), text
    )
    text = _NUMBER_ABBREVIATION_RE.sub("number ", text)
    text = _MONTH_ABBREVIATION_RE.sub(lambda m: _MONTH_ABBREVIATIONS[m[1].lower()[:3]], text)

    def doctor(match: re.Match[str]) -> str:
        before = match["before"] or ""
        rest = match.string[match.end() :]
        if before and not match["after"] and (not rest.strip() or rest.lstrip()[0] in ",.;:!?"):
            period = "." if _keeps_period(match.string, match.end()) else ""
            return f"{before}Drive{period}{match['after'] or ''}"
        return f"{before}Doctor{match['after'] or ''}"

    text = _DOCTOR_RE.sub(doctor, text)

    def saint(match: re.Match[str]) -> str:
        if match["after"]:
            return f"Saint{match['after']}"
        period = "." if _keeps_period(match.string, match.end()) else ""
        return f"Street{period}"

    text = _SAINT_RE.sub(saint, text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m[1]].capitalize(), text)
    text = _TITLE_NO_PERIOD_RE.sub(lambda m: _TITLES_NO_PERIOD[m[1]].capitalize(), text)

    def trailing(match: re.Match[str]) -> str:
        word = _TRAILING[match[1].lower()]
        if match[1][0].isupper():
            word = word.capitalize()
        period = "." if _keeps_period(match.string, match.end()) else ""
        return f"{word}{period}"

    text = _TRAILING_RE.sub(trailing, text)
    text = _VERSUS_RE.sub("versus", text)

    def initialism(match: re.Match[str]) -> str:
        letters = match.group().replace(".", "").upper()
        period = "." if not match.string[match.end() :].strip() else ""
        return f"{letters}{period}"

    text = _INITIALISM_RE.sub(initialism, text)
    return _INITIAL_RE.sub(r"\1", text)


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
}
_SYMBOL_RE = re.compile("[" + re.escape("".join(_SYMBOL_WORDS)) + "]")
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
    text = _DOTS_RE.sub(_ELLIPSIS, text)
    text = _DOUBLE_DASH_RE.sub(f" {_DASH} ", text)
    text = _expand_abbreviations(text)
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
    folded = _fold_unicode(text)
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
