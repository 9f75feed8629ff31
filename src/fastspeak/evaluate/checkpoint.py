"""``fastspeak evaluate``: a checkpoint against held-out sentences, beside the teacher.

Sentences come from a text file (one per line; no ground truth) or from a FEATDIR manifest
(``test.jsonl``), whose utterances carry reference recordings. With references, three systems
are judged on the same items:

- ``<model> + <vocoder>``: the checkpoint through the Synthesizer;
- ``teacher audio``: the reference recordings themselves;
- ``teacher mel + <vocoder> (ceiling)``: the reference's mel through the same vocoder, the best
  the acoustic model could do with this vocoder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram
from fastspeak.data.corpora import read_corpus
from fastspeak.evaluate.runner import System, evaluate_systems
from fastspeak.synthesis import Synthesizer
from fastspeak.text.errors import TextError


def load_items(sentences: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Evaluation items from a ``.txt`` (one sentence a line) or a FEATDIR ``*.jsonl`` manifest.

    For a manifest, reference wavs are found through the corpus named in FEATDIR/report.json.
    """
    sentences = Path(sentences)
    if not sentences.is_file():
        raise TextError(f"sentence file {sentences} does not exist")
    items: list[dict[str, Any]] = []
    if sentences.suffix == ".jsonl":
        entries = [json.loads(line) for line in sentences.read_text().splitlines() if line.strip()]
        report_path = sentences.parent / "report.json"
        audio: dict[str, Path] = {}
        if report_path.is_file():
            corpus = Path(json.loads(report_path.read_text())["data"])
            if corpus.is_dir():
                audio = {u.id: u.audio_path for u in read_corpus(corpus)}
        for entry in entries:
            items.append(
                {"id": entry["id"], "text": entry["text"], "reference_wav": audio.get(entry["id"])}
            )
    else:
        lines = [line.strip() for line in sentences.read_text().splitlines()]
        items = [
            {"id": f"{number:04d}", "text": line, "reference_wav": None}
            for number, line in enumerate(lines, start=1)
            if line
        ]
    if not items:
        raise TextError(f"{sentences} holds no sentences")
    return items[:limit] if limit else items


def evaluate_checkpoint(
    checkpoint: Path,
    sentences: Path,
    out: Path,
    limit: int | None = None,
    vocoder: str = "griffinlim",
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """Synthesise ``sentences`` with ``checkpoint`` and judge it (and the teacher, if known).

    Writes ``out`` (REPORT.json, with REPORT.md beside it, or a folder holding both).
    """
    synthesizer = Synthesizer.from_checkpoint(checkpoint, device=device, vocoder=vocoder)
    items = load_items(sentences, limit)
    for item in items:
        item["text"] = synthesizer.processor.normalize(item["text"])
    sample_rate = synthesizer.sample_rate
    mel = MelSpectrogram(synthesizer.config.audio).to(device)

    def model(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        return synthesizer.synth(item["text"])

    def teacher(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        return load_audio(item["reference_wav"], sample_rate), sample_rate

    @torch.inference_mode()
    def ceiling(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        wav = torch.from_numpy(load_audio(item["reference_wav"], sample_rate)).to(device)
        mels = mel(wav.unsqueeze(0)).transpose(1, 2)  # (1, n_mels, T)
        wavs, lengths = synthesizer.vocoder(mels, None)
        return wavs[0, : int(lengths[0])].float().cpu().numpy(), sample_rate

    systems: dict[str, System] = {f"{Path(checkpoint).name} + {vocoder}": model}
    if all(item["reference_wav"] is not None for item in items):
        systems["teacher audio"] = teacher
        systems[f"teacher mel + {vocoder} (ceiling)"] = ceiling
    return evaluate_systems(
        items,
        systems,
        out,
        progress=progress,
        audio_config=synthesizer.config.audio,
        feature_config=synthesizer.config.features,
    )
