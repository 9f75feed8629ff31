"""Vocoder training data: (mel, waveform) pairs, whole or as random fixed-size segments.

Two sources, one item format:

* a FEATDIR (``fastspeak train-vocoder --data FEATDIR``): the recordings of its utterances,
  found through the corpus named in ``FEATDIR/report.json`` (its ``data`` field; an older
  report's relative path is taken from the current folder, else from each folder above the
  FEATDIR, as ``fastspeak evaluate`` does: :func:`report_corpus`). The input mel is
  computed from the waveform by THE mel function (:class:`~fastspeak.audio.mel.MelSpectrogram`
  of the whole utterance, then the segment's frames), so it equals what preprocessing stores.
* a GTADIR (``--gta GTADIR``, written by ``fastspeak gta``): the acoustic model's
  teacher-forced mels, each with the audio span (``audio``, ``audio_start``, ``audio_end`` in
  the manifest) whose mel has exactly the same frames.

A segment of ``F = segment_size // hop`` frames starting at frame ``s`` pairs with samples
``[s * hop, (s + F) * hop)`` (frame ``t`` is centred on sample ``t * hop`` and the generator
makes samples ``[t * hop, (t + 1) * hop)`` from it); the waveform is zero-padded to
``T_mel * hop`` samples and shorter utterances to ``F`` frames (silent frames, zero samples).
The start frame is drawn from a generator seeded by (seed, epoch, index), so a resumed run
sees the same segments: items are addressed by ``(epoch, index)`` through
:class:`EpochBatchSampler`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram, mel_frames
from fastspeak.config import AudioConfig
from fastspeak.data.dataset import DatasetError
from fastspeak.data.sampler import LengthBucketSampler

__all__ = [
    "EpochBatchSampler",
    "read_wav",
    "VocoderDataset",
    "corpus_audio_paths",
    "corpus_candidates",
    "report_corpus",
    "featdir_entries",
    "gta_entries",
]


def _manifest(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DatasetError(f"{path} does not exist")
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def corpus_candidates(feat_dir: str | Path, data: str) -> list[Path]:
    """Where the corpus named by a FEATDIR report's ``data`` may be, in the order tried.

    An absolute path is the only candidate. A relative one (an older report's, relative to
    where ``preprocess`` ran) is tried from the working directory, then from each folder above
    the FEATDIR, nearest first: ``data/corpora/X`` of ``/work/data/features/X`` is found as
    ``/work/data/corpora/X`` wherever the command runs.
    """
    corpus = Path(data).expanduser()
    if corpus.is_absolute():
        return [corpus]
    ancestors = Path(os.path.abspath(feat_dir)).parents  # normalised, symlinks kept
    return [corpus, *(folder / corpus for folder in ancestors)]


def report_corpus(feat_dir: str | Path, data: str) -> Path | None:
    """The corpus named by a FEATDIR report's ``data`` (the first of
    :func:`corpus_candidates` that exists), or None when it is not here."""
    return next((path for path in corpus_candidates(feat_dir, data) if path.exists()), None)


def corpus_audio_paths(feat_dir: str | Path, required: bool = True) -> dict[str, Path]:
    """Utterance id -> recording, for the corpus a FEATDIR was made from (report.json "data",
    a folder or a table file, read with its "corpus_format"). Not ``required``: {} when the
    report or the corpus is not here.

    Raises:
        DatasetError: (``required``) no report.json, or its corpus is not here.
    """
    from fastspeak.data.corpora import read_corpus

    feat_dir = Path(feat_dir)
    report_path = feat_dir / "report.json"
    if not report_path.is_file():
        if not required:
            return {}
        raise DatasetError(f"{report_path} does not exist; is {feat_dir} a FEATDIR?")
    report = json.loads(report_path.read_text("utf-8"))
    corpus = report_corpus(feat_dir, report["data"])
    if corpus is None:
        if not required:
            return {}
        looked = (
            "it does not exist"
            if Path(report["data"]).expanduser().is_absolute()
            else f"looked for from {Path.cwd()} and from each folder above {feat_dir}"
        )
        raise DatasetError(
            f"the corpus of {feat_dir} ({report['data']}, from its report.json) is not here "
            f'({looked}); run from the folder where `fastspeak preprocess` ran, or fix the "data" '
            f"field of {report_path}"
        )
    utterances = read_corpus(corpus, report.get("corpus_format", "auto"))
    return {u.id: Path(u.audio_path).resolve() for u in utterances}


def featdir_entries(feat_dir: str | Path, split: str) -> list[dict[str, Any]]:
    """Items of a FEATDIR split as whole recordings: {id, audio, audio_start 0, audio_end None}.

    Manifests whose entries name their own ``audio`` (with ``audio_start``/``audio_end``; a
    relative path is taken from the FEATDIR) are used as they are: no corpus is looked up.
    """
    feat_dir = Path(feat_dir)
    manifest = feat_dir / f"{split}.jsonl"
    entries = _manifest(manifest)
    if not entries:
        return []
    if all("audio" in entry for entry in entries):  # a self-contained folder (vocoder_pack.py)
        return [
            {
                "id": entry["id"],
                "audio": str(feat_dir / entry["audio"]),  # relative to the folder, or absolute
                "audio_start": entry.get("audio_start", 0),
                "audio_end": entry.get("audio_end"),
            }
            for entry in entries
        ]
    audio = corpus_audio_paths(feat_dir)
    missing = [entry["id"] for entry in entries if entry["id"] not in audio]
    if missing:
        raise DatasetError(
            f"{len(missing)} utterance(s) of {manifest} are not in the corpus any more (first: "
            f"{missing[0]}); re-run fastspeak preprocess"
        )
    return [
        {"id": entry["id"], "audio": str(audio[entry["id"]]), "audio_start": 0, "audio_end": None}
        for entry in entries
    ]


def gta_entries(gta_dir: str | Path, split: str) -> list[dict[str, Any]]:
    """Items of a GTADIR split: {id, audio, audio_start, audio_end, features, frames}."""
    gta_dir = Path(gta_dir)
    manifest = gta_dir / f"{split}.jsonl"
    entries = _manifest(manifest)
    for entry in entries:
        if "audio" not in entry or "features" not in entry:
            raise DatasetError(
                f"{manifest} ({entry.get('id')}) has no audio span: it was not completed by "
                "`fastspeak gta`; re-run it into a new folder"
            )
        entry["audio"] = str(gta_dir / entry["audio"])  # relative paths: from the GTADIR
    return entries


def read_wav(path: str | Path, sample_rate: int) -> np.ndarray:
    """(T,) float32 in [-1, 1]: audio files through :func:`~fastspeak.audio.io.load_audio`;
    ``.npy`` arrays (int16 PCM or float, already at ``sample_rate``, as vocoder_pack.py writes
    them for machines without audio libraries) with numpy alone."""
    if Path(path).suffix != ".npy":
        return load_audio(path, sample_rate)
    wav = np.load(path)
    if wav.dtype == np.int16:
        return wav.astype(np.float32) / 32768.0
    return np.clip(wav.astype(np.float32), -1.0, 1.0)  # as load_audio does


class VocoderDataset(Dataset):
    """(mel, waveform) items for HiFi-GAN.

    Args:
        entries: from :func:`featdir_entries` or :func:`gta_entries`.
        audio: the audio settings (sample rate, hop, mel).
        segment_size: samples per training segment (a multiple of hop), or None for whole
            utterances (validation).
        root: the GTADIR that entries' ``features`` paths are relative to (None: the input mel
            is computed from the audio).
        seed: base seed of the segment positions.

    ``dataset[(epoch, index)]`` (or ``dataset[index]``, epoch 0) is a dict: ``id``, ``mels``
    (n_mels, F) float32 natural-log mel, ``wavs`` (F * hop,) float32; F = segment_size // hop,
    or the utterance's frame count when ``segment_size`` is None.
    """

    def __init__(
        self,
        entries: Sequence[dict[str, Any]],
        audio: AudioConfig,
        segment_size: int | None,
        root: str | Path | None = None,
        seed: int = 0,
    ) -> None:
        if segment_size is not None and segment_size % audio.hop_length:
            raise ValueError(f"segment_size {segment_size} is not a multiple of the hop")
        self.entries = list(entries)
        self.audio = audio
        self.segment_size = segment_size
        self.root = None if root is None else Path(root)
        self.seed = seed
        self.mel = MelSpectrogram(audio)

    def __len__(self) -> int:
        return len(self.entries)

    def _pair(self, entry: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """The whole utterance: mel (T, n_mels) float32 and waveform (T * hop,) float32."""
        hop = self.audio.hop_length
        wav = read_wav(entry["audio"], self.audio.sample_rate)
        wav = wav[entry["audio_start"] : entry["audio_end"]]
        if self.root is None:
            minimum = max(self.segment_size or 0, self.audio.n_fft // 2 + 1)
            if len(wav) < minimum:  # too short for a segment (or the STFT): pad with silence
                wav = np.pad(wav, (0, minimum - len(wav)))
            with torch.inference_mode():
                mels = self.mel(torch.from_numpy(np.ascontiguousarray(wav))).numpy()
        else:
            path = self.root / entry["features"]
            try:
                with np.load(path) as stored:
                    mels = stored["mels"].astype(np.float32)
            except (OSError, KeyError, ValueError) as error:
                raise DatasetError(
                    f"cannot read the GTA mel of {entry['id']} from {path}: {error}"
                ) from error
            if mels.shape[0] != mel_frames(len(wav), hop):
                raise DatasetError(
                    f"{path}: {mels.shape[0]} GTA frames but its audio span has "
                    f"{mel_frames(len(wav), hop)}; the corpus changed since `fastspeak gta`: "
                    "re-run it"
                )
        wav = np.pad(wav, (0, mels.shape[0] * hop - len(wav)))
        return mels, wav

    def __getitem__(self, key: int | tuple[int, int]) -> dict[str, Any]:
        epoch, index = key if isinstance(key, tuple) else (0, key)
        entry = self.entries[index]
        mels, wav = self._pair(entry)
        if self.segment_size is not None:
            hop = self.audio.hop_length
            frames = self.segment_size // hop
            if mels.shape[0] < frames:  # a short GTA item: silent frames, zero samples
                silent = np.full(
                    (frames - mels.shape[0], mels.shape[1]),
                    math.log(self.audio.log_floor),
                    dtype=np.float32,
                )
                mels = np.concatenate([mels, silent])
                wav = np.pad(wav, (0, frames * hop - len(wav)))
            generator = np.random.default_rng([self.seed, epoch, index])
            start = int(generator.integers(0, mels.shape[0] - frames + 1))
            mels = mels[start : start + frames]
            wav = wav[start * hop : (start + frames) * hop]
        return {
            "id": entry["id"],
            "mels": torch.from_numpy(np.ascontiguousarray(mels.T)),
            "wavs": torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)),
        }


class EpochBatchSampler(Sampler[list[tuple[int, int]]]):
    """A :class:`~fastspeak.data.sampler.LengthBucketSampler` (shuffled per epoch, DDP-aware,
    resumable with ``set_epoch(epoch, start_batch)``) whose batches carry the epoch:
    lists of ``(epoch, index)`` keys for :class:`VocoderDataset`."""

    def __init__(self, sampler: LengthBucketSampler) -> None:
        self.sampler = sampler

    def set_epoch(self, epoch: int, start_batch: int = 0) -> None:
        self.sampler.set_epoch(epoch, start_batch)

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        epoch = self.sampler.epoch
        for batch in self.sampler:
            yield [(epoch, index) for index in batch]

    def __len__(self) -> int:
        return len(self.sampler)
