"""The preprocessed features of one split of a FEATDIR, as tensors.

Manifest entries (``train.jsonl`` etc., written by :mod:`fastspeak.data.preprocess`) are read
and their tokens encoded when the dataset is made, so a manifest that does not fit the
vocabulary or speaker list fails at once; the npz features are read lazily, one item at a
time (DataLoader workers do this in parallel).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from fastspeak.text.vocab import Vocabulary

__all__ = ["PLACEHOLDER", "DatasetError", "FeatureDataset", "load_feature_dir"]

PLACEHOLDER = "placeholder"
"""stats.json ``durations`` of a FEATDIR whose durations are even placeholders (``fastspeak
preprocess --no-alignments``), for the aligner to replace."""


class DatasetError(ValueError):
    """A FEATDIR is missing, damaged or inconsistent; the message names the file and the fix."""


def _read_json(path: Path) -> Any:
    if not path.is_file():
        raise DatasetError(
            f"{path} does not exist; is this a FEATDIR made by fastspeak preprocess?"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def load_feature_dir(feat_dir: str | Path) -> tuple[Vocabulary, dict[str, int], dict[str, Any]]:
    """(vocabulary, speakers {name: id}, stats {"pitch": {...}, "energy": {...}}) of a FEATDIR."""
    feat_dir = Path(feat_dir)
    vocab = Vocabulary.load(feat_dir / "vocab.json")
    speakers = {
        str(name): int(index) for name, index in _read_json(feat_dir / "speakers.json").items()
    }
    stats = _read_json(feat_dir / "stats.json")
    return vocab, speakers, stats


class FeatureDataset(Dataset):
    """One split of a FEATDIR.

    Args:
        feat_dir: the FEATDIR.
        split: ``"train"``, ``"val"`` or ``"test"`` (reads ``<split>.jsonl``).
        vocab: encodes the manifest tokens (the FEATDIR's ``vocab.json``).
        speakers: speaker name -> id (the FEATDIR's ``speakers.json``).

    ``dataset[i]`` is a dict: ``id`` str, ``tokens`` (N,) long, ``mels`` (T, n_mels) float32,
    ``durations`` (N,) long summing to T, ``pitch``/``energy`` (N,) or (T,) float32 in raw
    units, ``speaker_id`` int.
    """

    def __init__(
        self, feat_dir: str | Path, split: str, vocab: Vocabulary, speakers: dict[str, int]
    ) -> None:
        self.feat_dir = Path(feat_dir)
        manifest = self.feat_dir / f"{split}.jsonl"
        if not manifest.is_file():
            raise DatasetError(
                f"{manifest} does not exist; run fastspeak preprocess to make the FEATDIR"
            )
        self.entries: list[dict[str, Any]] = []
        self.token_ids: list[list[int]] = []
        for line_number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            entry = json.loads(line)
            missing = vocab.unknown(entry["tokens"])
            if missing:
                raise DatasetError(
                    f"{manifest}:{line_number} ({entry['id']}) has token(s) "
                    f"{', '.join(repr(token) for token in missing)} not in the vocabulary; the "
                    "manifest and vocab.json come from different preprocess runs: re-run "
                    "fastspeak preprocess into a fresh FEATDIR"
                )
            if entry["speaker"] not in speakers:
                raise DatasetError(
                    f"{manifest}:{line_number} ({entry['id']}) has speaker {entry['speaker']!r} "
                    f"not in speakers.json ({sorted(speakers)}); re-run fastspeak preprocess"
                )
            self.entries.append(entry)
            self.token_ids.append(vocab.encode(entry["tokens"]))
        self.speakers = speakers

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def frames(self) -> list[int]:
        """Mel frames of every item (for length bucketing), without reading any npz."""
        return [int(entry["frames"]) for entry in self.entries]

    def __getitem__(self, index: int) -> dict[str, Any]:
        entry = self.entries[index]
        path = self.feat_dir / entry["features"]
        try:
            with np.load(path) as data:
                arrays = {key: data[key] for key in ("mels", "durations", "pitch", "energy")}
        except (OSError, KeyError, ValueError) as error:
            raise DatasetError(
                f"cannot read features of {entry['id']} from {path}: {error}; re-run "
                "fastspeak preprocess (it rebuilds missing or damaged cache files)"
            ) from error
        tokens = torch.tensor(self.token_ids[index], dtype=torch.long)
        durations = torch.from_numpy(arrays["durations"].astype(np.int64))
        mels = torch.from_numpy(arrays["mels"].astype(np.float32))
        if len(durations) != len(tokens) or int(durations.sum()) != mels.shape[0]:
            raise DatasetError(
                f"{path}: {len(tokens)} tokens, {len(durations)} durations summing to "
                f"{int(durations.sum())}, {mels.shape[0]} mel frames; they must agree: re-run "
                "fastspeak preprocess"
            )
        return {
            "id": entry["id"],
            "tokens": tokens,
            "mels": mels,
            "durations": durations,
            "pitch": torch.from_numpy(arrays["pitch"].astype(np.float32)),
            "energy": torch.from_numpy(arrays["energy"].astype(np.float32)),
            "speaker_id": self.speakers[entry["speaker"]],
        }
