"""One GPU-machine session for issue #6 (HiFi-GAN), run as a single prepared command.

On the device machine (PyTorch there; no soundfile, no corpus, no judges), from the repo root,
with the pack of ``scripts/device/vocoder_pack.py`` carried::

    PYTHONPATH=src:. python3 scripts/device/vocoder_session.py --packed .carry/vocoder_gta

Stages (each time-limited inside one overall ``--budget``; helpers from gpu_session.py):

1. unpack the carried recordings (+ GTA mels) into ``$WORK/vocoder``;
2. pretraining: every ``--run NAME=CONFIG`` (default V2 ``hifigan_v2.yaml`` and V3
   ``hifigan_v3.yaml``, the two that fit this project's CPU budget) trained side by side on
   the GPU for ``--minutes`` of wall time on mels computed from the recordings (``fastspeak
   train-vocoder --max-minutes``); ``--continue NAME=GENERATOR.json`` starts that run from a
   generator an earlier session exported (carried in; fresh discriminators, the first
   ``--warmup-steps`` steps train them alone, and the generator's new optimizer ramps its lr
   up, ``vocoder.train.generator_lr_ramp_steps``), so sessions add up; ``--mel-only-steps N``
   starts every other run with N steps of the generator alone on mel L1, then
   ``--warmup-steps`` of the discriminators alone (``vocoder.train.mel_only_steps``);
3. fine-tuning (when the pack has GTA mels): each ``--fine-tune NAME`` run continued on the
   GTA mels for ``--ft-minutes`` (``--gta --init-from``), as ``NAME_gta``;
4. export: every run's generator, weight norm removed, fp16 (:func:`export_generator`).

Results in ``$OUT`` (at most 8 files of 16 MiB come back): ``session.log``; ``results.tar``
(train logs, the JSON of every generator, the generators that fit); generators over 15 MiB
(V1: 27.9 MB in fp16) as ``NAME.pt.part0``, ``NAME.pt.part1``. Back here::

    PYTHONPATH=. python scripts/device/vocoder_session.py join FILES_AT runs/gpu_vocoder
    # -> runs/gpu_vocoder/NAME.json + NAME.pt for each run: --vocoder hifigan:runs/gpu_vocoder/NAME.json

A second command on the still-warm machine (its ``$WORK`` kept) spends the device time the
first one left: it resumes runs of the session, discriminators and optimizers included, and
exports them again (into that command's own ``$OUT``)::

    PYTHONPATH=src:. python3 scripts/device/vocoder_session.py resume v2_gta --minutes 3.4 --budget 270
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2] / part) for part in ("src", "")]
from scripts.device.gpu_session import (  # noqa: E402 (the repo root on the path first)
    OUT,
    START,
    WORK,
    begin,
    join_shipped,
    left,
    log,
    run_together,
    ship,
    stage,
)

SLACK = 30.0  # seconds a train-vocoder run needs beyond --max-minutes (start-up, last save:
# 13-16 s measured on the H200 in session 3, 10 workers, a 283 MB checkpoint loaded)


def train_command(
    config: str, data: Path, run: Path, minutes: float, args: argparse.Namespace
) -> list[str]:
    sets = {
        "vocoder.train.num_workers": args.workers,
        "vocoder.train.log_interval": 50,
        "vocoder.train.val_interval": 500,
        "vocoder.train.sample_interval": 0,  # no matplotlib on the device
        "vocoder.train.save_interval": 1000,  # latest.pt (overwritten): a killed run keeps it
        "vocoder.train.milestone_interval": 0,
        "vocoder.train.progress": "false",
        "vocoder.train.device": args.device,
    }
    command = [sys.executable, "-m", "fastspeak.cli", "train-vocoder", "--config", config]
    command += ["--data", str(data), "--out", str(run), "--max-minutes", f"{minutes:.2f}"]
    for key, value in sets.items():
        command += ["--set", f"{key}={value}"]
    for override in args.set:
        command += ["--set", override]
    return command


def export_all(runs: dict[str, Path], part_bytes: int) -> None:
    """Export each finished run's generator; bundle small files, ship big generators in
    parts (:func:`~scripts.device.gpu_session.ship`)."""
    from fastspeak.vocoders.hifigan import export_generator

    shipping = WORK / "ship"
    bundle = []
    for name, run in runs.items():
        train_log = run / "train_log.jsonl"
        if train_log.is_file():
            target = shipping / f"{name}_train_log.jsonl"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(train_log.read_bytes())
            bundle.append(target)
        checkpoint = run / "checkpoints" / "latest.pt"
        if not checkpoint.is_file():
            log(f"export {name}: no checkpoint")
            continue
        weights, meta = export_generator(checkpoint, shipping / f"{name}.pt")
        bundle.append(meta)
        if weights.stat().st_size <= part_bytes:
            bundle.append(weights)
        else:
            ship(weights, part_bytes)
        log(f"export {name}: {weights.stat().st_size / 2**20:.1f} MiB fp16 ({meta.name})")
    partial = OUT / "results.tar.partial"  # a kill mid-write keeps the last whole tar
    with tarfile.open(partial, "w") as archive:
        for path in bundle:
            archive.add(path, arcname=path.name)
    os.replace(partial, OUT / "results.tar")


def safe_export(runs: dict[str, Path], args: argparse.Namespace) -> None:
    """:func:`export_all`, logged instead of raised: the session must still end cleanly."""
    try:
        export_all(runs, int(args.part_mib * 2**20))
    except Exception as error:  # noqa: BLE001
        log(f"export failed: {error!r}")


def last_step(run: Path) -> int:
    """The last step a run's train_log.jsonl records (0 when it has none)."""
    path = run / "train_log.jsonl"
    if not path.is_file():
        return 0
    steps = [json.loads(line).get("step", 0) for line in path.read_text().splitlines() if line]
    return max(steps, default=0)


