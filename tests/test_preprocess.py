"""``fastspeak preprocess`` end to end on a real piper teacher corpus, including bad data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram
from fastspeak.cli import main
from fastspeak.config import load_config
from fastspeak.data.alignments import read_textgrid, read_textgrid_tiers, write_textgrid
from fastspeak.data.preprocess import feature_hash, preprocess
from fastspeak.data.teacher.builder import build_teacher_corpus
from fastspeak.text.vocab import Vocabulary

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "piper_joe" / "fastspeech2.yaml"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("piper") / "corpus"
    build_teacher_corpus(
        engine="piper",
        voices=None,
        num_sentences=8,
        out_dir=out,
        workers=1,
        held_out=2,
        progress=False,
    )
    return out


def _entries(feat_dir: Path) -> list[dict]:
    return [
        json.loads(line)
        for name in ("train", "val", "test")
        for line in (feat_dir / f"{name}.jsonl").read_text().splitlines()
    ]


def _check_blank_frames(corpus: Path, entry: dict, durations: np.ndarray) -> None:
    """piper's blanks are whole frames at 22,050 Hz, so each token's ``blank_frames`` is the
    length of the "blanks" interval that ends where the token does."""
    tiers = read_textgrid_tiers(corpus / "textgrids" / f"{entry['id']}.TextGrid")
    blanks = {round(s.end * 22050): s for s in tiers["blanks"] if s.label == "_"}
    phones = [s for s in tiers["phones"] if s.label]
    assert len(entry["blank_frames"]) == len(entry["tokens"]) == len(phones)
    last = len(phones) - 1  # the last token's end is the (trimmed) audio's
    for index, (token, phone, found, frames) in enumerate(
        zip(entry["tokens"], phones, entry["blank_frames"], durations, strict=True)
    ):
        assert phone.label == token and 0 <= found <= frames
        blank = blanks.get(round(phone.end * 22050))
        expected = 0 if blank is None else round((blank.end - blank.start) * 22050 / 256)
        assert found == expected or index == last


def test_preprocess_teacher_corpus_end_to_end(corpus: Path, tmp_path: Path) -> None:
    config = load_config(CONFIG)
    feat_dir = tmp_path / "feat"
    report = preprocess(config, corpus, feat_dir, workers=1, progress=False)
    assert report["processed"] == 10 and report["skipped"] == []
    assert report["splits"]["test"] == 2  # exactly the held-out sentences
    entries = _entries(feat_dir)
    assert sorted(e["id"] for e in entries if e["held_out"]) == sorted(
        e["id"] for e in map(json.loads, (feat_dir / "test.jsonl").read_text().splitlines())
    )
    vocab = Vocabulary.load(feat_dir / "vocab.json")
    stats = json.loads((feat_dir / "stats.json").read_text())
    assert 60 < stats["pitch"]["mean"] < 300 and stats["energy"]["std"] > 0
    train_ids = {json.loads(line)["id"] for line in (feat_dir / "train.jsonl").open()}
    train_pitch = []  # the statistics see the training split only (phoneme level: spoken tokens)
    for entry in entries:
        with np.load(feat_dir / entry["features"]) as features:
            if entry["id"] in train_ids:
                train_pitch.append(features["pitch"][features["durations"] > 0])
    values = np.concatenate(train_pitch)
    assert stats["pitch"]["count"] == len(values) < sum(len(e["tokens"]) for e in entries)
    assert stats["pitch"]["mean"] == pytest.approx(float(values.mean()), rel=1e-6)
    assert json.loads((feat_dir / "speakers.json").read_text()) == {"default": 0}
    mel = MelSpectrogram(config.audio)
    for entry in entries:
        assert vocab.decode(vocab.encode(entry["tokens"])) == entry["tokens"]
        with np.load(feat_dir / entry["features"]) as features:
            durations, mels = features["durations"], features["mels"]
            assert len(durations) == len(entry["tokens"]) == len(features["pitch"])
            assert durations.sum() == len(mels) == entry["frames"]
            assert mels.shape[1] == 80
            # boundary tokens may be empty, speech phones of a teacher voice never are
            speech = [
                d for t, d in zip(entry["tokens"], durations, strict=True) if t not in ",.?!;:|—…"
            ]
            assert min(speech) > 0
            _check_blank_frames(corpus, entry, durations)
    # the stored mel is the one mel of the trimmed audio: compare one utterance directly
    first = entries[0]
    wav = load_audio(corpus / "wavs" / f"{first['id']}.wav", config.audio.sample_rate)
    with np.load(feat_dir / first["features"]) as features:
        stored = features["mels"].astype(np.float32)
    import torch

    full = mel(torch.from_numpy(wav)).numpy()
    offsets = [
        start
        for start in range(0, len(full) - len(stored) + 1)
        if np.abs(full[start + 2 : start + 12] - stored[2:12]).max() < 0.05
    ]
    assert offsets, "stored mel is not a slice of the utterance's mel"


def test_cache_reused_and_keyed_by_settings(corpus: Path, tmp_path: Path) -> None:
    feat_dir = tmp_path / "feat"
    config = load_config(CONFIG)
    preprocess(config, corpus, feat_dir, workers=1, progress=False)
    cache = feat_dir / "cache" / feature_hash(config)
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npz")}
    assert len(stamps) == 10
    preprocess(config, corpus, feat_dir, workers=1, progress=False)
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("*.npz")} == stamps
    frame_level = load_config(CONFIG, ["features.pitch_level=frame"])
    assert feature_hash(frame_level) != feature_hash(config)
    report = preprocess(frame_level, corpus, feat_dir, workers=1, progress=False)
    assert [stale["folder"] for stale in report["stale_caches"]] == [
        f"cache/{feature_hash(config)}"
    ]
    assert report["stale_caches"][0]["mb"] > 0
    entry = _entries(feat_dir)[0]
    assert entry["features"].startswith(f"cache/{feature_hash(frame_level)}/")
    with np.load(feat_dir / entry["features"]) as features:
        assert len(features["pitch"]) == len(features["mels"])  # frame level now
    # the length limits are not part of the key: cached utterances are held to new ones too
    sources = {}
    for entry in _entries(feat_dir):
        with np.load(feat_dir / entry["features"]) as features:
            sources[entry["id"]] = float(features["source_seconds"])  # before any trimming
    limit = float(np.median(list(sources.values())))
    shorter = load_config(CONFIG, ["features.pitch_level=frame", f"preprocess.max_seconds={limit}"])
    stamps = {p.name: p.stat().st_mtime_ns for p in feat_dir.glob("cache/*/*.npz")}
    report = preprocess(shorter, corpus, feat_dir, workers=1, progress=False)
    kept = {entry["id"] for entry in _entries(feat_dir)}
    assert kept == {name for name, seconds in sources.items() if seconds <= limit}
    assert 0 < len(kept) < len(sources) and len(report["skipped"]) == len(sources) - len(kept)
    assert all("min_seconds..max_seconds" in item["reason"] for item in report["skipped"])
    assert {p.name: p.stat().st_mtime_ns for p in feat_dir.glob("cache/*/*.npz")} == stamps


def test_bad_files_are_skipped_with_reasons(corpus: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(corpus, broken)
    ids = sorted(p.stem for p in (broken / "wavs").glob("*.wav") if "heldout" not in p.stem)
    corrupt, empty, silent, unaligned, mismatched, unvoiced = ids[:6]
    (broken / "wavs" / f"{corrupt}.wav").write_bytes(b"RIFF....not really a wav")
    soundfile.write(broken / "wavs" / f"{empty}.wav", np.zeros(0, dtype=np.int16), 22050)
    soundfile.write(broken / "wavs" / f"{silent}.wav", np.zeros(22050 * 2, dtype=np.int16), 22050)
    (broken / "textgrids" / f"{unaligned}.TextGrid").unlink()
    grid = broken / "textgrids" / f"{mismatched}.TextGrid"
    segments = read_textgrid(grid)
    write_textgrid(grid, [type(s)("zz" if s.label else "", s.start, s.end) for s in segments])
    # white noise of the same length: the alignment still fits, but nothing is voiced
    length = soundfile.info(broken / "wavs" / f"{unvoiced}.wav").frames
    noise = np.random.default_rng(0).normal(0, 0.3, length).clip(-1, 1).astype(np.float32)
    soundfile.write(broken / "wavs" / f"{unvoiced}.wav", noise, 22050)

    report = preprocess(load_config(CONFIG), broken, tmp_path / "feat", workers=2, progress=False)
    reasons = {item["id"]: item["reason"] for item in report["skipped"]}
    assert report["processed"] + len(reasons) == report["utterances"] == 10
    assert "AudioError" in reasons[corrupt]
    assert "empty" in reasons[empty].lower()
    assert "silence" in reasons[silent]
    assert "no alignment" in reasons[unaligned]
    assert "does not match" in reasons[mismatched]
    assert "UnvoicedError" in reasons[unvoiced]
    listed = {e["id"] for e in _entries(tmp_path / "feat")}
    assert listed.isdisjoint(reasons) and len(listed) == report["processed"]


def test_cli_preprocess_and_errors(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "feat"
    code = main(
        [
            "preprocess",
            "--config",
            str(CONFIG),
            "--data",
            str(corpus),
            "--out",
            str(out),
            "--workers",
            "1",
            "--quiet",
        ]
    )
    assert code == 0
    assert "processed: 10" in capsys.readouterr().out
    assert json.loads((out / "report.json").read_text())["processed"] == 10
    code = main(
        [
            "preprocess",
            "--data",
            str(tmp_path / "nowhere"),
            "--out",
            str(out),
            "--set",
            "audio.hop=1",
        ]
    )
    assert code == 2 and "unknown config key 'audio.hop'" in capsys.readouterr().err
    code = main(["preprocess", "--data", str(tmp_path / "nowhere"), "--out", str(out)])
    assert code == 2 and "nowhere" in capsys.readouterr().err


def test_a_table_file_corpus_gives_its_recordings_back(corpus: Path, tmp_path: Path) -> None:
    """A FEATDIR made from a table file (a valid corpus root) finds its recordings again, as
    train-vocoder, gta and evaluate need (they refused any corpus that was not a folder)."""
    from fastspeak.data.vocoder import corpus_audio_paths

    rows = [json.loads(line) for line in (corpus / "utterances.jsonl").read_text().splitlines()]
    table = corpus / "list.csv"
    table.write_text("".join(f"wavs/{row['id']}.wav|{row['text']}\n" for row in rows))
    try:
        out = tmp_path / "feat"
        report = preprocess(load_config(CONFIG), table, out, alignments=corpus / "textgrids",
                            workers=1, progress=False)  # fmt: skip
        assert report["corpus_format"] == "csv" and report["processed"] == len(rows)
        audio = corpus_audio_paths(out)
        assert sorted(audio) == sorted(row["id"] for row in rows)
        assert all(
            path == (corpus / "wavs" / f"{key}.wav").resolve() for key, path in audio.items()
        )
    finally:
        table.unlink()


def test_every_reading_of_a_sentence_shares_a_split() -> None:
    """Three speakers reading the same 300 sentences (a multi-voice teacher corpus, VCTK's
    shared texts): val and test hold no sentence that train has (split by id, 58 of 64 val
    utterances had another speaker's reading in train). Unique sentences split by id as ever."""
    from fastspeak.config import Config
    from fastspeak.data.preprocess import assign_splits

    entries = [
        {"id": f"{voice}_{n:03d}", "text": f"Sentence number {n}.", "held_out": False}
        for voice in ("a", "b", "c")
        for n in range(300)
    ]
    entries[5]["text"] = "SENTENCE number 0"  # the same words, another case and punctuation
    splits = assign_splits(entries, Config())
    words = {name: {e["text"].lower().strip(".") for e in items} for name, items in splits.items()}
    assert not words["train"] & words["val"] and not words["train"] & words["test"]
    assert not words["val"] & words["test"]
    assert sum(len(items) for items in splits.values()) == 900
    assert 64 <= len(splits["val"]) <= 66 and 64 <= len(splits["test"]) <= 66
    # a sentence read 300 times (LibriTTS's "Chapter one.") never fills val or test
    common = [{"id": f"c{n}", "text": "CHAPTER ONE.", "held_out": False} for n in range(300)]
    rare = [{"id": f"r{n}", "text": f"Rare sentence {n}.", "held_out": False} for n in range(1000)]
    for seed in range(6):
        config = Config()
        config.split.seed = seed
        mixed = assign_splits(common + rare, config)
        assert len(mixed["val"]) == 64 and len(mixed["test"]) == 64
        assert all(entry["text"] != "CHAPTER ONE." for entry in mixed["val"] + mixed["test"])
    few = [{"id": f"{s}{n}", "text": f"Only {n}.", "held_out": False}
           for s in range(50) for n in range(2)]  # fmt: skip
    assert len(assign_splits(few, Config())["train"]) == 100  # no sentence fits a tenth
    unique = [{"id": f"u{n}", "text": f"Line {n}.", "held_out": False} for n in range(100)]
    again = assign_splits(list(reversed(unique)), Config())
    assert again == assign_splits(unique, Config()) and len(again["val"]) == 9
