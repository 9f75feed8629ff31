"""Character inventory, as in xcmyz/FastSpeech: letters, apostrophe and boundaries."""

from __future__ import annotations

import string

from fastspeak.text.g2p.base import punctuation_token, words_and_punctuation
from fastspeak.text.normalize import is_spelled_acronym
from fastspeak.text.symbols import PUNCTUATION_TOKENS, WORD_BOUNDARY

CHARACTER_SYMBOLS: tuple[str, ...] = (
    tuple(string.ascii_lowercase) + ("'", WORD_BOUNDARY) + tuple(PUNCTUATION_TOKENS.values())
)
"""Every token the character inventory can emit."""


class CharacterPhonemizer:
    """Lower-case letters and ``'``; ``|`` between words; punctuation as boundary tokens.

    A punctuation token already separates words, so no ``|`` is placed next to one
    (``"hi, you"`` -> ``h i , y o u``). Hyphens inside words become ``|``; acronyms read letter
    by letter (:func:`~fastspeak.text.normalize.is_spelled_acronym`) get ``|`` between letters.
    """

    inventory = "characters"

    def phonemize(self, normalized: str) -> list[str]:
        """Tokens for normalized text (see the class docstring)."""
        tokens: list[str] = []
        previous_is_word = False
        for item in words_and_punctuation(normalized):
            boundary = punctuation_token(item)
            if boundary is not None:
                if not tokens or tokens[-1] != boundary:
                    tokens.append(boundary)
                previous_is_word = False
                continue
            if previous_is_word:
                tokens.append(WORD_BOUNDARY)
            if is_spelled_acronym(item):
                letters = WORD_BOUNDARY.join(item.lower())
            else:
                letters = item.lower().replace("-", WORD_BOUNDARY)
            tokens.extend(letters)
            previous_is_word = True
        return tokens
