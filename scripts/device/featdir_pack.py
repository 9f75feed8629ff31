"""Pack a FEATDIR into one compact file to carry to a GPU machine, and unpack it there.

The device machine takes at most 64 MiB of working tree, and a FEATDIR's float16 mels are
~100 MB for two hours of audio. Packing stores the mels as uint8 over the corpus's log-mel range
(step ~0.06 nat, error <= half a step, well under a trained model's mel error), each band as
its difference from the band below (mod 256: deflates to 31 MiB instead of 40 for the piper
corpus), the other arrays exactly, and keeps the manifests and JSON/YAML files as they are;
unpacking writes a FEATDIR that `fastspeak train` reads like the original (same manifest
paths).

    python scripts/device/featdir_pack.py pack data/features/piper_joe .carry/piper --splits train val
    python scripts/device/featdir_pack.py unpack .carry/piper /tmp/features/piper_joe

A FEATDIR that differs from another only in its durations (``preprocess --durations`` over the
same audio, e.g. learned ones) packs without mels (``--no-mels``, ~1 MiB) and unpacks with the
mels of the other's pack (``unpack --mels-from``), so both fit in one carry.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

SIDE_FILES = ("vocab.json", "speakers.json", "stats.json", "config.yaml", "report.json")
ARRAYS = ("durations", "pitch", "energy", "voiced")


def pack(feat_dir: Path, out: Path, splits: list[str], with_mels: bool = True) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in SIDE_FILES:
        if (feat_dir / name).is_file():
            shutil.copy2(feat_dir / name, out / name)
    entries = []
    for split in ("train", "val", "test"):
        shutil.copy2(feat_dir / f"{split}.jsonl", out / f"{split}.jsonl")
        if split in splits:
            lines = (feat_dir / f"{split}.jsonl").read_text("utf-8").splitlines()
            entries += [json.loads(line) for line in lines if line.strip()]
    mels, parts, meta = [], {name: [] for name in ARRAYS}, []
    for entry in entries:
        with np.load(feat_dir / entry["features"]) as data:
            mels.append(data["mels"].astype(np.float32))
            for name in ARRAYS:
                parts[name].append(data[name])
            meta.append([entry["features"], str(data["signature"]), float(data["seconds"])])
    mel_arrays = {}
    if with_mels:
        low = min(float(m.min()) for m in mels)
        high = max(float(m.max()) for m in mels)
        scale = (high - low) / 255.0
        quantised = [np.round((m - low) / scale).clip(0, 255).astype(np.uint8) for m in mels]
        mel_arrays = {
            "mels": np.diff(np.concatenate(quantised), axis=1, prepend=np.uint8(0)),  # mod 256
            "mel_coding": np.array("band-delta"),
            "mel_range": np.array([low, scale]),
        }
    np.savez_compressed(
        out / "features.npz",
        mel_frames=np.array([len(m) for m in mels]),
        **mel_arrays,
        **{name: np.concatenate(parts[name]) for name in ARRAYS},
        **{f"{name}_lengths": np.array([len(p) for p in parts[name]]) for name in ARRAYS},
    )
    (out / "features.json").write_text(json.dumps(meta))
    size = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    print(f"packed {len(entries)} utterances of {splits} into {out} ({size:.1f} MiB)")


def _packed_mels(packed: Path) -> tuple[list[np.ndarray], float, float]:
    """A pack's mels: per utterance (T, n_mels) uint8, and the (low, scale) to undo the uint8."""
    with np.load(packed / "features.npz") as data:
        if "mels" not in data.files:
            raise SystemExit(f"{packed} holds no mels (packed with --no-mels)")
        low, scale = data["mel_range"]
        mels = data["mels"]
        if "mel_coding" in data.files:  # each band stored as its step from the band below
            mels = np.cumsum(mels, axis=1, dtype=np.uint8)
        return np.split(mels, np.cumsum(data["mel_frames"])[:-1]), float(low), float(scale)


def unpack(packed: Path, feat_dir: Path, mels_from: Path | None = None) -> None:
    feat_dir.mkdir(parents=True, exist_ok=True)
    for path in packed.iterdir():
        if path.name not in ("features.npz", "features.json"):
            shutil.copy2(path, feat_dir / path.name)
    meta = json.loads((packed / "features.json").read_text())
    with np.load(packed / "features.npz") as data:
        has_mels = "mels" in data.files
        frames = data["mel_frames"]
        splits = {}
        for name in ARRAYS:
            splits[name] = np.split(data[name], np.cumsum(data[f"{name}_lengths"])[:-1])
    if has_mels == (mels_from is not None):
        raise SystemExit(
            f"{packed} {'holds its own mels: leave out' if has_mels else 'holds no mels: give'} "
            "--mels-from (the pack of a FEATDIR over the same audio)"
        )
    splits["mels"], low, scale = _packed_mels(mels_from or packed)
    if mels_from is not None:
        other = json.loads((mels_from / "features.json").read_text())
        names = [Path(relative).name for relative, _, _ in meta]
        if names != [Path(relative).name for relative, _, _ in other] or not np.array_equal(
            frames, [len(m) for m in splits["mels"]]
        ):
            raise SystemExit(
                f"{mels_from} does not hold the same utterances and frames as {packed}"
            )
    for index, (relative, signature, seconds) in enumerate(meta):
        target = feat_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            target,
            mels=(splits["mels"][index].astype(np.float32) * scale + low).astype(np.float16),
            **{name: splits[name][index] for name in ARRAYS},
            signature=np.array(signature),
            seconds=np.array(seconds),
        )
    print(f"unpacked {len(meta)} utterances into {feat_dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pack")
    p.add_argument("feat_dir", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--splits", nargs="+", default=["train", "val"])
    p.add_argument("--no-mels", action="store_true", help="durations, pitch and energy only")
    u = commands.add_parser("unpack")
    u.add_argument("packed", type=Path)
    u.add_argument("feat_dir", type=Path)
    u.add_argument("--mels-from", type=Path, help="the pack whose mels a --no-mels pack uses")
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.feat_dir, args.out, args.splits, with_mels=not args.no_mels)
    else:
        unpack(args.packed, args.feat_dir, args.mels_from)


if __name__ == "__main__":
    main()
