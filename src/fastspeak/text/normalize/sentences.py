"""Sentences: line structure -> sentence ends before normalisation, splitting after it.

A blank line, and a line break before a list item, end a sentence (``1. First`` -> ``One.
First``); ``>`` quote markers at line starts (an e-mail reply) are dropped.
:func:`split_sentences` splits normalized text after ``?``, ``!`` and ``.``.
"""

from __future__ import annotations

import re

from fastspeak.text.normalize.numbers import number_to_words

_LINE_BREAK_RE = re.compile(r"\r\n?")
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n\s*")
_LIST_ITEM_RE = re.compile(r"^[ \t]*(?:(?P<number>\d{1,3})[.)]|[-*•])[ \t]+", re.MULTILINE)
_QUOTE_MARKER_RE = re.compile(r"^[ \t]*(?:>[ \t]*)+(?![\s=\d-])", re.MULTILINE)


def _line_end(match: re.Match[str]) -> str:
    """A period where a line must end a sentence and has no mark of its own ("Shopping:" keeps
    its colon), also after a line's own period, which an abbreviation or initial could take
    ("- Meet at Gate B.\n- Board" keeps its sentence end); nothing at the start of text."""
    before = match.string[: match.start()].rstrip()
    return " " if not before or before[-1] in "?!:;…" else " . "


def _item_starts(text: str, start: int, end: int, *, numbered_dot: bool) -> bool:
    """A line starting ``2.``, ``2)`` or ``-`` is a list item at the start of text, after a blank
    line or another list item, or when the line before ends with a mark ("Steps:", "done.");
    a ``2)`` or bullet line is also one when the next line is an item too ("Ingredients\n- 2
    eggs\n- 1 cup flour"). Otherwise it is a hard-wrapped sentence going on ("in Section\n2.
    The tenant", "(see table\n2) was high", "was high\n- too high")."""
    before = text[:start]
    if not before.strip():
        return True
    previous = before.split("\n")[-2].rstrip()
    if not previous or previous[-1] in ".?!:;…" or bool(_LIST_ITEM_RE.match(previous)):
        return True
    if numbered_dot:
        return False
    next_break = text.find("\n", end)
    return next_break >= 0 and bool(_LIST_ITEM_RE.match(text, next_break + 1))


def _list_item(match: re.Match[str]) -> str:
    """A list item at a line start begins a sentence; its number is read as a sentence of its
    own ("1. First" -> "One. First"), a bullet (``-``, ``*``, ``•``) is dropped. A numbered or
    ``-`` line must start a list (:func:`_item_starts`)."""
    number = match["number"]
    dotted = match.group().rstrip().endswith(".")
    if (number or match.group().strip() == "-") and not _item_starts(
        match.string, match.start(), match.end(), numbered_dot=bool(number and dotted)
    ):
        return match.group()
    return _line_end(match) + (f"{number_to_words(number).capitalize()}. " if number else "")


def _mark_lines(text: str) -> str:
    """Line structure -> sentence ends: a blank line ends a sentence (a heading, a paragraph),
    as does a line break before a list item; other line breaks become spaces later."""
    if "\n" not in text and "\r" not in text and not _LIST_ITEM_RE.match(text):
        return _QUOTE_MARKER_RE.sub("", text) if text.lstrip().startswith(">") else text
    text = _QUOTE_MARKER_RE.sub("", _LINE_BREAK_RE.sub("\n", text))
    text = _LIST_ITEM_RE.sub(_list_item, text)
    return _BLANK_LINE_RE.sub(_line_end, text)


# "?" and "!" end a sentence; "." only before something that is not a lowercase letter: espeak
# (piper's frontend) reads "no. then" as one clause, and preprocessing reads whole utterances
_SENTENCE_END_RE = re.compile(r"(?<=[?!])\s+|(?<=\.)\s+(?![a-z])")


def split_sentences(normalized: str) -> list[str]:
    """Split normalized text after ``?`` and ``!``, and after ``.`` unless a lowercase word
    follows (the mark stays with its sentence).

    Abbreviations are already expanded by :func:`~fastspeak.text.normalize.normalize_text`; a
    period before a lowercase word ("fig. two", "no. then") is one clause for espeak, as for the
    whole-utterance reading preprocessing does, so splitting there would add a boundary token
    and a pause that the training data never had.
    """
    return [sentence for sentence in _SENTENCE_END_RE.split(normalized.strip()) if sentence]
