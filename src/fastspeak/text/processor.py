"""TextProcessor: raw text -> normalized text -> tokens -> ids.

The SAME object (built from the same ``TextConfig``) is used when preprocessing a corpus and
when synthesising, so training and inference see identical tokens. It is cheap to construct
and picklable: heavy resources (CMUdict, the G2P model, espeak-ng) are loaded lazily, once per
process, in module-level caches, never stored on the instance.
"""

from __future__ import annotations

from typing import Any

from fastspeak.config import ConfigError, TextConfig
from fastspeak.text.errors import TextError
from fastspeak.text.g2p import Phonemizer, make_phonemizer
from fastspeak.text.normalize import normalize_text, split_sentences
from fastspeak.text.vocab import UnknownPolicy, Vocabulary


class TextProcessor:
    """The text frontend for one ``TextConfig``.

    Args:
        config: inventory (``arpabet``/``espeak``/``characters``), language (English only;
            for ``espeak`` it is the espeak-ng voice, ``en-us`` for the piper teacher),
            ``max_chars`` and ``unknown_symbols``.
    """

    def __init__(self, config: TextConfig | None = None) -> None:
        self.config = config if config is not None else TextConfig()
        language = self.config.language.lower()
        if not (language == "en" or language.startswith(("en-", "en_"))):
            raise ConfigError(
                f"text.language {self.config.language!r} is not supported: the text frontend "
                "normalises English only; use en-us (or another en-* espeak voice)"
            )
        self._phonemizer: Phonemizer | None = None

    @property
    def inventory(self) -> str:
        return self.config.inventory

    @property
    def phonemizer(self) -> Phonemizer:
        """The inventory's phonemizer, created on first use."""
        if self._phonemizer is None:
            self._phonemizer = make_phonemizer(self.config.inventory, self.config.language)
        return self._phonemizer

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.config = state["config"]
        self._phonemizer = None

    def __repr__(self) -> str:
        return (
            f"TextProcessor(inventory={self.config.inventory!r}, language={self.config.language!r})"
        )

    def normalize(self, text: str) -> str:
        """Raw text -> speakable words and punctuation (``normalize.normalize_text``)."""
        return normalize_text(text, max_chars=self.config.max_chars)

    def sentences(self, text: str) -> list[str]:
        """Normalized sentences of ``text`` (end punctuation kept), for long inputs."""
        return split_sentences(self.normalize(text))

    def tokens_from_normalized(self, normalized: str) -> list[str]:
        """Tokens of already normalized text; raises :class:`TextError` if none result."""
        return self.tokens_and_word_ends(normalized)[0]

    def tokens_and_word_ends(self, normalized: str) -> tuple[list[str], list[bool] | None]:
        """(:meth:`tokens_from_normalized`, for each token whether a word ends there) from one
        phonemisation; the word ends are given for an inventory without a word-gap token
        (ARPAbet) and are None when the tokens carry their own (``|`` in espeak, characters)."""
        with_ends = getattr(self.phonemizer, "phonemize_with_word_ends", None)
        if with_ends is None:
            tokens, word_ends = self.phonemizer.phonemize(normalized), None
        else:
            tokens, word_ends = with_ends(normalized)
        if not tokens:
            raise TextError(
                f"text {normalized[:40]!r} produced no {self.inventory} tokens; "
                "give at least one word"
            )
        return tokens, word_ends

    def tokens(self, text: str) -> list[str]:
        """Raw text -> tokens (normalise, then phonemise)."""
        return self.tokens_from_normalized(self.normalize(text))

    def encode(
        self, text: str, vocab: Vocabulary, unknown: UnknownPolicy | None = None
    ) -> list[int]:
        """Raw text -> token ids of ``vocab``.

        Args:
            unknown: policy for tokens missing from ``vocab`` (default
                ``config.unknown_symbols``); see :meth:`Vocabulary.encode`.
        """
        if vocab.inventory != self.inventory:
            raise ConfigError(
                f"the vocabulary is for the {vocab.inventory} inventory but text.inventory is "
                f"{self.inventory}; use the vocabulary saved with the dataset or checkpoint"
            )
        ids = vocab.encode(self.tokens(text), unknown=unknown or self.config.unknown_symbols)
        if not ids:
            raise TextError(
                f"none of the {self.inventory} symbols of {text[:40]!r} are in the vocabulary; "
                "rephrase the text"
            )
        return ids
