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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram
from fastspeak.config import AudioConfig, load_config
from fastspeak.data.vocoder import corpus_audio_paths
from fastspeak.evaluate.runner import System, evaluate_systems
from fastspeak.synthesis import Synthesizer
from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.vocoders.base import Vocoder, make_vocoder
from fastspeak.voice import default_vocoder


def load_items(sentences: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Evaluation items from a ``.txt`` (one sentence a line) or a FEATDIR ``*.jsonl`` manifest:
    ``{"id", "text", "speaker" (a manifest's, else None), "reference_wav"}``.

    For a manifest, reference wavs are found through the corpus named in FEATDIR/report.json.
    """
    sentences = Path(sentences)
    if sentences.is_dir():
        hint = (
            f"; did you mean {sentences / 'test.jsonl'}?"
            if (sentences / "test.jsonl").is_file()
            else ""
        )
        raise TextError(f"--sentences {sentences} is a folder: give a .txt or .jsonl file{hint}")
    if not sentences.is_file():
        raise TextError(f"sentence file {sentences} does not exist")
    items: list[dict[str, Any]] = []
    if sentences.suffix == ".jsonl":
        entries = [json.loads(line) for line in sentences.read_text().splitlines() if line.strip()]
        audio = corpus_audio_paths(sentences.parent, required=False)
        for entry in entries:
            items.append(
                {
                    "id": entry["id"],
                    "text": entry["text"],
                    "speaker": entry.get("speaker"),
                    "reference_wav": audio.get(entry["id"]),
                }
            )
    else:
        lines = [line.strip() for line in sentences.read_text().splitlines()]
        items = [
            {"id": f"{number:04d}", "text": line, "speaker": None, "reference_wav": None}
            for number, line in enumerate(lines, start=1)
            if line
        ]
    if not items:
        raise TextError(f"{sentences} holds no sentences")
    return items[:limit] if limit else items


def _with_references(
    systems: dict[str, System],
    items: list[dict[str, Any]],
    vocoder: Vocoder,
    vocoder_name: str,
    audio_config: AudioConfig,
    device: str,
) -> dict[str, System]:
    """Add "teacher audio" and "teacher mel + vocoder (ceiling)" when every item has a wav."""
    if not all(item["reference_wav"] is not None for item in items):
        return systems
    sample_rate = audio_config.sample_rate
    mel = MelSpectrogram(audio_config).to(device)

    def teacher(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        return load_audio(item["reference_wav"], sample_rate), sample_rate

    @torch.inference_mode()
    def ceiling(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        wav = torch.from_numpy(load_audio(item["reference_wav"], sample_rate)).to(device)
        mels = mel(wav.unsqueeze(0)).transpose(1, 2)  # (1, n_mels, T)
        wavs, lengths = vocoder(mels, None)
        return wavs[0, : int(lengths[0])].float().cpu().numpy(), sample_rate

    return {
        **systems,
        "teacher audio": teacher,
        f"teacher mel + {vocoder_name} (ceiling)": ceiling,
    }


def evaluate_checkpoint(
    checkpoint: Path,
    sentences: Path,
    out: Path,
    limit: int | None = None,
    vocoder: str | None = None,
    device: str = "cpu",
    progress: bool = True,
) -> dict[str, Any]:
    """Synthesise ``sentences`` with ``checkpoint`` and judge it (and the teacher, if known).

    ``vocoder`` None: the voice's own HiFi-GAN when it ships one, else Griffin-Lim.
    Writes ``out`` (REPORT.json, with REPORT.md beside it, or a folder holding both).
    """
    vocoder = vocoder or default_vocoder(checkpoint)
    synthesizer = Synthesizer.from_checkpoint(checkpoint, device=device, vocoder=vocoder)
    items = load_items(sentences, limit)
    for item in items:
        item["text"] = synthesizer.processor.normalize(item["text"])

    def model(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        # a multi-speaker model speaks each item as its own speaker (the reference's)
        speaker = item["speaker"] if synthesizer.model.config.n_speakers > 1 else None
        return synthesizer.synth(item["text"], speaker)

    systems = _with_references(
        {f"{Path(checkpoint).name} + {vocoder}": model},
        items,
        synthesizer.vocoder,
        vocoder,
        synthesizer.config.audio,
        device,
    )
    return evaluate_systems(
        items,
        systems,
        out,
        progress=progress,
        audio_config=synthesizer.config.audio,
        feature_config=synthesizer.config.features,
    )


def evaluate_mels(
    mels: Sequence[Path],
    sentences: Path,
    out: Path,
    limit: int | None = None,
    vocoder: str | None = None,
    device: str = "cpu",
    progress: bool = True,
    references: bool = True,
) -> dict[str, Any]:
    """Judge mels made elsewhere (e.g. on a GPU machine by ``fastspeak synthesize
    --sentences test.jsonl --mels-out``) through ``vocoder``, beside the teacher.

    Args:
        mels: ``.npz`` files of natural-log mels (T, n_mels) keyed by utterance id, one system
            each (named after the file); each must hold every item of ``sentences``.
        sentences: a FEATDIR manifest (``test.jsonl``); the FEATDIR's ``config.yaml`` gives the
            audio settings the mels were made with.
        references: also judge the teacher audio and the ceiling (when the items have wavs).
    """
    sentences = Path(sentences)
    settings = sentences.parent / "config.yaml"
    if sentences.suffix != ".jsonl" or not settings.is_file():
        raise TextError(
            f"evaluating --mels needs a FEATDIR manifest with config.yaml beside it (got "
            f"{sentences}); pass e.g. data/features/NAME/test.jsonl"
        )
    config = load_config(settings)
    items = load_items(sentences, limit)
    processor = TextProcessor(config.text)
    for item in items:  # the words spoken, as evaluate_checkpoint scores them
        item["text"] = processor.normalize(item["text"])
    vocoder = vocoder or "griffinlim"
    voc = make_vocoder(vocoder, config.audio)
    if isinstance(voc, torch.nn.Module):
        voc = voc.to(device).eval()
    systems: dict[str, System] = {}
    for path in mels:
        with np.load(path) as archive:
            missing = [item["id"] for item in items if item["id"] not in archive.files]
            if missing:
                raise TextError(
                    f"{path} has no mel for {len(missing)} item(s) of {sentences} (first: "
                    f"{missing[0]}); make it from the same manifest"
                )
            arrays = {item["id"]: archive[item["id"]].astype(np.float32) for item in items}
        systems[f"{Path(path).name} + {vocoder}"] = _mel_system(
            arrays, voc, config.audio.sample_rate, device
        )
    if references:
        systems = _with_references(systems, items, voc, vocoder, config.audio, device)
    return evaluate_systems(
        items,
        systems,
        out,
        progress=progress,
        audio_config=config.audio,
        feature_config=config.features,
    )


def _mel_system(
    arrays: Mapping[str, np.ndarray], vocoder: Vocoder, sample_rate: int, device: str
) -> System:
    """A system that vocodes the stored mel (T, n_mels) of each item's id."""

    @torch.inference_mode()
    def system(item: Mapping[str, Any]) -> tuple[np.ndarray, int]:
        spectrogram = torch.from_numpy(arrays[item["id"]]).to(device).T.unsqueeze(0)
        wavs, lengths = vocoder(spectrogram, None)  # (1, n_mels, T) -> (1, samples)
        return wavs[0, : int(lengths[0])].float().cpu().numpy(), sample_rate

    return system
