"""English text normalisation: raw text -> plain speakable words and punctuation.

The output ("normalized text") is what every inventory phonemises and what the piper teacher
voice speaks, so it is deliberately simple:

* ASCII letters, ``'`` inside words (``don't``, ``dogs'``), ``-`` between letters
  (``twenty-four``), single spaces;
* the punctuation ``. , ? ! ; :`` attached to the preceding word, ``…`` attached likewise, and a
  spaced dash `` — `` (from dashes, `` - `` and brackets); runs of punctuation collapse to the
  strongest mark (``?!`` -> ``?``), and punctuation before the first word is dropped.

What is verbalised: numbers, money, times and dates, percentages and units, phone numbers,
Roman numerals, emails and URLs, common abbreviations and a few symbols; each module says what
it reads. Acronyms are kept as written (:mod:`.acronyms`).

The rules of :func:`normalize_text`, in order (each reads the output of the one before):

1. :mod:`.sentences` — line structure -> sentence ends (blank lines, list items); ``>`` quote
   markers at line starts dropped;
2. :mod:`.unicode` — quotes and dashes folded, other scripts transliterated, emoji and controls
   dropped; then the text must hold a letter or a digit;
3. :mod:`.web` — emails and URLs, before their dots, slashes and digits are read otherwise;
   :mod:`.acronyms` — ``IT``/``US`` in a sentence written all in capitals are words;
4. :mod:`.cleanup` — ``...`` -> ``…``, ``--`` -> a spaced dash; :mod:`.units` — ``°C``/``°F``
   (folded to "degrees C") -> "degrees Celsius", before a period after the C can be taken for
   an initial's;
5. :mod:`.abbreviations` — ``Dr. St. e.g. a.m. U.S.`` and initials, deciding which periods end
   a sentence;
6. :mod:`.roman` — Roman numerals after a capitalised word;
7. :mod:`.cleanup` — comparisons (``x < 5``, ``a > b``; a ``>`` between words is a comma);
8. the digit rules of ``_NUMBER_STEPS`` (:mod:`.numeric`, :mod:`.money`, :mod:`.dates`,
   :mod:`.units`), the most specific first; then numbers glued to letters (``mp3``) are split
   off and the rules run again, and digits left over are read one by one;
9. :mod:`.cleanup` — symbols as words (``& @ + = C#``), then the clean pass down to the
   output alphabet above.

:func:`split_sentences` (:mod:`.sentences`) splits normalized text. Empty text, text over
``max_chars``, text with nothing speakable and letters ``unidecode`` cannot transliterate raise
:class:`TextError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from fastspeak.text.errors import TextError
from fastspeak.text.normalize import (
    abbreviations,
    cleanup,
    dates,
    money,
    numeric,
    roman,
    sentences,
    unicode,
    units,
    web,
)
from fastspeak.text.normalize.abbreviations import SENTENCE_STARTERS
from fastspeak.text.normalize.acronyms import (
    SPELLED_ACRONYMS,
    WORD_ACRONYMS,
    is_spelled_acronym,
    read_shouted_words,
)
from fastspeak.text.normalize.cleanup import PUNCTUATION
from fastspeak.text.normalize.numbers import (
    cardinal_words,
    decimal_to_words,
    digits_to_words,
    number_to_words,
    ordinal_of_words,
    ordinal_to_words,
    year_to_words,
)
from fastspeak.text.normalize.roman import ROMAN_CARDINAL_WORDS, roman_to_int
from fastspeak.text.normalize.sentences import split_sentences

__all__ = [
    "DEFAULT_MAX_CHARS",
    "PUNCTUATION",
    "ROMAN_CARDINAL_WORDS",
    "SENTENCE_STARTERS",
    "SPELLED_ACRONYMS",
    "WORD_ACRONYMS",
    "cardinal_words",
    "decimal_to_words",
    "digits_to_words",
    "is_spelled_acronym",
    "normalize_text",
    "number_to_words",
    "ordinal_of_words",
    "ordinal_to_words",
    "roman_to_int",
    "split_sentences",
    "year_to_words",
]

DEFAULT_MAX_CHARS = 10000

_NUMBER_STEPS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (numeric._UNIT_RANGE, " to "),
    (numeric._DIMENSIONS, numeric._dimensions),
    (numeric._MULTIPLIER, numeric._multiplier),
    (numeric._DOTTED, numeric._dotted),
    (money._CURRENCY_RANGE, money._currency_range),
    (money._CURRENCY_BEFORE, money._currency_before),
    (money._CURRENCY_AFTER, money._currency_after),
    (dates._DOTTED_TIME, r"\1:\2"),
    (dates._TIME, dates._time),
    (dates._HOUR_AMPM, dates._hour_ampm),
    (dates._DATE_US, dates._date_us),
    (dates._MONTH_SLASH_DAY, dates._month_slash_day),
    (dates._DATE_ISO, dates._date_iso),
    (dates._MONTH_DAY, dates._month_day),
    (dates._DAY_MONTH, dates._day_month),
    (units._PERCENT, units._percent),
    (units._UNIT, units._unit),
    (numeric._PHONE, numeric._phone),
    (numeric._SERVICE_NUMBER, numeric._service_number),
    (numeric._MIXED_FRACTION, numeric._mixed_fraction),
    (numeric._FRACTION, numeric._fraction),
    (numeric._ORDINAL, numeric._ordinal),
    (numeric._DECADE, numeric._decade),
    (numeric._RANGE, numeric._range),
    (numeric._SCALED, numeric._scaled),
    (numeric._RATIO, numeric._ratio),
    (numeric._NUMBER_SIGN, " number "),
    (numeric._DECIMAL, numeric._decimal),
    (numeric._YEAR, numeric._year),
    (numeric._CARDINAL, numeric._cardinal),
)
"""The digit rules in the order they run: each pattern's matches are replaced in the whole text
before the next pattern looks, so a rule sees only digits the rules above it left."""


def _read_numbers(text: str) -> str:
    for pattern, replacement in _NUMBER_STEPS:
        text = pattern.sub(replacement, text)
    # numbers glued to letters ("v2.0", "mp3"): apart, then the same steps again
    text = numeric._LETTER_DIGIT.sub(" ", text)
    for pattern, replacement in _NUMBER_STEPS:
        text = pattern.sub(replacement, text)
    # digits no step could read are spoken one by one, never dropped
    return numeric._DIGITS_RE.sub(lambda m: f" {digits_to_words(m.group())} ", text)


def _verbalize(text: str) -> str:
    text = web._read_web_addresses(text)
    text = read_shouted_words(text)
    text = cleanup._mark_ellipses_and_dashes(text)
    text = units._DEGREES_SCALE.sub(units._degrees_scale, text)
    text = abbreviations._expand_abbreviations(text)
    text = roman._read_roman_numerals(text)
    text = cleanup._read_comparisons(text)
    if any(char.isdigit() for char in text):
        text = _read_numbers(text)
    return cleanup._read_symbols(text)


def normalize_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Turn raw English text into plain speakable words and punctuation.

    Args:
        text: any user text.
        max_chars: longest accepted input (``text.max_chars``); longer text raises.

    Returns:
        The normalized text (see the package docstring for its exact alphabet).

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
    folded = unicode._fold_unicode(sentences._mark_lines(text))
    if not any(char.isalnum() and char.isascii() for char in folded):
        raise TextError(
            f"text {_preview(text)} has nothing to speak: no letters or digits (only "
            "symbols, emoji, punctuation or control characters); give at least one word"
        )
    normalized = cleanup._clean(_verbalize(folded))
    if not any("a" <= char.lower() <= "z" for char in normalized):
        raise TextError(
            f"text {_preview(text)} has nothing to speak after normalisation; "
            "give at least one word"
        )
    return normalized


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