def join(files_at: Path, destination: Path) -> None:
    """Back here: results.tar + shipped generators -> NAME.json + NAME.pt per run."""
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(files_at / "results.tar") as archive:
        archive.extractall(destination, filter="data")
    with tempfile.TemporaryDirectory() as scratch:
        for path in join_shipped(files_at, Path(scratch)):
            if path.suffix == ".pt":  # a generator that came back in parts
                shutil.move(path, destination / path.name)
    for meta in sorted(destination.glob("*.json")):
        print(f"--vocoder hifigan:{meta}")


def resume_command(run: Path, minutes: float) -> list[str]:
    """``fastspeak train-vocoder --resume`` of ``run`` for ``minutes`` more (on the data its
    checkpoint records, the GTA mels too for a fine-tune)."""
    if not (run / "checkpoints" / "latest.pt").is_file():
        raise FileNotFoundError(f"{run}/checkpoints/latest.pt")
    command = [sys.executable, "-m", "fastspeak.cli", "train-vocoder", "--out", str(run)]
    return command + ["--resume", "--max-minutes", f"{minutes:.2f}"]


def resume(argv: list[str]) -> int:
    """``resume NAME... --minutes M``: continue this session's runs in ``$WORK`` (see the
    module docstring), then export them into ``$OUT``. Returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="vocoder_session.py resume",
        description="On the still-warm device: continue runs of the session, then export them.",
    )
    parser.add_argument("names", nargs="+", help="runs in $WORK, e.g. v2_gta")
    parser.add_argument("--minutes", type=float, required=True, help="more training time")
    parser.add_argument("--budget", type=float, default=270.0, help="seconds for everything")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--part-mib", type=float, default=15.0, help="split generators above")
    args = parser.parse_args(argv)
    begin(args)
    export_time = 30.0
    limit = min(args.minutes * 60 + SLACK, left(args.budget) - export_time)
    minutes = min(args.minutes, max(0.1, (limit - SLACK) / 60))
    runs, commands = {}, {}
    for name in args.names:
        try:
            commands[name] = resume_command(WORK / name, minutes)
            runs[name] = WORK / name
        except Exception as error:  # noqa: BLE001 - the other runs still go on
            log(f"cannot resume {name} in {WORK} ({error!r}): is this the session's machine?")
    if not runs:
        return 2
    log(f"== resume {sorted(runs)} for {minutes:.2f} min, limit {limit:.0f} s")
    run_together(commands, limit)
    safe_export(runs, args)
    log(f"session done in {time.monotonic() - START:.0f} s")
    return 0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "join":
        join(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "resume":
        sys.exit(resume(sys.argv[2:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packed", type=Path, required=True, help="vocoder_pack.py output")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for everything")
    parser.add_argument("--minutes", type=float, default=4.0, help="pretraining wall time")
    parser.add_argument("--ft-minutes", type=float, default=1.0, help="GTA fine-tuning time")
    parser.add_argument(
        "--run",
        action="append",
        help="NAME=CONFIG to pretrain (default v2=configs/piper_joe/hifigan_v2.yaml and "
        "v3=configs/piper_joe/hifigan_v3.yaml)",
    )
    parser.add_argument(
        "--fine-tune", action="append", help="runs to fine-tune (default: every --run)"
    )
    parser.add_argument(
        "--continue",
        dest="continue_from",
        action="append",
        default=[],
        help="NAME=GENERATOR.json: pretrain run NAME from this exported generator",
    )
    parser.add_argument(
        "--warmup-steps",
        type=int,
        default=200,
        help="discriminator-only steps of a --continue or after --mel-only-steps",
    )
    parser.add_argument(
        "--mel-only-steps",
        type=int,
        default=0,
        help="runs not continued: first train the generator alone on mel L1 for N steps",
    )
    parser.add_argument("--set", action="append", default=[], help="override for every run")
    parser.add_argument("--workers", type=int, default=6, help="data workers per run")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--part-mib", type=float, default=15.0, help="split generators above")
    args = parser.parse_args()
    runs_wanted = dict(
        item.split("=", 1)
        for item in args.run
        or ["v2=configs/piper_joe/hifigan_v2.yaml", "v3=configs/piper_joe/hifigan_v3.yaml"]
    )
    fine_tune = args.fine_tune or list(runs_wanted)
    continued = dict(item.split("=", 1) for item in args.continue_from)
    unknown = sorted((set(fine_tune) | set(continued)) - set(runs_wanted))
    if unknown:
        parser.error(
            f"--fine-tune/--continue names no --run: {unknown} (runs: {sorted(runs_wanted)})"
        )
    begin(args)
    data = WORK / "vocoder"
    command = [sys.executable, "scripts/device/vocoder_pack.py", "unpack", str(args.packed)]
    if stage("unpack", [*command, str(data)], 90, args.budget) != 0:
        return
    has_gta = (data / "gta").is_dir()
    ft_time = args.ft_minutes * 60 + SLACK if has_gta and args.ft_minutes > 0 else 0.0
    export_time = 30.0
    limit = min(args.minutes * 60 + SLACK, left(args.budget) - ft_time - export_time)
    minutes = min(args.minutes, max(0.1, (limit - SLACK) / 60))
    log(f"== pretrain {sorted(runs_wanted)} together for {minutes:.2f} min, limit {limit:.0f} s")
    runs = {name: WORK / name for name in runs_wanted}
    commands = {}
    for name, config in runs_wanted.items():
        commands[name] = train_command(config, data, runs[name], minutes, args)
        warmup = ["--set", f"vocoder.train.discriminator_warmup_steps={args.warmup_steps}"]
        if name in continued:
            commands[name] += ["--init-from", continued[name], *warmup]
        elif args.mel_only_steps:
            commands[name] += ["--set", f"vocoder.train.mel_only_steps={args.mel_only_steps}"]
            commands[name] += warmup
    run_together(commands, limit)
    safe_export(runs, args)  # what pretraining made comes back even if the rest overruns
    if ft_time:
        commands = {}
        for name in fine_tune:
            source = runs[name] / "checkpoints" / "latest.pt"
            if not source.is_file():
                continue
            runs[f"{name}_gta"] = WORK / f"{name}_gta"
            minutes = min(args.ft_minutes, max(0.1, (left(args.budget) - export_time - SLACK) / 60))
            command = train_command(runs_wanted[name], data, runs[f"{name}_gta"], minutes, args)
            command += ["--gta", str(data), "--init-from", str(source)]
            first_adversarial = (
                0 if name in continued else args.mel_only_steps
            ) + args.warmup_steps
            if last_step(runs[name]) < first_adversarial:  # its discriminators never learned
                warmup_set = f"vocoder.train.discriminator_warmup_steps={args.warmup_steps}"
                command += ["--set", warmup_set]
            commands[f"{name}_gta"] = command
        if commands:
            log(f"== fine-tune {sorted(commands)} on GTA mels for {minutes:.2f} min")
            run_together(commands, max(30.0, left(args.budget) - export_time))
    if ft_time:
        safe_export(runs, args)  # again, with the fine-tuned runs
    log(f"session done in {time.monotonic() - START:.0f} s")
    log(json.dumps({"files": sorted(path.name for path in OUT.iterdir())}))


if __name__ == "__main__":
    main()
