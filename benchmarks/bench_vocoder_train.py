"""HiFi-GAN training throughput: where a step's time goes (GPU first; runs on a CPU too).

Why: the first GPU session (H200, V2, bf16 autocast, batch 16 x 8192 samples) trained at only
~7 steps/s, about what jik876 reported for V1 on a V100, so most of the H200 sat idle. This
script times, on random data and each precision (``bf16``: the loop's autocast; ``fp32``:
TF32 allowed), one whole :class:`~fastspeak.train.gan_loop.GANTrainer` step and its parts,
each forward + backward on the 2 x batch waveforms a step scores (real + generated):

- ``generator``: the generator (mels -> waveforms);
- ``mpd`` / ``msd``: all period / all scale discriminators;
- ``mel_loss``: the loss's mel L1;
- with ``--data DIR`` (a FEATDIR or unpacked vocoder pack) also the data loader alone
  (batches/s with ``--workers``), to rule it in or out.

Medians of ``--steps`` after ``--warmup``, each timing synchronised on CUDA. Run on the GPU
machine (``--out`` JSON), then here ``--record JSON`` for BENCHMARKS.md::

    python -m benchmarks.bench_vocoder_train --variant v2 --out benchmarks/results/vocoder_train_gpu.json
    python -m benchmarks.bench_vocoder_train --record benchmarks/results/vocoder_train_gpu.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import command_line, machine_info, update_benchmarks_md
from fastspeak.config import Config, load_config
from fastspeak.train.gan_loop import (
    GANTrainer,
    make_optimizers,
    trainer_networks,
    use_fast_cuda_kernels,
)
from fastspeak.vocoders.hifigan import GeneratorLoss, HiFiGANDiscriminator, HiFiGANGenerator

SECTION = "vocoder training (GPU)"


def _median_ms(fn: Callable[[], Any], device: torch.device, warmup: int, steps: int) -> float:
    """Median milliseconds of ``fn()`` over ``steps`` calls after ``warmup`` calls."""

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(steps):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        seconds.append(time.perf_counter() - start)
    return round(statistics.median(seconds) * 1e3, 3)


def bench_precision(
    config: Config,
    precision: str,
    device: torch.device,
    warmup: int,
    steps: int,
    compile_setting: bool | str = False,
) -> dict[str, Any]:
    """Step and part timings (ms) of one precision ("bf16" or "fp32") on random data;
    ``compile_setting`` (a ``vocoder.train.compile`` value): the step alone, its networks
    compiled as the loop compiles them (the warm-up calls pay the compilation)."""
    opts = config.vocoder.train
    torch.manual_seed(0)
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels).to(device)
    discriminator = HiFiGANDiscriminator(config.vocoder.discriminator).to(device)
    criterion = GeneratorLoss(config.audio, opts).to(device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    frames = opts.segment_size // config.audio.hop_length
    mels = torch.randn(opts.batch_size, config.audio.n_mels, frames, device=device) - 4.0
    wavs = 0.1 * torch.randn(opts.batch_size, opts.segment_size, device=device)
    both = torch.cat([wavs, wavs]).requires_grad_(True)
    # the loop's optimizers; a tiny lr keeps random-data training finite (no skipped steps)
    optimizers = make_optimizers(generator, discriminator, replace(opts, learning_rate=1e-6))
    trainer = GANTrainer(
        generator=generator,
        discriminator=discriminator,
        generator_optimizer=optimizers[0],
        discriminator_optimizer=optimizers[1],
        criterion=criterion,
        scaler=torch.amp.GradScaler(device.type, enabled=False),
        autocast=autocast,
        **trainer_networks(generator, discriminator, compile_setting),
    )

    def backward_sum(outputs: list[torch.Tensor]) -> None:
        torch.stack([output.float().sum() for output in outputs]).sum().backward()

    def generator_part() -> None:
        with autocast:
            generated = generator(mels)
        backward_sum([generated])

    def stack_part(score: Callable[[torch.Tensor], Any]) -> Callable[[], None]:
        def run() -> None:
            with autocast:
                scores = score(both).scores
            backward_sum(scores)

        return run

    def mel_part() -> None:
        criterion.mel_l1(wavs, both[: opts.batch_size]).backward()

    parts = {
        "step": lambda: trainer.step(mels, wavs),
        "mel_only_step": lambda: trainer.step(mels, wavs, adversarial=False),
        "generator": generator_part,
        "mpd": stack_part(discriminator.score_periods),
        "msd": stack_part(discriminator.score_scales),
        "mel_loss": mel_part,
    }
    if compile_setting:
        parts = {"step": parts["step"]}
        # a session continuing a generator starts with discriminator-only steps, a new one
        # with mel-only steps: those paths must compile and run too, or the mode is not usable
        trainer.step(mels, wavs, update_generator=False)
        trainer.step(mels, wavs, adversarial=False)
    result: dict[str, Any] = {"precision": precision, "compile": compile_setting}
    for name, fn in parts.items():
        result[f"{name}_ms"] = _median_ms(fn, device, warmup, steps)
        generator.zero_grad(set_to_none=True)
        discriminator.zero_grad(set_to_none=True)
    result["steps_per_s"] = round(1e3 / result["step_ms"], 2)
    if device.type == "cuda":
        result["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return result


def bench_loader(config: Config, data: Path, workers: int, batches: int) -> dict[str, Any]:
    """Batches/s of the training DataLoader alone (the loop's dataset, shuffled batches)."""
    from torch.utils.data import DataLoader

    from fastspeak.data.vocoder import VocoderDataset, featdir_entries

    opts = config.vocoder.train
    dataset = VocoderDataset(featdir_entries(data, "train"), config.audio, opts.segment_size)
    loader = DataLoader(
        dataset,
        batch_size=opts.batch_size,
        shuffle=True,
        num_workers=workers,
        persistent_workers=workers > 0,
        drop_last=True,
    )
    seen, start = 0, time.perf_counter()
    while seen < batches:
        for _ in loader:
            seen += 1
            if seen == 1:
                start = time.perf_counter()  # the first batch pays the workers' start-up
            if seen >= batches:
                break
    elapsed = time.perf_counter() - start
    return {"workers": workers, "batches": seen, "batches_per_s": round((seen - 1) / elapsed, 2)}


COMPILE_CHOICES = ["default", "reduce-overhead", "max-autotune-no-cudagraphs"]


def compile_settings(modes: list[str] | None) -> list[bool | str]:
    """``--compile`` modes as ``vocoder.train.compile`` values ("default" is true)."""
    if modes is None:
        return []
    return [True if mode == "default" else mode for mode in modes or ["default"]]


def recommended_compile(entries: list[dict[str, Any]], gain: float = 0.8) -> bool | str:
    """The fastest compiled setting whose step takes under ``gain`` x the eager step of its
    precision (compilation costs a minute or two, so a small gain does not pay), else false."""
    eager = {e["precision"]: e["step_ms"] for e in entries if not e["compile"]}
    fast = [
        e
        for e in entries
        if e["compile"] and "step_ms" in e and e["step_ms"] < gain * eager[e["precision"]]
    ]
    return min(fast, key=lambda e: e["step_ms"])["compile"] if fast else False


def record(path: Path) -> None:
    result = json.loads(path.read_text())
    rows = [
        "| precision | step ms | steps/s | mel-only step | generator | MPD | MSD | mel loss |",
        "|---" * 8 + "|",
    ]
    for entry in result["precisions"]:
        if "error" in entry:
            rows.append(
                f"| {entry['precision']} + compile {entry['compile']} | failed | | | | | | |"
            )
            continue
        setting = entry.get("compile")
        label = entry["precision"] + (f" + compile {setting}" if setting else "")
        parts = [
            entry.get(f"{part}_ms", "")
            for part in ("mel_only_step", "generator", "mpd", "msd", "mel_loss")
        ]
        rows.append(
            f"| {label} | {entry['step_ms']} | {entry['steps_per_s']} | "
            + " | ".join(str(part) for part in parts)
            + " |"
        )
    summary = (
        f"HiFi-GAN {result['variant']} training step on {result['device_name']}, batch "
        f"{result['batch_size']} x {result['segment_size']} samples, random data; parts are "
        "forward + backward on the 2 x batch waveforms a step scores; the mel-only step is "
        "one of `vocoder.train.mel_only_steps` (median ms).\n\n" + "\n".join(rows)
    )
    if result.get("loader"):
        loader = result["loader"]
        summary += (
            f"\n\nData loader alone: {loader['batches_per_s']} batches/s with "
            f"{loader['workers']} workers."
        )
    update_benchmarks_md(SECTION, summary, result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/piper_joe/hifigan_v2.yaml")
    parser.add_argument("--variant", help="generator variant instead of the config's")
    parser.add_argument("--precisions", nargs="+", default=["bf16", "fp32"])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--set", action="append", default=[], help="config override KEY=VALUE")
    parser.add_argument(
        "--compile",
        nargs="*",
        choices=COMPILE_CHOICES,
        help="also time the step compiled in these torch.compile modes (none named: default)",
    )
    parser.add_argument("--data", type=Path, help="also time the data loader on this FEATDIR")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/vocoder_train.json"))
    parser.add_argument("--record", type=Path, help="only write this JSON into BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.record:
        record(args.record)
        return 0
    overrides = list(args.set)
    if args.variant:
        overrides.append(f"vocoder.generator.variant={args.variant}")
    config = load_config(args.config, overrides)
    device = torch.device(args.device)
    if device.type == "cuda":
        use_fast_cuda_kernels()  # as the training loop
    result: dict[str, Any] = {
        "command": command_line("benchmarks.bench_vocoder_train", argv),
        "machine": machine_info(),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU",
        "variant": config.vocoder.generator.variant,
        "batch_size": config.vocoder.train.batch_size,
        "segment_size": config.vocoder.train.segment_size,
        "precisions": [],
    }
    for precision in args.precisions:
        for setting in [False, *compile_settings(args.compile)]:
            try:
                entry = bench_precision(config, precision, device, args.warmup, args.steps, setting)
            except Exception as error:  # a compile mode that fails here: recorded, not fatal
                if not setting:
                    raise
                entry = {"precision": precision, "compile": setting, "error": repr(error)[:500]}
            print(json.dumps(entry), flush=True)
            result["precisions"].append(entry)
    result["recommended_compile"] = recommended_compile(result["precisions"])
    if args.data:
        result["loader"] = bench_loader(config, args.data, args.workers, 10 * args.warmup + 40)
        print(json.dumps(result["loader"]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
