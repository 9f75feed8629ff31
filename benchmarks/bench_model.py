"""FastSpeech 2 on CPU: inference latency and training throughput (ming024 LJSpeech config).

Model: ``configs/ljspeech/fastspeech2.yaml`` (its model section is the ModelConfig defaults:
encoder 4 / decoder 6 FFT layers, hidden 256, 2 heads, filter 1024, kernels [9, 1], postnet
5 x 512 k5), vocabulary 360 tokens, one speaker, random weights. ``torch.set_num_threads``
(default 2).

(a) Inference: ``model.eval().infer(tokens, token_lengths)`` inside ``torch.inference_mode()``
    (the call Synthesizer makes), mel only, no vocoder. The duration predictor's projection is
    set to a constant (weight 0, bias log 7), so every token predicts exactly 6 frames: 100
    tokens -> 600 frames, through the real free-running path (duration predictor, rounding,
    length regulator, pitch/energy predictors and embeddings, decoder, postnet). Timed: one
    utterance (1 x 100 tokens) and a batch of 16 such utterances (16 x 100 -> 16 x 600 frames).
    Median of ``--runs`` (default 20) after ``--warmup`` (default 3) calls.
(b) Training: batch 16, tokens ~ U[60, 150], frames ~ U[400, 900], random durations summing to
    the frames, random mels / pitch (Hz) / energy, collated by the data layer's ``collate``;
    one step = what the training loop does: forward under the ``train.amp`` autocast with the
    registry's batch fields, outputs cast to fp32, FastSpeech2Loss, backward, grad clipping
    (1.0), Adam (ming024's betas/eps) step. Median over ``--steps`` (default 5)
    distinct batches after 2 warm-up steps; frames/s = valid mel frames of the batch / step time.

Variants: ``fp32`` (default path) and ``bf16`` (``torch.autocast("cpu", torch.bfloat16)`` for
inference, ``train.amp: true`` for training). On a CPU without native bf16 (oneDNN reports no
avx512_bf16 / AMX) bf16 runs on emulation paths tens of times slower than fp32: then only the
single-utterance bf16 latency is measured (3 runs) unless ``--force-bf16``.

Other processes on a shared machine distort timings: ``--pause REGEX`` SIGSTOPs processes whose
command line matches while each measurement runs and SIGCONTs them right after (in a
``finally``); every measurement records the load average and the share of the CPU this process
got (``cpu_share`` ~ threads when nothing competes).

glibc malloc maps/unmaps the big activations every step on this kind of machine; run every
compared measurement with the same allocator settings (the JSON records them)::

    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000 python -m benchmarks.bench_model

Writes ``benchmarks/results/model_cpu.json`` and the "model inference (CPU)" / "model training
(CPU)" sections of BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import re
import signal
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import MALLOC_SETTINGS, command_line, machine_info, update_benchmarks_md
from fastspeak.config import load_config
from fastspeak.data.batch import Batch, collate
from fastspeak.models import FastSpeech2, FastSpeech2Loss, FastSpeech2Output
from fastspeak.models.registry import model_spec

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "ljspeech" / "fastspeech2.yaml"
VOCAB_SIZE = 360
TOKENS, FRAMES_PER_TOKEN = 100, 6
# xcmyz/ming024 reference code, same workload, as measured for issue #3; and its targets.
REFERENCE = {"single_ms": 104.0, "batch16_ms": 2193.0, "train_frames_per_s": 1277.0}
TARGETS = {"single_ms": 52.0, "batch16_ms": 550.0, "train_frames_per_s": 2550.0}


# -- measurement hygiene --------------------------------------------------------------------
def _matching_pids(pattern: str) -> list[int]:
    """Pids (not this process nor its ancestors) whose command line matches ``pattern``."""
    regex = re.compile(pattern)
    exclude, pid = set(), os.getpid()
    while pid > 1:  # never stop ourselves or the shell that started us
        exclude.add(pid)
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in exclude:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if argv and regex.search(argv):
            found.append(int(entry.name))
    return found


@contextlib.contextmanager
def paused(pattern: str | None) -> Iterator[None]:
    """SIGSTOP the processes matching ``pattern`` for the duration; always SIGCONT them."""
    pids = _matching_pids(pattern) if pattern else []
    stopped = []
    try:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
                stopped.append(pid)
        if stopped:
            time.sleep(0.5)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def _timed(
    fn: Callable[[], Any], warmup: int, runs: int, pause: str | None
) -> tuple[list[float], dict[str, Any]]:
    """Call ``fn`` warmup + runs times with matching processes paused; seconds of each run."""
    with paused(pause):
        for _ in range(warmup):
            fn()
        load_before = os.getloadavg()[0]
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        seconds = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            seconds.append(time.perf_counter() - start)
        wall = time.perf_counter() - wall_start
        cpu_share = (time.process_time() - cpu_start) / max(wall, 1e-9)
    conditions = {
        "loadavg_1min_before": round(load_before, 2),
        "cpu_share": round(cpu_share, 2),  # CPUs this process got on average
        "paused_pids": len(_matching_pids(pause)) if pause else 0,
    }
    return seconds, conditions


def native_bf16() -> bool:
    """True when oneDNN has native bf16 kernels on this CPU (avx512_bf16 / AMX)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


