"""Grapheme-to-phoneme: three inventories behind one :class:`Phonemizer` interface.

* ``arpabet`` — CMUdict ARPAbet with stress digits (MFA-compatible), offline G2P fallback;
* ``espeak`` — espeak-ng IPA exactly as the piper teacher voice receives it;
* ``characters`` — letters, apostrophe and boundaries (xcmyz/FastSpeech).
"""

from __future__ import annotations

from fastspeak.text.g2p.arpabet import (
    ARPABET_PHONES,
    ARPABET_SYMBOLS,
    ArpabetPhonemizer,
    load_cmudict,
    word_to_arpabet,
)
from fastspeak.text.g2p.base import Phonemizer, words_and_punctuation
from fastspeak.text.g2p.characters import CHARACTER_SYMBOLS, CharacterPhonemizer
from fastspeak.text.g2p.espeak import (
    BOS,
    EOS,
    EspeakPhonemizer,
    espeak_token_groups,
    espeak_tokens,
    piper_raw_symbols,
)

INVENTORIES = ("arpabet", "espeak", "characters")


def make_phonemizer(inventory: str, language: str = "en-us") -> Phonemizer:
    """The phonemizer for ``TextConfig.inventory`` (``language`` is the espeak voice)."""
    if inventory == "arpabet":
        return ArpabetPhonemizer()
    if inventory == "espeak":
        return EspeakPhonemizer(voice=language)
    if inventory == "characters":
        return CharacterPhonemizer()
    raise ValueError(f"unknown inventory {inventory!r}; choose one of {', '.join(INVENTORIES)}")


__all__ = [
    "ARPABET_PHONES",
    "ARPABET_SYMBOLS",
    "BOS",
    "CHARACTER_SYMBOLS",
    "EOS",
    "INVENTORIES",
    "ArpabetPhonemizer",
    "CharacterPhonemizer",
    "EspeakPhonemizer",
    "Phonemizer",
    "espeak_token_groups",
    "espeak_tokens",
    "load_cmudict",
    "make_phonemizer",
    "piper_raw_symbols",
    "word_to_arpabet",
    "words_and_punctuation",
]
