"""One GPU-machine session for issues #3 and #4, run as a single prepared command.

On the device machine (PyTorch there; no text frontend, no judges), from the repo root::

    PYTHONPATH=src:. python3 scripts/device/gpu_session.py --packed .carry/piper_joe

Stages, each a subprocess with its own time limit inside one overall budget, each writing
its result to $OUT as soon as it is done (so a stage that fails or runs out of time loses only
itself):

1. unpack the carried FEATDIR (``featdir_pack.py``);
2. ``benchmarks.bench_model_gpu`` (ming024 FastSpeech 2: inference latency eager/CUDA graph,
   training frames/s) -> ``model_gpu.json``;
3. FastSpeech 2 (ming024 config) and FastSpeech (xcmyz config) trained side by side on the
   same GPU at the same time, same batch size and schedule, each for ``--minutes`` of wall
   time, milestones every ``--milestone`` steps -> ``fs2_train_log.jsonl``, ``fs1_train_log.jsonl``;
4. mels of the test split from both models at the largest step both reached (the same step
   budget) and from FastSpeech 2's last step -> ``*_mels.npz`` (judged on the CPU machine with
   ``fastspeak evaluate --mels``);
5. single-utterance GPU latency of both trained models over test sentences -> ``latency.json``.

``--learned PACK`` (a ``featdir_pack.py pack --no-mels`` of the same corpus on learned
durations, issue #5) trains FastSpeech 2 on those durations in place of FastSpeech: the two
FastSpeech 2 runs then differ only in their durations (``fs2_learned_*`` files).

``session.log`` holds every stage's exit status, seconds and output tail.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

START = time.monotonic()
OUT = Path(os.environ.get("OUT", "/tmp/out"))
WORK = Path(os.environ.get("WORK", "/tmp/work"))
LOG = OUT / "session.log"


def log(text: str) -> None:
    print(text, flush=True)
    with LOG.open("a") as handle:
        handle.write(text + "\n")


def left(budget: float) -> float:
    return budget - (time.monotonic() - START)


def stage(name: str, command: list[str], cap: float, budget: float) -> int:
    """Run ``command`` for at most min(cap, time left); log status and the output's tail."""
    limit = min(cap, left(budget))
    if limit < 10:
        log(f"== {name}: skipped, {left(budget):.0f} s left")
        return -1
    began = time.monotonic()
    out_file = WORK / f"{name}.out"
    with out_file.open("w") as handle:
        try:
            code = subprocess.run(
                command, stdout=handle, stderr=subprocess.STDOUT, timeout=limit
            ).returncode
        except subprocess.TimeoutExpired:
            code = 124
    tail = out_file.read_text(errors="replace").splitlines()[-12:]
    log(f"== {name}: rc {code}, {time.monotonic() - began:.0f} s (limit {limit:.0f})")
    log("\n".join("   " + line[-300:] for line in tail))
    return code


def ship(path: Path, part_bytes: int) -> list[str]:
    """Copy ``path`` into $OUT whole, or as ``NAME.partK`` pieces of at most ``part_bytes``
    (files over the device's 16 MiB return limit); :func:`join_shipped` puts them back."""
    data = path.read_bytes()
    if len(data) <= part_bytes:
        (OUT / path.name).write_bytes(data)
        return [path.name]
    names = []
    for index, start in enumerate(range(0, len(data), part_bytes)):
        name = f"{path.name}.part{index}"
        (OUT / name).write_bytes(data[start : start + part_bytes])
        names.append(name)
    return names


def join_shipped(files_at: Path, destination: Path) -> list[Path]:
    """Back here: every file of ``files_at`` into ``destination``, ``NAME.partK`` pieces
    joined into ``NAME`` byte for byte. Returns the files written."""
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(files_at.iterdir()):
        stem, cut, index = path.name.rpartition(".part")
        if cut and index.isdigit():
            if index != "0":
                continue
            parts = sorted(
                files_at.glob(f"{stem}.part*"), key=lambda p: int(p.name[len(stem) + 5 :])
            )
            (destination / stem).write_bytes(b"".join(part.read_bytes() for part in parts))
            written.append(destination / stem)
        else:
            shutil.copyfile(path, destination / path.name)
            written.append(destination / path.name)
    return written


def begin(args: argparse.Namespace) -> None:
    """Create $OUT and $WORK, log the session's arguments and, on CUDA, the GPU it got."""
    OUT.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    log(f"session: {vars(args)}")
    if args.device.startswith("cuda"):
        stage("gpu", ["nvidia-smi", "-L"], 20, args.budget)