# -- workloads ------------------------------------------------------------------------------
def build_model(seed: int = 0) -> FastSpeech2:
    """The LJSpeech config's model with random weights and a constant 6-frame duration."""
    config = load_config(CONFIG).model
    config.vocab_size, config.n_speakers = VOCAB_SIZE, 0
    torch.manual_seed(seed)
    model = FastSpeech2(config)
    with torch.no_grad():  # durations_from_log: round(exp(log 7) - 1) = 6 frames per token
        projection = model.variance_adaptor.duration_predictor.projection
        projection.weight.zero_()
        projection.bias.fill_(math.log(FRAMES_PER_TOKEN + 1))
    return model


def training_batch(
    generator: torch.Generator, size: int = 16, n_mels: int = 80, pad_multiple: int = 1
) -> Batch:
    """LJSpeech-shaped batch: tokens ~ U[60, 150], frames ~ U[400, 900], durations >= 1;
    N and T padded to multiples of ``pad_multiple`` (``train.pad_multiple``)."""
    items = []
    for index in range(size):
        tokens = int(torch.randint(60, 151, (1,), generator=generator))
        frames = int(torch.randint(400, 901, (1,), generator=generator))
        # durations: 1 + a random composition of the remaining frames over the tokens
        cuts = torch.randint(0, frames - tokens + 1, (tokens - 1,), generator=generator)
        edges = torch.cat([torch.tensor([0]), cuts.sort().values, torch.tensor([frames - tokens])])
        durations = edges.diff() + 1
        assert int(durations.sum()) == frames
        items.append(
            {
                "id": f"synthetic_{index}",
                "tokens": torch.randint(1, VOCAB_SIZE, (tokens,), generator=generator),
                "mels": torch.randn(frames, n_mels, generator=generator) * 2.0 - 5.0,
                "durations": durations,
                "pitch": 80.0 + 200.0 * torch.rand(tokens, generator=generator),
                "energy": 1.0 + 60.0 * torch.rand(tokens, generator=generator),
                "speaker_id": None,
            }
        )
    return collate(items, pad_multiple=pad_multiple)


def train_forward(model: torch.nn.Module, batch: Batch, autocast: Any) -> FastSpeech2Output:
    """The training loop's forward: autocast (``train.amp``), then fp32 outputs for the loss."""
    with autocast:
        output = model(**model_spec("fastspeech2").inputs_from(batch))
    changes = {
        item.name: value.float()
        for item in dataclasses.fields(output)
        if isinstance(value := getattr(output, item.name), torch.Tensor)
        and value.is_floating_point()
    }
    return dataclasses.replace(output, **changes)


def bench_inference(
    model: FastSpeech2, batch_size: int, variant: str, warmup: int, runs: int, pause: str | None
) -> dict[str, Any]:
    """Latency of ``model.infer`` for ``batch_size`` x 100 tokens -> 600 frames each."""
    generator = torch.Generator().manual_seed(batch_size)
    tokens = torch.randint(1, VOCAB_SIZE, (batch_size, TOKENS), generator=generator)
    token_lengths = torch.full((batch_size,), TOKENS, dtype=torch.long)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant == "bf16")
    model.eval()

    def call() -> Any:
        with torch.inference_mode(), autocast:
            return model.infer(tokens, token_lengths)

    output = call()
    assert output.mels_postnet.shape == (batch_size, TOKENS * FRAMES_PER_TOKEN, 80)
    seconds, conditions = _timed(call, warmup, runs, pause)
    median = statistics.median(seconds)
    return {
        "variant": variant,
        "batch_size": batch_size,
        "tokens": TOKENS,
        "frames": TOKENS * FRAMES_PER_TOKEN,
        "runs": runs,
        "warmup": warmup,
        "median_ms": round(median * 1e3, 1),
        "min_ms": round(min(seconds) * 1e3, 1),
        "runs_ms": [round(value * 1e3, 1) for value in seconds],
        "real_time_factor": round(
            median / (batch_size * TOKENS * FRAMES_PER_TOKEN * 256 / 22050), 4
        ),
        **conditions,
    }


