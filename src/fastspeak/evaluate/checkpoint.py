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
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram
from fastspeak.config import AudioConfig, load_config
from fastspeak.data.dataset import DatasetError
from fastspeak.data.vocoder import corpus_audio_paths
from fastspeak.evaluate.report import EvaluateError, check_report_path
from fastspeak.evaluate.runner import System, evaluate_systems
from fastspeak.synthesis import Synthesizer
from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.vocoders.base import Vocoder, make_vocoder
from fastspeak.voice import default_vocoder


def check_limit(limit: int | None) -> None:
    """``limit`` is None (every sentence) or a count >= 1.

    Raises:
        EvaluateError: 0 or a negative count.
    """
    if limit is not None and limit < 1:
        raise EvaluateError(
            f"--limit must be >= 1 (got {limit}); leave it out to evaluate every sentence"
        )


def load_items(
    sentences: Path, limit: int | None = None, references: bool = True
) -> list[dict[str, Any]]:
    """Evaluation items from a ``.txt`` (one sentence a line) or a FEATDIR ``*.jsonl`` manifest:
    ``{"id", "text", "speaker" (a manifest's, else None), "reference_wav"}``; the first
    ``limit`` (>= 1; None: all).

    For a manifest (and ``references``), reference wavs are found through the corpus named in
    FEATDIR/report.json; when some or all are not found, a note on stderr says which corpus was
    looked for and that the teacher rows, MCD and F0 are left out.

    Raises:
        TextError: ``sentences`` is a folder, missing, or holds no sentences.
        EvaluateError: ``limit`` < 1; the file is not UTF-8; a manifest line is not a JSON
            object with string "id" and "text" (the message names the line).
    """
    check_limit(limit)
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
    manifest = sentences.suffix == ".jsonl"
    items = _manifest_items(sentences) if manifest else _text_items(sentences)
    if not items:
        raise TextError(f"{sentences} holds no sentences")
    items = items[:limit]
    if manifest and references:
        _attach_references(items, sentences.parent)
    return items


