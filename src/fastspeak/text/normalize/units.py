"""Percentages and units of measure after a number.

``15%`` -> ``fifteen percent``, ``5 km`` -> ``five kilometers``, ``25°C`` -> ``twenty-five
degrees Celsius``. A unit rule names the unit only; the number is read by the later rules.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.abbreviations import SENTENCE_STARTERS
from fastspeak.text.normalize.context import _has_plural_ending, _word_before
from fastspeak.text.normalize.numbers import decimal_to_words, number_to_words

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
    "m/s": ("meter per second", "meters per second"),
    "km/s": ("kilometer per second", "kilometers per second"),
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
    "KB/s": ("kilobyte per second", "kilobytes per second"),
    "kB/s": ("kilobyte per second", "kilobytes per second"),
    "MB/s": ("megabyte per second", "megabytes per second"),
    "GB/s": ("gigabyte per second", "gigabytes per second"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    "Mb/s": ("megabit per second", "megabits per second"),
    "Gb/s": ("gigabit per second", "gigabits per second"),
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
_FRACTION_BEFORE_RE = re.compile(r"(?<![\w.])(\d{1,3})/$")
_DEGREES_SCALE = re.compile(r"(?<=\d)\s+degrees\s?(?P<scale>[CF])\b")

_NEXT_RE = re.compile(r"\s+([A-Za-z]+|\d)")
_NEXT_WORDS_RE = re.compile(r"[\s,]+([A-Za-z]+|\d+(?:\.\d+)?[A-Za-z]*)")
_HOURS_BEFORE_RE = re.compile(r"\dh\s*$|\d\s?(?:h|hr|hrs|hours?)\s+$")
_MINUTES_BEFORE_RE = re.compile(r"\d\s?(?:m|mins?|minutes?)\s+$")
_SECONDS_NEXT_RE = re.compile(r"\s+\d{1,2}(?:\.\d+)?\s?s\b")
_SIZE_LENGTH_RE = re.compile(r"\s?\d{2}L\b")
_SIZE_WAIST_RE = re.compile(r"\d{2}W\s?$")
_WIN_LOSS_NEXT_RE = re.compile(r"[\s,;/-]+(?:and\s+)?\d{1,3}\s?L\b")
_WIN_LOSS_BEFORE_RE = re.compile(r"\d\s?W[\s,;/-]+(?:and\s+)?$")
_PLACE_BEFORE_RE = re.compile(r"\b([A-Za-z]+)\.?:?\s*(?:#\s?|No\.?\s?)?$")
_ORDINAL_NEXT_RE = re.compile(r"\.?\s+\d+(?:st|nd|rd|th)\b")
_ADDRESS_BEFORE = frozenset("at on".split())
_WEST_NAMES = frozenset("Bank Coast Indies Midlands Sussex Virginia Yorkshire".split())
"""Names after which ``W`` is West even with no address cue ("400 W. Virginia miners")."""
_ROAD_WORDS = frozenset("exit highway hwy interstate junction route".split())
_STREET_WORDS = frozenset(
    "st street ave avenue rd road blvd boulevard dr drive lane ln way pl place".split()
)
_PLACE_WORDS = frozenset(
    "apartment apt bay berth block cabin gate pier platform room row seat stand suite "
    "terminal unit".split()
)
"""Words before a number whose glued letter names a place ("Room 12W", "seat 23L")."""
_MILLION_NOUNS = frozenset(
    "accounts barrels cars cases children copies customers deaths devices dollars downloads euros "
    "fans followers homes households jobs listeners members men patients people players pounds "
    "readers residents sales streams students subscribers tourists users viewers views visitors "
    "votes voters women workers years".split()
)
"""Plural nouns before which a glued ``m`` is million ("8m people"; "400m hurdles" stays)."""
_LENGTH_NEXT = frozenset(
    "above across air apart away backstroke below breaststroke butterfly dash deep down drop "
    "final finals freestyle heat heats high hurdles individual long medley platform race relay "
    "run runner springboard sprint sprinter square squared steeplechase swim tall thick under "
    "underwater up walk wide x by".split()
)
"""Words after which a glued ``m`` is meters ("3m high", "400m hurdles", "5m x 3m")."""
_NOT_A_NOUN = frozenset(
    "a about after ago an and are as at but by for from has his in into is its of on or over "
    "per than that the their this thus to was with".split()
)
_MONEY_BEFORE = frozenset(
    "bid bought budget cost costs earn earned earns fee fine fined fund funding grossed invest "
    "invested lost loss made make makes net netted owe owed owes paid pay pays price profit "
    "profits raise raised raises raising revenue revenues sold spend spending spent won "
    "worth".split()
)
"""Words before a number whose glued ``m`` is million at the end of a clause ("raised 4m")."""
_ATHLETICS_METERS = frozenset("60 100 110 200 400 800 1500 3000 5000 10000".split())
_ATHLETICS_BEFORE = frozenset("a the ran run runs running sprint sprinted swam swim".split())
_LENGTH_BEFORE = frozenset(
    "above altitude below deep depth distance elevation height length visibility width".split()
)
_JUMP_BEFORE = frozenset(
    "climbed dived dove jump jumped jumps leap leaped leapt threw throw throws thrown".split()
)
"""Verbs before a number whose glued ``m`` is meters unless a counted noun follows ("He jumped
8m", but "Sales jumped 3m units")."""
_NAVIGATION_BEFORE_RE = re.compile(
    r"\b(?:(?:turn|keep|bear)\s+(?:left|right)|(?:take|use)\s+the\s+(?:\w+\s+)?exit"
    r"|continue\s+straight(?:\s+on|\s+ahead)?)\s+in\s*$",
    re.IGNORECASE,
)
"""A route instruction right before "in N": a glued ``m`` is meters ("Turn left in 200m.",
"Take the next exit in 400m"), not minutes."""


def _after_route_instruction(text: str, start: int) -> bool:
    """A route instruction ends right before ``start`` (:data:`_NAVIGATION_BEFORE_RE`)."""
    return _NAVIGATION_BEFORE_RE.search(text, max(0, start - 60), start) is not None


_MINUTES_NEXT = frozenset("ago read".split())
_HYPHEN_WORD_RE = re.compile(r"-([A-Za-z]+)")
_SOON_BEFORE = frozenset("eta in within".split())
_NETWORK_NEXT = frozenset(
    "coverage connection data here internet lte mast masts modem network networks now only "
    "phone phones plan router service signal sim speed speeds there tower towers".split()
)
_NETWORK_BEFORE = frozenset("and get gets getting got had has have no on or over via with".split())


def _number_words(number: str) -> str:
    """``12``, ``1,200`` or ``3.5`` as words."""
    integer, _, fraction = number.replace(",", "").partition(".")
    return decimal_to_words(integer, fraction) if fraction else number_to_words(integer)


def _next_word(text: str, end: int) -> str:
    """The word (or digit) right after ``end`` across spaces; "" before a mark or the end."""
    match = _NEXT_RE.match(text, end)
    return match[1] if match else ""


def _next_words(text: str, end: int, count: int) -> list[str]:
    """Up to ``count`` words (or numbers) after ``end``, across spaces and commas, stopping at
    any other mark."""
    words: list[str] = []
    for _ in range(count):
        match = _NEXT_WORDS_RE.match(text, end)
        if match is None:
            break
        words.append(match[1])
        end = match.end()
    return words


def _is_plural_noun(word: str) -> bool:
    lower = word.lower()
    return lower in _MILLION_NOUNS or _has_plural_ending(lower)


def _glued_m(match: re.Match[str], following: str) -> str | None:
    """A glued ``m`` ("5m") that is not minutes: million before a counted noun ("5m shares",
    "8m new subscribers", "5m Americans") or after money words at a clause end ("raised 4m"),
    meters (None) before a length word, as a race or after a jump or throw with no counted
    noun after it ("3m high", "the 100m in 9.58 seconds", "He jumped 8m");
    otherwise the letter stays, as it did before units were read ("He jumped 8m")."""
    number, text, start, end = match["number"], match.string, match.start(), match.end()
    words = _next_words(text, end, 3)
    before = _word_before(text, start)
    hyphen = _HYPHEN_WORD_RE.match(text, end)
    if (
        following.lower() in _LENGTH_NEXT
        or (hyphen is not None and hyphen[1].lower() in _LENGTH_NEXT)
        or before in _LENGTH_BEFORE
        or _after_route_instruction(text, start)
    ):
        return None
    for word in words:
        if not word.isalpha() or word.lower() in _NOT_A_NOUN or word.lower() in _LENGTH_NEXT:
            break
        if _is_plural_noun(word):
            return f"{number} million"
    if number.replace(",", "") in _ATHLETICS_METERS and before in _ATHLETICS_BEFORE:
        return None
    if before in _MONEY_BEFORE and (not following or following.lower() in _NOT_A_NOUN):
        return f"{number} million"
    if before in _JUMP_BEFORE:
        return None
    return f" {number}m "


def _single_letter(match: re.Match[str]) -> str | None:
    """What a single-letter unit means when it is not one, or None when it is a unit.

    ``m`` is minutes after an hour count, before "ago" or a seconds count ("2h 15m", "5m ago",
    "3m 20s") and after "in" or "ETA" at a clause end ("in 10m."); a glued ``m`` is million,
    meters or the letter by its context (:func:`_glued_m`). ``W`` is West only with an address
    cue: after exit or route ("exit 12W"), before an ordinal or with a street word close after
    ("100 W Main St", "55 W. 46th St."), as ``W.`` before a name ("400 W. Virginia") or after
    "at"/"on" before a name ("at 350 W Broadway"); otherwise watts ("65 W USB-C charger").
    ``W`` and ``L`` are letters after a place word ("Room 12W", "seat 23L"), as a win-loss
    record ("12 W 4 L") or a size ("32W 34L"), and a glued ``W``/``L`` only means watts or
    liters before a lowercase word ("a 60W bulb"). A ``g`` glued to 2 to 5 is a network
    generation ("4g here" -> "four G")."""
    unit, number, glued = match["unit"], match["number"], not match["space"]
    text, start, end = match.string, match.start(), match.end()
    following = _next_word(text, end)
    if unit == "m":
        if (
            following.lower() in _MINUTES_NEXT
            or _HOURS_BEFORE_RE.search(text, 0, start)
            or _SECONDS_NEXT_RE.match(text, end)
            or (
                _word_before(text, start) in _SOON_BEFORE
                and "." not in number
                and int(number.replace(",", "")) <= 60
                and not following
                and not _after_route_instruction(text, start)
            )
        ):
            return f"{number} {'minute' if number == '1' else 'minutes'}"
        if glued:
            return _glued_m(match, following)
    elif unit in ("W", "L"):
        place = _PLACE_BEFORE_RE.search(text, max(0, start - 30), start)
        if (
            (place is not None and place[1].lower() in _PLACE_WORDS)
            or (unit == "W" and _WIN_LOSS_NEXT_RE.match(text, end))
            or (unit == "L" and _WIN_LOSS_BEFORE_RE.search(text, max(0, start - 30), start))
            or (glued and unit == "W" and _SIZE_LENGTH_RE.match(text, end))
            or (glued and unit == "L" and _SIZE_WAIST_RE.search(text, 0, start))
        ):
            return f" {_number_words(number)} {unit} "
        ends_sentence = match["dot"] and following in SENTENCE_STARTERS
        name_follows = following[:1].isupper() and not following.isupper()
        if unit == "W" and (
            _word_before(text, start) in _ROAD_WORDS
            or _ORDINAL_NEXT_RE.match(text, end - len(match["dot"] or ""))
            or any(word.lower() in _STREET_WORDS for word in _next_words(text, end, 4)[1:])
            or (name_follows and (match["dot"] and not ends_sentence))
            or (name_follows and _word_before(text, start) in _ADDRESS_BEFORE)
            or following in _WEST_NAMES
        ):
            return f"{number} West"
        if glued and not following.islower():
            return f" {_number_words(number)} {unit}{match['dot'] or ''} "
        if unit == "L" and not ends_sentence and (following[:1].isupper() or following.isdigit()):
            return match.group()
    elif unit == "g" and glued and number in ("2", "3", "4", "5"):
        if following.lower() in _NETWORK_NEXT or (
            not following and _word_before(text, start) in _NETWORK_BEFORE
        ):
            return f" {_number_words(number)} G "
    return None


def _unit(match: re.Match[str]) -> str:
    """``5 km`` -> "5 kilometers", ``1 kg`` -> "1 kilogram" (the number is read later). A
    glued ``s`` is left alone (``80s`` is a decade) unless minutes come before ("3m 20s"), a
    unit before an apostrophe is a letter ("10 V's"), and single letters that mean something
    else are read so (:func:`_single_letter`)."""
    unit = match["unit"]
    if (
        unit == "s"
        and not match["space"]
        and not _MINUTES_BEFORE_RE.search(match.string, max(0, match.start() - 20), match.start())
    ):
        return match.group()
    other = _single_letter(match) if unit in ("m", "W", "L", "g") else None
    if other is not None:
        return other
    singular, plural = _UNITS[unit]
    fraction = _FRACTION_BEFORE_RE.search(match.string, max(0, match.start() - 8), match.start())
    denominator = match["number"]
    if (
        fraction
        and denominator.isdigit()
        and int(fraction[1]) < int(denominator) <= 100
        and match["space"]
    ):
        # "1/100 s" -> "1/100 of a second": a fraction of one unit
        article = "an" if singular[0] in "aeiou" or singular == "hour" else "a"
        return f"{match['number']} of {article} {singular}{match['dot'] or ''}"
    one = match["number"] == "1" or _is_attributive(match)
    return f"{match['number']} {singular if one else plural}{match['dot'] or ''}"


_NOT_DESCRIBED = frozenset(
    "each less long more ok please tall then today tomorrow tonight too total yesterday".split()
)
"""Words after "a 5 km" that are not the noun it describes ("a 5 km yesterday")."""


def _is_attributive(match: re.Match[str]) -> bool:
    """``a 12 V battery``, ``an 8 GB card``: after "a"/"an" and before a lowercase noun or an
    acronym ("a 2 TB SSD"), a measure describes the noun and its unit is singular ("a twelve
    volt battery")."""
    text = match.string
    following = _next_word(text, match.end())
    acronym = 2 <= len(following) <= 5 and following.isupper()  # "an 8 GB RAM stick"
    return (
        _word_before(text, match.start()) in ("a", "an")
        and following.isalpha()
        and (acronym or following.islower())
        and following.lower() not in _NOT_A_NOUN
        and following.lower() not in _NOT_DESCRIBED
    )


def _degrees_scale(match: re.Match[str]) -> str:
    """``25°C`` (folded to "25 degrees C") -> "25 degrees Celsius"."""
    return " degrees " + ("Celsius" if match["scale"] == "C" else "Fahrenheit")