def bench_training(
    variant: str, steps: int, warmup: int, batch_size: int, pause: str | None
) -> dict[str, Any]:
    """Step time and frames/s of forward + loss + backward + clip + Adam step."""
    model = build_model()
    model.train()
    criterion = FastSpeech2Loss(model.config)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=variant == "bf16")
    generator = torch.Generator().manual_seed(1234)
    batches = [training_batch(generator, batch_size) for _ in range(warmup + steps)]
    order = iter(batches)
    frames: list[int] = []

    def step() -> None:
        batch = next(order)
        output = train_forward(model, batch, autocast)
        total, _ = criterion(batch, output)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        frames.append(int(batch.mel_lengths.sum()))

    seconds, conditions = _timed(step, warmup, steps, pause)
    measured = frames[warmup:]
    rates = [count / value for count, value in zip(measured, seconds, strict=True)]
    return {
        "variant": variant,
        "batch_size": batch_size,
        "steps": steps,
        "warmup": warmup,
        "median_step_ms": round(statistics.median(seconds) * 1e3, 1),
        "median_frames_per_s": round(statistics.median(rates), 1),
        "aggregate_frames_per_s": round(sum(measured) / sum(seconds), 1),
        "steps_ms": [round(value * 1e3, 1) for value in seconds],
        "frames": measured,
        "padded_frames": [int(batch.mels.shape[1]) * batch_size for batch in batches[warmup:]],
        **conditions,
    }


