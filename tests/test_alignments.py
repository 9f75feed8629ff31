"""TextGrid round trips (both MFA conventions) and token duration attachment."""

from pathlib import Path

import numpy as np
import pytest

from fastspeak.data.alignments import (
    FRAME_TOLERANCE,
    AlignmentError,
    Segment,
    alignment_tolerance,
    attach_tokens,
    check_contiguous,
    frames_before,
    read_textgrid,
    read_textgrid_tiers,
    write_textgrid,
)

SR, HOP = 22050, 256


def _segments(spec: list[tuple[str, float]]) -> list[Segment]:
    out, start = [], 0.0
    for label, length in spec:
        out.append(Segment(label, start, start + length))
        start += length
    return out


def test_textgrid_round_trip_long_format(tmp_path: Path) -> None:
    phones = _segments([("", 0.1), ("HH", 0.05), ("AH0", 0.08), ("", 0.2), ('Q"T', 0.1)])
    words = [Segment("", 0.0, 0.1), Segment("hello", 0.1, 0.43), Segment("", 0.43, 0.53)]
    path = tmp_path / "a.TextGrid"
    write_textgrid(path, phones, words=words)
    assert read_textgrid(path) == phones
    tiers = read_textgrid_tiers(path)
    assert set(tiers) == {"words", "phones"}
    assert tiers["words"] == words


def test_textgrid_short_format_and_mfa_speaker_tier(tmp_path: Path) -> None:
    text = (
        '"ooTextFile"\n"TextGrid"\n0\n0.5\n<exists>\n1\n"IntervalTier"\n"spk1 - phones"\n0\n0.5\n'
        '3\n0\n0.1\n"sil"\n0.1\n0.3\n"AA1"\n0.35\n0.5\n"sp"\n'
    )
    path = tmp_path / "short.TextGrid"
    path.write_text(text)
    segments = read_textgrid(path)
    # the 0.3-0.35 gap is filled with silence
    assert [s.label for s in segments] == ["sil", "AA1", "", "sp"]
    check_contiguous(segments, 0.5, tolerance=0.01)


def test_textgrid_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.TextGrid"
    bad.write_text("hello")
    with pytest.raises(AlignmentError, match="not a Praat TextGrid"):
        read_textgrid(bad)
    with pytest.raises(AlignmentError, match="cannot read"):
        read_textgrid(tmp_path / "missing.TextGrid")
    path = tmp_path / "words_only.TextGrid"
    write_textgrid(tmp_path / "tmp.TextGrid", _segments([("A", 0.1)]))
    path.write_text((tmp_path / "tmp.TextGrid").read_text().replace('"phones"', '"words"'))
    with pytest.raises(AlignmentError, match="no 'phones' tier"):
        read_textgrid(path)


def test_point_tiers_are_read_past(tmp_path: Path) -> None:
    """A TextTier (points: time, mark) before the phones, in both text formats."""
    short = (
        '"ooTextFile"\n"TextGrid"\n0\n0.5\n<exists>\n2\n'
        '"TextTier"\n"events"\n0\n0.5\n2\n0.1\n"click"\n0.4\n"beep"\n'
        '"IntervalTier"\n"phones"\n0\n0.5\n2\n0\n0.2\n"AA1"\n0.2\n0.5\n"B"\n'
    )
    long = """File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 0.5
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "TextTier"
        name = "events"
        xmin = 0
        xmax = 0.5
        points: size = 1
        points [1]:
            number = 0.25
            mark = "click"
    item [2]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 0.5
        intervals: size = 2
        intervals [1]:
            xmin = 0
            xmax = 0.2
            text = "AA1"
        intervals [2]:
            xmin = 0.2
            xmax = 0.5
            text = "B"
"""
    for name, text in (("short", short), ("long", long)):
        path = tmp_path / f"{name}.TextGrid"
        path.write_text(text)
        assert read_textgrid(path) == [Segment("AA1", 0.0, 0.2), Segment("B", 0.2, 0.5)], name
        assert set(read_textgrid_tiers(path)) == {"phones"}


