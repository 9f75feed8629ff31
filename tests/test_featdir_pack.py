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


def test_pack_without_mels_unpacks_with_another_packs_mels(
    piper_featdir: Path, tmp_path: Path
) -> None:
    """A FEATDIR over the same audio with other durations (as ``preprocess --durations``
    writes) packs without mels and unpacks with the mels of the first one's pack."""
    import shutil

    import pytest

    other = tmp_path / "other"
    shutil.copytree(piper_featdir, other)
    entries = _entries(other, "train") + _entries(other, "val")
    for entry in entries:
        with np.load(other / entry["features"]) as data:
            arrays = {name: data[name] for name in data.files}
        arrays["durations"] = arrays["durations"].copy()
        arrays["durations"][[0, -1]] += [1, -1]  # one frame moved from the last token
        np.savez(other / entry["features"], **arrays)
    pack(piper_featdir, tmp_path / "packed", ["train", "val"])
    pack(other, tmp_path / "packed_other", ["train", "val"], with_mels=False)
    size = (tmp_path / "packed_other" / "features.npz").stat().st_size
    assert size < (tmp_path / "packed" / "features.npz").stat().st_size / 10
    with pytest.raises(SystemExit, match="holds no mels"):
        unpack(tmp_path / "packed_other", tmp_path / "refused")
    unpack(tmp_path / "packed", tmp_path / "unpacked")
    unpack(tmp_path / "packed_other", tmp_path / "unpacked_other", tmp_path / "packed")
    for entry in entries:
        with np.load(tmp_path / "unpacked" / entry["features"]) as first:
            with np.load(tmp_path / "unpacked_other" / entry["features"]) as second:
                assert np.array_equal(first["mels"], second["mels"]), entry["id"]
                assert second["durations"][0] == first["durations"][0] + 1
                assert second["durations"].sum() == len(second["mels"])
