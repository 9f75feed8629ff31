"""FastSpeech 2 on a CUDA GPU: inference latency and training throughput (ming024 config).

The same model and workloads as ``benchmarks.bench_model`` (the CPU benchmark): ming024's
LJSpeech FastSpeech 2, random weights, a duration predictor fixed to 6 frames per token.

(a) Inference, 100 tokens -> 600 frames, one utterance and a batch of 16, mel only:
    ``eager fp32`` / ``eager bf16``: ``model.infer`` in ``torch.inference_mode()`` (bf16 under
    autocast); ``graph fp32`` / ``graph bf16``: the same call recorded once as a CUDA graph
    (:class:`fastspeak.models.graphs.GraphedInference`, ``static_frames=600``) and replayed,
    inputs copied in from the host each call. Each timing wraps the call in
    ``torch.cuda.synchronize()`` (host-side latency including launches); median of ``--runs``.
(b) Training, batch 16 of LJSpeech-shaped random data (tokens ~U[60,150], frames ~U[400,900]),
    the loop's forward (autocast for bf16) + FastSpeech2Loss + backward + clip 1.0 + fused
    Adam; batches are moved to the GPU inside the timed step (as the loop does); median step
    time over ``--steps`` distinct batches after warm-up; frames/s counts valid frames.

Run on the GPU machine::

    python -m benchmarks.bench_model_gpu --out benchmarks/results/model_gpu.json

and, where BENCHMARKS.md lives (the JSON carries the machine and the command)::

    python -m benchmarks.bench_model_gpu --record benchmarks/results/model_gpu.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from benchmarks.bench_model import (
    FRAMES_PER_TOKEN,
    TOKENS,
    VOCAB_SIZE,
    build_model,
    train_forward,
    training_batch,
)
from benchmarks.common import command_line, machine_info, update_benchmarks_md
from fastspeak.models import FastSpeech2Loss
from fastspeak.models.graphs import GraphedInference

RESULTS = Path(__file__).resolve().parent / "results" / "model_gpu.json"
# ming024/xcmyz reference code on an H100 (issue #3), and the targets there.
REFERENCE = {"single_ms": 15.6, "batch16_ms": 45.7, "train_frames_per_s": 57000.0}
TARGETS = {"single_ms": 3.0, "batch16_ms": 9.0, "train_frames_per_s": 230000.0}
FRAMES = TOKENS * FRAMES_PER_TOKEN


def _timed(fn: Callable[[], Any], warmup: int, runs: int) -> list[float]:
    """Seconds of each of ``runs`` calls (synchronised before and after), after ``warmup``."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(runs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
    return seconds


def _latency(seconds: list[float]) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {
        "median_ms": round(median * 1e3, 3),
        "min_ms": round(min(seconds) * 1e3, 3),
        "p90_ms": round(sorted(seconds)[int(0.9 * (len(seconds) - 1))] * 1e3, 3),
        "runs": len(seconds),
    }


def bench_inference(variant: str, batch_size: int, warmup: int, runs: int) -> dict[str, Any]:
    """Latency of one ``variant`` ("eager fp32", "graph bf16", ...) for batch x 100 tokens."""
    mode, precision = variant.split()
    dtype = torch.bfloat16 if precision == "bf16" else None
    model = build_model().cuda().eval()
    generator = torch.Generator().manual_seed(batch_size)
    tokens = torch.randint(1, VOCAB_SIZE, (batch_size, TOKENS), generator=generator).pin_memory()
    lengths = torch.full((batch_size,), TOKENS, dtype=torch.long).pin_memory()
    if mode == "graph":
        graphed = GraphedInference(model, batch_size, TOKENS, FRAMES, autocast_dtype=dtype)

        def call() -> Any:
            return graphed(tokens.cuda(non_blocking=True), lengths.cuda(non_blocking=True)).mels

    else:
        autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=dtype is not None)

        def call() -> Any:
            with torch.inference_mode(), autocast:
                return model.infer(tokens.cuda(non_blocking=True), lengths.cuda(non_blocking=True))

    first = call()
    mels = first if isinstance(first, torch.Tensor) else first.mels_postnet
    assert mels.shape == (batch_size, FRAMES, 80), mels.shape
    return {
        "variant": variant,
        "batch_size": batch_size,
        "tokens": TOKENS,
        "frames": FRAMES,
        **_latency(_timed(call, warmup, runs)),
    }


def bench_training(
    variant: str, batch_size: int, steps: int, warmup: int, pad_multiple: int = 16
) -> dict[str, Any]:
    """Step time and frames/s of forward + loss + backward + clip + fused Adam on the GPU.

    ``pad_multiple`` as ``train.pad_multiple`` (the loop's default 16); 1 = every batch a
    new shape."""
    torch.cuda.reset_peak_memory_stats()
    model = build_model().cuda().train()
    criterion = FastSpeech2Loss(model.config)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9, fused=True
    )
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=variant == "bf16")
    generator = torch.Generator().manual_seed(1234)
    batches = [
        training_batch(generator, batch_size, pad_multiple=pad_multiple)
        for _ in range(warmup + steps)
    ]
    order = iter(batches)

    def step() -> None:
        batch = next(order).to(torch.device("cuda"))
        output = train_forward(model, batch, autocast)
        total, _ = criterion(batch, output)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    seconds = _timed(step, warmup, steps)
    frames = [int(batch.mel_lengths.sum()) for batch in batches[warmup:]]
    rates = [count / value for count, value in zip(frames, seconds, strict=True)]
    return {
        "variant": variant,
        "batch_size": batch_size,
        "pad_multiple": pad_multiple,
        "steps": steps,
        "median_step_ms": round(statistics.median(seconds) * 1e3, 2),
        "median_frames_per_s": round(statistics.median(rates)),
        "aggregate_frames_per_s": round(sum(frames) / sum(seconds)),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
    }