def test_an_alignment_ending_within_tolerance_past_the_audio_is_clamped() -> None:
    """check_contiguous allows two hops past the audio; the durations then fit the audio
    (tokens sounding only in the overrun get 0 frames) instead of failing."""
    segments = [
        Segment("", 0.0, 0.1),
        Segment("AA", 0.1, 0.9),
        Segment("B", 0.9, 0.995),
        Segment("K", 0.995, 1.0),
    ]
    seconds = 0.985
    check_contiguous(segments, seconds, tolerance=2 * HOP / SR)
    aligned = attach_tokens(segments, ["AA", "B", "K"])
    samples = int(seconds * SR)
    durations, first, last = aligned.frame_durations(SR, HOP, samples, trim=False)
    assert durations.sum() == 1 + samples // HOP and (durations >= 0).all()
    far = [*segments[:2], Segment("B", 0.9, 1.15), Segment("K", 1.15, 1.2)]  # 0.17 s past
    with pytest.raises(AlignmentError, match="frames past the audio"):
        attach_tokens(far, ["AA", "B", "K"]).frame_durations(SR, HOP, samples, trim=False)
    # a short hop (16 kHz / 128: 8 ms): the 20 ms check_contiguous allows is 3 frames
    rate, hop, samples = 16000, 128, 16127
    short = [Segment("AA", 0.0, 0.9), Segment("B", 0.9, 1.0), Segment("K", 1.0, 1.0269)]
    tolerance = alignment_tolerance(rate, hop)
    check_contiguous(short, samples / rate, tolerance)
    for trim in (False, True):
        durations, first, last = attach_tokens(short, ["AA", "B", "K"]).frame_durations(
            rate, hop, samples, trim=trim
        )
        assert durations.sum() == 1 + (last - first) // hop and (durations >= 0).all()


def test_check_contiguous_rejects_gaps_and_bad_end() -> None:
    with pytest.raises(AlignmentError, match="not contiguous"):
        check_contiguous([Segment("a", 0, 0.1), Segment("b", 0.2, 0.3)], 0.3, 0.01)
    with pytest.raises(AlignmentError, match="audio lasts"):
        check_contiguous(_segments([("a", 0.1)]), 0.5, 0.01)


@pytest.mark.parametrize("silence", ["", "sil", "sp"])
def test_attach_tokens_mfa_style_pause_goes_to_punctuation(silence: str) -> None:
    # MFA alignments have no punctuation: the pause after "hi" belongs to the comma
    segments = _segments(
        [
            (silence, 0.2),
            ("HH", 0.1),
            ("AY1", 0.2),
            (silence, 0.3),
            ("Y", 0.1),
            ("UW1", 0.2),
            (silence, 0.4),
        ]
    )
    tokens = ["HH", "AY1", ",", "Y", "UW1", "."]
    aligned = attach_tokens(segments, tokens)
    assert aligned.speech_start == pytest.approx(0.2)
    np.testing.assert_allclose(aligned.ends, [0.3, 0.5, 0.8, 0.9, 1.1, 1.1])
    durations, first, last = aligned.frame_durations(SR, HOP, int(1.5 * SR), trim=True)
    assert durations.sum() == 1 + (last - first) // HOP
    assert first == round(0.2 * SR / HOP) * HOP
    assert durations[-1] == 0 or durations[-1] == 1  # the period has (almost) no time left
    untrimmed, first, last = aligned.frame_durations(SR, HOP, int(1.5 * SR), trim=False)
    assert (first, last) == (0, int(1.5 * SR))
    assert untrimmed.sum() == 1 + int(1.5 * SR) // HOP
    assert untrimmed[0] > durations[0] and untrimmed[-1] > durations[-1]


def test_attach_tokens_teacher_labels_and_unmarked_pause() -> None:
    # teacher corpora label punctuation and word boundaries; an unmarked pause extends the phone
    segments = _segments(
        [
            ("", 0.05),
            ("a", 0.1),
            ("|", 0.05),
            ("b", 0.1),
            ("", 0.2),
            ("c", 0.1),
            (".", 0.1),
            ("", 0.1),
        ]
    )
    aligned = attach_tokens(segments, ["a", "|", "b", "c", "."])
    np.testing.assert_allclose(aligned.ends, [0.15, 0.2, 0.5, 0.6, 0.7])


