"""ONNX export of the acoustic models: parity with PyTorch on dynamic shapes and controls."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from fastspeak.cli import main
from fastspeak.export import AcousticExport
from fastspeak.models import model_spec
from fastspeak.voice import DEFAULT_VOICE, load_voice
from tiny import tiny_model_config


def run_both(module: AcousticExport, session, tokens: int, controls: dict) -> float:
    """Max |onnx - torch| mel difference on a random batch of 3 (the onnx run checked for the
    same shapes and lengths); ``run_both.frames`` keeps the batch's frame count."""
    generator = torch.Generator().manual_seed(tokens)
    ids = torch.randint(1, 20, (3, tokens), generator=generator)
    lengths = torch.tensor([tokens, tokens - 2, max(1, tokens // 2)])
    for row, length in enumerate(lengths):
        ids[row, length:] = 0
    names = module.input_names()[2:]
    values = [controls[name] for name in names]
    with torch.no_grad():
        mels, mel_lengths = module(ids, lengths, *values)
    feed = {"tokens": ids.numpy(), "token_lengths": lengths.numpy()}
    feed.update({name: value.numpy() for name, value in zip(names, values, strict=True)})
    run_both.frames = mels.shape[1]  # type: ignore[attr-defined]
    onnx_mels, onnx_lengths = session.run(None, feed)
    assert onnx_mels.shape == tuple(mels.shape)
    assert onnx_lengths.tolist() == mel_lengths.tolist()
    return float(np.abs(onnx_mels - mels.numpy()).max())


@pytest.mark.parametrize("name", ["fastspeech2", "fastspeech"])
def test_tiny_models_export_with_parity(name: str, tmp_path: Path) -> None:
    config = tiny_model_config(name)
    torch.manual_seed(0)
    model = model_spec(name).build(config).eval()
    module = AcousticExport(model, name).eval()
    path = tmp_path / "acoustic.onnx"
    from fastspeak.export import OPSET, example_inputs

    with torch.no_grad():
        torch.onnx.export(
            module,
            example_inputs(module),
            str(path),
            input_names=module.input_names(),
            output_names=["mels", "mel_lengths"],
            dynamic_axes={
                "tokens": {0: "batch", 1: "tokens"},
                **{n: {0: "batch"} for n in module.input_names()[1:]},
                "mels": {0: "batch", 1: "frames"},
                "mel_lengths": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    session = onnxruntime.InferenceSession(str(path))
    controls = {
        "speed": torch.tensor([1.0, 1.5, 0.7]),
        "pitch_semitones": torch.tensor([0.0, 3.0, -2.0]),
        "energy_db": torch.tensor([0.0, -4.0, 2.0]),
    }
    for tokens in (5, 17, 33):  # other lengths than the example the graph was traced with
        assert run_both(module, session, tokens, controls) < 1e-4


def test_bundled_voice_exports_through_the_cli(tmp_path: Path) -> None:
    out = tmp_path / "onnx"
    assert main(["export", "--format", "onnx", "--out", str(out)]) == 0
    assert (out / "acoustic.onnx").is_file() and (out / "voice.json").is_file()
    session = onnxruntime.InferenceSession(str(out / "acoustic.onnx"))
    model, *_ = load_voice(DEFAULT_VOICE)
    module = AcousticExport(model, "fastspeech2").eval()
    controls = {
        "speed": torch.tensor([1.0, 1.2, 0.9]),
        "pitch_semitones": torch.tensor([0.0, 2.0, -3.0]),
        "energy_db": torch.tensor([0.0, 3.0, -3.0]),
    }
    worst = max(run_both(module, session, tokens, controls) for tokens in (9, 60))
    print(f"bundled voice: max |onnx - torch| mel difference {worst:.2e}")
    assert worst < 1e-4
    # slow speech past the decoder's cached positional table: the graph computes positions
    slow = {**{name: torch.zeros(3) for name in controls}, "speed": torch.tensor([0.2, 0.3, 1.0])}
    assert run_both(module, session, 60, slow) < 1e-4
    assert run_both.frames > model.decoder.positional_encoding.table.size(0)  # type: ignore


NO_TORCH = """
import importlib.abc, importlib.machinery, sys
class _Refuse(importlib.abc.Loader):
    def create_module(self, spec):
        raise ImportError("torch is not allowed here")
    def exec_module(self, module):
        raise ImportError("torch is not allowed here")
class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            return importlib.machinery.ModuleSpec(name, _Refuse())
sys.meta_path.insert(0, _Finder())
import numpy as np
from fastspeak.runtime import OnnxVoice
voice = OnnxVoice(sys.argv[1])
mel = voice.mel(sys.argv[2], speed=1.1, pitch_semitones=1.0)
np.save(sys.argv[3], mel)
assert "torch" not in sys.modules
"""


def test_runtime_without_torch_matches_the_synthesizer(tmp_path: Path) -> None:
    import subprocess
    import sys

    from fastspeak.synthesis import Synthesizer

    out = tmp_path / "onnx"
    assert main(["export", "--format", "onnx", "--out", str(out)]) == 0
    text = "Hello there. This has two sentences, and a comma!"
    result = tmp_path / "mel.npy"
    script = tmp_path / "no_torch.py"
    script.write_text(NO_TORCH)
    subprocess.run([sys.executable, str(script), str(out), text, str(result)], check=True)
    onnx_mel = np.load(result)
    torch_mel = Synthesizer.from_checkpoint().mel(text, speed=1.1, pitch_semitones=1.0)
    assert onnx_mel.shape == torch_mel.shape
    np.testing.assert_allclose(onnx_mel, torch_mel, atol=1e-3)


def test_vocoder_onnx_gives_audio_without_torch(tmp_path: Path) -> None:
    """A (tiny, untrained) HiFi-GAN exported beside the voice: runtime audio == PyTorch's."""
    import subprocess
    import sys

    from fastspeak.config import load_config
    from fastspeak.train.checkpoint import save_checkpoint
    from fastspeak.vocoders.hifigan import HiFiGANGenerator, load_generator

    config = load_config(Path(__file__).parent.parent / "configs/piper_joe/hifigan_tiny.yaml")
    torch.manual_seed(3)
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels)
    checkpoint = tmp_path / "voc.pt"
    save_checkpoint(
        checkpoint,
        {"kind": "hifigan", "model": generator.state_dict(), "config": config.to_dict()},
    )
    out = tmp_path / "onnx"
    args = ["export", "--format", "onnx", "--out", str(out), "--vocoder", f"hifigan:{checkpoint}"]
    assert main(args) == 0
    script = tmp_path / "no_torch.py"
    script.write_text(
        NO_TORCH.replace(
            "voice.mel(sys.argv[2], speed=1.1, pitch_semitones=1.0)", "voice.synth(sys.argv[2])[0]"
        )
    )
    result = tmp_path / "wav.npy"
    text = "Hello. Good day to you!"  # two chunks: each vocoded alone, the pause exact zeros
    subprocess.run([sys.executable, str(script), str(out), text, str(result)], check=True)
    wav = np.load(result)
    from fastspeak.synthesis import Synthesizer
    from fastspeak.vocoders.hifigan import HiFiGANVocoder

    torch_generator, _, _ = load_generator(checkpoint)
    vocoder = HiFiGANVocoder(torch_generator, config.audio, backend="torch")
    synthesizer = Synthesizer.from_checkpoint(vocoder=vocoder)
    expected, _ = synthesizer.synth(text)
    assert wav.shape == expected.shape
    np.testing.assert_allclose(wav, expected, atol=1e-3)

    # a failed export leaves the folder as it was; a voice without a vocoder, exported into the
    # same folder, removes the old vocoder.onnx, and the runtime never loads a stray one
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    bad = ["export", "--format", "onnx", "--out", str(out), "--vocoder", "hifigan:/nonexistent"]
    assert main(bad) == 2
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    assert main(["export", "--format", "onnx", "--out", str(out)]) == 0
    assert sorted(path.name for path in out.iterdir()) == ["acoustic.onnx", "voice.json"]
    (out / "vocoder.onnx").write_bytes(before["vocoder.onnx"])  # left by hand
    from fastspeak.runtime import OnnxVoice

    with pytest.raises(FileNotFoundError, match="no vocoder.onnx"):
        OnnxVoice(out).synth("Hello.")
    assert not list(tmp_path.glob(".onnx.*"))  # no temporary folder left behind
