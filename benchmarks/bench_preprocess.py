"""Throughput of ``fastspeak preprocess`` itself: corpus -> mel + pitch + energy + durations.

Runs the real preprocessing (all workers, cold feature cache each repeat) on a corpus and reports
seconds of source audio processed per wall-clock second ("x real time"). Target (issue #2):
>= 150x real time on the 2-core development machine.

Run every compared measurement with the same allocator settings::

    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000 \\
        python -m benchmarks.bench_preprocess --data data/corpora/piper_joe \\
        --config configs/piper_joe/fastspeech2.yaml --out benchmarks/results/preprocess.json

Writes JSON (machine, command, per-repeat numbers, medians) and updates the matching section of
BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import soundfile

from benchmarks.common import command_line, machine_info, update_benchmarks_md
from fastspeak.config import load_config
from fastspeak.data.corpora import read_corpus
from fastspeak.data.preprocess import preprocess


def source_seconds(data: Path) -> float:
    """Total length of the corpus's audio files, read from their headers."""
    return sum(soundfile.info(str(u.audio_path)).duration for u in read_corpus(data))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="corpus folder")
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=0, help="0 = all cores")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/preprocess.json"))
    args = parser.parse_args(argv)

    config = load_config(args.config)
    audio_seconds = source_seconds(args.data)
    runs = []
    for repeat in range(args.repeats):
        scratch = Path(tempfile.mkdtemp(prefix="fastspeak-bench-"))
        try:
            started = time.perf_counter()
            report = preprocess(config, args.data, scratch, workers=args.workers, progress=False)
            elapsed = time.perf_counter() - started
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        runs.append(
            {
                "seconds": round(elapsed, 2),
                "x_realtime": round(audio_seconds / elapsed, 1),
                "processed": report["processed"],
                "skipped": len(report["skipped"]),
            }
        )
        print(f"repeat {repeat + 1}/{args.repeats}: {runs[-1]}", flush=True)
    result = {
        "benchmark": "preprocess",
        "command": command_line("benchmarks.bench_preprocess", argv),
        "machine": machine_info(),
        "corpus": str(args.data),
        "utterances": runs[0]["processed"] + runs[0]["skipped"],
        "audio_seconds": round(audio_seconds, 1),
        "workers": report["workers"],
        "runs": runs,
        "median_seconds": statistics.median(r["seconds"] for r in runs),
        "median_x_realtime": statistics.median(r["x_realtime"] for r in runs),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    update_benchmarks_md(
        "preprocess",
        f"`fastspeak preprocess` on {args.data} ({result['utterances']} utterances, "
        f"{audio_seconds / 3600:.2f} h of audio, {result['workers']} workers, cold cache): "
        f"median **{result['median_x_realtime']}x real time** "
        f"({result['median_seconds']} s) over {len(runs)} runs. Target >= 150x.",
        result,
    )
    return result


if __name__ == "__main__":
    main()
