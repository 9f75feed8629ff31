"""Sequence-level knowledge distillation: ``fastspeak distill`` writes a FEATDIR whose target mels
come from a trained model, and FastSpeech trains on it."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from fastspeak.cli import main
from fastspeak.config import Config, FeatureConfig, ModelConfig, load_config
from fastspeak.data.dataset import FeatureDataset, load_feature_dir
from fastspeak.data.distill import DistillError, check_free_mode, distill
from fastspeak.models.fastspeech2 import FastSpeech2
from fastspeak.synthesis import load_acoustic_model
from fastspeak.train.loop import train

TINY = Path(__file__).parent.parent / "configs" / "piper_joe" / "fastspeech2_tiny.yaml"
SPLITS = ("train", "val", "test")


def tiny_config(*overrides: str) -> Config:
    base = [
        "train.num_workers=0",
        "train.progress=false",
        "train.batch_size=4",
        "train.save_interval=0",
        "train.milestone_interval=0",
        "train.val_interval=1000",
        "train.plot_interval=1000",
        "train.log_interval=5",
    ]
    return load_config(TINY, [*base, *overrides])


@pytest.fixture(scope="module")
def teacher(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny FastSpeech 2 trained a few steps: the teacher whose mels FastSpeech learns."""
    run = tmp_path_factory.mktemp("teacher")
    result = train(tiny_config(), piper_featdir, run, max_steps=6)
    return result["checkpoint"]


