"""Fill to N: failed sentences are replaced by the next ones, resumably (a fake engine, fast)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fastspeak.data.alignments import Segment, read_textgrid
from fastspeak.data.teacher import builder
from fastspeak.data.teacher.builder import build_teacher_corpus
from fastspeak.data.teacher.engines import PhoneMismatch, Synthesis, TeacherError

RATE = 22050
TRAIN = [
    "The cat sat.",  # 0
    "A bad day.",  # 1 fails for every voice
    "We met at noon.",  # 2
    "Another bad idea.",  # 3 fails for every voice
    "Rain fell.",  # 4
    "An odd bird.",  # 5 fails for rms only
    "Dogs bark.",  # 6
    "Fresh bread.",  # 7
    "Turn left.",  # 8
    "Blue boats.",  # 9
]
HELD = ["A bad river.", "Bring the cup.", "The sun rose.", "Bad luck."]


class FakeEngine:
    """Speaks any text as 50 ms per token; fails ("bad", or "odd" for rms) like a teacher."""

    name = "flite"
    inventory = "arpabet"
    varies_speed = False
    calls: list[tuple[str, str]] = []

    def __init__(self, processor, voice):
        self.processor = processor
        self.voice = voice

    def synthesize(self, normalized_text, prosody):
        FakeEngine.calls.append((self.voice, normalized_text))
        words = normalized_text.lower().split()
        if "bad" in words:
            raise PhoneMismatch("phones differ at phone 1: engine ...B AE D... (fake)")
        if "odd" in words and self.voice == "rms":
            raise TeacherError("the fake rms voice cannot say odd")
        tokens = self.processor.tokens_from_normalized(normalized_text)
        segments, cursor = [Segment("", 0.0, 0.1)], 0.1
        for token in tokens:
            segments.append(Segment(token, cursor, cursor + 0.05))
            cursor += 0.05
        samples = int(round(cursor * RATE))
        wav = (0.1 * np.sin(np.arange(samples) / 10.0)).astype(np.float32)
        return Synthesis(wav, RATE, segments, None, phones_match=True)

    def close(self):
        pass


@pytest.fixture(autouse=True)
def fake_engine(monkeypatch):
    FakeEngine.calls = []
    monkeypatch.setattr(
        builder, "create_engine", lambda engine, voice, processor, **_: FakeEngine(processor, voice)
    )


def _build(out, num, held=0, voices=None, **options):
    return build_teacher_corpus(
        "flite",
        voices,
        num,
        out,
        workers=1,
        held_out=held,
        progress=False,
        train_sentences=TRAIN,
        held_out_sentences=HELD,
        **options,
    )


def _ids(out):
    return [line.split("|")[0] for line in (out / "metadata.csv").read_text().splitlines()]


def test_failures_are_replaced_until_n_succeed(tmp_path):
    out = tmp_path / "corpus"
    report = _build(out, 4, held=2)
    assert report["train_utterances"] == 4 and report["held_out_utterances"] == 2
    assert _ids(out) == [
        "slt_heldout_0001",
        "slt_heldout_0002",
        "slt_000000",
        "slt_000002",
        "slt_000004",
        "slt_000005",
    ]
    assert [f["id"] for f in report["failed"]] == ["slt_heldout_0000", "slt_000001", "slt_000003"]
    assert all(f["reason"] for f in report["failed"])
    assert report["attempted"] == 9 and report["train_attempted"] == 6
    assert report["held_out_attempted"] == 3
    assert report["phone_match_rate"] == round(6 / 9, 4)
    assert report["complete"] is True and report["shortfall"] == {}
    assert report["rounds"] == 2  # the first 4 + 2 held-out, then the replacements
    assert report["speakers"]["slt"]["attempted"] == 9
    assert report["max_attempts"] == {"train": 10, "held_out": 4}
    assert not list(out.rglob("slt_000001.*"))
    grid = read_textgrid(out / "textgrids" / "slt_000005.TextGrid")
    assert [s.label for s in grid if s.label][:2] == ["AE1", "N"]  # "An odd bird."
    assert json.loads((out / "report.json").read_text()) == report


def test_each_voice_fills_its_own_shortfall(tmp_path):
    out = tmp_path / "multi"
    report = _build(out, 4, voices=["slt", "rms"])
    assert report["speakers"]["slt"]["utterances"] == 4
    assert report["speakers"]["rms"]["utterances"] == 4
    slt = [i for i in _ids(out) if i.startswith("slt")]
    rms = [i for i in _ids(out) if i.startswith("rms")]
    assert slt == ["slt_000000", "slt_000002", "slt_000004", "slt_000005"]
    assert rms == ["rms_000000", "rms_000002", "rms_000004", "rms_000006"]
    assert report["speakers"]["rms"]["failed"] == 3 and report["speakers"]["slt"]["failed"] == 2


def test_attempts_are_capped_and_the_shortfall_reported(tmp_path):
    out = tmp_path / "capped"
    report = _build(out, 2, attempt_factor=1.5)  # at most 3 tries: 0 ok, 1 fails, 2 ok
    assert report["max_attempts"]["train"] == 3
    assert report["attempted"] == 3 and report["train_utterances"] == 2
    everything_fails = tmp_path / "hopeless"
    FakeEngine.calls = []
    report = build_teacher_corpus(
        "flite",
        None,
        2,
        everything_fails,
        workers=1,
        held_out=0,
        progress=False,
        train_sentences=[f"Bad number {i}." for i in range(7)],
    )
    assert report["attempted"] == 6 == len(FakeEngine.calls)  # 3 x N
    assert report["utterances"] == 0 and report["num_failed"] == 6
    assert report["complete"] is False and report["shortfall"] == {"slt": {"train": 2}}
    assert report["phone_match_rate"] == 0.0


def test_no_refill_with_attempt_factor_one(tmp_path):
    report = _build(tmp_path / "exact", 4, attempt_factor=1.0)
    assert report["attempted"] == 4 and report["train_utterances"] == 2
    assert report["shortfall"] == {"slt": {"train": 2}}


def test_resume_skips_done_and_known_failures(tmp_path):
    out = tmp_path / "resume"
    first = _build(out, 4, held=2)
    first_ids = _ids(out)
    FakeEngine.calls = []
    again = _build(out, 4, held=2)
    assert FakeEngine.calls == [] and again["synthesized_this_run"] == 0
    assert again["skipped_existing"] == 9 and again["rounds"] == 0
    assert again["failed"] == first["failed"] and _ids(out) == first_ids

    # a bigger build continues from where the list stopped, without retrying failures
    bigger = _build(out, 6, held=2)
    assert [text for _, text in FakeEngine.calls] == ["Dogs bark.", "Fresh bread."]
    assert bigger["train_utterances"] == 6 and bigger["synthesized_this_run"] == 2

    # retry_failed tries the recorded failures again (once), then nothing more
    FakeEngine.calls = []
    retried = _build(out, 6, held=2, retry_failed=True)
    assert sorted(text for _, text in FakeEngine.calls) == sorted(
        ["A bad river.", "A bad day.", "Another bad idea."]
    )
    assert retried["train_utterances"] == 6 and retried["num_failed"] == 3

    # a utterance whose files vanished is made again
    (out / "wavs" / "slt_000002.wav").unlink()
    FakeEngine.calls = []
    healed = _build(out, 6, held=2)
    assert [text for _, text in FakeEngine.calls] == ["We met at noon."]
    assert healed["train_utterances"] == 6


def test_bad_attempt_factor():
    with pytest.raises(ValueError, match="attempt_factor"):
        build_teacher_corpus("flite", None, 1, "unused", attempt_factor=0.5, progress=False)
