"""HiFi-GAN generators on CPU: real-time factor of V1, V2 and V3 (Kong et al. 2020, table 1).

Workload: one 5-second mel (``5 * 22050 / 256`` -> 431 frames, random log-mel values), the
paper's V1/V2/V3 generators with random weights and weight norm removed, called as the
Synthesizer calls a vocoder: ``HiFiGANVocoder(mels)`` in ``torch.inference_mode()``, fp32, on
each backend (PyTorch eager, onnxruntime float32 and int8 -- the int8 model calibrated on random
mels, so a speed figure only; :mod:`fastspeak.vocoders.onnx_generator`),
``torch.set_num_threads(--threads)`` (default 2). RTF = median wall time of ``--runs`` calls
(after ``--warmup``) / 5 s of audio; the issue's shipping target is RTF <= 0.1 with 2 threads.

Other processes on a shared machine slow these numbers down: every measurement records the
load average and ``cpu_share`` (CPU seconds of this process / wall seconds; ~threads when
nothing competes), so a noisy run shows as such.

    python -m benchmarks.bench_vocoder [--runs 5] [--threads 2]

Writes ``benchmarks/results/vocoder_cpu.json`` and the "vocoder (CPU)" section of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import command_line, machine_info, update_benchmarks_md
from fastspeak.config import AudioConfig, HiFiGANConfig
from fastspeak.vocoders.hifigan import HiFiGANGenerator, HiFiGANVocoder
from fastspeak.vocoders.onnx_generator import write_generator_onnx_int8

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "vocoder_cpu.json"
SECONDS = 5.0
TARGET_RTF = 0.1


def measure(variant: str, backend: str, frames: int, runs: int, warmup: int) -> dict[str, Any]:
    audio = AudioConfig()
    torch.manual_seed(0)
    generator = HiFiGANGenerator(HiFiGANConfig(variant=variant), audio.n_mels)  # type: ignore[arg-type]
    mels = torch.randn(1, audio.n_mels, frames) * 2.0 - 6.0
    if backend == "onnxruntime-int8":  # calibrated on random mels: a speed figure only
        generator.remove_weight_norm()
        int8_model = Path(tempfile.mkdtemp()) / "generator.int8.onnx"
        calibration = [(torch.randn(1, audio.n_mels, 100) * 2.0 - 6.0).numpy() for _ in range(4)]
        write_generator_onnx_int8(generator, calibration, int8_model)
        vocoder = HiFiGANVocoder(generator, audio, "onnxruntime", int8_model).eval()
    else:
        vocoder = HiFiGANVocoder(generator, audio, backend).eval()  # removes weight norm
    times, shares = [], []
    with torch.inference_mode():
        first = time.perf_counter()
        vocoder(mels)  # onnxruntime: includes the in-memory export and session
        first = time.perf_counter() - first
        for _ in range(warmup - 1):
            vocoder(mels)
        load_before = os.getloadavg()[0]
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            wavs, _ = vocoder(mels)
            elapsed = time.perf_counter() - wall
            times.append(elapsed)
            shares.append((time.process_time() - cpu) / elapsed)
    seconds = wavs.shape[-1] / audio.sample_rate
    median = statistics.median(times)
    return {
        "variant": variant,
        "backend": backend,
        "first_call_seconds": round(first, 3),
        "parameters": sum(p.numel() for p in vocoder.parameters()),
        "audio_seconds": round(seconds, 3),
        "median_seconds": round(median, 4),
        "min_seconds": round(min(times), 4),
        "rtf": round(median / seconds, 4),
        "rtf_best": round(min(times) / seconds, 4),
        "cpu_share": round(statistics.median(shares), 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["v1", "v2", "v3"])
    parser.add_argument(
        "--backends", nargs="+", default=["torch", "onnxruntime", "onnxruntime-int8"]
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-markdown", action="store_true", help="do not touch BENCHMARKS.md")
    parser.add_argument("--note", default="", help="conditions of this run, kept in both outputs")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    audio = AudioConfig()
    frames = round(SECONDS * audio.sample_rate / audio.hop_length)
    rows = []
    for variant in args.variants:
        for backend in args.backends:
            row = measure(variant, backend, frames, args.runs, max(args.warmup, 1))
            print(json.dumps(row), flush=True)
            rows.append(row)
    result = {
        "benchmark": "HiFi-GAN generator real-time factor on CPU",
        "workload": f"1 x {frames} frames ({SECONDS} s), random weights, weight norm removed, "
        f"fp32, {args.threads} threads, median of {args.runs} after {args.warmup} warm-up",
        "threads": args.threads,
        "target_rtf": TARGET_RTF,
        "results": rows,
        "note": args.note,
        "machine": machine_info(),
        "command": command_line("benchmarks.bench_vocoder", argv),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    if not args.no_markdown:
        lines = [
            f"HiFi-GAN generators (Kong et al. 2020), random weights, weight norm removed, "
            f"`HiFiGANVocoder(mels, backend)` on one {SECONDS:.0f}-second mel ({frames} frames), fp32 "
            "(onnxruntime-int8: the ONNX model quantized from it, calibrated on random mels), "
            f"{args.threads} threads, median of {args.runs} runs. RTF = time / audio seconds "
            f"(target for the shipped generator: <= {TARGET_RTF}).",
            "",
            "| generator | backend | parameters | median time | RTF | best RTF | first call "
            "| cpu share | load average |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in rows:
            lines.append(
                f"| {row['variant'].upper()} | {row['backend']} | {row['parameters'] / 1e6:.2f}M | "
                f"{row['median_seconds'] * 1000:,.0f} ms | {row['rtf']:.3f} | "
                f"{row['rtf_best']:.3f} | {row['first_call_seconds'] * 1000:,.0f} ms | "
                f"{row['cpu_share']} | "
                f"{row['load_average_before']} -> {row['load_average_after']} |"
            )
        lines += [
            "",
            "cpu share ~ threads means the process had its cores; lower (or a load average "
            "above the core count) means other jobs shared them and the times are pessimistic. "
            "`first call` includes, for onnxruntime, the in-memory ONNX export and session "
            "(once per loaded vocoder).",
        ]
        if args.note:
            lines += ["", f"This run: {args.note}"]
        update_benchmarks_md("vocoder (CPU)", "\n".join(lines), result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