@pytest.fixture(scope="module")
def distilled(teacher: Path, piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("distilled") / "feat"
    distill(teacher, piper_featdir, out, batch_size=3, progress=False)
    return out


def read_manifest(feat_dir: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (feat_dir / f"{split}.jsonl").read_text().splitlines()]


def test_distilled_featdir_loads_with_teacher_mels(
    distilled: Path, piper_featdir: Path, teacher: Path
) -> None:
    vocab, speakers, stats = load_feature_dir(distilled)
    assert (vocab, speakers, stats) == load_feature_dir(piper_featdir)
    assert (distilled / "config.yaml").read_text() == (piper_featdir / "config.yaml").read_text()
    differences = []
    for split in SPLITS:
        original = FeatureDataset(piper_featdir, split, vocab, speakers)
        new = FeatureDataset(distilled, split, vocab, speakers)
        assert [e["id"] for e in new.entries] == [e["id"] for e in original.entries]
        assert new.frames == original.frames  # teacher-forced: the data's durations
        for index in range(len(new)):
            before, after = original[index], new[index]  # __getitem__ checks frames == sum(d)
            assert after["mels"].shape == before["mels"].shape
            assert int(after["durations"].sum()) == after["mels"].shape[0]
            assert np.array_equal(after["durations"], before["durations"])
            assert np.array_equal(after["pitch"], before["pitch"])
            differences.append(float((after["mels"] - before["mels"]).abs().mean()))
            assert np.isfinite(after["mels"].numpy()).all()
        for entry in read_manifest(distilled, split):
            assert entry["features"].startswith("distilled/")
    assert min(differences) > 0.01  # the targets are the teacher's mels, not the recordings
    report = json.loads((distilled / "report.json").read_text())
    info = report["distillation"]
    assert info["source_checkpoint"] == str(teacher.resolve())
    assert info["source_kind"] == "fastspeech2" and info["mode"] == "teacher-forced"
    assert info["source_step"] == 6 and info["frames_after"] == info["frames_before"]
    assert info["utterances"] == sum(info["splits"].values()) == 13
    assert info["mean_abs_mel_difference"] > 0.01
    assert report["data"] == json.loads((piper_featdir / "report.json").read_text())["data"]


def test_fastspeech_trains_on_the_distilled_featdir(distilled: Path, tmp_path: Path) -> None:
    config = tiny_config(
        "model.name=fastspeech",
        "model.fastspeech.duration_filter_size=32",
        "model.fastspeech.cbhg_projection_channels=32",
        "train.learning_rate=0.003",
        "train.warmup_steps=5",
        "train.val_interval=12",
    )
    result = train(config, distilled, tmp_path / "student", max_steps=12)
    losses = result["losses"]
    assert result["step"] == 12 and all(math.isfinite(loss) for loss in losses)
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    assert result["val"] is not None and math.isfinite(result["val"]["total"])


def test_free_running_distillation_uses_the_teacher_durations_pitch_and_energy(
    teacher: Path, piper_featdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Free mode writes the teacher's own durations, and the pitch and energy its mels were
    decoded from (raw Hz and energy per token, as preprocess stores them), not the
    recordings'. The source is an older FEATDIR whose report names its corpus relative to the
    project folder, distilled from another folder: the new report names it absolutely."""
    work = tmp_path / "work"
    feat = work / "data" / "features" / "joe"
    shutil.copytree(piper_featdir.parent / "corpus", work / "data" / "corpora" / "joe")
    shutil.copytree(piper_featdir, feat)
    source = json.loads((feat / "report.json").read_text())
    (feat / "report.json").write_text(json.dumps({**source, "data": "data/corpora/joe"}))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "free"
    report = distill(teacher, feat, out, mode="free", progress=False)
    assert report["data"] == str((work / "data" / "corpora" / "joe").resolve())

    model, *_ = load_acoustic_model(teacher)
    assert isinstance(model, FastSpeech2)
    vocab, speakers, _ = load_feature_dir(out)
    recorded_pitch = []
    for split in SPLITS:
        dataset = FeatureDataset(out, split, vocab, speakers)
        original = FeatureDataset(piper_featdir, split, vocab, speakers)
        for index in range(len(dataset)):
            item = dataset[index]  # checks durations sum to the mel frames
            assert dataset.frames[index] == item["mels"].shape[0] == int(item["durations"].sum())
            tokens = item["tokens"].unsqueeze(0)
            with torch.inference_mode():
                output = model.infer(tokens, torch.tensor([tokens.shape[1]]))
            assert torch.equal(output.durations[0], item["durations"])
            spoken = item["durations"] > 0
            for name, denormalize in (
                ("pitch", model.denormalize_pitch),
                ("energy", model.denormalize_energy),
            ):
                expected = denormalize(getattr(output, name)[0])
                assert item[name].shape == item["tokens"].shape
                assert torch.allclose(item[name][spoken], expected[spoken], rtol=1e-4, atol=1e-3)
                assert torch.all(item[name][~spoken] == 0)  # "no value", as preprocess writes
            recorded_pitch.append(bool(torch.equal(item["pitch"], original[index]["pitch"])))
    assert not any(recorded_pitch)
    assert report["distillation"]["mode"] == "free"
    assert report["distillation"]["frames_after"] != report["distillation"]["frames_before"]


def test_free_mode_needs_a_teacher_that_predicts_phoneme_pitch_and_energy(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """A FastSpeech teacher predicts no pitch or energy, and a frame-level FastSpeech 2 one
    predicts them per frame: free mode refuses both before writing anything."""
    config = tiny_config(
        "model.name=fastspeech",
        "model.fastspeech.duration_filter_size=32",
        "model.fastspeech.cbhg_projection_channels=32",
    )
    fastspeech = train(config, piper_featdir, tmp_path / "fastspeech", max_steps=1)["checkpoint"]
    out = tmp_path / "out"
    with pytest.raises(DistillError, match="a fastspeech teacher's mels would be paired"):
        distill(fastspeech, piper_featdir, out, mode="free", progress=False)
    assert not out.exists()
    frame = ModelConfig(pitch_level="frame")
    with pytest.raises(DistillError, match="this teacher predicts them per frame"):
        check_free_mode(piper_featdir, FeatureConfig(), frame, predicts_prosody=True)
    check_free_mode(piper_featdir, FeatureConfig(), ModelConfig(), predicts_prosody=True)


def test_distill_command_and_its_errors(
    teacher: Path, piper_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "cli"
    args = ["distill", "--checkpoint", str(teacher), "--data", str(piper_featdir)]
    assert main([*args, "--out", str(out), "--quiet", "--batch-size", "5"]) == 0
    assert "distilled features written to" in capsys.readouterr().out
    assert FeatureDataset(out, "train", *load_feature_dir(out)[:2])[0]["mels"].shape[1] == 80
    assert main([*args, "--out", str(out), "--quiet"]) == 2  # not empty
    assert "not empty" in capsys.readouterr().err
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main([*args, "--out", str(a_file), "--quiet"]) == 2
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(DistillError, match="source FEATDIR"):
        distill(teacher, piper_featdir, piper_featdir)
    with pytest.raises(DistillError, match="mode"):
        distill(teacher, piper_featdir, tmp_path / "x", mode="sideways")  # type: ignore[arg-type]


def test_preprocess_takes_durations_from_a_teacher_file(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """(a) durations from a teacher: a JSONL of per-token frames replaces the TextGrids."""
    from fastspeak.audio.io import load_audio
    from fastspeak.audio.mel import mel_frames
    from fastspeak.data.corpora import read_corpus
    from fastspeak.data.preprocess import PreprocessError, preprocess

    config = load_config(TINY)
    corpus = piper_featdir.parent / "corpus"
    tokens = {e["id"]: e["tokens"] for split in SPLITS for e in read_manifest(piper_featdir, split)}
    given: dict[str, list[int]] = {}
    for utterance in read_corpus(corpus):
        wav = load_audio(utterance.audio_path, config.audio.sample_rate)
        frames, count = mel_frames(len(wav), config.audio.hop_length), len(tokens[utterance.id])
        given[utterance.id] = [frames // count + (i < frames % count) for i in range(count)]
    left_out = sorted(given)[0]
    lines = [json.dumps({"id": key, "durations": value}) for key, value in given.items()]
    path = tmp_path / "durations.jsonl"
    path.write_text("\n".join(line for line in lines if f'"{left_out}"' not in line) + "\n")
    out = tmp_path / "feat"
    report = preprocess(config, corpus, out, workers=1, progress=False, durations=path)
    assert report["processed"] == len(given) - 1
    assert [item["id"] for item in report["skipped"]] == [left_out]
    assert "no entry in the --durations file" in report["skipped"][0]["reason"]
    vocab, speakers, _ = load_feature_dir(out)
    dataset = FeatureDataset(out, "train", vocab, speakers)
    for index in range(len(dataset)):
        item = dataset[index]
        assert item["durations"].tolist() == given[item["id"]]
    path.write_text('{"id": "x"}\n')
    with pytest.raises(PreprocessError, match="durations"):
        preprocess(config, corpus, tmp_path / "bad", workers=1, progress=False, durations=path)


def test_preprocess_takes_durations_of_the_trimmed_audio(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """`fastspeak align` on a FEATDIR trimmed by its TextGrids feeds back through --durations:
    durations summing to the trimmed frames cover the same (trimmed) mels."""
    from fastspeak.data.preprocess import preprocess

    config = load_config(TINY)
    assert config.features.trim_edge_silence
    corpus = piper_featdir.parent / "corpus"
    vocab, speakers, _ = load_feature_dir(piper_featdir)
    source = {
        item["id"]: item
        for split in SPLITS
        for item in FeatureDataset(piper_featdir, split, vocab, speakers)
    }
    given: dict[str, list[int]] = {}
    for key, item in source.items():
        moved = item["durations"].tolist()
        shift = min(2, moved[1])  # move frames from token 1 to token 0: other durations
        moved[0], moved[1] = moved[0] + shift, moved[1] - shift
        given[key] = moved
    wrong = sorted(given)[0]
    given[wrong] = [*given[wrong][:-1], given[wrong][-1] + 3]
    path = tmp_path / "durations.jsonl"
    path.write_text("".join(json.dumps({"id": k, "durations": v}) + "\n" for k, v in given.items()))
    report = preprocess(
        config, corpus, tmp_path / "feat", workers=1, progress=False, durations=path
    )
    reasons = {item["id"]: item["reason"] for item in report["skipped"]}
    assert "once trimmed" in reasons[wrong]
    out = tmp_path / "feat"
    vocab, speakers, _ = load_feature_dir(out)
    checked = 0
    for split in SPLITS:
        for item in FeatureDataset(out, split, vocab, speakers):
            assert item["durations"].tolist() == given[item["id"]]
            np.testing.assert_array_equal(item["mels"], source[item["id"]]["mels"])
            checked += 1
    assert checked == len(source) - 1
