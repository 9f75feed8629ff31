"""ONNX export of the acoustic model, from the same model code (no second "_jit" copy).

``export_onnx(checkpoint_or_voice, out_dir)`` writes:

- ``acoustic.onnx``: free-running synthesis with the controls as inputs and dynamic lengths.
  Inputs: ``tokens`` (B, N) int64, ``token_lengths`` (B,) int64, ``speed`` (B,) float32, and
  for FastSpeech 2 ``pitch_semitones`` (B,) and ``energy_db`` (B,) float32 (and
  ``speaker_ids`` (B,) int64 for multi-speaker models). Outputs: ``mels`` (B, T, n_mels)
  natural-log mel (zero past each length), ``mel_lengths`` (B,) int64.
- ``voice.json``: the voice's config, vocabulary, statistics, speakers and card (the same
  file as a voice folder), so :mod:`fastspeak.runtime` needs nothing else.
- ``vocoder.onnx`` (when a HiFi-GAN is given): ``mels`` (B, n_mels, T) -> ``wavs``
  (B, T * hop), weight norm folded; with it the runtime makes audio without torch.

One ONNX call handles at most ``model.max_seq_len`` frames per utterance (the positional
table); the runtime splits long text into chunks as the Synthesizer does.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from fastspeak.synthesis import load_acoustic_model
from fastspeak.vocoders.onnx_generator import OPSET
from fastspeak.voice import (
    VOICE_FORMAT,
    VOICE_VERSION,
    is_voice,
    load_voice,
    shipped_vocoder,
    voice_meta,
)

__all__ = ["AcousticExport", "export_onnx", "export_vocoder_onnx"]


class AcousticExport(nn.Module):
    """``model.infer`` with tensor controls, the signature the ONNX graph gets."""

    def __init__(self, model: nn.Module, kind: str) -> None:
        super().__init__()
        self.model, self.kind = model, kind
        self.multi_speaker = getattr(model.config, "n_speakers", 0) > 1

    def input_names(self) -> list[str]:
        names = ["tokens", "token_lengths", "speed"]
        if self.kind == "fastspeech2":
            names += ["pitch_semitones", "energy_db"]
        return names + (["speaker_ids"] if self.multi_speaker else [])

    def forward(self, tokens: Tensor, token_lengths: Tensor, *controls: Tensor) -> tuple:
        named = dict(zip(self.input_names()[2:], controls, strict=True))
        output = self.model.infer(  # type: ignore[operator]
            tokens, token_lengths, named.pop("speaker_ids", None), **named
        )
        return output.mels_postnet, output.mel_lengths


def example_inputs(module: AcousticExport, tokens: int = 12) -> tuple[Tensor, ...]:
    """Two utterances of ``tokens`` and ``tokens - 3`` ids, neutral controls."""
    ids = torch.randint(1, 20, (2, tokens), generator=torch.Generator().manual_seed(0))
    ids[1, tokens - 3 :] = 0
    values: dict[str, Tensor] = {
        "tokens": ids,
        "token_lengths": torch.tensor([tokens, tokens - 3]),
        "speed": torch.ones(2),
        "pitch_semitones": torch.zeros(2),
        "energy_db": torch.zeros(2),
        "speaker_ids": torch.zeros(2, dtype=torch.long),
    }
    return tuple(values[name] for name in module.input_names())


def export_vocoder_onnx(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """A HiFi-GAN (``train-vocoder`` checkpoint or exported generator) -> ``out`` (.onnx)."""
    from fastspeak.vocoders.hifigan import load_generator
    from fastspeak.vocoders.onnx_generator import write_generator_onnx

    generator, _, _ = load_generator(path)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_generator_onnx(generator, target)
    return target


def export_onnx(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    vocoder: str | os.PathLike[str] | None = None,
) -> Path:
    """Export the acoustic model of a checkpoint or voice folder to ``out/acoustic.onnx``
    (+ ``out/voice.json``), and a HiFi-GAN ``vocoder`` (default: the voice's own, if it ships
    one) to ``out/vocoder.onnx``. Returns ``out``.

    Everything is written to a temporary folder beside ``out`` first and moved in at the end,
    so a failed export leaves ``out`` as it was, and a ``vocoder.onnx`` of an earlier export
    into the same folder is removed when this voice has none."""
    folder = Path(out)
    if (folder / "model.safetensors").is_file():
        raise FileExistsError(
            errno.EEXIST,
            "is a voice folder; its voice.json would be replaced by the ONNX one (and the "
            "voice lose its vocoder): export the ONNX bundle to another folder",
            str(folder),
        )
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, "not a folder; give a folder for the ONNX export", str(folder)
        )
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}.") as temp:
        written = _export_onnx_files(source, Path(temp), vocoder)
        folder.mkdir(exist_ok=True)
        for name in ("acoustic.onnx", "vocoder.onnx", "voice.json"):
            if name not in written:
                (folder / name).unlink(missing_ok=True)
        for name in written:
            os.replace(Path(temp) / name, folder / name)
    return folder


def _export_onnx_files(
    source: str | os.PathLike[str], folder: Path, vocoder: str | os.PathLike[str] | None
) -> list[str]:
    """The files of :func:`export_onnx`, written into ``folder``; returns their names
    (voice.json last)."""
    if is_voice(source):
        model, config, vocab, speakers = load_voice(source)
        meta = voice_meta(source)
        kind, stats, card = meta["kind"], meta.get("stats"), dict(meta.get("card") or {})
        if vocoder is None:
            vocoder = shipped_vocoder(source)
    else:
        model, config, vocab, speakers, state = load_acoustic_model(source)
        kind, stats, card = state.get("kind", "fastspeech2"), state.get("stats"), {}
    module = AcousticExport(model.float().eval(), kind).eval()
    names = module.input_names()
    dynamic: dict[str, Any] = {name: {0: "batch"} for name in names}
    dynamic["tokens"] = {0: "batch", 1: "tokens"}
    dynamic.update(mels={0: "batch", 1: "frames"}, mel_lengths={0: "batch"})
    with torch.no_grad(), warnings.catch_warnings():
        # the tracer's notes on Python-level branches (their graph is checked for parity on
        # other lengths than the example's: tests/test_export_onnx.py)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        torch.onnx.export(
            module,
            example_inputs(module),
            str(folder / "acoustic.onnx"),
            input_names=names,
            output_names=["mels", "mel_lengths"],
            dynamic_axes=dynamic,
            opset_version=OPSET,
            dynamo=False,
        )
    meta = {
        "format": VOICE_FORMAT,
        "version": VOICE_VERSION,
        "kind": kind,
        "config": config.to_dict(),
        "vocab": vocab.to_dict(),
        "speakers": speakers,
        "stats": stats,
        "card": card,
        "onnx": {"acoustic": "acoustic.onnx", "inputs": names, "opset": OPSET},
    }
    written = ["acoustic.onnx"]
    if vocoder is not None:
        export_vocoder_onnx(vocoder, folder / "vocoder.onnx")
        meta["onnx"]["vocoder"] = "vocoder.onnx"
        written.append("vocoder.onnx")
    (folder / "voice.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    return [*written, "voice.json"]
