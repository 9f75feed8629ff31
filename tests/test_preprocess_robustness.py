"""``fastspeak preprocess`` under interruption and user mistakes, on real piper teacher audio:
Ctrl-C with several workers, where FEATDIR may go, what report.json records, and errors that
say the fix."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from fastspeak.audio.io import resample
from fastspeak.cli import main
from fastspeak.config import load_config
from fastspeak.data.dataset import DatasetError
from fastspeak.data.preprocess import PreprocessError, feature_hash, preprocess
from fastspeak.data.vocoder import corpus_audio_paths

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "piper_joe" / "fastspeech2.yaml"


def _metadata(corpus: Path) -> list[list[str]]:
    lines = (corpus / "metadata.csv").read_text(encoding="utf-8").splitlines()
    return [line.split("|") for line in lines if line.strip()]


def _ljspeech_copy(source: Path, target: Path, repeat: int = 1, copies: int = 1) -> Path:
    """An LJSpeech-layout corpus (metadata.csv + wavs/, no TextGrids) of ``source``'s
    recordings, each ``copies`` times under new ids and ``repeat`` times as long."""
    (target / "wavs").mkdir(parents=True)
    rows = []
    for copy in range(copies):
        for uid, text, *_ in _metadata(source):
            wav, rate = soundfile.read(source / "wavs" / f"{uid}.wav", dtype="float32")
            new_id = uid if copies == 1 else f"{uid}_{copy}"
            soundfile.write(target / "wavs" / f"{new_id}.wav", np.tile(wav, repeat), rate)
            rows.append(f"{new_id}|{' '.join([text] * repeat)}")
    (target / "metadata.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def teacher(piper_featdir: Path) -> Path:
    """The piper teacher corpus (13 utterances, TextGrids) behind ``piper_featdir``; read-only."""
    return piper_featdir.parent / "corpus"


def _npz_stamps(feat_dir: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in feat_dir.glob("cache/*/*.npz")}


def test_ctrl_c_stops_a_multi_worker_run_and_a_rerun_uses_the_cache(
    teacher: Path, tmp_path: Path
) -> None:
    """SIGINT to the process group (Ctrl-C in a terminal) of a 2-worker run: it stops within
    seconds (not after the whole corpus), exits 130 without worker tracebacks, leaves no
    partial cache file, and a re-run keeps every feature it had finished."""
    corpus = _ljspeech_copy(teacher, tmp_path / "corpus", repeat=3, copies=3)  # 39 utterances
    feat_dir = tmp_path / "feat"
    command = [sys.executable, "-m", "fastspeak.cli", "preprocess", "--config", str(CONFIG)]
    command += ["--data", str(corpus), "--out", str(feat_dir), "--workers", "2"]
    command += ["--no-alignments", "--quiet"]
    process = subprocess.Popen(
        command,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, OMP_NUM_THREADS="1"),
    )
    deadline = time.monotonic() + 180
    while not _npz_stamps(feat_dir) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    interrupted = time.monotonic()
    try:
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert time.monotonic() - interrupted < 10
    assert process.returncode == 130
    assert "Traceback" not in stderr.decode() and "KeyboardInterrupt" not in stderr.decode()
    stamps = _npz_stamps(feat_dir)
    assert 0 < len(stamps) < 39, "the run went on to the end after Ctrl-C"
    assert not list(feat_dir.glob("cache/*/*.tmp.npz"))

    report = preprocess(
        load_config(CONFIG), corpus, feat_dir, workers=1, progress=False, placeholder_durations=True
    )
    assert report["processed"] == 39 and report["skipped"] == []
    again = _npz_stamps(feat_dir)
    assert {name: again[name] for name in stamps} == stamps  # finished features reused


def test_report_records_the_corpus_so_any_folder_finds_it(
    teacher: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """report.json names the corpus by its absolute path, so train-vocoder, gta and evaluate
    find the recordings from any working directory; a report of an older fastspeak (a path
    relative to where preprocess ran) is also tried from the FEATDIR's parent. Recordings below
    audio.sample_rate are counted in a warning."""
    work = tmp_path / "work"
    corpus = _ljspeech_copy(teacher, work / "corpus")
    low = sorted((corpus / "wavs").glob("*.wav"))[:2]
    for path in low:  # as if recorded by telephone
        wav, rate = soundfile.read(path, dtype="float32")
        soundfile.write(path, resample(wav, rate, 8000), 8000)
    monkeypatch.chdir(work)
    report = preprocess(
        load_config(CONFIG),
        Path("corpus"),
        Path("feat"),
        workers=1,
        progress=False,
        placeholder_durations=True,
    )
    assert report["data"] == str(corpus.resolve())
    assert len(report["warnings"]) == 1
    assert report["warnings"][0].startswith(f"2 of {report['processed']} utterances")
    assert "band-limited to 4 kHz" in report["warnings"][0]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    feat_dir = work / "feat"
    assert len(corpus_audio_paths(feat_dir)) == report["processed"]
    report_path = feat_dir / "report.json"
    report_path.write_text(json.dumps({**report, "data": "corpus"}))  # an older report
    assert len(corpus_audio_paths(feat_dir)) == report["processed"]
    report_path.write_text(json.dumps({**report, "data": "moved_away"}))
    with pytest.raises(DatasetError, match="moved_away, from its report.json"):
        corpus_audio_paths(feat_dir)


def test_out_in_the_corpus_is_refused(teacher: Path, tmp_path: Path) -> None:
    """FEATDIR in the corpus folder would overwrite its report.json and fill it with cache/."""
    corpus = tmp_path / "corpus"
    shutil.copytree(teacher, corpus)
    before = {p: p.stat().st_mtime_ns for p in corpus.rglob("*")}
    for out in (corpus, corpus / "feat", corpus / "wavs" / ".." / "feat"):
        with pytest.raises(PreprocessError, match="choose a folder outside it"):
            preprocess(load_config(CONFIG), corpus, out, workers=1, progress=False)
    assert {p: p.stat().st_mtime_ns for p in corpus.rglob("*")} == before


def test_user_mistakes_are_named_with_their_fix(
    teacher: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(CONFIG)
    empty = tmp_path / "aligned"
    empty.mkdir()
    with pytest.raises(PreprocessError, match=r"0 TextGrids found under --alignments .*aligned"):
        preprocess(config, teacher, tmp_path / "feat", alignments=empty, progress=False)
    (empty / "other.TextGrid").write_text("")
    with pytest.raises(PreprocessError, match="none of the 1 TextGrids under --alignments"):
        preprocess(config, teacher, tmp_path / "feat", alignments=empty, progress=False)
    assert not (tmp_path / "feat").exists()

    with pytest.raises(PreprocessError, match=r"--workers must be 0 \(every core\)"):
        preprocess(config, teacher, tmp_path / "feat", workers=-1, progress=False)
    code = main(["preprocess", "--config", str(CONFIG), "--data", str(teacher), "--out",
                 str(tmp_path / "feat"), "--workers", "-1"])  # fmt: skip
    assert code == 2
    assert "fastspeak: error: --workers must be 0" in capsys.readouterr().err


def test_durations_of_trimmed_audio_without_its_textgrids_say_so(
    teacher: Path, piper_featdir: Path, tmp_path: Path
) -> None:
    """Durations of a FEATDIR trimmed by TextGrids (what fastspeak align writes for it) cover
    the trimmed audio: without those TextGrids every utterance fails, and the reason says to
    give the same --alignments. The failed run leaves no empty cache folder behind."""
    lines = []
    for split in ("train", "val", "test"):
        for line in (piper_featdir / f"{split}.jsonl").read_text().splitlines():
            entry = json.loads(line)
            with np.load(piper_featdir / entry["features"]) as stored:
                durations = [int(value) for value in stored["durations"]]
            lines.append(json.dumps({"id": entry["id"], "durations": durations}))
    durations_file = tmp_path / "durations.jsonl"
    durations_file.write_text("\n".join(lines) + "\n")
    corpus = _ljspeech_copy(teacher, tmp_path / "corpus")  # no textgrids/
    out = tmp_path / "feat"
    with pytest.raises(PreprocessError, match="give the same --alignments") as raised:
        preprocess(
            load_config(CONFIG), corpus, out, workers=1, progress=False, durations=durations_file
        )
    assert "--durations sum to" in str(raised.value)
    assert not (out / "cache" / feature_hash(load_config(CONFIG))).exists()


def test_a_durations_file_that_is_not_utf8_is_a_clean_error(tmp_path: Path) -> None:
    from fastspeak.data.preprocess import read_durations_file

    latin = tmp_path / "durations.jsonl"
    latin.write_bytes('{"id": "caf\xe9", "durations": [1, 2]}\n'.encode("latin-1"))
    with pytest.raises(PreprocessError, match="durations.jsonl is not UTF-8"):
        read_durations_file(latin)
    good = tmp_path / "good.jsonl"
    good.write_text('{"id": "a", "durations": [1, 2]}\n\n', encoding="utf-8")
    assert read_durations_file(good) == {"a": [1, 2]}