def profile_step(kind: str, pause: str | None, rows: int = 30) -> str:
    """torch.profiler table (self CPU time) of one inference call or one training step."""
    from torch.profiler import ProfilerActivity, profile

    model = build_model()
    if kind == "train":
        model.train()
        criterion = FastSpeech2Loss(model.config)
        batch = training_batch(torch.Generator().manual_seed(1234))
        autocast = torch.autocast("cpu", enabled=False)

        def call() -> None:
            total, _ = criterion(batch, train_forward(model, batch, autocast))
            total.backward()
            model.zero_grad(set_to_none=True)

    else:
        model.eval()
        size = 16 if kind == "batch16" else 1
        tokens = torch.randint(1, VOCAB_SIZE, (size, TOKENS))
        lengths = torch.full((size,), TOKENS)

        def call() -> None:
            with torch.inference_mode():
                model.infer(tokens, lengths)

    with paused(pause):
        call()
        with profile(activities=[ProfilerActivity.CPU], record_shapes=False) as profiler:
            call()
    return str(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


# -- report -----------------------------------------------------------------------------------
def _best(entries: list[dict[str, Any]], key: str, lower: bool) -> dict[str, Any] | None:
    usable = [entry for entry in entries if key in entry]
    if not usable:
        return None
    return (min if lower else max)(usable, key=lambda entry: entry[key])


def summaries(result: dict[str, Any]) -> tuple[str, str]:
    """Markdown for the inference and the training sections."""
    inference, training = result["inference"], result["training"]
    baseline = result.get("before_changes") or {}

    def cell(entries: list[dict[str, Any]], variant: str, size: int) -> str:
        for entry in entries:
            if entry["variant"] == variant and entry["batch_size"] == size:
                if "median_ms" in entry:
                    return f"{entry['median_ms']:,.0f} ms (cpu share {entry['cpu_share']})"
                return entry.get("skipped", "-")
        return "-"

    lines = [
        "ming024 LJSpeech FastSpeech 2 (enc 4 / dec 6, hidden 256, filter 1024, postnet 5x512), "
        f"vocab {VOCAB_SIZE}, 1 speaker, random weights, {result['threads']} threads. "
        "Timed: `model.eval().infer(tokens, token_lengths)` in `torch.inference_mode()`, 100 "
        "tokens -> 600 frames per utterance (duration predictor fixed to 6 frames/token), mel "
        f"only; median of {result['settings']['runs']} runs after "
        f"{result['settings']['warmup']} warm-up. FLOP count of one utterance: "
        f"{result['flops']['single_gflop']:.1f} GFLOP (measured fp32 matmul peak of this "
        f"machine: {result['flops']['matmul_gflops']:.0f} GFLOP/s -> floor "
        f"{result['flops']['single_floor_ms']:.0f} ms).",
        "",
        "| | 1 x 600 frames | 16 x 600 frames |",
        "|---|---|---|",
    ]
    if baseline:
        for variant in ("fp32",):
            lines.append(
                f"| before these changes, {variant} | {cell(baseline.get('inference', []), variant, 1)} "
                f"| {cell(baseline.get('inference', []), variant, 16)} |"
            )
    for variant in result["settings"]["variants"]:
        lines.append(
            f"| {variant} | {cell(inference, variant, 1)} | {cell(inference, variant, 16)} |"
        )
    lines += [
        f"| reference code (ming024/xcmyz) | {REFERENCE['single_ms']:,.0f} ms "
        f"| {REFERENCE['batch16_ms']:,.0f} ms |",
        f"| target | <= {TARGETS['single_ms']:,.0f} ms | <= {TARGETS['batch16_ms']:,.0f} ms |",
    ]
    inference_md = "\n".join(lines + ["", result["notes"]["inference"]])

    def train_cell(entries: list[dict[str, Any]], variant: str) -> str:
        for entry in entries:
            if entry["variant"] == variant:
                if "median_frames_per_s" in entry:
                    return (
                        f"{entry['median_step_ms']:,.0f} ms | {entry['median_frames_per_s']:,.0f} "
                        f"| cpu share {entry['cpu_share']}"
                    )
                return f"{entry.get('skipped', '-')} | - | -"
        return "- | - | -"

    lines = [
        f"Batch 16, tokens ~U[60,150], frames ~U[400,900] (random order, padded to the longest), "
        "forward as in the training loop + FastSpeech2Loss + backward + clip 1.0 + Adam; median "
        f"over {result['settings']['steps']} batches after 2 warm-up steps; frames/s counts valid "
        "frames.",
        "",
        "| | step time | mel frames/s | conditions |",
        "|---|---|---|---|",
    ]
    if baseline:
        lines.append(
            f"| before these changes, fp32 | {train_cell(baseline.get('training', []), 'fp32')} |"
        )
    for variant in result["settings"]["variants"]:
        label = "bf16 (`train.amp: true`)" if variant == "bf16" else variant
        lines.append(f"| {label} | {train_cell(training, variant)} |")
    lines += [
        f"| reference code | - | {REFERENCE['train_frames_per_s']:,.0f} | |",
        f"| target | - | >= {TARGETS['train_frames_per_s']:,.0f} | |",
    ]
    training_md = "\n".join(lines + ["", result["notes"]["training"]])
    return inference_md, training_md


def count_flops(model: FastSpeech2) -> float:
    """GFLOP of one 100-token / 600-frame ``infer`` (torch's FLOP counter: matmul/conv/SDPA)."""
    from torch.utils.flop_counter import FlopCounterMode

    tokens = torch.randint(1, VOCAB_SIZE, (1, TOKENS))
    counter = FlopCounterMode(display=False)
    with torch.inference_mode(), counter:
        model.eval().infer(tokens, torch.tensor([TOKENS]))
    return counter.get_total_flops() / 1e9


def matmul_gflops(pause: str | None) -> float:
    """fp32 2048^3 matmul rate of this machine with the benchmark's threads (the ceiling)."""
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    seconds, _ = _timed(lambda: a @ b, 3, 10, pause)
    return 2 * 2048**3 / statistics.median(seconds) / 1e9


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=20, help="timed inference calls")
    parser.add_argument("--warmup", type=int, default=3, help="untimed inference calls first")
    parser.add_argument("--steps", type=int, default=5, help="timed training steps")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--variants", default="fp32,bf16", help="comma list of fp32, bf16")
    parser.add_argument(
        "--force-bf16", action="store_true", help="full bf16 runs without native bf16"
    )
    parser.add_argument("--skip", default="", help="comma list of: inference, training")
    parser.add_argument(
        "--pause", default=None, help="regex: SIGSTOP matching processes while timing"
    )
    parser.add_argument("--profile", choices=["single", "batch16", "train"], default=None)
    parser.add_argument("--before", type=Path, default=None, help="JSON of a run before changes")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/model_cpu.json")
    parser.add_argument("--no-markdown", action="store_true", help="do not touch BENCHMARKS.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.profile:
        print(profile_step(args.profile, args.pause))
        return {}

    variants = [name for name in args.variants.split(",") if name]
    skip = set(filter(None, args.skip.split(",")))
    bf16_native = native_bf16()
    model = build_model()
    flops = count_flops(model)
    peak = matmul_gflops(args.pause)
    result: dict[str, Any] = {
        "benchmark": "model_cpu",
        "command": command_line("benchmarks.bench_model", argv),
        "machine": machine_info(),
        "threads": args.threads,
        "native_bf16": bf16_native,
        "settings": {
            "config": str(CONFIG.relative_to(ROOT)),
            "vocab_size": VOCAB_SIZE,
            "runs": args.runs,
            "warmup": args.warmup,
            "steps": args.steps,
            "variants": variants,
            "allocator_env_expected": MALLOC_SETTINGS,
        },
        "flops": {
            "single_gflop": round(flops, 2),
            "matmul_gflops": round(peak, 1),
            "single_floor_ms": round(flops / peak * 1e3, 1),
        },
        "reference": REFERENCE,
        "targets": TARGETS,
        "inference": [],
        "training": [],
    }
    for variant in variants if "inference" not in skip else []:
        for size in (1, 16):
            reduced = variant == "bf16" and not bf16_native and not args.force_bf16
            if reduced and size > 1:
                result["inference"].append(
                    {"variant": variant, "batch_size": size, "skipped": "no native bf16"}
                )
                continue
            runs, warmup = (3, 1) if reduced else (args.runs, args.warmup)
            entry = bench_inference(model, size, variant, warmup, runs, args.pause)
            result["inference"].append(entry)
            print(json.dumps({k: v for k, v in entry.items() if k != "runs_ms"}), flush=True)
    for variant in variants if "training" not in skip else []:
        if variant == "bf16" and not bf16_native and not args.force_bf16:
            result["training"].append({"variant": variant, "skipped": "no native bf16"})
            continue
        entry = bench_training(variant, args.steps, 2, args.batch_size, args.pause)
        result["training"].append(entry)
        print(json.dumps({k: v for k, v in entry.items() if k != "steps_ms"}), flush=True)

    single = _best([e for e in result["inference"] if e["batch_size"] == 1], "median_ms", True)
    batch = _best([e for e in result["inference"] if e["batch_size"] == 16], "median_ms", True)
    train = _best(result["training"], "median_frames_per_s", False)
    result["best"] = {
        "single": single and {"variant": single["variant"], "median_ms": single["median_ms"]},
        "batch16": batch and {"variant": batch["variant"], "median_ms": batch["median_ms"]},
        "training": train
        and {"variant": train["variant"], "frames_per_s": train["median_frames_per_s"]},
    }
    result["targets_met"] = {
        "single": bool(single and single["median_ms"] <= TARGETS["single_ms"]),
        "batch16": bool(batch and batch["median_ms"] <= TARGETS["batch16_ms"]),
        "training": bool(train and train["median_frames_per_s"] >= TARGETS["train_frames_per_s"]),
    }
    floor = result["flops"]["single_floor_ms"]
    result["notes"] = {
        "inference": (
            f"Native bf16 on this CPU: {'yes' if bf16_native else 'no'}"
            + (
                " (oneDNN has no avx512_bf16/AMX kernels here: bf16 autocast runs reference "
                "kernels, so it is measured on the single utterance only)."
                if not bf16_native
                else "."
            )
            + f" Targets met: single {result['targets_met']['single']}, batch-16 "
            f"{result['targets_met']['batch16']}. The fp32 FLOP floor of one utterance on this "
            f"machine is ~{floor:.0f} ms."
        ),
        "training": f"Target met: {result['targets_met']['training']}.",
    }
    if args.before is not None and args.before.is_file():
        result["before_changes"] = json.loads(args.before.read_text())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_markdown:
        inference_md, training_md = summaries(result)
        update_benchmarks_md("model inference (CPU)", inference_md, result)
        update_benchmarks_md("model training (CPU)", training_md, result)
    print(json.dumps(result["best"]), json.dumps(result["targets_met"]))
    return result


if __name__ == "__main__":
    main()