def unpack_featdir(
    packed: Path, budget: float, name: str = "feat", mels_from: Path | None = None
) -> Path | None:
    """The carried FEATDIR pack unpacked into $WORK/NAME (None when that failed); a pack made
    with ``--no-mels`` takes its mels from the pack ``mels_from``."""
    feat = WORK / name
    command = [sys.executable, "scripts/device/featdir_pack.py", "unpack", str(packed), str(feat)]
    if mels_from is not None:
        command += ["--mels-from", str(mels_from)]
    return feat if stage(f"unpack_{name}", command, 90, budget) == 0 else None


def add_training_arguments(
    parser: argparse.ArgumentParser, budget: float, minutes: float, milestone: int
) -> None:
    """--packed, --budget and the arguments :func:`train_command` reads, with these defaults."""
    parser.add_argument("--packed", type=Path, required=True, help="featdir_pack.py output")
    parser.add_argument("--budget", type=float, default=budget, help="seconds for everything")
    parser.add_argument("--minutes", type=float, default=minutes, help="training wall time")
    parser.add_argument("--max-steps", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=1000, help="Noam warm-up steps")
    parser.add_argument("--milestone", type=int, default=milestone)
    parser.add_argument("--device", default="cuda")


def train_command(
    config: str, feat: Path, run: Path, args: argparse.Namespace, minutes: float | None = None
) -> list[str]:
    """``fastspeak train`` of ``config`` on ``feat`` into ``run`` for ``minutes`` of wall time
    (default ``--minutes``) on ``--device``, with the session's batch, schedule and intervals."""
    sets = {
        "train.device": args.device,
        "train.batch_size": args.batch_size,
        "train.warmup_steps": args.warmup,
        "train.num_workers": 5,
        "train.log_interval": 50,
        "train.val_interval": args.milestone // 2,
        "train.plot_interval": 1_000_000,
        "train.save_interval": args.milestone,
        "train.milestone_interval": args.milestone,
        "train.progress": "false",
    }
    command = [sys.executable, "-m", "fastspeak.cli", "train", "--config", config]
    command += ["--data", str(feat), "--out", str(run), "--max-steps", str(args.max_steps)]
    command += ["--max-minutes", f"{args.minutes if minutes is None else minutes:.2f}"]
    for key, value in sets.items():
        command += ["--set", f"{key}={value}"]
    return command


def run_together(commands: dict[str, list[str]], limit: float) -> None:
    """Start every command at once, wait at most ``limit`` seconds in all, log each tail
    (output in ``WORK/train_NAME.out``)."""
    began = time.monotonic()
    processes = {}
    for name, command in commands.items():
        handle = (WORK / f"train_{name}.out").open("w")
        processes[name] = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)
    for name, process in processes.items():
        try:
            code = process.wait(timeout=max(1.0, limit - (time.monotonic() - began)))
        except subprocess.TimeoutExpired:
            process.kill()
            code = 124
        tail = (WORK / f"train_{name}.out").read_text(errors="replace").splitlines()[-8:]
        log(f"== train {name}: rc {code}, {time.monotonic() - began:.0f} s")
        log("\n".join("   " + line[-300:] for line in tail))


def bring_back_log(name: str, run: Path) -> None:
    """A run's ``train_log.jsonl``, if written, as ``OUT/NAME_train_log.jsonl``."""
    train_log = run / "train_log.jsonl"
    if train_log.is_file():
        (OUT / f"{name}_train_log.jsonl").write_bytes(train_log.read_bytes())


def milestones(run: Path) -> dict[int, Path]:
    found = {}
    for path in (run / "checkpoints").glob("step_*.pt"):
        found[int(path.stem.split("_")[1])] = path
    return found


