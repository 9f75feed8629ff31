"""Voice folders (fp16 safetensors + JSON) and the bundled default voice."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from fastspeak.cli import main
from fastspeak.config import load_config
from fastspeak.data.batch import collate
from fastspeak.data.dataset import FeatureDataset
from fastspeak.synthesis import Synthesizer
from fastspeak.train.checkpoint import CheckpointError, save_checkpoint
from fastspeak.vocoders import VocoderError, make_vocoder
from fastspeak.vocoders.griffinlim import GriffinLim
from fastspeak.vocoders.hifigan import HiFiGANGenerator, HiFiGANVocoder
from fastspeak.voice import (
    DEFAULT_VOICE,
    default_vocoder,
    export_voice,
    griffinlim_options,
    load_voice,
    voice_card,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "piper_joe"
TINY = CONFIGS / "fastspeech2_tiny.yaml"


@pytest.fixture(scope="module")
def checkpoint(piper_featdir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("voice") / "run"
    args = ["train", "--config", str(TINY), "--data", str(piper_featdir), "--out", str(run)]
    sets = ["train.num_workers=0", "train.progress=false", "train.ema=true"]
    assert main([*args, "--max-steps", "6", *[x for s in sets for x in ("--set", s)]]) == 0
    return run / "checkpoints" / "latest.pt"


def test_export_and_load_round_trip(checkpoint: Path, piper_featdir: Path, tmp_path: Path) -> None:
    folder = export_voice(checkpoint, tmp_path / "voice", card={"name": "tiny"})
    assert sorted(p.name for p in folder.iterdir()) == ["model.safetensors", "voice.json"]
    assert voice_card(folder) == {"step": 6, "name": "tiny"}
    model, config, vocab, speakers = load_voice(folder)
    assert all(t.dtype != np.float16 for t in model.state_dict().values())
    reference = Synthesizer.from_checkpoint(checkpoint).model  # EMA weights, fp32
    exported = Synthesizer.from_checkpoint(folder).model  # the same weights through fp16
    expected = reference.state_dict()
    for name, value in exported.state_dict().items():
        np.testing.assert_allclose(value.numpy(), expected[name].numpy(), rtol=1e-3, atol=1e-4)
    # the same mels for the same durations (free-running synthesis of a 6-step model sits on
    # the rounding edge of its predicted durations, which fp16 weights may tip)
    dataset = FeatureDataset(piper_featdir, "test", vocab, speakers)
    batch = collate([dataset[0]])
    inputs = (batch.tokens, batch.token_lengths, batch.durations, batch.pitch, batch.energy)
    with torch.no_grad():
        mels = [net.eval()(*inputs).mels_postnet for net in (reference, exported)]
    np.testing.assert_allclose(mels[1].numpy(), mels[0].numpy(), atol=0.05)
    text = "The colors don't intrude on the viewer."
    assert Synthesizer.from_checkpoint(folder).mel(text).shape[1] == config.audio.n_mels


def test_export_cli_with_card_and_report(checkpoint: Path, tmp_path: Path) -> None:
    card = tmp_path / "card.json"
    card.write_text(json.dumps({"licence": "CC0"}))
    report = tmp_path / "REPORT.json"
    report.write_text(
        json.dumps({"num_items": 3, "systems": {"m": {"summary": {"wer": 0.5, "x": None}}}})
    )
    out = tmp_path / "voice"
    args = ["export", "--checkpoint", str(checkpoint), "--out", str(out), "--card", str(card)]
    assert main([*args, "--report", str(report)]) == 0
    assert voice_card(out) == {
        "step": 6,
        "licence": "CC0",
        "evaluation": {"items": 3, "systems": {"m": {"wer": 0.5}}},
    }
    wav = tmp_path / "hello.wav"
    assert (
        main(["synthesize", "--checkpoint", str(out), "--text", "Hello.", "--out", str(wav)]) == 0
    )
    assert soundfile.info(str(wav)).frames > 0


def test_a_voice_carries_its_griffinlim_options(checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "voice"
    args = ["export", "--checkpoint", str(checkpoint), "--out", str(out)]
    assert main([*args, "--griffinlim", '{"power": 1.15, "n_iter": 8}']) == 0
    assert griffinlim_options(out) == {"power": 1.15, "n_iter": 8}
    assert griffinlim_options(checkpoint) == {}
    text = "Hello there."
    tuned = Synthesizer.from_checkpoint(out)  # Griffin-Lim by default, with the voice's options
    assert isinstance(tuned.vocoder, GriffinLim)
    assert (tuned.vocoder.power, tuned.vocoder.n_iter) == (1.15, 8)
    named = Synthesizer.from_checkpoint(out, vocoder="griffinlim")  # named: still the voice's
    assert (named.vocoder.power, named.vocoder.n_iter) == (1.15, 8)
    own = Synthesizer.from_checkpoint(out, vocoder_options={"n_iter": 4})  # the caller's win
    assert (own.vocoder.power, own.vocoder.n_iter) == (1.0, 4)
    plain = Synthesizer.from_checkpoint(export_voice(checkpoint, tmp_path / "untuned"))
    assert plain.vocoder.power == 1.0
    np.testing.assert_array_equal(tuned.mel(text), plain.mel(text))  # same model, same mels
    expected = GriffinLim(plain.config.audio, power=1.15, n_iter=8)
    mel = torch.from_numpy(plain.mel(text).T[None].copy())
    # float32 Griffin-Lim iterations: the two paths agree to ~1e-5 of the signal's peak
    np.testing.assert_allclose(
        tuned.synth(text)[0], expected(mel)[0][0].numpy(), rtol=1e-4, atol=1e-4
    )
    # re-exporting keeps them; '{}' removes them; bad options are refused before writing
    assert main(["export", "--checkpoint", str(out), "--out", str(tmp_path / "again")]) == 0
    assert griffinlim_options(tmp_path / "again") == {"power": 1.15, "n_iter": 8}
    assert main(["export", "--checkpoint", str(out), "--out", str(tmp_path / "plain"),
                 "--griffinlim", "{}"]) == 0  # fmt: skip
    assert griffinlim_options(tmp_path / "plain") == {}
    assert main([*args[:3], "--out", str(tmp_path / "bad"), "--griffinlim", '{"pow": 2}']) == 2
    assert main([*args[:3], "--out", str(tmp_path / "bad"), "--griffinlim", "[1]"]) == 2
    assert not (tmp_path / "bad").exists()


def test_damaged_voices_are_named(checkpoint: Path, tmp_path: Path) -> None:
    folder = export_voice(checkpoint, tmp_path / "voice")
    meta = json.loads((folder / "voice.json").read_text())
    (folder / "voice.json").write_text(json.dumps({**meta, "format": "other"}))
    with pytest.raises(CheckpointError, match="fastspeak-voice"):
        load_voice(folder)
    (folder / "voice.json").write_text(json.dumps(meta))
    (folder / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_voice(folder)
    with pytest.raises(CheckpointError, match="not a voice folder"):
        load_voice(tmp_path)


def test_bundled_default_voice_speaks(tmp_path: Path) -> None:
    files = list(DEFAULT_VOICE.iterdir())
    assert sum(path.stat().st_size for path in files) < 40 * 2**20
    card = voice_card(DEFAULT_VOICE)
    assert card["teacher_licence"] and card["evaluation"]["items"] == 250
    wav = tmp_path / "default.wav"
    assert main(["synthesize", "--text", "Hello there.", "--out", str(wav), "--quiet"]) == 0
    data, rate = soundfile.read(str(wav))
    assert rate == 22050 and 0.3 < len(data) / rate < 3.0
    assert np.abs(data).max() > 0.05


def _vocoder_checkpoint(path: Path, **audio: int) -> tuple[Path, HiFiGANGenerator]:
    """A tiny train-vocoder checkpoint (random weights), optionally on other audio settings."""
    config = load_config(
        CONFIGS / "hifigan_tiny.yaml", [f"audio.{k}={v}" for k, v in audio.items()]
    )
    torch.manual_seed(5)
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels)
    state = {"kind": "hifigan", "model": generator.state_dict(), "config": config.to_dict()}
    save_checkpoint(path, {**state, "step": 3})
    return path, generator.remove_weight_norm()


def test_voice_ships_its_vocoder(checkpoint: Path, tmp_path: Path) -> None:
    vocoder, generator = _vocoder_checkpoint(tmp_path / "voc.pt")
    measured = {"name": "tiny", "evaluation": {"mos": 2.5}}  # measured with Griffin-Lim
    plain = export_voice(checkpoint, tmp_path / "plain", card=measured)
    out = tmp_path / "voice"  # the plain voice re-exported with the vocoder added
    args = ["export", "--checkpoint", str(plain), "--out", str(out)]
    assert main([*args, "--vocoder", f"hifigan:{vocoder}"]) == 0
    names = sorted(path.name for path in out.iterdir())
    assert names == ["model.safetensors", "vocoder.json", "vocoder.safetensors", "voice.json"]
    assert voice_card(out) == {"step": 6, "name": "tiny"}  # the GL evaluation went
    before, after = load_voice(plain)[0].state_dict(), load_voice(out)[0].state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)
    again = export_voice(out, tmp_path / "again", card={"note": "x"})  # keeps its vocoder
    assert default_vocoder(again).startswith("hifigan:") and voice_card(again)["note"] == "x"
    assert default_vocoder(out) == f"hifigan:{out / 'vocoder.json'}"
    assert default_vocoder(checkpoint) == "griffinlim" == default_vocoder(DEFAULT_VOICE)
    # synthesis speaks through the shipped generator unless told otherwise
    synthesizer = Synthesizer.from_checkpoint(out)
    assert isinstance(synthesizer.vocoder, HiFiGANVocoder)
    shipped = synthesizer.vocoder.generator.state_dict()
    for name, value in generator.state_dict().items():  # fp16 on disk, fp32 in memory
        np.testing.assert_allclose(shipped[name].numpy(), value.numpy(), rtol=1e-3, atol=1e-4)
    explicit = Synthesizer.from_checkpoint(out, vocoder="griffinlim")
    assert isinstance(explicit.vocoder, GriffinLim)
    wav = tmp_path / "hello.wav"
    assert (
        main(["synthesize", "--checkpoint", str(out), "--text", "Hello.", "--out", str(wav)]) == 0
    )
    data, rate = soundfile.read(str(wav))
    mel = synthesizer.mel("Hello.")
    assert rate == 22050 and len(data) >= mel.shape[0] * 256  # the frames, plus edge pauses
    # the ONNX export of such a voice takes its vocoder along
    onnx_out = tmp_path / "onnx"
    assert (
        main(["export", "--format", "onnx", "--checkpoint", str(out), "--out", str(onnx_out)]) == 0
    )
    assert (onnx_out / "vocoder.onnx").is_file()


def test_voice_refuses_a_vocoder_of_other_audio(checkpoint: Path, tmp_path: Path) -> None:
    vocoder, _ = _vocoder_checkpoint(tmp_path / "voc16k.pt", sample_rate=16000)
    with pytest.raises(VocoderError, match="sample_rate=16000"):
        export_voice(checkpoint, tmp_path / "voice", vocoder=vocoder)
    assert not (tmp_path / "voice" / "voice.json").exists()  # nothing half-written


def test_voice_ships_an_int8_vocoder(checkpoint: Path, tmp_path: Path) -> None:
    """--vocoder-int8: a calibrated int8 ONNX generator beside the fp16 one, used on the CPU,
    close to the float32 waveform."""
    vocoder, _ = _vocoder_checkpoint(tmp_path / "voc.pt")
    out = tmp_path / "voice"
    args = ["export", "--checkpoint", str(checkpoint), "--out", str(out)]
    assert main([*args, "--vocoder", f"hifigan:{vocoder}", "--vocoder-int8"]) == 0
    assert (out / "vocoder.int8.onnx").is_file()
    assert json.loads((out / "vocoder.json").read_text())["onnx_int8"] == "vocoder.int8.onnx"
    int8 = Synthesizer.from_checkpoint(out).vocoder
    assert isinstance(int8, HiFiGANVocoder) and int8.onnx_model == out / "vocoder.int8.onnx"
    exact = make_vocoder(f"hifigan:{out / 'vocoder.json'}", int8.audio, int8=False)
    assert isinstance(exact, HiFiGANVocoder) and exact.onnx_model is None
    mel = torch.from_numpy(Synthesizer.from_checkpoint(out).mel("Hello there.").T[None].copy())
    with torch.inference_mode():
        quantized, reference = int8(mel)[0], exact(mel)[0]
    error = (quantized - reference).pow(2).mean().sqrt() / reference.pow(2).mean().sqrt()
    assert reference.abs().max() > 1e-4 and float(error) < 0.2
    with pytest.raises(ValueError, match="needs a vocoder"):
        export_voice(checkpoint, tmp_path / "other", vocoder_int8=True)
    again = export_voice(out, tmp_path / "again", card={"evaluation": {"mos": 3.0}})
    assert (again / "vocoder.int8.onnx").is_file()  # its own vocoder kept, int8 included
    assert voice_card(again)["evaluation"] == {"mos": 3.0}


def test_voice_session_ships_big_files_in_parts_and_joins_them_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/device/voice_session.py: files over the device's 16 MiB return limit travel as
    NAME.partK pieces; ``join`` puts every file back byte for byte."""
    from scripts.device import gpu_session, voice_session

    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setattr(gpu_session, "OUT", out)
    big, small = tmp_path / "model.safetensors", tmp_path / "voice.json"
    big.write_bytes(np.random.default_rng(0).bytes(2_500))
    small.write_text('{"format": "x"}')
    assert gpu_session.ship(big, 1_000) == [f"model.safetensors.part{i}" for i in range(3)]
    assert gpu_session.ship(small, 1_000) == ["voice.json"]
    assert max(path.stat().st_size for path in out.iterdir()) <= 1_000
    voice_session.join(out, tmp_path / "joined")
    assert (tmp_path / "joined" / "model.safetensors").read_bytes() == big.read_bytes()
    assert (tmp_path / "joined" / "voice.json").read_text() == small.read_text()
    assert sorted(p.name for p in (tmp_path / "joined").iterdir()) == [
        "model.safetensors",
        "voice.json",
    ]


def test_device_runs_together_stop_at_the_shared_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scripts/device/gpu_session.run_together: the commands run at once, one overall limit
    kills the ones still running (rc 124), and the session log has every run's output tail."""
    import sys
    import time

    from scripts.device import gpu_session

    monkeypatch.setattr(gpu_session, "WORK", tmp_path)
    monkeypatch.setattr(gpu_session, "LOG", tmp_path / "session.log")
    commands = {
        "quick": [sys.executable, "-c", "print('quick done')"],
        "slow": [
            sys.executable,
            "-c",
            "import time; print('slow began', flush=True); time.sleep(60)",
        ],
    }
    began = time.monotonic()
    gpu_session.run_together(commands, limit=3.0)
    assert time.monotonic() - began < 30
    log = (tmp_path / "session.log").read_text()
    assert "== train quick: rc 0" in log and "quick done" in log
    assert "== train slow: rc 124" in log and "slow began" in log
