"""ARPAbet and character inventories on examples."""

from __future__ import annotations

import random
import string

import pytest

from fastspeak.text.g2p import (
    ARPABET_PHONES,
    ARPABET_SYMBOLS,
    CHARACTER_SYMBOLS,
    ArpabetPhonemizer,
    CharacterPhonemizer,
    Phonemizer,
    make_phonemizer,
    word_to_arpabet,
)
from fastspeak.text.g2p.arpabet import gruut_ipa, ipa_to_arpabet
from fastspeak.text.normalize import normalize_text
from fastspeak.text.symbols import WORD_BOUNDARY


def test_phonemizers_implement_the_protocol() -> None:
    for inventory in ("arpabet", "espeak", "characters"):
        phonemizer = make_phonemizer(inventory)
        assert isinstance(phonemizer, Phonemizer)
        assert phonemizer.inventory == inventory
    with pytest.raises(ValueError, match="inventory"):
        make_phonemizer("klingon")


def test_arpabet_inventory_size() -> None:
    assert len(ARPABET_PHONES) == 69
    assert "AH0" in ARPABET_PHONES and "ZH" in ARPABET_PHONES and "AH" not in ARPABET_PHONES


def test_arpabet_dictionary_words_and_punctuation() -> None:
    tokens = ArpabetPhonemizer().phonemize("Hello, world!")
    assert tokens == ["HH", "AH0", "L", "OW1", ",", "W", "ER1", "L", "D", "!"]
    assert WORD_BOUNDARY not in ArpabetPhonemizer().phonemize("the cat sat")
    assert ArpabetPhonemizer().phonemize("wait… what — now") == [
        "W", "EY1", "T", "…", "W", "AH1", "T", "—", "N", "AW1",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("word", "phones"),
    [
        ("the", ("DH", "AH0")),
        ("read", ("R", "EH1", "D")),  # homographs: CMUdict's first entry
        ("FBI", ("EH1", "F", "B", "IY1", "AY1")),
        ("AM", ("EY1", "EH1", "M")),  # listed spelled acronym beats CMUdict's "am"
        ("XQZ", ("EH1", "K", "S", "K", "Y", "UW1", "Z", "IY1")),  # not in CMUdict: spelled
        ("twenty-four", ("T", "W", "EH1", "N", "T", "IY0", "F", "AO2", "R")),
        ("ninety-seven", ("N", "AY1", "N", "T", "IY0", "S", "EH1", "V", "AH0", "N")),
        ("fastspeak's", ("F", "AE1", "S", "T", "S", "P", "IY1", "K", "S")),
        ("Hitchcock's", ("HH", "IH1", "CH", "K", "AA2", "K", "S")),
        ("churches'", ("CH", "ER1", "CH", "IH0", "Z")),
        ("blorfitude's", ("B", "L", "AO1", "R", "F", "IH0", "T", "UW1", "D", "Z")),
        # acronyms inside hyphenated words and in the plural keep their letters
        ("US-based", ("Y", "UW1", "EH1", "S", "B", "EY1", "S", "T")),
        ("LLM-based", ("EH1", "L", "EH1", "L", "EH1", "M", "B", "EY1", "S", "T")),
        ("well-known", ("W", "EH1", "L", "N", "OW1", "N")),
        ("LLMs", ("EH1", "L", "EH1", "L", "EH1", "M", "Z")),
        ("CEOs", ("S", "IY1", "IY1", "OW1", "Z")),
        # the plural of an acronym CMUdict also lists as a word ("apis", "phds")
        ("APIs", ("EY2", "P", "IY2", "AY1", "Z")),
        ("PhDs", ("P", "IY1", "EY2", "CH", "D", "IY1", "Z")),
        ("GPUs", ("JH", "IY1", "P", "IY1", "Y", "UW1", "Z")),
        ("apis", ("AH1", "P", "IH0", "S")),
        ("Hers", ("HH", "ER0", "Z")),
        ("AIDS", ("EY1", "D", "Z")),
    ],
)
def test_arpabet_words(word: str, phones: tuple[str, ...]) -> None:
    assert word_to_arpabet(word) == phones


def test_arpabet_unknown_words_get_sensible_phones() -> None:
    assert word_to_arpabet("blorfitude") == ("B", "L", "AO1", "R", "F", "IH0", "T", "UW1", "D")
    rng = random.Random(0)
    for _ in range(300):
        word = "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 15)))
        phones = word_to_arpabet(word)
        assert phones, word
        assert set(phones) <= set(ARPABET_PHONES), (word, phones)


def test_g2p_features_match_gruut() -> None:
    from pathlib import Path

    import gruut_lang_en
    from gruut.g2p import GraphemesToPhonemes

    gruut = GraphemesToPhonemes(Path(gruut_lang_en.__file__).parent / "g2p" / "model.crf")
    rng = random.Random(1)
    words = ["fastspeak", "schadenfreude", "zzz", "a"] + [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(1, 12)))
        for _ in range(200)
    ]
    for word in words:
        assert gruut_ipa(word) == list(gruut(word)), word


def test_ipa_to_arpabet_stress() -> None:
    assert ipa_to_arpabet(["f", "ˈæ", "s", "t"]) == ("F", "AE1", "S", "T")
    assert ipa_to_arpabet(["ˌoʊ", "k", "ə"]) == ("OW1", "K", "AH0")  # primary stress enforced
    assert ipa_to_arpabet(["z", "z"]) == ("Z", "Z")


def test_arpabet_symbols_cover_output() -> None:
    text = normalize_text("Dr. Smith's 3 FBI agents — wait… really?! Yes; no: ok.")
    assert set(ArpabetPhonemizer().phonemize(text)) <= set(ARPABET_SYMBOLS)


def test_characters() -> None:
    phonemizer = CharacterPhonemizer()
    assert phonemizer.phonemize("Hi, you!") == ["h", "i", ",", "y", "o", "u", "!"]
    assert phonemizer.phonemize("don't go") == ["d", "o", "n", "'", "t", "|", "g", "o"]
    assert phonemizer.phonemize("well-known FBI") == [
        "w", "e", "l", "l", "|", "k", "n", "o", "w", "n", "|", "f", "|", "b", "|", "i",
    ]  # fmt: skip
    assert phonemizer.phonemize("NASA — go…") == ["n", "a", "s", "a", "—", "g", "o", "…"]
    text = normalize_text("Привет 3 DNA tests, 15% of $5 — wait… ok?!")
    assert set(phonemizer.phonemize(text)) <= set(CHARACTER_SYMBOLS)
