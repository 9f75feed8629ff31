"""Percentages and units of measure after a number.

``15%`` -> ``fifteen percent``, ``5 km`` -> ``five kilometers``, ``25°C`` -> ``twenty-five
degrees Celsius``. A unit rule names the unit only; the number is read by the later rules.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.abbreviations import SENTENCE_STARTERS
from fastspeak.text.normalize.numbers import decimal_to_words, number_to_words
from fastspeak.text.normalize.numeric import _word_before

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
    r"(?P<unit>" + "|".join(map(re.escape, sorted(_UNITS, key=len, reverse=True))) + r")"
    r"(?P<dot>(?<=W)\.(?=\s+[A-Z0-9]))?(?![\w/'])"
)
_DEGREES_SCALE = re.compile(r"(?<=\d)\s+degrees\s?(?P<scale>[CF])\b")

_NEXT_RE = re.compile(r"\s+([A-Za-z]+|\d)")
_HOURS_BEFORE_RE = re.compile(r"\dh\s*$|\d\s?(?:h|hr|hrs|hours?)\s+$")
_SIZE_LENGTH_RE = re.compile(r"\s?\d{2}L\b")
_SIZE_WAIST_RE = re.compile(r"\d{2}W\s?$")
_ROAD_WORDS = frozenset("exit highway hwy interstate junction route".split())
_MILLION_NOUNS = frozenset(
    "accounts barrels cars cases children copies customers deaths devices dollars downloads euros "
    "fans followers homes households jobs listeners members men patients people players pounds "
    "readers residents sales streams students subscribers tourists users viewers views visitors "
    "votes voters women workers years".split()
)
"""Plural nouns before which a glued ``m`` is million ("8m people"; "400m hurdles" stays)."""
_NETWORK_NEXT = frozenset(
    "coverage connection data here internet lte mast masts modem network networks now only "
    "phone phones plan router service signal sim speed speeds there tower towers".split()
)
_NETWORK_BEFORE = frozenset("and get gets getting got had has have no on or over via with".split())


def _next_word(text: str, end: int) -> str:
    """The word (or digit) right after ``end`` across spaces; "" before a mark or the end."""
    match = _NEXT_RE.match(text, end)
    return match[1] if match else ""


def _single_letter(match: re.Match[str]) -> str | None:
    """What a single-letter unit means when it is not one, or None when it is a unit.

    ``m`` is minutes after an hour count or before "ago" ("2h 15m", "5m ago") and million glued
    before a counted plural noun (:data:`_MILLION_NOUNS`, "8m people"); ``W`` is West before a capitalised word or a number
    ("100 W Main St", "55 W. 46th St.") and after exit or route ("exit 12W"); ``W`` and ``L``
    glued to a size are letters ("32W 34L"); a ``g`` glued to 2 to 5 is a network generation
    ("4g here" -> "four G")."""
    unit, number, glued = match["unit"], match["number"], not match["space"]
    text, start, end = match.string, match.start(), match.end()
    following = _next_word(text, end)
    if unit == "m":
        if following.lower() == "ago" or _HOURS_BEFORE_RE.search(text, 0, start):
            return f"{number} {'minute' if number == '1' else 'minutes'}"
        if glued and following.lower() in _MILLION_NOUNS:
            return f"{number} million"
    elif unit in ("W", "L"):
        if glued and (
            (unit == "W" and _SIZE_LENGTH_RE.match(text, end))
            or (unit == "L" and _SIZE_WAIST_RE.search(text, 0, start))
        ):
            return f" {number_to_words(number)} {unit} "
        if unit == "W" and _word_before(text, start) in _ROAD_WORDS:
            return f"{number} West"
        ends_sentence = match["dot"] and following in SENTENCE_STARTERS
        if following and not ends_sentence and (following[0].isupper() or following.isdigit()):
            return f"{number} West" if unit == "W" else match.group()
    elif unit == "g" and glued and number in ("2", "3", "4", "5"):
        if following.lower() in _NETWORK_NEXT or (
            not following and _word_before(text, start) in _NETWORK_BEFORE
        ):
            return f" {number_to_words(number)} G "
    return None


def _unit(match: re.Match[str]) -> str:
    """``5 km`` -> "5 kilometers", ``1 kg`` -> "1 kilogram" (the number is read later). A
    glued ``s`` is left alone (``80s`` is a decade), a unit before an apostrophe is a letter
    ("10 V's"), and single letters that mean something else are read so
    (:func:`_single_letter`)."""
    unit = match["unit"]
    if unit == "s" and not match["space"]:
        return match.group()
    other = _single_letter(match) if unit in ("m", "W", "L", "g") else None
    if other is not None:
        return other
    singular, plural = _UNITS[unit]
    return f"{match['number']} {singular if match['number'] == '1' else plural}{match['dot'] or ''}"


def _degrees_scale(match: re.Match[str]) -> str:
    """``25°C`` (folded to "25 degrees C") -> "25 degrees Celsius"."""
    return " degrees " + ("Celsius" if match["scale"] == "C" else "Fahrenheit")
