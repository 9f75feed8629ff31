"""Number words: digits -> American English words, the vocabulary every digit rule reads with.

Cardinals (``123456`` -> ``one hundred twenty-three thousand four hundred fifty-six``, no "and"),
ordinals (``21`` -> ``twenty-first``), years (``1984`` -> ``nineteen eighty-four``, ``2005`` ->
``two thousand five``), decimals (``3.14`` -> ``three point one four``), digit-by-digit reading
(``007``), plurals of number words (``nineteen nineties``) and the scale words (``k``, ``bn``).
"""

from __future__ import annotations

import functools

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
    "t": "trillion",
}
