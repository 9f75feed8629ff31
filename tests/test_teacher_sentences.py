"""The packaged teacher sentence lists and the cleaning rules that made them."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from fastspeak.data.teacher import load_sentences

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "build_sentences.py"


def _script():
    spec = importlib.util.spec_from_file_location("build_sentences", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_sentences", module)
    spec.loader.exec_module(module)
    return module


def _key(sentence: str) -> str:
    return re.sub(r"[^a-z ]", "", sentence.lower()).strip()


def test_sizes_and_no_overlap():
    train, held_out = load_sentences("train"), load_sentences("held_out")
    assert len(train) == 15000
    assert len(held_out) >= 250
    assert not {_key(s) for s in train} & {_key(s) for s in held_out}
    assert len({_key(s) for s in train}) == len(train)  # deduplicated


@pytest.mark.parametrize("split", ["train", "held_out"])
def test_sentences_are_speakable(split):
    for sentence in load_sentences(split):
        assert sentence.isascii(), sentence
        assert sentence[0].isupper() and sentence[-1] in ".?!", sentence
        assert 5 <= len(sentence[:-1].split()) <= 25, sentence
        assert not re.search(r"[0-9\"()\[\]/&%$#@*_`]", sentence), sentence


def test_lists_are_small_enough_for_the_repo():
    folder = Path(__file__).resolve().parents[1] / "src/fastspeak/data/teacher/sentences"
    total = sum((folder / name).stat().st_size for name in ("train.txt", "held_out.txt"))
    assert total < 1_500_000


def test_unknown_split_is_an_error():
    with pytest.raises(ValueError, match="held_out"):
        load_sentences("test")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("the hem fell shortly below her knees", "The hem fell shortly below her knees."),
        ("she kept a firm hold on the railing;", "She kept a firm hold on the railing."),
        ("a freestanding bell tower", None),  # 4 words
        ("he paid 5 dollars for the ticket", None),  # digits
        ("the NATO forces moved in quickly today", None),  # acronym
        ("`analog clock' is a retronym of sorts", None),  # quotes
        ("he was born in Paris, e.g. in France", None),  # abbreviation
        (
            "caf\u00e9 owners were happy with the results",
            "Cafe owners were happy with the results.",
        ),
    ],
)
def test_cleaning_rules(raw, expected):
    assert _script().clean(raw) == expected


def test_bible_verses_must_end_a_sentence():
    clean = _script().clean
    assert clean("And the earth was without form, and void;", require_final=True) is None
    assert clean("And God said, Let there be light: and there was light.", require_final=True)
