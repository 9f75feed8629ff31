"""The fastspeak command line end to end: train -> synthesize -> evaluate on real teacher data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile
import torch
import yaml

from fastspeak.cli import main

TINY = Path(__file__).resolve().parents[1] / "configs" / "piper_joe" / "fastspeech2_tiny.yaml"
FAST = [
    "--set",
    "train.num_workers=0",
    "--set",
    "train.progress=false",
    "--set",
    "train.save_interval=5",
]


@pytest.fixture(scope="module")
def checkpoint(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("cli") / "run"
    code = main(
        [
            "train",
            "--config",
            str(TINY),
            "--data",
            str(piper_featdir),
            "--out",
            str(run),
            "--max-steps",
            "10",
            *FAST,
        ]
    )
    assert code == 0
    latest = run / "checkpoints" / "latest.pt"
    assert latest.is_file()
    return latest


def test_train_resume_refusal_and_resume(
    checkpoint: Path, piper_featdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = checkpoint.parent.parent
    code = main(
        [
            "train",
            "--config",
            str(TINY),
            "--data",
            str(piper_featdir),
            "--out",
            str(run),
            "--max-steps",
            "12",
            *FAST,
        ]
    )
    assert code == 2 and "--resume" in capsys.readouterr().err
    before = yaml.safe_load((run / "config.yaml").read_text())["train"]
    # no --config: the run's own config, not the defaults' schedule, batch size and steps
    # and no --data: the FEATDIR its checkpoint records
    command = ["train", "--out", str(run), "--max-steps", "12"]
    assert main(command) == 2 and "give --data FEATDIR" in capsys.readouterr().err
    assert main([*command, "--resume"]) == 0
    out = capsys.readouterr().out
    assert "resuming with the run's own" in out and "trained to step 12" in out
    assert f"resuming on the run's own data {piper_featdir.resolve()}" in out
    assert yaml.safe_load((run / "config.yaml").read_text())["train"] == before


def test_synthesize_text_and_file(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "hello.wav"
    assert (
        main(
            [
                "synthesize",
                "--checkpoint",
                str(checkpoint),
                "--text",
                "Hello there. How are you?",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    audio, rate = soundfile.read(out)
    assert rate == 22050 and len(audio) > 22050 * 0.3
    assert out.with_suffix(".png").stat().st_size > 1000
    lines = tmp_path / "lines.txt"
    lines.write_text("One line.\n\nAnother, slower line!\n")
    folder = tmp_path / "many"
    assert (
        main(
            [
                "synthesize",
                "--checkpoint",
                str(checkpoint),
                "--text-file",
                str(lines),
                "--out",
                str(folder),
                "--speed",
                "0.8",
                "--quiet",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in folder.glob("*.wav")) == ["0001.wav", "0003.wav"]


def test_synthesize_errors(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "synthesize",
                "--checkpoint",
                str(tmp_path / "none.pt"),
                "--text",
                "Hi.",
                "--out",
                str(tmp_path / "a.wav"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(
            [
                "synthesize",
                "--checkpoint",
                str(checkpoint),
                "--text",
                "🙂🙂",
                "--out",
                str(tmp_path / "a.wav"),
            ]
        )
        == 2
    )
    assert "error" in capsys.readouterr().err
    assert (
        main(["synthesize", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "a.wav")]) == 2
    )
    run = checkpoint.parent.parent
    say = ["synthesize", "--text", "Hi.", "--checkpoint"]
    assert main([*say, str(run), "--out", str(tmp_path / "a.wav")]) == 2
    assert f"did you mean {checkpoint}" in capsys.readouterr().err  # a run folder
    for out, message in ((f"{tmp_path}/new_folder/", "no .wav suffix"), ("hi.mp3", "writes WAV")):
        assert main([*say, str(checkpoint), "--out", out]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "new_folder").exists() and not Path("hi.mp3").exists()
    onnx = tmp_path / "onnx"
    assert (
        main(["export", "--format", "onnx", "--checkpoint", str(checkpoint), "--out", str(onnx)])
        == 0
    )
    assert main([*say, str(onnx), "--out", str(tmp_path / "a.wav")]) == 2
    assert "OnnxVoice" in capsys.readouterr().err
    card = ["export", "--format", "onnx", "--out", str(onnx), "--card", str(tmp_path / "c.json")]
    assert main(card) == 2
    assert "--card apply to --format voice" in capsys.readouterr().err

    # bad output paths, devices and controls: a clean error before any audio is made
    (tmp_path / "afile").write_text("x")
    lines = tmp_path / "lines.txt"
    lines.write_text("Hello there.\n")
    text_file = ["synthesize", "--checkpoint", str(checkpoint), "--text-file"]
    for args, message in (
        ([*say, str(checkpoint), "--out", f"{tmp_path}/afile/x.wav"], "afile is a file"),
        ([*say, str(checkpoint), "--out", str(tmp_path / "b.wav"), "--device", "bogus"],
         "unknown device 'bogus'"),
        ([*say, str(checkpoint), "--out", str(tmp_path / "b.wav"), "--speed", "100"],
         r"speed must be within 0.25..4"),
        ([*text_file, str(tmp_path), "--out", str(tmp_path / "o")], "is a folder"),
        ([*text_file, str(lines), "--out", str(tmp_path / "o.wav")], "names a WAV file"),
        (["export", "--format", "onnx", "--out", str(tmp_path / "afile")], "not a folder"),
    ):  # fmt: skip
        assert main(args) == 2, args
        assert message in capsys.readouterr().err, args
    assert not (tmp_path / "b.wav").exists() and not (tmp_path / "o.wav").exists()
    if not torch.cuda.is_available():
        assert main([*say, str(checkpoint), "--out", str(tmp_path / "b.wav"), "--device", "cuda"])
        assert "sees no CUDA GPU" in capsys.readouterr().err


def test_evaluate_against_teacher(checkpoint: Path, piper_featdir: Path, tmp_path: Path) -> None:
    report = tmp_path / "REPORT.json"
    code = main(
        [
            "evaluate",
            "--checkpoint",
            str(checkpoint),
            "--sentences",
            str(piper_featdir / "test.jsonl"),
            "--out",
            str(report),
            "--limit",
            "2",
            "--quiet",
        ]
    )
    assert code == 0
    result = json.loads(report.read_text())
    names = list(result["systems"])
    assert len(names) == 3 and "teacher audio" in names
    teacher = result["systems"]["teacher audio"]["summary"]
    assert 0 <= teacher["wer"] <= 1.0
    assert report.with_suffix(".md").is_file()


def test_evaluate_names_the_manifest_when_given_a_featdir(
    checkpoint: Path, piper_featdir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["evaluate", "--checkpoint", str(checkpoint), "--sentences", str(piper_featdir)]
    assert main([*command, "--out", str(tmp_path / "REPORT.json")]) == 2
    assert f"did you mean {piper_featdir / 'test.jsonl'}" in capsys.readouterr().err


def test_manifest_mels_then_evaluate_mels(
    checkpoint: Path, piper_featdir: Path, tmp_path: Path
) -> None:
    """Mels made from a manifest's tokens (as on a GPU machine) are judged without the model."""
    import numpy as np

    from fastspeak.synthesis import Synthesizer

    mels = tmp_path / "mels.npz"
    manifest = piper_featdir / "test.jsonl"
    args = ["--checkpoint", str(checkpoint), "--sentences", str(manifest)]
    ignored = ["--mels-out", str(tmp_path / "x.npz"), "--speaker", "joe", "--speed", "2"]
    assert main(["synthesize", *args, *ignored]) == 2  # the manifest's speakers, no controls
    assert not (tmp_path / "x.npz").exists()
    assert main(["synthesize", *args, "--mels-out", str(mels), "--quiet"]) == 0
    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    synthesizer = Synthesizer.from_checkpoint(checkpoint)
    with np.load(mels) as archive:
        assert sorted(archive.files) == sorted(entry["id"] for entry in entries)
        first = archive[entries[0]["id"]]
    assert first.dtype == np.float16 and first.shape[1] == 80
    reference = synthesizer.mel(entries[0]["text"])  # through the text frontend
    np.testing.assert_allclose(first.astype(np.float32), reference, atol=2e-2, rtol=1e-2)

    report = tmp_path / "REPORT.json"
    ev = ["evaluate", "--mels", str(mels), "--sentences", str(manifest), "--out", str(report)]
    assert main([*ev, "--limit", "2", "--quiet"]) == 0
    systems = json.loads(report.read_text())["systems"]
    assert list(systems)[0] == "mels.npz + griffinlim" and len(systems) == 3
    with pytest.raises(SystemExit):
        main(["evaluate", "--sentences", str(manifest), "--out", str(report)])


