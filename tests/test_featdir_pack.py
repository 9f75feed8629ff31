"""scripts/device/featdir_pack.py: a FEATDIR packed for the GPU machine and unpacked there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from scripts.device.featdir_pack import ARRAYS, pack, unpack


def _entries(feat_dir: Path, split: str) -> list[dict]:
    lines = (feat_dir / f"{split}.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_pack_round_trip(piper_featdir: Path, tmp_path: Path) -> None:
    """Every packed utterance comes back: mels within half a quantisation step (plus float16
    rounding), durations / pitch / energy / voicing and the signature exactly, manifests and
    side files as they were; the test split is listed but its features stay behind."""
    packed, unpacked = tmp_path / "packed", tmp_path / "unpacked"
    pack(piper_featdir, packed, ["train", "val"])
    with np.load(packed / "features.npz") as data:
        low, scale = data["mel_range"]
        assert str(data["mel_coding"]) == "band-delta" and data["mels"].dtype == np.uint8
    unpack(packed, unpacked)

    for name in ("vocab.json", "stats.json", "train.jsonl", "val.jsonl", "test.jsonl"):
        assert (unpacked / name).read_bytes() == (piper_featdir / name).read_bytes(), name
    entries = _entries(piper_featdir, "train") + _entries(piper_featdir, "val")
    assert len(entries) == 11
    for entry in entries:
        with np.load(piper_featdir / entry["features"]) as original:
            with np.load(unpacked / entry["features"]) as restored:
                error = np.abs(restored["mels"].astype(np.float32) - original["mels"])
                bound = scale / 2 + 2e-3 * np.abs(original["mels"]).astype(np.float32) + 1e-6
                assert np.all(error <= bound), entry["id"]
                assert restored["mels"].dtype == np.float16
                for name in (*ARRAYS, "signature", "seconds"):
                    assert np.array_equal(restored[name], original[name]), name
    for entry in _entries(piper_featdir, "test"):
        assert not (unpacked / entry["features"]).exists()