def latency(checkpoints: dict[str, Path], manifest: Path, count: int, device: str) -> dict:
    """Median single-utterance latency (model only, fp32, synchronised) of each model."""
    import torch

    from fastspeak.synthesis import Synthesizer

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    entries = [json.loads(line) for line in manifest.read_text().splitlines() if line.strip()]
    result = {}
    for name, checkpoint in checkpoints.items():
        synthesizer = Synthesizer.from_checkpoint(checkpoint, device=device)
        prepared = [synthesizer.prepare_tokens(e["tokens"], e["text"]) for e in entries[:count]]
        for item in prepared[:5]:
            synthesizer.synthesize_prepared([item], vocode=False)
        seconds, frames = [], []
        for item in prepared:
            sync()
            began = time.perf_counter()
            (output,) = synthesizer.synthesize_prepared([item], vocode=False)
            sync()
            seconds.append(time.perf_counter() - began)
            frames.append(len(output.mel))
        result[name] = {
            "checkpoint": str(checkpoint),
            "utterances": len(prepared),
            "median_ms": round(statistics.median(seconds) * 1e3, 2),
            "median_frames": statistics.median(frames),
            "device": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_training_arguments(parser, budget=545.0, minutes=4.0, milestone=500)
    parser.add_argument("--fs2-config", default="configs/piper_joe/fastspeech2.yaml")
    parser.add_argument("--fs1-config", default="configs/piper_joe/fastspeech.yaml")
    parser.add_argument("--skip-bench", action="store_true")
    parser.add_argument(
        "--learned",
        type=Path,
        help="a --no-mels pack on learned durations: FastSpeech 2 on them replaces FastSpeech",
    )
    parser.add_argument(
        "--sequential",
        action="store_true",
        help="train the two models one after the other (each alone on the GPU), no mels",
    )
    args = parser.parse_args()
    python = sys.executable
    begin(args)
    feat = unpack_featdir(args.packed, args.budget)
    if feat is None:
        return
    if not args.skip_bench:
        bench = [python, "-m", "benchmarks.bench_model_gpu", "--out", str(OUT / "model_gpu.json")]
        stage("bench", bench, 120, args.budget)

    second = "fs2_learned" if args.learned else "fs1"
    runs = {"fs2": WORK / "fs2", second: WORK / second}
    configs = {"fs2": args.fs2_config, second: args.fs1_config}
    feats = {"fs2": feat, second: feat}
    if args.learned:
        learned = unpack_featdir(args.learned, args.budget, "feat_learned", args.packed)
        if learned is None:
            return
        configs[second], feats[second] = args.fs2_config, learned
    if args.sequential:
        for index, name in enumerate(runs):
            # each run gets its share of what is left (minus start-up and the last save), so
            # the second is not killed before its --max-minutes end
            share = left(args.budget) / (len(runs) - index)
            minutes = max(0.1, min(args.minutes, (share - 75) / 60))
            command = train_command(configs[name], feats[name], runs[name], args, minutes)
            stage(f"train_{name}", command, share, args.budget)
            bring_back_log(name, runs[name])
        log(f"session done in {time.monotonic() - START:.0f} s")
        return
    cap = args.minutes * 60 + 75
    limit = min(cap, left(args.budget) - 70)  # keep time for mels and latency
    log(f"== train: both runs together, limit {limit:.0f} s")
    minutes = min(args.minutes, limit / 60 - 1)
    run_together(
        {
            name: train_command(configs[name], feats[name], run, args, minutes)
            for name, run in runs.items()
        },
        limit,
    )
    for name, run in runs.items():
        bring_back_log(name, run)

    reached = {name: milestones(run) for name, run in runs.items()}
    common = sorted(set(reached["fs2"]) & set(reached[second]))
    log(f"milestones: fs2 {sorted(reached['fs2'])[-3:]}, {second} {sorted(reached[second])[-3:]}")
    jobs = []
    if common:
        jobs += [(f"{name}_step{common[-1]}", reached[name][common[-1]]) for name in runs]
    latest = runs["fs2"] / "checkpoints" / "latest.pt"
    if latest.is_file():
        jobs.append(("fs2_latest", latest))
    for name, checkpoint in jobs:
        command = [python, "-m", "fastspeak.cli", "synthesize", "--checkpoint", str(checkpoint)]
        command += ["--sentences", str(feat / "test.jsonl"), "--device", args.device]
        command += ["--mels-out", str(OUT / f"{name}_mels.npz"), "--batch-size", "32", "--quiet"]
        stage(f"mels_{name}", command, 60, args.budget)
    if common and left(args.budget) > 20:
        try:
            checkpoints = {name: reached[name][common[-1]] for name in runs}
            result = latency(checkpoints, feat / "test.jsonl", 50, args.device)
            (OUT / "latency.json").write_text(json.dumps(result, indent=1))
            log(f"latency: {json.dumps(result)}")
        except Exception as error:  # noqa: BLE001 - a failed measurement must not lose the rest
            log(f"latency failed: {error!r}")
    log(f"session done in {time.monotonic() - START:.0f} s")


if __name__ == "__main__":
    main()
