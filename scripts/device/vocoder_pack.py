"""Pack vocoder training data (recordings, and optionally GTA mels) into a few compact files to
carry to a GPU machine, and unpack it there into a folder that ``fastspeak train-vocoder``
reads as ``--data`` (and as ``--gta`` when GTA mels were packed) with numpy alone: no corpus,
no soundfile on that machine.

The device machine takes at most 64 MiB of working tree (docs/gpu_sessions.md) and the piper
corpus is 2 hours of 16-bit audio (320 MB), so a subset is packed: the first utterances of the
train split in a fixed shuffled order up to ``--minutes`` of audio, and ``--val`` validation
utterances. Each recording is cut to the span its FEATDIR mel was made from (edge silence
trimmed as preprocessing did: :func:`fastspeak.data.gta.find_audio_span`, or the GTADIR's
spans), kept as exact 16-bit PCM (delta-coded byte planes, deflated: ~64% of raw). GTA mels
(``--gta GTADIR`` from ``fastspeak gta``) are kept as float16, deflated.

    python scripts/device/vocoder_pack.py pack data/features/piper_joe .carry/vocoder --minutes 25
    python scripts/device/vocoder_pack.py pack data/features/piper_joe .carry/vocoder_gta \\
        --gta data/gta/piper_small_cpu --minutes 20
    python scripts/device/vocoder_pack.py unpack .carry/vocoder /tmp/work/vocoder   # on the GPU

Unpacked layout: ``audio/<id>.npy`` (int16), ``gta/<id>.npz`` (GTA mels), ``train.jsonl`` /
``val.jsonl`` (id, audio, audio_start 0, audio_end null, frames, features), ``config.yaml``,
``report.json``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))


def _order(entries: list[dict]) -> list[dict]:
    """A fixed shuffled order (by a hash of the id), so a subset spans the whole corpus."""
    return sorted(entries, key=lambda entry: hashlib.sha1(entry["id"].encode()).hexdigest())


def _spans(feat_dir: Path, gta_dir: Path | None, split: str) -> list[dict]:
    """Entries of ``split`` with their audio path, span and (GTA) mel file."""
    from fastspeak.data.vocoder import gta_entries

    if gta_dir is not None:
        return [
            {**entry, "mels_file": str(gta_dir / entry["features"])}
            for entry in gta_entries(gta_dir, split)
        ]
    lines = (feat_dir / f"{split}.jsonl").read_text("utf-8").splitlines()
    return [
        {**json.loads(line), "mels_file": None, "audio": None} for line in lines if line.strip()
    ]


def pack(feat_dir: Path, out: Path, minutes: float, val: int, gta_dir: Path | None) -> None:
    import torch

    from fastspeak.audio.io import load_audio
    from fastspeak.audio.mel import MelSpectrogram, mel_frames
    from fastspeak.config import load_config
    from fastspeak.data.gta import MAX_MEL_DIFFERENCE, find_audio_span
    from fastspeak.data.vocoder import corpus_audio_paths

    torch.set_num_threads(1)
    audio = load_config(feat_dir / "config.yaml").audio
    mel = MelSpectrogram(audio)
    paths = corpus_audio_paths(feat_dir) if gta_dir is None else {}
    chosen: dict[str, list[dict]] = {"train": [], "val": []}
    budget = {"train": minutes * 60 * audio.sample_rate, "val": float("inf")}
    pcm, mels, meta = [], [], []
    for split in ("train", "val"):
        total = 0
        for entry in _order(_spans(feat_dir, gta_dir, split)):
            if total >= budget[split] or (split == "val" and len(chosen["val"]) >= val):
                break
            if entry["audio"] is None:  # FEATDIR only: find the span of its stored mel
                wav = load_audio(paths[entry["id"]], audio.sample_rate)
                with np.load(feat_dir / entry["features"]) as stored:
                    start, end, difference = find_audio_span(
                        wav, stored["mels"].astype(np.float32), mel
                    )
                if difference > MAX_MEL_DIFFERENCE:
                    raise SystemExit(f"{entry['id']}: its recording does not give its mel")
            else:
                wav = load_audio(entry["audio"], audio.sample_rate)
                start, end = entry["audio_start"], entry["audio_end"]
            wav = wav[start:end]
            assert mel_frames(len(wav), audio.hop_length) == entry["frames"]
            pcm.append(np.clip(np.round(wav * 32768.0), -32768, 32767).astype(np.int16))
            if entry["mels_file"] is not None:
                with np.load(entry["mels_file"]) as stored:
                    mels.append(stored["mels"].astype(np.float16))
            meta.append({"id": entry["id"], "split": split, "frames": entry["frames"]})
            chosen[split].append(entry)
            total += len(wav)
    samples = np.concatenate(pcm)
    delta = np.diff(samples, prepend=np.int16(0)).view(np.uint8).reshape(-1, 2)
    out.mkdir(parents=True, exist_ok=True)
    arrays = {
        "low": np.ascontiguousarray(delta[:, 0]),
        "high": np.ascontiguousarray(delta[:, 1]),
        "lengths": np.array([len(p) for p in pcm]),
    }
    if mels:
        arrays["mels"] = np.concatenate(mels)
    np.savez_compressed(out / "vocoder.npz", **arrays)
    (out / "vocoder.json").write_text(json.dumps(meta))
    shutil.copy2(feat_dir / "config.yaml", out / "config.yaml")
    report = {"data": ".", "packed_from": str(feat_dir), "gta": str(gta_dir) if gta_dir else None}
    (out / "report.json").write_text(json.dumps(report, indent=1))
    seconds = len(samples) / audio.sample_rate
    size = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    print(
        f"packed {len(chosen['train'])} train + {len(chosen['val'])} val utterances, "
        f"{seconds / 60:.1f} min of audio{' + GTA mels' if mels else ''}, into {out} "
        f"({size:.1f} MiB)"
    )


def unpack(packed: Path, out: Path) -> None:
    meta = json.loads((packed / "vocoder.json").read_text())
    with np.load(packed / "vocoder.npz") as data:
        delta = np.stack([data["low"], data["high"]], axis=1).reshape(-1).view(np.int16)
        samples = np.cumsum(delta.astype(np.int64)).astype(np.uint16).view(np.int16)
        pieces = np.split(samples, np.cumsum(data["lengths"])[:-1])
        mels = None
        if "mels" in data.files:
            frames = [item["frames"] for item in meta]
            mels = np.split(data["mels"], np.cumsum(frames)[:-1])
    (out / "audio").mkdir(parents=True, exist_ok=True)
    if mels is not None:
        (out / "gta").mkdir(exist_ok=True)
    manifests: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for index, item in enumerate(meta):
        np.save(out / "audio" / f"{item['id']}.npy", pieces[index])
        entry = {
            "id": item["id"],
            "audio": f"audio/{item['id']}.npy",
            "audio_start": 0,
            "audio_end": None,
            "frames": item["frames"],
        }
        if mels is not None:
            np.savez(out / "gta" / f"{item['id']}.npz", mels=mels[index])
            entry["features"] = f"gta/{item['id']}.npz"
        manifests[item["split"]].append(json.dumps(entry))
    for split, lines in manifests.items():
        (out / f"{split}.jsonl").write_text("".join(line + "\n" for line in lines))
    for name in ("config.yaml", "report.json"):
        shutil.copy2(packed / name, out / name)
    print(f"unpacked {len(meta)} utterances into {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    packer = commands.add_parser("pack")
    packer.add_argument("feat_dir", type=Path)
    packer.add_argument("out", type=Path)
    packer.add_argument("--minutes", type=float, default=25.0, help="training audio to pack")
    packer.add_argument("--val", type=int, default=8, help="validation utterances")
    packer.add_argument("--gta", type=Path, help="GTADIR of the same FEATDIR: pack its mels")
    unpacker = commands.add_parser("unpack")
    unpacker.add_argument("packed", type=Path)
    unpacker.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "pack":
        pack(args.feat_dir, args.out, args.minutes, args.val, args.gta)
    else:
        unpack(args.packed, args.out)


if __name__ == "__main__":
    main()
