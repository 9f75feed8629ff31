"""Vocabulary: ids, unknown-symbol policies, serialisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fastspeak.text.errors import TextError
from fastspeak.text.g2p import ARPABET_SYMBOLS, CHARACTER_SYMBOLS
from fastspeak.text.symbols import PAD, UNK
from fastspeak.text.vocab import VOCAB_VERSION, Vocabulary


def test_from_tokens_is_sorted_and_deterministic() -> None:
    vocab = Vocabulary.from_tokens([["b", "a"], ["c", "a", PAD]], "characters")
    assert vocab.symbols == (PAD, UNK, "a", "b", "c")
    assert vocab == Vocabulary.from_tokens([["c"], ["a", "b"]], "characters")
    assert vocab != Vocabulary.from_tokens([["c"], ["a", "b"]], "arpabet")
    assert len(vocab) == 5 and vocab.pad_id == 0 and vocab.unk_id == 1
    assert "a" in vocab and "z" not in vocab


def test_encode_decode_and_unknown_policies() -> None:
    vocab = Vocabulary.from_tokens([["a", "b", "|"]], "characters")
    ids = vocab.encode(["a", "|", "b"])
    assert ids == [2, 4, 3] and vocab.decode(ids) == ["a", "|", "b"]
    with pytest.raises(
        TextError, match=r"2 symbol\(s\) not in the characters vocabulary: 'x', 'y'"
    ):
        vocab.encode(["a", "x", "y", "x"])
    assert vocab.encode(["a", "x"], unknown="skip") == [2]
    assert vocab.encode(["a", "x"], unknown="unk") == [2, 1]
    with pytest.raises(ValueError, match="unknown must be"):
        vocab.encode(["a"], unknown="ignore")  # type: ignore[arg-type]
    with pytest.raises(TextError, match="outside"):
        vocab.decode([99])


def test_json_round_trip(tmp_path: Path) -> None:
    vocab = Vocabulary.from_tokens([["ˈɑː", "ð", "|", ","]], "espeak")
    data = json.loads(vocab.to_json())
    assert data["version"] == VOCAB_VERSION and data["inventory"] == "espeak"
    assert data["symbols"][:2] == [PAD, UNK]
    assert Vocabulary.from_json(vocab.to_json()) == vocab
    path = tmp_path / "sub" / "vocab.json"
    vocab.save(path)
    assert Vocabulary.load(path) == vocab
    assert "ˈɑː" in path.read_text(encoding="utf-8")


def test_bad_files_raise_text_error(tmp_path: Path) -> None:
    with pytest.raises(TextError, match="does not exist"):
        Vocabulary.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(TextError, match="not valid JSON"):
        Vocabulary.load(bad)
    with pytest.raises(TextError, match="version"):
        Vocabulary.from_dict({"version": VOCAB_VERSION + 1, "inventory": "espeak", "symbols": []})
    with pytest.raises(TextError, match="symbols"):
        Vocabulary.from_dict({"version": 1, "inventory": "espeak", "symbols": ["a"]})


def test_full_inventories() -> None:
    arpabet = Vocabulary.full("arpabet")
    assert len(arpabet) == 2 + len(ARPABET_SYMBOLS) == 2 + 69 + 8
    characters = Vocabulary.full("characters")
    assert set(characters.symbols[2:]) == set(CHARACTER_SYMBOLS)
    with pytest.raises(ValueError, match="from_tokens"):
        Vocabulary.full("espeak")
    espeak = Vocabulary.full("espeak", extra_tokens=["a", "ˈa"])
    assert espeak.symbols == (PAD, UNK, "a", "ˈa")


def test_invalid_construction() -> None:
    with pytest.raises(ValueError, match="unique"):
        Vocabulary(["a", "a"], "characters")
    with pytest.raises(ValueError, match="non-special"):
        Vocabulary([PAD], "characters")
    with pytest.raises(ValueError, match="inventory"):
        Vocabulary(["a"], "klingon")
