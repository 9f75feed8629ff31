"""Real teacher corpora, built end to end in tmp_path (piper, flite, festival)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import soundfile

from fastspeak.config import TextConfig
from fastspeak.data.alignments import check_contiguous, read_textgrid, read_textgrid_tiers
from fastspeak.data.corpora.teacher import read_teacher
from fastspeak.data.teacher import build_teacher_corpus, load_sentences
from fastspeak.text.processor import TextProcessor

HOP = 256
# sentences whose festival/flite phones equal the ARPAbet frontend's
SIMPLE = [
    "The cat sat on the mat.",
    "She kept a firm hold on the railing.",
    "Yes, I will call you tomorrow morning.",
]

needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="apt-get install flite")
needs_festival = pytest.mark.skipif(
    shutil.which("festival") is None, reason="apt-get install festival festvox-us-slt-hts"
)


def _check_utterance(wav_path, grid_path, tokens, sample_rate):
    wav, rate = soundfile.read(wav_path, dtype="float32")
    assert rate == sample_rate and soundfile.info(wav_path).subtype == "PCM_16"
    duration = len(wav) / rate
    segments = read_textgrid(grid_path)
    check_contiguous(segments, duration, tolerance=HOP / sample_rate)
    assert segments[0].start == 0.0
    assert all(s.end >= s.start for s in segments)
    assert [s.label for s in segments if s.label] == tokens


@pytest.fixture(scope="module")
def piper_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("piper") / "corpus"
    report = build_teacher_corpus(
        "piper", None, num_sentences=6, out_dir=out, workers=1, held_out=2, progress=False
    )
    return out, report


def test_piper_corpus_layout_audio_and_alignments(piper_corpus):
    out, report = piper_corpus
    train, held = load_sentences("train")[:6], load_sentences("held_out")[:2]
    ids = [f"joe_heldout_{i:04d}" for i in range(2)] + [f"joe_{i:06d}" for i in range(6)]
    assert sorted(p.stem for p in (out / "wavs").glob("*.wav")) == sorted(ids)
    assert sorted(p.stem for p in (out / "textgrids").glob("*.TextGrid")) == sorted(ids)
    assert (out / "held_out.txt").read_text().split() == ids[:2]

    rows = [line.split("|") for line in (out / "metadata.csv").read_text().splitlines()]
    assert [row[0] for row in rows] == ids and all(len(row) == 3 for row in rows)
    assert [row[1] for row in rows] == held + train

    processor = TextProcessor(TextConfig(inventory="espeak"))
    for row in rows:
        assert row[2] == processor.normalize(row[1])
        tokens = processor.tokens_from_normalized(row[2])
        _check_utterance(
            out / "wavs" / f"{row[0]}.wav", out / "textgrids" / f"{row[0]}.TextGrid", tokens, 22050
        )

    manifest = json.loads((out / "corpus.json").read_text())
    assert manifest["format"] == "fastspeak-teacher"
    assert manifest["inventory"] == "espeak" and manifest["sample_rate"] == 22050
    assert manifest["counts"]["utterances"] == 8 and manifest["counts"]["held_out"] == 2

    assert json.loads((out / "report.json").read_text()) == report
    assert report["utterances"] == 8 and report["failed"] == []
    assert report["phone_match_rate"] == 1.0  # the espeak frontend reproduces piper's phones
    assert report["audio_seconds"] > 8 and report["seconds_taken"] > 0
    assert report["speakers"]["joe"]["utterances"] == 8
    assert report["engine"] == "piper" and report["voices"] == ["joe"]

    utterances = read_teacher(out)  # the dataset reader accepts it
    assert len(utterances) == 8 and sum(u.held_out for u in utterances) == 2


def test_piper_textgrids_mark_the_blank_ending_each_token(piper_corpus):
    """VITS puts a blank between every two symbols; piper counts it with the symbol before, so
    each blank lies at the end of a phone interval, in whole 256-sample frames."""
    out, _ = piper_corpus
    for grid in sorted((out / "textgrids").glob("*.TextGrid")):
        tiers = read_textgrid_tiers(grid)
        phones = [s for s in tiers["phones"] if s.label]
        blanks = [s for s in tiers["blanks"] if s.label]
        duration = tiers["phones"][-1].end
        check_contiguous(tiers["blanks"], duration, tolerance=1e-6)
        assert {s.label for s in tiers["blanks"]} <= {"", "_"}
        ends = {round(s.end * 22050): s for s in phones}
        assert len(blanks) >= 0.9 * len(phones)  # VITS gives (nearly) every blank a frame
        for blank in blanks:
            phone = ends[round(blank.end * 22050)]  # ends where a phone ends
            assert phone.start <= blank.start < blank.end
            assert round((blank.end - blank.start) * 22050) % HOP == 0


def test_rerun_resumes(piper_corpus):
    out, first = piper_corpus
    again = build_teacher_corpus("piper", None, 6, out, workers=1, held_out=2, progress=False)
    assert again["synthesized_this_run"] == 0 and again["skipped_existing"] == 8
    assert again["utterances"] == first["utterances"]
    assert again["audio_seconds"] == first["audio_seconds"]

    (out / "textgrids" / "joe_000003.TextGrid").unlink()  # as if killed mid-utterance
    third = build_teacher_corpus("piper", None, 6, out, workers=1, held_out=2, progress=False)
    assert third["synthesized_this_run"] == 1 and third["utterances"] == 8
    assert (out / "textgrids" / "joe_000003.TextGrid").exists()


def test_a_different_corpus_in_the_folder_is_refused(piper_corpus):
    out, _ = piper_corpus
    with pytest.raises(ValueError, match="sample_rate"):
        build_teacher_corpus("piper", None, 1, out, sample_rate=16000, held_out=0, progress=False)


def test_bad_arguments(capsys):
    from fastspeak.cli import main
    from fastspeak.data.teacher.builder import TeacherCorpusError

    with pytest.raises(TeacherCorpusError, match="choose one of"):
        build_teacher_corpus("espeak", None, 1, "unused", progress=False)
    with pytest.raises(TeacherCorpusError, match="available"):
        build_teacher_corpus("flite", ["nobody"], 1, "unused", progress=False)
    with pytest.raises(TeacherCorpusError, match="num_sentences"):
        build_teacher_corpus("flite", None, 10**6, "unused", progress=False)
    with pytest.raises(TeacherCorpusError, match="workers must be >= 0"):
        build_teacher_corpus("flite", None, 1, "unused", workers=-1, progress=False)
    with pytest.raises(TeacherCorpusError, match="attempt_factor"):
        build_teacher_corpus("flite", None, 1, "unused", attempt_factor=float("nan"))
    # on the command line: a clear one-line error and status 2, not a traceback
    base = ["corpus", "teacher", "--engine", "flite", "--out", "unused"]
    assert main([*base, "--num-sentences", "999999"]) == 2
    assert "num_sentences must be" in capsys.readouterr().err


def test_an_incomplete_corpus_fails_the_command(monkeypatch, tmp_path, capsys):
    """When the attempts run out before N utterances, the command says what is short and
    exits 1 (the corpus built so far stays, and a re-run resumes)."""
    from fastspeak.cli import main
    from fastspeak.data.teacher import builder

    def short(**options):
        return {"utterances": 299, "failed": [{"id": "slt_x"}], "complete": False,
                "shortfall": {"slt": {"held_out": 1}}}  # fmt: skip

    monkeypatch.setattr(builder, "build_teacher_corpus", short)
    args = ["corpus", "teacher", "--engine", "flite", "--out", str(tmp_path / "c")]
    assert main([*args, "--num-sentences", "0", "--held-out", "300", "--quiet"]) == 1
    assert "slt is 1 held_out utterance(s) short" in capsys.readouterr().err


@needs_flite
def test_an_interrupted_build_resumes_only_with_its_settings(monkeypatch, tmp_path):
    """corpus.json is written before the first utterance, so a build stopped before its end
    (Ctrl-C) is resumed only with the same engine, rate and seed."""
    from fastspeak.data.teacher import builder

    out = tmp_path / "flite"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(builder, "_finish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_teacher_corpus("flite", None, 2, out, sample_rate=16000, held_out=0, workers=1,
                             progress=False)  # fmt: skip
    monkeypatch.undo()
    assert json.loads((out / "corpus.json").read_text())["sample_rate"] == 16000
    with pytest.raises(builder.TeacherCorpusError, match="sample_rate=16000"):
        build_teacher_corpus("flite", None, 2, out, sample_rate=22050, held_out=0, progress=False)
    with pytest.raises(builder.TeacherCorpusError, match="seed=1234"):
        build_teacher_corpus("flite", None, 2, out, sample_rate=16000, held_out=0, seed=7,
                             progress=False)  # fmt: skip
    report = build_teacher_corpus("flite", None, 2, out, sample_rate=16000, held_out=0,
                                  workers=1, progress=False)  # fmt: skip
    assert report["utterances"] == 2 and report["skipped_existing"] == 2


@needs_flite
def test_flite_multi_speaker_layout(tmp_path):
    out = tmp_path / "flite"
    report = build_teacher_corpus(
        "flite",
        ["slt", "rms"],
        num_sentences=3,
        out_dir=out,
        workers=2,
        held_out=1,
        progress=False,
        train_sentences=SIMPLE,
        held_out_sentences=["I talked with him on the telephone."],
    )
    assert report["failed"] == [] and report["utterances"] == 8
    assert report["speakers"]["slt"]["utterances"] == 4
    assert report["speakers"]["rms"]["held_out"] == 1
    rows = [line.split("|") for line in (out / "metadata.csv").read_text().splitlines()]
    assert all(len(row) == 4 for row in rows)
    processor = TextProcessor(TextConfig(inventory="arpabet"))
    for utterance_id, speaker, _text, normalized in rows:
        assert utterance_id.startswith(f"{speaker}_")
        _check_utterance(
            out / "wavs" / speaker / f"{utterance_id}.wav",
            out / "textgrids" / speaker / f"{utterance_id}.TextGrid",
            processor.tokens_from_normalized(normalized),
            22050,
        )
    assert sorted((out / "held_out.txt").read_text().split()) == [
        "rms_heldout_0000",
        "slt_heldout_0000",
    ]
    manifest = json.loads((out / "corpus.json").read_text())
    assert manifest["speakers"] == ["slt", "rms"] and manifest["layout"] == "multi-speaker"
    utterances = read_teacher(out)
    assert {u.speaker for u in utterances} == {"slt", "rms"}


@needs_flite
def test_a_phone_mismatch_is_reported_leaves_no_files_and_is_replaced(tmp_path, monkeypatch):
    original = TextProcessor.tokens_from_normalized

    def wrong_for_cats(self, normalized):
        tokens = original(self, normalized)
        return ["G" if t == "K" else t for t in tokens] if "cat" in normalized else tokens

    monkeypatch.setattr(TextProcessor, "tokens_from_normalized", wrong_for_cats)
    out = tmp_path / "mismatch"
    report = build_teacher_corpus(
        "flite",
        None,
        2,
        out,
        workers=1,
        held_out=0,
        progress=False,
        train_sentences=SIMPLE,
        engine_options={"lexicon": False},  # with it, flite would say our (wrong) G
    )
    # the failed first sentence is replaced by the third: N = 2 successes
    assert report["utterances"] == 2 and report["num_failed"] == 1 and report["attempted"] == 3
    (failure,) = report["failed"]
    assert failure["id"] == "slt_000000" and failure["text"] == SIMPLE[0]
    assert "engine" in failure["reason"] and "K" in failure["reason"]
    assert report["phone_match_rate"] == round(2 / 3, 4)
    assert not list(out.rglob("slt_000000.*"))
    assert "slt_000000" not in (out / "metadata.csv").read_text()
    assert [line.split("|")[0] for line in (out / "metadata.csv").read_text().splitlines()] == [
        "slt_000001",
        "slt_000002",
    ]


# the frontend reads these differently from festival's and flite's own lexicons
# ("and" AH0 N D, "to" T UW1, "read" R EH1 D, "tea-cup", "cat's")
VARIANTS = [
    "And I went to the store to buy bread.",
    "The cat's well-known tea-cup is on the table, isn't it?",
]


@needs_flite
@pytest.mark.parametrize("voice", ["slt", "rms"])
def test_flite_speaks_the_frontend_pronunciation(tmp_path, voice):
    out = tmp_path / voice
    plain = build_teacher_corpus(
        "flite",
        [voice],
        2,
        tmp_path / f"{voice}-plain",
        workers=1,
        held_out=0,
        progress=False,
        train_sentences=VARIANTS,
        engine_options={"lexicon": False},
        attempt_factor=1.0,
    )
    assert plain["utterances"] == 0  # flite's own lexicon says AE N D, T AH ...
    report = build_teacher_corpus(
        "flite", [voice], 2, out, workers=1, held_out=0, progress=False, train_sentences=VARIANTS
    )
    assert report["failed"] == [] and report["phone_match_rate"] == 1.0
    processor = TextProcessor(TextConfig(inventory="arpabet"))
    for index, text in enumerate(VARIANTS):
        utterance_id = f"{voice}_{index:06d}"
        _check_utterance(
            out / "wavs" / f"{utterance_id}.wav",
            out / "textgrids" / f"{utterance_id}.TextGrid",
            processor.tokens(text),
            22050,
        )


@needs_festival
def test_festival_corpus(tmp_path):
    out = tmp_path / "festival"
    report = build_teacher_corpus(
        "festival", None, 2, out, workers=1, held_out=0, progress=False, train_sentences=SIMPLE
    )
    assert report["failed"] == [] and report["utterances"] == 2
    assert report["inventory"] == "arpabet" and "stress_match_rate" in report
    processor = TextProcessor(TextConfig(inventory="arpabet"))
    for line in (out / "metadata.csv").read_text().splitlines():
        utterance_id, _text, normalized = line.split("|")
        grid = out / "textgrids" / f"{utterance_id}.TextGrid"
        _check_utterance(
            out / "wavs" / f"{utterance_id}.wav",
            grid,
            processor.tokens_from_normalized(normalized),
            22050,
        )
        words = [s.label for s in read_textgrid_tiers(grid)["words"] if s.label]
        assert [w.lower() for w in words] == normalized.rstrip(".").lower().split()


@needs_festival
def test_festival_speaks_the_frontend_pronunciation(tmp_path, monkeypatch):
    from fastspeak.data.teacher import engines

    monkeypatch.setattr(engines, "FESTIVAL_RESTART_EVERY", 1)  # a fresh process per utterance
    plain = build_teacher_corpus(
        "festival",
        None,
        2,
        tmp_path / "plain",
        workers=1,
        held_out=0,
        progress=False,
        train_sentences=VARIANTS,
        engine_options={"lexicon": False},
        attempt_factor=1.0,
    )
    assert plain["utterances"] == 0
    out = tmp_path / "lexicon"
    report = build_teacher_corpus(
        "festival", None, 2, out, workers=1, held_out=0, progress=False, train_sentences=VARIANTS
    )
    assert report["failed"] == [] and report["phone_match_rate"] == 1.0
    assert report["stress_match_rate"] == 1.0  # festival's syllables carry our stress
    processor = TextProcessor(TextConfig(inventory="arpabet"))
    for index, text in enumerate(VARIANTS):
        grid = out / "textgrids" / f"slt_{index:06d}.TextGrid"
        _check_utterance(out / "wavs" / f"slt_{index:06d}.wav", grid, processor.tokens(text), 22050)
        # one word-tier entry per frontend word, even where festival splits the word
        words = [s.label for s in read_textgrid_tiers(grid)["words"] if s.label]
        assert words == re.findall(r"[A-Za-z]+(?:['-][A-Za-z]+)*", processor.normalize(text))


def test_piper_text_mode_speaks_piper_own_phonemes(tmp_path):
    """mode="text": piper phonemizes the text (one chunk per sentence, ^/$ become silence)."""
    out = tmp_path / "text_mode"
    sentences = ["Hello there, my friend. How are you today?", SIMPLE[0]]
    report = build_teacher_corpus(
        "piper",
        None,
        2,
        out,
        workers=1,
        held_out=0,
        progress=False,
        train_sentences=sentences,
        engine_options={"mode": "text"},
    )
    assert report["failed"] == [] and report["phone_match_rate"] == 1.0
    processor = TextProcessor(TextConfig(inventory="espeak"))
    for index, text in enumerate(sentences):
        utterance_id = f"joe_{index:06d}"
        _check_utterance(
            out / "wavs" / f"{utterance_id}.wav",
            out / "textgrids" / f"{utterance_id}.TextGrid",
            processor.tokens(text),
            22050,
        )
    # two sentences -> EOS of the first and BOS of the second form one inner silence
    labels = [s.label for s in read_textgrid(out / "textgrids" / "joe_000000.TextGrid")]
    assert labels[0] == "" and labels[-1] == "" and labels.count("") == 3
    tiers = read_textgrid_tiers(out / "textgrids" / "joe_000000.TextGrid")
    phone_ends = {round(s.end * 22050) for s in tiers["phones"] if s.label}
    blanks = [s for s in tiers["blanks"] if s.label == "_"]
    assert len(blanks) >= 0.9 * len(phone_ends)
    assert {round(s.end * 22050) for s in blanks} <= phone_ends
    # one level for the utterance: piper no longer scales each sentence to its own peak
    wav, rate = soundfile.read(str(out / "wavs" / "joe_000000.wav"))
    silences = [s for s in read_textgrid(out / "textgrids" / "joe_000000.TextGrid") if not s.label]
    cut = round(silences[1].start * rate)  # the silence between the two sentences
    peaks = sorted([abs(wav[:cut]).max(), abs(wav[cut:]).max()])
    assert peaks[1] == pytest.approx(0.95, abs=0.01) and peaks[0] < 0.93


@needs_flite
def test_flite_kal16_utterances_fit_their_audio(tmp_path):
    """kal16 reports its final pause ~0.12 s past the audio it writes: the pause is cut to the
    audio (every kal16 utterance used to be refused)."""
    out = tmp_path / "kal16"
    report = build_teacher_corpus("flite", ["kal16"], 2, out, held_out=0, workers=1,
                                  progress=False)  # fmt: skip
    assert report["utterances"] == 2 and report["failed"] == []
    for wav in sorted((out / "wavs").glob("*.wav")):
        audio, rate = soundfile.read(str(wav))
        segments = read_textgrid(out / "textgrids" / f"{wav.stem}.TextGrid")
        check_contiguous(segments, len(audio) / rate, tolerance=256 / rate)


def test_a_one_worker_piper_build_is_reproducible(tmp_path):
    """The seed fixes piper's sampling noise as well as the speed draw: same audio and timings;
    another seed gives other audio."""

    def build(name: str, seed: int) -> list[bytes]:
        out = tmp_path / name
        build_teacher_corpus(
            "piper",
            None,
            2,
            out,
            workers=1,
            seed=seed,
            held_out=0,
            progress=False,
            train_sentences=SIMPLE[:2],
        )
        files = sorted((out / "wavs").glob("*.wav")) + sorted((out / "textgrids").glob("*"))
        return [path.read_bytes() for path in files]

    first, again, other = build("a", 7), build("b", 7), build("c", 8)
    assert len(first) == 4 and first == again
    assert first[:2] != other[:2]


def test_piper_tokens_mode_pauses_between_sentences_as_piper_does(tmp_path):
    """Our tokens go to the voice one sentence at a time, each with its own start and end: a
    sentence break is piper's own pause (it was a ~23 ms "." inside one call)."""
    out = tmp_path / "tokens_mode"
    report = build_teacher_corpus("piper", None, 1, out, workers=1, held_out=0, progress=False,
                                  train_sentences=["I saw my friend. He was happy."])  # fmt: skip
    assert report["failed"] == [] and report["phone_match_rate"] == 1.0
    segments = read_textgrid(out / "textgrids" / "joe_000000.TextGrid")
    first_stop = next(i for i, s in enumerate(segments) if s.label == ".")
    after = segments[first_stop + 1]
    assert after.label == "" and after.end - segments[first_stop].start > 0.12
    wav, rate = soundfile.read(str(out / "wavs" / "joe_000000.wav"))
    check_contiguous(segments, len(wav) / rate, tolerance=256 / rate)
    assert abs(wav).max() == pytest.approx(0.95, abs=0.01)  # one level for the utterance


@needs_festival
def test_a_hung_festival_is_killed_and_the_next_call_starts_afresh(monkeypatch):
    from fastspeak.data.teacher import engines
    from fastspeak.data.teacher.engines import FestivalEngine, TeacherError

    monkeypatch.setattr(engines, "FESTIVAL_TIMEOUT_SECONDS", 2)
    engine = FestivalEngine(TextProcessor(TextConfig(inventory="arpabet")))
    try:
        with pytest.raises(TeacherError, match="hung for 2 s"):
            engine._call("(while t nil)")  # Scheme that never returns
        words = engine._call('(fastspeak_words {tag} "hello there")')
        assert [" ".join(parts[1:]) for parts in words] == ["hello", "there"]
    finally:
        engine.close()
