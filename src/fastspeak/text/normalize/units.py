"""Percentages and units of measure after a number.

``15%`` -> ``fifteen percent``, ``5 km`` -> ``five kilometers``, ``25°C`` -> ``twenty-five
degrees Celsius``. A unit rule names the unit only; the number is read by the later rules.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.numbers import decimal_to_words

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
