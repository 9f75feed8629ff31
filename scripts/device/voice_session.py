"""One GPU-machine session for the bundled voice (issue #7): train FastSpeech 2, bring it back.

On the device machine (PyTorch and safetensors there; no text frontend, no judges), from the
repo root, with the FEATDIR pack of ``featdir_pack.py`` carried::

    PYTHONPATH=src:. python3 scripts/device/voice_session.py --packed .carry/piper_joe

Stages (each time-limited inside one overall ``--budget``; helpers from gpu_session.py):

1. unpack the carried FEATDIR into ``$WORK/feat``;
2. train ``--config`` (default ``configs/piper_joe/fastspeech2_voice.yaml``, 13M parameters)
   alone on the GPU for ``--minutes`` of wall time (``fastspeak train --max-minutes``);
3. ``fastspeak export --format voice`` of the last checkpoint: the voice folder (fp16
   safetensors + voice.json, ~25 MiB), its files cut into parts that come back
   (``--part-mib``), with the train log and ``session.log``.

Back here::

    PYTHONPATH=. python scripts/device/voice_session.py join FILES_AT voices/joe_gpu
    fastspeak evaluate --checkpoint voices/joe_gpu --sentences data/features/piper_joe/test.jsonl ...
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / part) for part in ("src", "")]
from scripts.device.gpu_session import (  # noqa: E402 (the repo root on the path first)
    START,
    WORK,
    add_training_arguments,
    begin,
    join_shipped,
    left,
    log,
    ship,
    stage,
    train_command,
    unpack_featdir,
)

EXPORT_SECONDS = 60.0  # the voice export and the copies after training


def join(files_at: Path, destination: Path) -> None:
    """Back here: the shipped voice (and logs) of FILES_AT into ``destination``."""
    written = join_shipped(files_at, destination)
    print(f"joined into {destination}: {sorted(path.name for path in written)}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "join":
        join(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_arguments(parser, budget=560.0, minutes=7.0, milestone=1000)
    parser.add_argument("--config", default="configs/piper_joe/fastspeech2_voice.yaml")
    parser.add_argument("--part-mib", type=float, default=15.0, help="cut files above this")
    args = parser.parse_args()
    python = sys.executable
    begin(args)
    feat = unpack_featdir(args.packed, args.budget)
    if feat is None:
        return

    run = WORK / "voice_run"
    minutes = min(args.minutes, (left(args.budget) - EXPORT_SECONDS - 60) / 60)
    command = train_command(args.config, feat, run, args, max(0.1, minutes))
    stage("train", command, minutes * 60 + 60, args.budget)
    if (run / "train_log.jsonl").is_file():
        ship(run / "train_log.jsonl", 1 << 30)

    latest = run / "checkpoints" / "latest.pt"
    voice = WORK / "voice"
    if latest.is_file():
        export = [python, "-m", "fastspeak.cli", "export", "--format", "voice"]
        export += ["--checkpoint", str(latest), "--out", str(voice)]
        if stage("export", export, EXPORT_SECONDS, args.budget + EXPORT_SECONDS) == 0:
            for path in sorted(voice.iterdir()):
                log(f"ship {path.name}: {ship(path, int(args.part_mib * 2**20))}")
    log(f"session done in {time.monotonic() - START:.0f} s")


if __name__ == "__main__":
    main()