def test_export_errors_are_clean_and_leave_nothing_behind(
    checkpoint: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fastspeak.config import load_config
    from fastspeak.train.checkpoint import save_checkpoint
    from fastspeak.vocoders import VocoderError
    from fastspeak.vocoders.hifigan import HiFiGANGenerator, load_generator

    config = load_config(Path(__file__).parent.parent / "configs/piper_joe/hifigan_tiny.yaml")
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels)
    vocoder = tmp_path / "voc.pt"
    kind = {"kind": "hifigan", "model": generator.state_dict(), "config": config.to_dict()}
    save_checkpoint(vocoder, kind)
    voice = tmp_path / "voice"
    export = ["export", "--checkpoint", str(checkpoint), "--out"]
    assert main([*export, str(voice), "--vocoder", f"hifigan:{vocoder}"]) == 0
    shipped = json.loads((voice / "voice.json").read_text())["vocoder"]

    # an ONNX bundle into the voice folder would replace its voice.json: refused
    assert (
        main(["export", "--format", "onnx", "--checkpoint", str(voice), "--out", str(voice)]) == 2
    )
    assert "is a voice folder" in capsys.readouterr().err
    assert json.loads((voice / "voice.json").read_text())["vocoder"] == shipped

    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "report.json").write_text('{"num_items": 3}')
    for args, message in (
        ([*export, str(tmp_path / "int8"), "--vocoder-int8"], "needs a vocoder to quantize"),
        ([*export, str(tmp_path / "c1"), "--card", str(tmp_path / "list.json")], "JSON list"),
        ([*export, str(tmp_path / "c2"), "--card", str(tmp_path / "broken.json")], "not UTF-8 JSON"),
        ([*export, str(tmp_path / "c3"), "--report", str(tmp_path / "report.json")],
         "not a fastspeak evaluate REPORT.json"),
        ([*export, str(tmp_path / "v1"), "--vocoder", "hifigan:/nonexistent.pt"], "does not exist"),
    ):  # fmt: skip
        assert main(args) == 2, args
        assert message in capsys.readouterr().err, args
        assert not Path(args[4]).exists(), args  # no empty folder left behind

    # a damaged vocoder file is a clean error naming it
    weights = voice / "vocoder.safetensors"
    weights.write_bytes(weights.read_bytes()[:300])
    with pytest.raises(VocoderError, match="vocoder.safetensors is not readable"):
        load_generator(voice / "vocoder.json")
    assert main(["synthesize", "--checkpoint", str(voice), "--text", "Hi.", "--out",
                 str(tmp_path / "hi.wav")]) == 2  # fmt: skip
    assert "is not readable" in capsys.readouterr().err