def _read_utf8(path: Path) -> str:
    """The text of ``path``; EvaluateError when it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise EvaluateError(
            f"--sentences {path} is not UTF-8 text (byte {error.start}: {error.reason}); "
            "save it as UTF-8"
        ) from error


def _text_items(path: Path) -> list[dict[str, Any]]:
    """One item per non-empty line, numbered by line."""
    lines = [line.strip() for line in _read_utf8(path).splitlines()]
    return [
        {"id": f"{number:04d}", "text": line, "speaker": None, "reference_wav": None}
        for number, line in enumerate(lines, start=1)
        if line
    ]


def _manifest_items(path: Path) -> list[dict[str, Any]]:
    """One item per manifest line (blank lines skipped); no reference wavs yet."""
    items = []
    for number, line in enumerate(_read_utf8(path).splitlines(), start=1):
        if line.strip():
            entry = _manifest_entry(path, number, line)
            items.append(
                {
                    "id": entry["id"],
                    "text": entry["text"],
                    "speaker": entry.get("speaker"),
                    "reference_wav": None,
                }
            )
    return items


def _manifest_entry(path: Path, number: int, line: str) -> dict[str, Any]:
    """Line ``number`` of a manifest as a JSON object with string "id" and "text"."""
    fix = 'each line must be a JSON object with "id" and "text", as preprocess writes test.jsonl'
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as error:
        raise EvaluateError(f"{path}:{number}: not JSON ({error.msg}); {fix}") from error
    if not isinstance(entry, dict):
        raise EvaluateError(f"{path}:{number}: a JSON {type(entry).__name__}; {fix}")
    for key in ("id", "text"):
        if not isinstance(entry.get(key), str):
            problem = f"no {key!r}" if key not in entry else f"{key!r} is not a string"
            raise EvaluateError(f"{path}:{number}: {problem}; {fix}")
    return entry


def _attach_references(items: list[dict[str, Any]], feat_dir: Path) -> None:
    """Set each item's ``reference_wav`` from the FEATDIR's corpus; note on stderr what is
    left out when the corpus or some of its recordings are not found."""
    left_out = "the teacher audio and ceiling rows, MCD and F0 are left out of the report"
    try:
        audio = corpus_audio_paths(feat_dir)
    except DatasetError as error:
        print(f"fastspeak evaluate: note: no reference recordings: {error}; {left_out}",
              file=sys.stderr)  # fmt: skip
        return
    for item in items:
        item["reference_wav"] = audio.get(item["id"])
    missing = [item["id"] for item in items if item["reference_wav"] is None]
    if missing:
        print(
            f"fastspeak evaluate: note: {len(missing)} of {len(items)} items (first: "
            f"{missing[0]}) have no recording in the corpus of {feat_dir}; {left_out}",
            file=sys.stderr,
        )


def _with_references(
    systems: dict[str, System],
    items: list[dict[str, Any]],
    vocoder: Vocoder,
    vocoder_name: str,
    audio_config: AudioConfig,
    device: str,
) -> dict[str, System]:
    """Add "teacher audio" and "teacher mel + vocoder (ceiling)" when every item has a wav
    (:func:`load_items` says on stderr when some have none)."""
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

    Raises:
        EvaluateError, TextError: ``out``, ``sentences`` or ``limit`` is unusable (checked
            before the model loads; see :func:`load_items`).
    """
    check_report_path(out)  # before the model loads and hours of synthesis
    items = load_items(sentences, limit)
    vocoder = vocoder or default_vocoder(checkpoint)
    synthesizer = Synthesizer.from_checkpoint(checkpoint, device=device, vocoder=vocoder)
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
    Raises:
        EvaluateError, TextError: ``out``, ``sentences``, ``limit`` or a mel file is
            unusable (checked before anything is judged).
    """
    check_report_path(out)
    sentences = Path(sentences)
    settings = sentences.parent / "config.yaml"
    if sentences.suffix != ".jsonl" or not settings.is_file():
        raise TextError(
            f"evaluating --mels needs a FEATDIR manifest with config.yaml beside it (got "
            f"{sentences}); pass e.g. data/features/NAME/test.jsonl"
        )
    config = load_config(settings)
    items = load_items(sentences, limit, references=references)
    processor = TextProcessor(config.text)
    for item in items:  # the words spoken, as evaluate_checkpoint scores them
        item["text"] = processor.normalize(item["text"])
    archives = {Path(path): read_mels(path, items, sentences, config.audio.n_mels) for path in mels}
    vocoder = vocoder or "griffinlim"
    voc = make_vocoder(vocoder, config.audio)
    if isinstance(voc, torch.nn.Module):
        voc = voc.to(device).eval()
    systems: dict[str, System] = {}
    for path, arrays in archives.items():
        systems[f"{path.name} + {vocoder}"] = _mel_system(
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


_NPZ_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile)


def read_mels(
    path: Path, items: Sequence[Mapping[str, Any]], sentences: Path, n_mels: int
) -> dict[str, np.ndarray]:
    """Item id -> (T, n_mels) float32 mel, from an ``.npz`` archive keyed by utterance id.

    Raises:
        EvaluateError: ``path`` is missing or not an ``.npz`` archive, lacks an item's mel,
            or holds one that is not (T, ``n_mels``).
    """
    path = Path(path)
    with _open_npz(path) as archive:
        missing = [item["id"] for item in items if item["id"] not in archive.files]
        if missing:
            raise EvaluateError(
                f"--mels {path} has no mel for {len(missing)} item(s) of {sentences} "
                f"(first: {missing[0]}); make it from the same manifest"
            )
        try:
            arrays = {item["id"]: archive[item["id"]].astype(np.float32) for item in items}
        except _NPZ_ERRORS as error:
            raise _not_npz(path, error) from error
    for uid, mel in arrays.items():
        if mel.ndim != 2 or mel.shape[1] != n_mels or mel.shape[0] == 0:
            raise EvaluateError(
                f"--mels {path}: the mel of {uid} has shape {mel.shape}, not (frames, {n_mels}) "
                "as the FEATDIR's config.yaml gives; make it with a model of the same settings"
            )
    return arrays


def _open_npz(path: Path) -> Any:
    """``np.load`` of an ``.npz`` archive (no pickles); EvaluateError for anything else."""
    if not path.is_file():
        raise EvaluateError(f"--mels {path} does not exist")
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:  # numpy's "pickled data" guess for any unknown content
        raise _not_npz(path, "neither a zip archive nor a numpy file") from error
    except _NPZ_ERRORS as error:
        raise _not_npz(path, error) from error
    if not isinstance(archive, np.lib.npyio.NpzFile):  # a .npy file: one array
        raise _not_npz(path, "it holds a single array")
    return archive


def _not_npz(path: Path, reason: object) -> EvaluateError:
    return EvaluateError(
        f"--mels {path} is not a readable .npz archive of mels ({reason}); give the file "
        "`fastspeak synthesize --sentences MANIFEST --mels-out FILE.npz` writes"
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
