"""Teacher engine pieces that need no audio: ARPAbet labelling, verification, prosody."""

from __future__ import annotations

import pytest

from fastspeak.data.alignments import AlignmentError, Segment
from fastspeak.data.teacher.builder import verify_segments
from fastspeak.data.teacher.engines import (
    EnginePhone,
    PhoneMismatch,
    Prosody,
    TeacherError,
    label_arpabet,
    radio_to_arpabet,
)


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
