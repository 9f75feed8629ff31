"""Teacher engine pieces that need no audio: ARPAbet labelling, verification, prosody."""

from __future__ import annotations

import pytest

from fastspeak.config import TextConfig
from fastspeak.data.alignments import AlignmentError, Segment
from fastspeak.data.teacher.builder import verify_segments
from fastspeak.data.teacher.engines import (
    EnginePhone,
    FrontendWord,
    PhoneMismatch,
    Prosody,
    TeacherError,
    engine_lexicon_phones,
    festival_lexicon_commands,
    flite_lexicon_entries,
    frontend_words,
    label_arpabet,
    match_engine_words,
    radio_to_arpabet,
)
from fastspeak.text.processor import TextProcessor


@pytest.fixture(scope="module")
def arpabet():
    return TextProcessor(TextConfig(inventory="arpabet"))


def _phones(*items):
    """("hh", 0.1), (None, 0.2) ... -> contiguous EnginePhones from 0."""
    out, start = [], 0.0
    for name, end in items:
        out.append(EnginePhone(radio_to_arpabet(name) if name else None, start, end))
        start = end
    return out


def test_radio_phones_map_to_arpabet():
    assert radio_to_arpabet("ax") == "AH"
    assert radio_to_arpabet("axr") == "ER"
    assert radio_to_arpabet("hh") == "HH"
    assert radio_to_arpabet("pau") is None
    with pytest.raises(TeacherError, match="no ARPAbet"):
        radio_to_arpabet("qq")


def test_punctuation_takes_the_following_pause_and_stress_comes_from_the_frontend():
    phones = _phones(
        ("pau", 0.1), ("y", 0.2), ("eh", 0.3), ("s", 0.4), ("pau", 0.6), ("n", 0.7), ("ow", 0.9),
        ("pau", 1.2),
    )  # fmt: skip
    segments = label_arpabet(phones, ["Y", "EH1", "S", ",", "N", "OW1", "."])
    assert segments == [
        Segment("", 0.0, 0.1),
        Segment("Y", 0.1, 0.2),
        Segment("EH1", 0.2, 0.3),
        Segment("S", 0.3, 0.4),
        Segment(",", 0.4, 0.6),
        Segment("N", 0.6, 0.7),
        Segment("OW1", 0.7, 0.9),
        Segment(".", 0.9, 1.2),
    ]


def test_punctuation_without_a_pause_has_zero_length_and_unmarked_pauses_stay_silence():
    phones = _phones(("y", 0.1), ("eh", 0.2), ("s", 0.3), ("n", 0.4), ("pau", 0.5), ("ow", 0.6))
    segments = label_arpabet(phones, ["Y", "EH1", "S", ",", "N", "OW1"])
    assert [s.label for s in segments] == ["Y", "EH1", "S", ",", "N", "", "OW1"]
    assert segments[3] == Segment(",", 0.3, 0.3)
    assert segments[-1].end == 0.6


def test_different_phones_fail_with_a_reason():
    phones = _phones(("pau", 0.1), ("t", 0.2), ("ax", 0.3), ("pau", 0.4))
    with pytest.raises(PhoneMismatch, match=r"phone 1: engine .*AH.* vs frontend .*UW"):
        label_arpabet(phones, ["T", "UW1", "."])


def test_verify_snaps_the_end_and_rejects_bad_alignments():
    segments = [Segment("", 0.0, 0.5), Segment("A", 0.5, 1.003)]
    fixed = verify_segments(segments, 1.0, tolerance=256 / 22050)
    assert fixed[-1].end == 1.0
    with pytest.raises(AlignmentError, match="audio lasts"):
        verify_segments(segments, 1.2, tolerance=256 / 22050)
    with pytest.raises(AlignmentError, match="contiguous"):
        verify_segments([Segment("", 0.0, 0.4), Segment("A", 0.5, 1.0)], 1.0, 0.01)
    with pytest.raises(AlignmentError, match="negative"):
        verify_segments([Segment("", 0.0, 0.6), Segment("A", 0.6, 0.5)], 0.5, 0.01)


def test_prosody_is_deterministic_per_utterance():
    first = Prosody.sample("joe_000001", seed=1234)
    assert first == Prosody.sample("joe_000001", seed=1234)
    assert first != Prosody.sample("joe_000002", seed=1234)
    draws = [Prosody.sample(f"joe_{i:06d}", seed=7).length_scale for i in range(200)]
    assert 0.9 <= min(draws) and max(draws) <= 1.15


