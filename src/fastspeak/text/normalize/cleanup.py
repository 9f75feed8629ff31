"""Symbols and cleanup: the output's punctuation, symbols as words, the final clean pass.

A few symbols are read (``& @ + = # ° × < > C#``, comparisons before the digit rules; ``#`` before a number is read by the digit
rules, ``°`` and ``×`` by Unicode folding); then brackets become a spaced dash, apostrophes and
hyphens not inside a word go, other characters go, and runs of punctuation collapse to the
strongest mark (``?!`` -> ``?``).
"""

from __future__ import annotations

import re

PUNCTUATION = ".,?!;:—…"
"""Punctuation characters that survive normalisation (each becomes a boundary token)."""

_DASH = "—"
_ELLIPSIS = "…"

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
_NUMBER_AFTER_RE = re.compile(r"\s*[$£€¥₹]?-?\.?\d")
_SINGLE_AFTER_RE = re.compile(r"\s*[A-Za-z0-9](?![\w'])")
_SINGLE_BEFORE_RE = re.compile(r"(?:^|(?<=[\s(]))[A-Za-z0-9]\s*$")
_NUMBER_BEFORE_RE = re.compile(r"\d\s*$")
_WORD_BEFORE_RE = re.compile(r"[A-Za-z]\s+$")
_WORD_AFTER_RE = re.compile(r"\s+[A-Za-z]")
_CAPITALISED_AFTER_RE = re.compile(r"\s+[A-Z][a-z]")
_HEART_RE = re.compile(r"(?:^|(?<=\s))<3+(?!\d|[.,]\d)(?=[\s.,!?;:)]|$)")
_VARIABLE_BEFORE_RE = re.compile(r"(?:^|(?<=[\s(]))(?![iIuU]\s*$)[A-Za-z]\s*$")
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
_LEADING_PUNCT_RE = re.compile(r"^[\s.,?!;:—…]+")

_STRENGTH = {"?": 8, "!": 7, "…": 6, ".": 5, ";": 4, ":": 3, "—": 2, ",": 1}


def _punctuation_run(match: re.Match[str]) -> str:
    marks = [char for char in match.group() if char in _STRENGTH]
    mark = max(marks, key=lambda char: _STRENGTH[char])
    return f" {mark} " if mark == _DASH else f"{mark} "


def _mark_ellipses_and_dashes(text: str) -> str:
    """``...`` -> ``…``, ``--`` -> a spaced dash."""
    text = _DOTS_RE.sub(_ELLIPSIS, text)
    return _DOUBLE_DASH_RE.sub(f" {_DASH} ", text)


def _comparison(match: re.Match[str]) -> str:
    """``<``/``>`` (``<=``/``>=``) are words next to a number ("x < 5", "< $5", "> 30") or
    between two single letters or digits ("a > b"); a ``>`` between words is a comma (a menu
    path, "Settings > Privacy", also after a number when a capitalised word follows, "Step 1 >
    Step 2"); otherwise the sign is left for the clean pass to drop."""
    text, start, end = match.string, match.start(), match.end()
    before = text[max(0, start - 40) : start]
    if (
        match[1] == ">"
        and _CAPITALISED_AFTER_RE.match(text, end)
        and (_WORD_BEFORE_RE.search(before) or _NUMBER_BEFORE_RE.search(before))
    ):
        return ","
    if (
        _NUMBER_AFTER_RE.match(text, end)
        or _NUMBER_BEFORE_RE.search(before)
        or (_SINGLE_BEFORE_RE.search(before) and _SINGLE_AFTER_RE.match(text, end))
    ):
        return _COMPARISON_WORDS[match[1]]
    if match[1] == ">" and _WORD_BEFORE_RE.search(before) and _WORD_AFTER_RE.match(text, end):
        return ","
    return match.group()


def _heart(match: re.Match[str]) -> str:
    """``<3`` (``<333``) is a heart emoticon, dropped like emoji, unless a single letter other
    than ``i`` or ``u`` comes before ("x <3" is a comparison; "i <3 NY", "love u <3")."""
    before = match.string[max(0, match.start() - 40) : match.start()]
    return match.group() if _VARIABLE_BEFORE_RE.search(before) else " "


def _read_comparisons(text: str) -> str:
    """Heart emoticons dropped (:func:`_heart`), then comparisons (:func:`_comparison`), read
    before the digit rules read the numbers."""
    if "<3" in text:
        text = _HEART_RE.sub(_heart, text)
    return _COMPARISON_RE.sub(_comparison, text)


def _read_symbols(text: str) -> str:
    """Symbols left after the digit rules: a spaced hyphen is a dash, ``C#`` is "C sharp",
    ``& @ + = %`` and currency signs are words (comparisons are read before the digit rules,
    :func:`_read_comparisons`)."""
    text = _SPACED_HYPHEN_RE.sub(f" {_DASH} ", text)
    text = _SHARP_RE.sub(r"\1 sharp", text)
    return _SYMBOL_RE.sub(lambda m: _SYMBOL_WORDS[m.group()], text)


def _clean(text: str) -> str:
    text = _BRACKETS_RE.sub(f" {_DASH} ", text)
    text = _APOSTROPHE_RE.sub(" ", text)
    text = _HYPHEN_RE.sub(" ", text)
    text = _DISALLOWED_RE.sub(" ", text)
    text = _PUNCT_RUN_RE.sub(_punctuation_run, text)
    text = _LEADING_PUNCT_RE.sub("", text)
    return _SPACES_RE.sub(" ", text).strip()
