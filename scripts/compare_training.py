"""Wall time and steps for training runs to reach fixed validation losses (from train_log.jsonl).

    python scripts/compare_training.py --metric mel_l1 \
        fs2=runs/h200/concurrent/fs2_train_log.jsonl fs1=runs/h200/concurrent/fs1_train_log.jsonl \
        --thresholds 0.55 0.5 0.48 0.45

Time is counted from the run's first training log line (the first ``log_interval`` steps, which
include start-up, are left out equally for every run). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def reach(rows: list[dict], metric: str, threshold: float) -> tuple[int, float] | None:
    """(step, seconds) of the first validation at or below ``threshold``, or None."""
    start = next(row["time"] for row in rows if row["split"] == "train")
    for row in rows:
        if row["split"] == "val" and row.get(metric, float("inf")) <= threshold:
            return row["step"], row["time"] - start
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="NAME=path/to/train_log.jsonl")
    parser.add_argument("--metric", default="mel_l1")
    parser.add_argument("--thresholds", type=float, nargs="+", required=True)
    args = parser.parse_args()
    runs = {}
    for spec in args.runs:
        name, path = spec.split("=", 1)
        runs[name] = [json.loads(line) for line in Path(path).read_text().splitlines() if line]
    print(f"| val {args.metric} <= | " + " | ".join(runs) + " |")
    print("|---|" + "---|" * len(runs))
    for threshold in args.thresholds:
        cells = []
        for rows in runs.values():
            hit = reach(rows, args.metric, threshold)
            cells.append("not reached" if hit is None else f"{hit[1]:.0f} s (step {hit[0]:,})")
        print(f"| {threshold} | " + " | ".join(cells) + " |")
    finals = []
    for rows in runs.values():
        val = [row for row in rows if row["split"] == "val"]
        train = [row for row in rows if row["split"] == "train"]
        rates = sorted(row["frames_per_second"] for row in train[1:])
        finals.append(
            f"step {val[-1]['step']:,}: {val[-1][args.metric]:.3f}; "
            f"{rates[len(rates) // 2]:,.0f} frames/s"
        )
    print("| last validation; median train frames/s | " + " | ".join(finals) + " |")


if __name__ == "__main__":
    main()
