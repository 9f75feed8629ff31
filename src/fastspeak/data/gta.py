"""``fastspeak gta``: ground-truth-aligned mels from a trained acoustic model, for fine-tuning
the vocoder on what it will really receive (Shen et al. 2018, Tacotron 2, section 3.2;
Kong et al. 2020, HiFi-GAN, section 4.4).

    write_gta(checkpoint, feat_dir, out_dir)

GTADIR is the teacher-forced :func:`~fastspeak.data.distill.distill` of FEATDIR (the model
runs ``forward`` with the data's durations, pitch and energy, so every mel keeps the
recording's frame count; ``distilled/<id>.npz``, manifests, vocab/speakers/stats/config) whose
manifest entries also name the audio span each mel belongs to::

    {"id": ..., "features": "distilled/<id>.npz", "frames": T,
     "audio": "/abs/corpus/wavs/<id>.wav", "audio_start": a, "audio_end": b, ...}

with ``1 + (b - a) // hop == T``. Preprocessing may have trimmed edge silence
(``features.trim_edge_silence``) at hop boundaries without recording where; the span is
recovered here by matching the stored mel against the mel of the whole recording, then checked
by recomputing the mel of ``wav[a:b]`` (it must equal the stored one up to float16 rounding).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from tqdm import tqdm

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram, mel_frames
from fastspeak.config import AudioConfig, config_from_dict
from fastspeak.data.dataset import PLACEHOLDER, load_feature_dir
from fastspeak.data.distill import (
    SPLITS,
    DistillError,
    check_aligner_for_placeholders,
    distill,
    out_folder_problem,
)
from fastspeak.data.vocoder import corpus_audio_paths
from fastspeak.files import atomic_write_text
from fastspeak.train.checkpoint import load_checkpoint
from fastspeak.voice import is_voice

__all__ = ["MAX_MEL_DIFFERENCE", "GTAError", "audio_spans", "find_audio_span", "write_gta"]

MAX_MEL_DIFFERENCE = 0.01
"""Largest mean |log-mel difference| accepted between a recomputed span and the stored mel
(float16 storage alone gives about 0.002)."""


class GTAError(DistillError):
    """The FEATDIR's recordings cannot be matched to its features, or ``out`` is taken."""