def test_frontend_phones_become_engine_lexicon_phones():
    assert engine_lexicon_phones(["AH0", "N", "D"]) == ["ax0", "n", "d"]
    assert engine_lexicon_phones(["T", "UW1"]) == ["t", "uw1"]
    assert engine_lexicon_phones(["AA2", "ER0", "HH"]) == ["aa1", "er0", "hh"]  # no stress 2
    assert engine_lexicon_phones(["DH", "AH0"], "The") == ["dh", "ah0"]  # dodges flite's iy
    for phone in engine_lexicon_phones(["AH0", "AH1", "ER0", "JH"]):
        assert radio_to_arpabet(phone.rstrip("01")) is not None
    with pytest.raises(TeacherError, match="not ARPAbet"):
        engine_lexicon_phones(["QQ1"])


def test_frontend_words_add_up_to_the_tokens(arpabet):
    words = frontend_words(arpabet, "And to the cat's well-known hat.")
    assert [w.text for w in words] == ["And", "to", "the", "cat's", "well-known", "hat"]
    assert words[0].phones == ("AH0", "N", "D") and words[1].phones == ("T", "UW1")
    assert words[3].phones == ("K", "AE1", "T", "S")
    tokens = arpabet.tokens_from_normalized("And to the cat's well-known hat.")
    assert [p for w in words for p in w.phones] == [t for t in tokens if t != "."]


def test_festival_words_get_the_frontend_phones(arpabet):
    ours = frontend_words(arpabet, "The cat's well-known hat, isn't it?")
    festival = ["The", "cat", "'s", "well", "known", "hat", ",", "isn't", "it", "?"]
    matched = match_engine_words(festival, ours, arpabet)
    assert matched[0] == (0, ("DH", "AH0"))
    # "'s" is festival's own word: the stem takes the whole possessive
    assert matched[1] == (1, ("K", "AE1", "T", "S")) and matched[2] == (1, ())
    # the parts of a hyphenated word each get their own phones when they add up
    assert matched[3] == (2, ("W", "EH1", "L")) and matched[4] == (2, ("N", "OW1", "N"))
    assert matched[6] is None and matched[9] is None  # punctuation
    assert matched[7] == (4, ours[4].phones)

    commands, marks = festival_lexicon_commands(festival, matched)
    assert (
        commands[0]
        == "(lex.add.entry (list \"the\" 'fastspeak (lex.syllabify.phstress '(dh ah0))))"
    )
    assert "(lex.add.entry (list \"'s\" 'fastspeak nil))" in commands
    assert marks == (
        '\'(("fastspeak" 1) ("fastspeak" 2) ("fastspeak" 2) ("fastspeak" 3) '
        '("fastspeak" 3) ("fastspeak" 4) nil ("fastspeak" 5) ("fastspeak" 6) nil)'
    )


def test_one_word_with_two_pronunciations_gets_two_parts_of_speech():
    words = ["read", "it", "read"]
    matched = [(0, ("R", "EH1", "D")), (1, ("IH1", "T")), (2, ("R", "IY1", "D"))]
    commands, marks = festival_lexicon_commands(words, matched)
    assert len(commands) == 3 and "'fastspeak1" in commands[2]
    assert marks == '\'(("fastspeak" 1) ("fastspeak" 2) ("fastspeak1" 3))'


def test_festival_reading_other_words_is_a_mismatch():
    ours = [FrontendWord("doctor", ("D", "AA1", "K", "T", "ER0"))]
    with pytest.raises(PhoneMismatch, match="reads the word 'doctor'"):
        match_engine_words(["dr"], ours, None)
    with pytest.raises(PhoneMismatch, match="extra words"):
        match_engine_words(["doctor", "who"], ours, None)


def test_flite_addenda_cover_its_spellings(arpabet):
    words = frontend_words(arpabet, "And the cat's well-known hat isn't red.")
    lines = flite_lexicon_entries(words, arpabet)
    assert "and : ax0 n d" in lines and "the : dh ah0" in lines
    assert "cat's : k ae1 t s" in lines and "cat : k ae1 t" in lines
    assert "isnt : ih1 z ax0 n t" in lines
    assert "well : w eh1 l" in lines and "known : n ow1 n" in lines
