"""``fastspeak evaluate`` with the inputs a user gets wrong: sentence files that are not UTF-8
or not JSON lines, mel files that are not .npz archives, ``--limit`` below 1, an ``--out`` no
report can be written to (refused before anything runs), and a FEATDIR whose report names its
corpus relative to another folder (found from any working directory, or a note says what is
left out)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fastspeak.cli import main
from fastspeak.data.vocoder import corpus_audio_paths
from fastspeak.evaluate.checkpoint import evaluate_mels, load_items
from fastspeak.evaluate.report import EvaluateError
from fastspeak.evaluate.runner import evaluate_systems

LEFT_OUT = "teacher audio and ceiling rows, MCD and F0 are left out"


@pytest.fixture
def old_layout(piper_featdir: Path, tmp_path: Path) -> Path:
    """A project folder as an older fastspeak left it: WORK/data/corpora/joe and
    WORK/data/features/joe, whose report.json names the corpus relative to WORK."""
    work = tmp_path / "work"
    corpus = work / "data" / "corpora" / "joe"
    feat = work / "data" / "features" / "joe"
    shutil.copytree(piper_featdir.parent / "corpus", corpus)
    shutil.copytree(piper_featdir, feat, ignore=shutil.ignore_patterns("cache"))
    report = json.loads((feat / "report.json").read_text())
    (feat / "report.json").write_text(json.dumps({**report, "data": "data/corpora/joe"}))
    return feat


def _elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)


def test_a_relative_corpus_path_is_found_from_the_featdirs_ancestors(
    old_layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    _elsewhere(tmp_path, monkeypatch)
    corpus = old_layout.parents[1] / "corpora" / "joe"
    audio = corpus_audio_paths(old_layout)
    assert len(audio) == 13 and all(corpus.resolve() in path.parents for path in audio.values())
    items = load_items(old_layout / "test.jsonl")
    assert len(items) == 2 and all(item["reference_wav"] is not None for item in items)
    assert capsys.readouterr().err == ""  # found: nothing to say


def test_evaluate_notes_the_missing_corpus_and_what_it_leaves_out(
    old_layout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    shutil.rmtree(old_layout.parents[1] / "corpora")
    _elsewhere(tmp_path, monkeypatch)
    items = load_items(old_layout / "test.jsonl")
    assert all(item["reference_wav"] is None for item in items)
    note = capsys.readouterr().err
    assert note.count("\n") == 1 and "data/corpora/joe" in note and LEFT_OUT in note
    load_items(old_layout / "test.jsonl", references=False)  # --no-references: no note
    assert capsys.readouterr().err == ""


def test_limit_must_be_at_least_one(piper_featdir: Path) -> None:
    manifest = piper_featdir / "test.jsonl"
    for limit in (0, -3):
        with pytest.raises(EvaluateError, match=f"--limit must be >= 1 \\(got {limit}\\)"):
            load_items(manifest, limit)
    assert len(load_items(manifest, None)) == 2
    assert [item["id"] for item in load_items(manifest, 1)] == [
        json.loads(line)["id"] for line in manifest.read_text().splitlines()[:1]
    ]


def test_sentence_files_that_are_not_utf8_or_not_json_lines_name_the_file_and_line(
    tmp_path: Path,
) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Caf\xe9 au lait.\n".encode("latin-1"))
    with pytest.raises(EvaluateError, match=r"latin1.txt is not UTF-8 text .*save it as UTF-8"):
        load_items(latin1)
    cases = {
        '{"id": "a", "text": "Fine."}\n{"id": "b", "text": \n': r"broken.jsonl:2: not JSON",
        '{"id": "a", "text": "Fine."}\n\n{"id": "b"}\n': r"broken.jsonl:3: no 'text'",
        '["a", "Fine."]\n': r"broken.jsonl:1: a JSON list",
        '{"id": 7, "text": "Fine."}\n': r"broken.jsonl:1: 'id' is not a string",
    }
    manifest = tmp_path / "broken.jsonl"
    for text, message in cases.items():
        manifest.write_text(text)
        with pytest.raises(EvaluateError, match=message + r".*JSON object with \"id\" and"):
            load_items(manifest)
    manifest.write_bytes(b'{"id": "a", "text": "\xff"}\n')
    with pytest.raises(EvaluateError, match="broken.jsonl is not UTF-8"):
        load_items(manifest)


def _featdir_manifest(piper_featdir: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(piper_featdir / "config.yaml", folder)
    shutil.copy(piper_featdir / "test.jsonl", folder)
    return folder / "test.jsonl"


def test_mel_files_that_are_not_npz_archives_are_refused(
    piper_featdir: Path, tmp_path: Path, capsys
) -> None:
    manifest = _featdir_manifest(piper_featdir, tmp_path / "feat")
    ids = [json.loads(line)["id"] for line in manifest.read_text().splitlines()]
    text = tmp_path / "mels.txt"
    text.write_text("not mels\n")
    array = tmp_path / "mels.npy"
    np.save(array, np.zeros((3, 80), np.float32))
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, **{uid: np.zeros((4, 20), np.float16) for uid in ids})
    for path, message in (
        (text, r"mels.txt is not a readable .npz archive of mels \(neither a zip"),
        (array, r"mels.npy is not a readable .npz archive of mels \(it holds a single array"),
        (wrong, r"wrong.npz: the mel of .* has shape \(4, 20\), not \(frames, 80\)"),
    ):
        with pytest.raises(EvaluateError, match=message):
            evaluate_mels([path], manifest, tmp_path / "REPORT.json", references=False)
    command = ["evaluate", "--mels", str(text), "--sentences", str(manifest), "--quiet"]
    assert main([*command, "--out", str(tmp_path / "REPORT.json")]) == 2
    error = capsys.readouterr().err
    assert "fastspeak: error: --mels" in error and "Traceback" not in error
    assert main([*command, "--out", str(tmp_path / "R.json"), "--limit", "0"]) == 2
    assert "--limit must be >= 1" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.md"))


def test_an_unwritable_out_is_refused_before_any_system_runs(tmp_path: Path) -> None:
    calls: list[str] = []

    def system(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        calls.append(item["id"])
        return np.zeros(2205, np.float32), 22050

    items = [{"id": "1", "text": "hello", "reference_wav": None}]
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    folder = tmp_path / "taken.json"
    folder.mkdir()
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "REPORT.md").mkdir()
    for out, message in (
        (a_file, r"notes.txt is a file but names no .json report"),
        (folder, r"taken.json is a folder"),
        (a_file / "REPORT.json", r"notes.txt is a file, so no folder can be made in it"),
        (a_file / "deeper" / "out", r"notes.txt is a file, so no folder can be made in it"),
        (tmp_path / "run", r"REPORT.md is a folder"),
    ):
        with pytest.raises(EvaluateError, match=message):
            evaluate_systems(items, {"s": system}, out, progress=False, metrics=())
    assert calls == []
    report = tmp_path / "new" / "deep" / "REPORT.json"  # missing folders are made
    result = evaluate_systems(items, {"s": system}, report, progress=False, metrics=())
    assert calls and json.loads(report.read_text())["num_items"] == 1
    assert result["paths"]["markdown"] == str(report.with_suffix(".md"))