def _mel(mel: MelSpectrogram, wav: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return mel(torch.from_numpy(np.ascontiguousarray(wav))).numpy()


def find_audio_span(
    wav: np.ndarray, stored: np.ndarray, mel: MelSpectrogram
) -> tuple[int, int, float]:
    """Where in the recording ``wav`` (T_wav,) the FEATDIR mel ``stored`` (T, n_mels) was made.

    Preprocessing keeps ``wav[first * hop : last]`` for some first frame; this finds the frame
    offset whose full-recording mel frames match ``stored`` best (edge frames, whose reflect
    padding differs, are left out), then picks the end sample giving exactly T frames.
    Returns (start, end, mean |mel(wav[start:end]) - stored|).
    """
    hop = mel.config.hop_length
    frames = stored.shape[0]
    full = _mel(mel, wav)
    if frames > full.shape[0]:
        raise GTAError(f"{frames} stored frames but the recording has only {full.shape[0]}")
    inner = np.arange(2, frames - 2) if frames > 8 else np.arange(frames)
    probe = inner[np.linspace(0, len(inner) - 1, num=min(48, len(inner))).astype(int)]
    errors = [
        float(np.abs(full[offset + probe] - stored[probe]).mean())
        for offset in range(full.shape[0] - frames + 1)
    ]
    start = int(np.argmin(errors)) * hop
    best: tuple[int, int, float] | None = None
    for end in sorted({min(len(wav), start + (frames - 1) * hop), len(wav)}):
        if mel_frames(end - start, hop) != frames or end - start <= mel.config.n_fft // 2:
            continue
        difference = float(np.abs(_mel(mel, wav[start:end]) - stored).mean())
        if best is None or difference < best[2]:
            best = (start, end, difference)
    if best is None:
        raise GTAError(f"no span of the recording gives the {frames} stored frames")
    return best


def audio_spans(
    feat_dir: str | os.PathLike[str], audio: AudioConfig, progress: bool = True
) -> dict[str, dict[str, Any]]:
    """id -> {"audio", "audio_start", "audio_end", "mel_difference"} for every utterance of
    the FEATDIR's manifests. Raises GTAError when a recording does not give its stored mel."""
    feat_dir = Path(feat_dir)
    paths = corpus_audio_paths(feat_dir)
    mel = MelSpectrogram(audio)
    entries = [
        json.loads(line)
        for split in SPLITS
        if (feat_dir / f"{split}.jsonl").is_file()
        for line in (feat_dir / f"{split}.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    spans: dict[str, dict[str, Any]] = {}
    for entry in tqdm(entries, desc="audio spans", unit="utt", disable=not progress):
        if entry["id"] not in paths:
            raise GTAError(
                f"{entry['id']} of {feat_dir} is not in its corpus any more; re-run preprocess"
            )
        wav = load_audio(paths[entry["id"]], audio.sample_rate)
        with np.load(feat_dir / entry["features"]) as stored:
            stored_mels = stored["mels"].astype(np.float32)
        start, end, difference = find_audio_span(wav, stored_mels, mel)
        if difference > MAX_MEL_DIFFERENCE:
            raise GTAError(
                f"the recording of {entry['id']} ({paths[entry['id']]}) does not give its "
                f"features in {feat_dir} (mean |log-mel difference| {difference:.4f} > "
                f"{MAX_MEL_DIFFERENCE}); the corpus changed since preprocessing: re-run it"
            )
        spans[entry["id"]] = {
            "audio": str(paths[entry["id"]]),
            "audio_start": start,
            "audio_end": end,
            "mel_difference": round(difference, 5),
        }
    return spans


def write_gta(
    checkpoint: str | os.PathLike[str],
    feat_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    batch_size: int = 16,
    device: str = "cpu",
    use_ema: bool = True,
    progress: bool = True,
) -> dict[str, Any]:
    """Write GTADIR (see the module docstring) and return its report (also in report.json,
    under ``gta`` beside the distillation entry)."""
    started = time.perf_counter()
    feat_dir, out_dir = Path(feat_dir), Path(out_dir)
    problem = out_folder_problem(out_dir)
    if problem:
        raise GTAError(problem)
    config_path = feat_dir / "config.yaml"
    if not config_path.is_file():
        raise GTAError(f"{config_path} does not exist; is {feat_dir} a FEATDIR?")
    audio = config_from_dict(yaml.safe_load(config_path.read_text())).audio
    if load_feature_dir(feat_dir)[2].get("durations") == PLACEHOLDER:  # before the span pass
        has_aligner = (
            not is_voice(checkpoint)
            and load_checkpoint(Path(checkpoint), mmap=True).get("aligner") is not None
        )
        check_aligner_for_placeholders(feat_dir, has_aligner)
    spans = audio_spans(feat_dir, audio, progress)  # fails before any model work
    report = distill(
        checkpoint,
        feat_dir,
        out_dir,
        mode="teacher-forced",
        batch_size=batch_size,
        device=device,
        use_ema=use_ema,
        progress=progress,
        label="gta mels",
    )
    for split in SPLITS:
        manifest = out_dir / f"{split}.jsonl"
        if not manifest.is_file():
            continue
        entries = [json.loads(line) for line in manifest.read_text("utf-8").splitlines() if line]
        for entry in entries:
            span = spans[entry["id"]]
            entry.update({key: span[key] for key in ("audio", "audio_start", "audio_end")})
            assert (
                mel_frames(span["audio_end"] - span["audio_start"], audio.hop_length)
                == (entry["frames"])
            ), "teacher-forced mels keep the frame count"
        atomic_write_text(
            manifest,
            "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries),
        )
    differences = [span["mel_difference"] for span in spans.values()]
    report["gta"] = {
        "utterances": len(spans),
        "max_span_mel_difference": max(differences),
        "trimmed": sum(
            1 for span in spans.values() if span["audio_start"] > 0
        ),  # spans not starting at 0
        "seconds_taken": round(time.perf_counter() - started, 2),
    }
    atomic_write_text(
        out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    )
    return report
