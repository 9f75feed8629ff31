"""Emails and URLs, read with their marks as words (``john dot doe at example dot com``)."""

from __future__ import annotations

import re

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


def _read_web_addresses(text: str) -> str:
    """Every email and URL in ``text`` -> words (:func:`_web_address`)."""
    return _WEB_ADDRESS_RE.sub(_web_address, text)