def test_attach_tokens_mismatch_is_reported() -> None:
    segments = _segments([("HH", 0.1), ("AY1", 0.1)])
    with pytest.raises(AlignmentError, match="does not match token"):
        attach_tokens(segments, ["HH", "EY1"])
    with pytest.raises(AlignmentError, match="have no alignment segments"):
        attach_tokens(segments, ["HH", "AY1", "T"])
    with pytest.raises(AlignmentError, match="only silence"):
        attach_tokens(_segments([("sil", 0.3)]), ["HH"])


def test_frame_durations_sum_on_random_alignments() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        count = int(rng.integers(1, 30))
        lengths = rng.uniform(0.0, 0.2, size=count)
        labels = [f"p{i}" for i in range(count)]
        segments = _segments(
            [("", float(rng.uniform(0, 0.3)))]
            + list(zip(labels, lengths, strict=True))
            + [("", 0.2)]
        )
        aligned = attach_tokens(segments, labels)
        samples = int(segments[-1].end * SR)
        for trim in (True, False):
            durations, first, last = aligned.frame_durations(SR, HOP, samples, trim=trim)
            assert (durations >= 0).all()
            assert durations.sum() == 1 + (last - first) // HOP


def test_each_frame_goes_to_the_token_at_its_centre() -> None:
    """Naive reference: frame k (centred on sample k * HOP) belongs to the token whose span
    holds that instant; the frames past the last token's end go to the last token."""
    rng = np.random.default_rng(1)
    for _ in range(100):
        count = int(rng.integers(1, 20))
        labels = [f"p{i}" for i in range(count)]
        lengths = rng.uniform(0.0, 0.15, size=count)
        segments = _segments(list(zip(labels, lengths, strict=True)) + [("", 0.1)])
        aligned = attach_tokens(segments, labels)
        samples = int(segments[-1].end * SR)
        durations, _, _ = aligned.frame_durations(SR, HOP, samples, trim=False)
        centres = np.arange(1 + samples // HOP)  # in frames
        starts_of_next = aligned.ends * SR / HOP - FRAME_TOLERANCE
        owner = np.minimum(np.searchsorted(starts_of_next, centres, side="right"), count - 1)
        np.testing.assert_array_equal(durations, np.bincount(owner, minlength=count))


def test_boundaries_on_frame_centres_stay_put() -> None:
    # teacher corpora store frame-exact times as floats (frames * HOP / SR): no frame is lost
    # or gained to the float error, which would put every such boundary a frame late
    frames = np.array([3, 5, 2, 7, 4])
    ends = np.cumsum(frames) * HOP / SR
    starts = np.r_[0.0, ends[:-1]]
    segments = [
        Segment(f"p{i}", float(a), float(b))
        for i, (a, b) in enumerate(zip(starts, ends, strict=True))
    ]
    aligned = attach_tokens(segments, [f"p{i}" for i in range(5)])
    durations, _, _ = aligned.frame_durations(SR, HOP, int(ends[-1] * SR) + 1, trim=False)
    assert durations[:-1].tolist() == frames[:-1].tolist()
    positions = np.array([2.0, 2.0 + 1e-9, 2.0 - 1e-9, 2.4, 2.6])
    np.testing.assert_array_equal(frames_before(positions), [2, 2, 2, 3, 3])


def test_attach_tokens_tolerates_arpabet_stress_variants() -> None:
    segments = _segments([("DH", 0.1), ("AH1", 0.1), ("K", 0.1)])
    aligned = attach_tokens(segments, ["DH", "AH0", "K", "."])
    assert aligned.tokens == ["DH", "AH0", "K", "."]
    with pytest.raises(AlignmentError):
        attach_tokens(segments, ["DH", "IH0", "K"])
