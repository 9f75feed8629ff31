"""``fastspeak align --check``: find utterances whose durations cannot be right.

For every utterance of a FEATDIR (its own durations, or those of a ``durations.jsonl`` such as
``fastspeak align`` writes), flag:

* ``missing``: no durations for the utterance (a durations file without its id);
* ``count``: not one duration per token;
* ``negative``: a negative duration;
* ``sum``: durations that do not sum to the utterance's mel frames;
* ``zero_phone``: a speech token with zero frames (punctuation and word boundaries, see
  :func:`fastspeak.text.symbols.is_boundary`, may be empty: they only carry pauses);
* ``prior``: an alignment far from the beta-binomial prior. The prior's mean runs along the
  diagonal (token n of N is expected around frame ``(n + 0.5) / N`` of the utterance), so the
  deviation is the mean over tokens of ``|centre_n / T - (n + 0.5) / N|``: 0 for a perfectly
  even alignment, 0.2 when the first half of the tokens get one frame each, 0.39 when all but
  the last do. The piper corpus's exact teacher timings: mean 0.032, 95th percentile 0.065,
  maximum 0.117 over 2,250 utterances; the default threshold is 0.15.

The report lists each flagged utterance with its problems; the run fails (exit status 1) when
the flagged fraction exceeds the tolerance.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from fastspeak.data.dataset import DatasetError
from fastspeak.data.preprocess import read_durations_file
from fastspeak.files import write_json
from fastspeak.text.symbols import is_boundary

__all__ = ["PROBLEMS", "check_alignments", "prior_deviation"]

PROBLEMS = ("missing", "count", "negative", "sum", "zero_phone", "prior")
SPLITS = ("train", "val", "test")


def prior_deviation(durations: np.ndarray) -> float:
    """Mean distance between each token's centre and the diagonal, as a fraction of the
    utterance (see the module docstring). durations: (N,) frames, summing to T > 0."""
    durations = np.asarray(durations, dtype=np.float64)
    total = durations.sum()
    if len(durations) == 0 or total <= 0:
        return float("nan")
    ends = np.cumsum(durations)
    centres = (ends - durations / 2) / total
    expected = (np.arange(len(durations)) + 0.5) / len(durations)
    return float(np.abs(centres - expected).mean())


def _problems(
    tokens: list[str], frames: int, durations: np.ndarray | None, max_deviation: float
) -> tuple[list[str], float | None]:
    if durations is None:
        return ["missing"], None
    if len(durations) != len(tokens):
        return [f"count: {len(durations)} durations for {len(tokens)} tokens"], None
    problems = []
    if (durations < 0).any():
        problems.append("negative: " + ", ".join(str(int(d)) for d in durations[durations < 0]))
    if int(durations.sum()) != frames:
        problems.append(f"sum: durations sum to {int(durations.sum())}, the mels have {frames}")
    empty = [
        f"{token}@{index}"
        for index, (token, duration) in enumerate(zip(tokens, durations, strict=True))
        if duration == 0 and not is_boundary(token)
    ]
    if empty:
        problems.append("zero_phone: " + " ".join(empty))
    deviation = prior_deviation(np.clip(durations, 0, None))
    if not deviation <= max_deviation:
        problems.append(f"prior: deviation {deviation:.3f} > {max_deviation}")
    return problems, deviation


def _feature_durations(feat_dir: Path, entry: dict[str, Any]) -> np.ndarray:
    path = feat_dir / entry["features"]
    try:
        with np.load(path) as data:
            return np.asarray(data["durations"], dtype=np.int64)
    except (OSError, KeyError, ValueError) as error:
        raise DatasetError(
            f"cannot read the durations of {entry['id']} from {path}: {error}; re-run "
            "fastspeak preprocess"
        ) from error


def check_alignments(
    feat_dir: str | Path,
    durations_file: str | Path | None = None,
    max_deviation: float = 0.15,
    tolerance: float = 0.0,
    report_path: str | Path | None = None,
) -> dict[str, Any]:
    """Check the durations of every utterance of a FEATDIR (see the module docstring).

    Args:
        feat_dir: the FEATDIR (its manifests give tokens and mel frames).
        durations_file: a ``{"id", "durations"}`` JSONL to check instead of the FEATDIR's own.
        max_deviation: the ``prior`` threshold (``align.max_prior_deviation``).
        tolerance: the largest fraction of flagged utterances that still passes.
        report_path: where to write the JSON report (None: not written).
    Returns:
        the report: ``passed``, ``utterances``, ``flagged``, ``fraction``, ``counts`` per
        problem, ``prior_deviation`` (mean, p95, max), ``utterances_flagged`` (id, split,
        problems).
    """
    feat_dir = Path(feat_dir)
    manifests = [feat_dir / f"{split}.jsonl" for split in SPLITS]
    if not any(path.is_file() for path in manifests):
        raise DatasetError(
            f"{feat_dir} has no train/val/test.jsonl; is this a FEATDIR made by fastspeak "
            "preprocess?"
        )
    given = read_durations_file(Path(durations_file)) if durations_file is not None else None
    flagged: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    deviations: list[float] = []
    total = 0
    for split, manifest in zip(SPLITS, manifests, strict=True):
        if not manifest.is_file():
            continue
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            total += 1
            if given is None:
                durations: np.ndarray | None = _feature_durations(feat_dir, entry)
            else:
                values = given.get(str(entry["id"]))
                durations = None if values is None else np.asarray(values, dtype=np.int64)
            problems, deviation = _problems(
                list(entry["tokens"]), int(entry["frames"]), durations, max_deviation
            )
            if deviation is not None and np.isfinite(deviation):
                deviations.append(deviation)
            if problems:
                counts.update(problem.split(":")[0] for problem in problems)
                flagged.append({"id": entry["id"], "split": split, "problems": problems})
    fraction = len(flagged) / total if total else 0.0
    spread = np.asarray(deviations) if deviations else np.asarray([np.nan])
    report = {
        "data": str(feat_dir),
        "durations": str(durations_file) if durations_file is not None else "FEATDIR",
        "passed": fraction <= tolerance,
        "utterances": total,
        "flagged": len(flagged),
        "fraction": round(fraction, 5),
        "tolerance": tolerance,
        "max_prior_deviation": max_deviation,
        "counts": {name: counts.get(name, 0) for name in PROBLEMS},
        "prior_deviation": {
            "mean": round(float(np.mean(spread)), 4),
            "p95": round(float(np.percentile(spread, 95)), 4),
            "max": round(float(np.max(spread)), 4),
        },
        "utterances_flagged": flagged,
    }
    if report_path is not None:
        write_json(report_path, report)
    return report
