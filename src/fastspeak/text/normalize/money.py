"""Money: currency (``$ £ € ¥ ₹``) before or after an amount.

``$5.20`` -> ``five dollars twenty cents``, ``12€`` -> ``twelve euros``, with ``million``/``bn``
scales (``$1.5 million`` -> ``one point five million dollars``, ``$2.8T``), ranges (``$5-10 million`` ->
``five to ten million dollars``) and rates (``$15/month`` -> ``fifteen dollars per month``).
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.numbers import _SCALES, decimal_to_words, number_to_words
from fastspeak.text.normalize.units import _UNITS

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
_SCALE_AFTER = (
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|mn|tn|[kKmMbB]|(?<=\d)T(?!-))\b)?"
)
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