def summary(result: dict[str, Any]) -> str:
    """Markdown of one result file."""
    gpu = result["gpu"]

    def latency(variant: str, size: int) -> str:
        for entry in result["inference"]:
            if entry.get("variant") == variant and entry.get("batch_size") == size:
                return f"{entry['median_ms']:.2f} ms"
        return "-"

    lines = [
        f"ming024 LJSpeech FastSpeech 2 on one {gpu['name']} (torch {gpu['torch']}, CUDA "
        f"{gpu['cuda']}), random weights. Inference: 100 tokens -> 600 frames, mel only, "
        "host-synchronised latency, median of "
        f"{result['settings']['runs']} calls. Training: batch {result['settings']['batch_size']}"
        " LJSpeech-shaped random data, forward + loss + backward + clip + fused Adam, median "
        f"of {result['settings']['steps']} steps.",
        "",
        "| inference | 1 x 600 frames | 16 x 600 frames |",
        "|---|---|---|",
    ]
    for variant in result["settings"]["inference_variants"]:
        lines.append(f"| {variant} | {latency(variant, 1)} | {latency(variant, 16)} |")
    lines += [
        f"| reference code (H100) | {REFERENCE['single_ms']} ms | {REFERENCE['batch16_ms']} ms |",
        f"| target (H100) | <= {TARGETS['single_ms']} ms | <= {TARGETS['batch16_ms']} ms |",
        "",
        "| training | batch | pad multiple | step time | mel frames/s | peak memory |",
        "|---|---|---|---|---|---|",
    ]
    for entry in result["training"]:
        if "error" in entry:
            continue
        lines.append(
            f"| {entry['variant']} | {entry['batch_size']} | {entry.get('pad_multiple', 1)} | "
            f"{entry['median_step_ms']:.1f} ms | "
            f"{entry['median_frames_per_s']:,} | {entry['peak_memory_gib']} GiB |"
        )
    lines += [
        f"| reference code (H100) | 16 | - | - | {REFERENCE['train_frames_per_s']:,.0f} | |",
        f"| target (H100) | 16 | - | - | >= {TARGETS['train_frames_per_s']:,.0f} | |",
    ]
    if result.get("notes"):
        lines += ["", result["notes"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="timed inference calls")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--batch-size", type=int, default=16, help="training batch size")
    parser.add_argument(
        "--warmup-steps", type=int, default=40, help="untimed training steps (fill the caches)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="result JSON")
    parser.add_argument(
        "--record", type=Path, help="only write BENCHMARKS.md's GPU section from this JSON"
    )
    args = parser.parse_args(argv)
    if args.record is not None:
        result = json.loads(args.record.read_text())
        update_benchmarks_md(f"model (GPU: {result['gpu']['name']})", summary(result), result)
        return result
    if not torch.cuda.is_available():
        parser.error("no CUDA device: this benchmark runs on a GPU machine")
    inference_variants = ["eager fp32", "eager bf16", "graph fp32", "graph bf16"]
    result: dict[str, Any] = {
        "command": command_line("benchmarks.bench_model_gpu", argv),
        "machine": machine_info(),
        "gpu": {
            "name": torch.cuda.get_device_name(),
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
        },
        "settings": {
            "runs": args.runs,
            "steps": args.steps,
            "batch_size": args.batch_size,
            "inference_variants": inference_variants,
        },
        "inference": [],
        "training": [],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    size, steps = args.batch_size, args.steps
    jobs: list[tuple[str, Callable[[], dict[str, Any]]]] = [
        ("training", lambda: bench_training("bf16", size, steps, args.warmup_steps)),
        ("training", lambda: bench_training("fp32", size, steps, args.warmup_steps)),
        ("training", lambda: bench_training("bf16", size, steps, args.warmup_steps, 1)),
        ("training", lambda: bench_training("bf16", size, steps, args.warmup_steps, 64)),
        ("training", lambda: bench_training("bf16", 4 * size, steps, args.warmup_steps)),
    ]
    for variant in inference_variants:
        for batch in (1, 16):  # not `size`: the training jobs above read it when they run
            jobs.append(
                (
                    "inference",
                    lambda v=variant, n=batch: bench_inference(v, n, warmup=5, runs=args.runs),
                )
            )
    for section, job in jobs:
        try:
            entry = job()
        except Exception as error:  # noqa: BLE001 - one failed variant must not lose the others
            entry = {"error": f"{type(error).__name__}: {error}"}  # summaries skip it
            print(traceback.format_exc(), flush=True)
        result[section].append(entry)
        print(json.dumps(entry), flush=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n")  # after each: partial results
        torch.cuda.empty_cache()
    print(summary(result))
    return result


if __name__ == "__main__":
    main()
