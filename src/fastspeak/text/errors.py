"""Errors a user can cause with the text they give the frontend."""

from __future__ import annotations


class TextError(ValueError):
    """Input text that cannot be spoken; the message names the problem and the fix.

    Raised for empty text, text with nothing speakable, untransliterable scripts, text over
    ``text.max_chars``, and symbols missing from a vocabulary. It subclasses ``ValueError`` so
    callers that already catch bad values keep working.
    """
