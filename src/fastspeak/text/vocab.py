"""Vocabulary: tokens <-> integer ids, saved in every dataset and checkpoint.

Id 0 is :data:`~fastspeak.text.symbols.PAD`, id 1 is :data:`~fastspeak.text.symbols.UNK`,
then the inventory's symbols in sorted order, so the same token set always gives the same ids.
The JSON form is ``{"format": "fastspeak-vocab", "version": 1, "inventory": ..., "symbols":
[...all tokens in id order...]}``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from fastspeak.text.errors import TextError
from fastspeak.text.g2p import ARPABET_SYMBOLS, CHARACTER_SYMBOLS, INVENTORIES
from fastspeak.text.symbols import PAD, SPECIAL_TOKENS, UNK

VOCAB_FORMAT = "fastspeak-vocab"
VOCAB_VERSION = 1

UnknownPolicy = Literal["error", "skip", "unk"]


class Vocabulary:
    """Bidirectional token <-> id map for one inventory.

    Args:
        symbols: the inventory's tokens (without PAD/UNK), in id order starting at id 2.
        inventory: ``"arpabet"``, ``"espeak"`` or ``"characters"``.
    """

    def __init__(self, symbols: Sequence[str], inventory: str) -> None:
        if inventory not in INVENTORIES:
            raise ValueError(
                f"unknown inventory {inventory!r}; choose one of {', '.join(INVENTORIES)}"
            )
        symbols = list(symbols)
        bad = [s for s in symbols if not isinstance(s, str) or not s or s in SPECIAL_TOKENS]
        if bad:
            raise ValueError(f"vocabulary symbols must be non-empty, non-special strings: {bad!r}")
        if len(set(symbols)) != len(symbols):
            raise ValueError("vocabulary symbols must be unique")
        self.inventory = inventory
        self._symbols: tuple[str, ...] = (PAD, UNK, *symbols)
        self._ids = {symbol: index for index, symbol in enumerate(self._symbols)}

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_tokens(cls, token_lists: Iterable[Iterable[str]], inventory: str) -> Vocabulary:
        """All distinct tokens of ``token_lists`` (e.g. a training set), sorted."""
        seen: set[str] = set()
        for tokens in token_lists:
            seen.update(tokens)
        seen.difference_update(SPECIAL_TOKENS)
        return cls(sorted(seen), inventory)

    @classmethod
    def full(cls, inventory: str, extra_tokens: Iterable[str] = ()) -> Vocabulary:
        """Every symbol the inventory can emit, plus ``extra_tokens``.

        ``arpabet``: 69 stressed phones + punctuation; ``characters``: a-z, ``'``, ``|`` +
        punctuation. ``espeak`` has no closed list (IPA with diacritics): pass the tokens seen
        in data as ``extra_tokens`` or use :meth:`from_tokens`.
        """
        base: tuple[str, ...]
        if inventory == "arpabet":
            base = ARPABET_SYMBOLS
        elif inventory == "characters":
            base = CHARACTER_SYMBOLS
        elif inventory == "espeak":
            base = ()
            extra_tokens = list(extra_tokens)
            if not extra_tokens:
                raise ValueError(
                    "the espeak inventory has no fixed symbol list; build its vocabulary from "
                    "data with Vocabulary.from_tokens(token_lists, 'espeak') or pass "
                    "extra_tokens"
                )
        else:
            raise ValueError(
                f"unknown inventory {inventory!r}; choose one of {', '.join(INVENTORIES)}"
            )
        return cls.from_tokens([base, extra_tokens], inventory)

    # -- mapping ----------------------------------------------------------------------------

    @property
    def symbols(self) -> tuple[str, ...]:
        """All tokens in id order, PAD and UNK included."""
        return self._symbols

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def unk_id(self) -> int:
        return 1

    def __len__(self) -> int:
        return len(self._symbols)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self.inventory == other.inventory and self._symbols == other._symbols

    def __hash__(self) -> int:
        return hash((self.inventory, self._symbols))

    def __repr__(self) -> str:
        return f"Vocabulary(inventory={self.inventory!r}, size={len(self)})"

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The distinct tokens not in this vocabulary, in first-seen order."""
        missing: dict[str, None] = {}
        for token in tokens:
            if token not in self._ids:
                missing[token] = None
        return list(missing)

    def encode(self, tokens: Iterable[str], unknown: UnknownPolicy = "error") -> list[int]:
        """Tokens -> ids.

        Args:
            tokens: tokens of this vocabulary's inventory.
            unknown: what to do with tokens not in the vocabulary: ``"error"`` raises
                :class:`TextError` listing them, ``"skip"`` drops them, ``"unk"`` maps them
                to ``UNK`` (id 1).
        """
        tokens = list(tokens)
        if unknown == "error":
            missing = self.unknown(tokens)
            if missing:
                shown = ", ".join(repr(token) for token in missing[:20])
                more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
                raise TextError(
                    f"{len(missing)} symbol(s) not in the {self.inventory} vocabulary: "
                    f"{shown}{more}; rephrase the text, set text.unknown_symbols=skip, or "
                    "rebuild the vocabulary from data that contains them"
                )
            return [self._ids[token] for token in tokens]
        if unknown == "skip":
            return [self._ids[token] for token in tokens if token in self._ids]
        if unknown == "unk":
            return [self._ids.get(token, 1) for token in tokens]
        raise ValueError(f"unknown must be 'error', 'skip' or 'unk' (got {unknown!r})")

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Ids -> tokens (PAD and UNK decode to their special tokens)."""
        tokens: list[str] = []
        for index in ids:
            index = int(index)
            if not 0 <= index < len(self._symbols):
                raise TextError(
                    f"token id {index} is outside this {self.inventory} vocabulary "
                    f"(0..{len(self._symbols) - 1}); were the ids made with another vocabulary?"
                )
            tokens.append(self._symbols[index])
        return tokens

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON or a checkpoint."""
        return {
            "format": VOCAB_FORMAT,
            "version": VOCAB_VERSION,
            "inventory": self.inventory,
            "symbols": list(self._symbols),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Vocabulary:
        """Inverse of :meth:`to_dict`; a malformed dict raises :class:`TextError`."""
        if not isinstance(data, dict):
            raise TextError("a vocabulary must be a JSON object with inventory and symbols")
        version = data.get("version")
        if not isinstance(version, int) or version > VOCAB_VERSION:
            raise TextError(
                f"vocabulary version {version!r} is not supported (this fastspeak reads up to "
                f"{VOCAB_VERSION}); upgrade fastspeak or rebuild the vocabulary"
            )
        symbols = data.get("symbols")
        inventory = data.get("inventory")
        if (
            not isinstance(symbols, list)
            or tuple(symbols[:2]) != SPECIAL_TOKENS
            or not isinstance(inventory, str)
        ):
            raise TextError(
                "vocabulary data must hold 'inventory' and 'symbols' starting with "
                f"{list(SPECIAL_TOKENS)}; the file is damaged or not a fastspeak vocabulary"
            )
        try:
            return cls(symbols[2:], inventory)
        except ValueError as error:
            raise TextError(f"invalid vocabulary: {error}") from error

    def to_json(self) -> str:
        """JSON text (UTF-8, IPA kept readable)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        """Inverse of :meth:`to_json`."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise TextError(f"vocabulary is not valid JSON: {error}") from error
        return cls.from_dict(data)

    def save(self, path: str | Path) -> None:
        """Write JSON atomically (temporary file + rename)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(self.to_json())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> Vocabulary:
        """Read a file written by :meth:`save`."""
        path = Path(path)
        if not path.is_file():
            raise TextError(f"vocabulary file {path} does not exist; build one with preprocess")
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except TextError as error:
            raise TextError(f"{path}: {error}") from error
