"""Evaluation reports: REPORT.json (everything, per item) and REPORT.md (one table of systems).

The result dictionary (made by :func:`fastspeak.evaluate.runner.evaluate_systems`)::

    {"version": 1, "created": ISO time, "num_items": N, "judges": {...}, "notes": [...],
     "systems": {name: {"summary": {column key: value or None, ...},
                        "items": [{"id", "transcript", "wer", "mos", "mcd_db", ..., "error"}]}}}

Summary keys that become table columns are listed in :data:`COLUMNS`; a missing key or a
None/NaN value leaves the cell blank (e.g. no MCD for a system without reference audio).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastspeak.files import atomic_write_text, to_jsonable, writable_folder_problem, write_json

__all__ = [
    "COLUMNS",
    "EvaluateError",
    "check_report_path",
    "markdown_table",
    "render_markdown",
    "report_paths",
    "to_jsonable",
    "write_report",
]


class EvaluateError(ValueError):
    """An evaluation input a user gave is unusable (a sentence or mel file, ``--limit``,
    ``--out``); the message names it and the fix."""


# (summary key, header, format); "%" multiplies a fraction by 100.
COLUMNS: list[tuple[str, str, str]] = [
    ("wer", "WER %", "%"),
    ("cer", "CER %", "%"),
    ("mos_mean", "MOS (pred.)", "mos"),
    ("mcd_db", "MCD dB", "{:.2f}"),
    ("frame_rate_comb_db", "Comb dB", "{:.1f}"),
    ("f0_rmse_hz", "F0 RMSE Hz", "{:.1f}"),
    ("f0_correlation", "F0 corr", "{:.3f}"),
    ("f0_std", "F0 σ Hz", "{:.1f}"),
    ("f0_skewness", "F0 γ", "{:.3f}"),
    ("f0_kurtosis", "F0 κ", "{:.3f}"),
    ("duration_error_ms", "Dur. err ms", "{:.1f}"),
    ("rtf", "RTF", "{:.3f}"),
]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _cell(summary: Mapping[str, Any], key: str, fmt: str) -> str:
    value: Any = summary.get(key)
    if _is_missing(value):
        return ""
    if fmt == "%":
        return f"{100.0 * float(value):.1f}"
    if fmt == "mos":
        spread = summary.get("mos_std")
        return f"{value:.2f}" if _is_missing(spread) else f"{value:.2f} ± {spread:.2f}"
    return fmt.format(value)


def markdown_table(systems: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per system (in the mapping's order) from each system's ``summary``."""
    header = ["System", "Items"] + [title for _, title, _ in COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    for name, system in systems.items():
        summary = system.get("summary", {})
        count = f"{summary.get('items_ok', '')}/{summary.get('items', '')}"
        cells = [name.replace("|", "\\|"), count]
        cells += [_cell(summary, key, fmt) for key, _, fmt in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(result: Mapping[str, Any]) -> str:
    """The whole REPORT.md: title, table, judges, notes and per-item errors."""
    parts = [f"# Evaluation report\n\n{result.get('num_items', '?')} sentences"]
    if result.get("created"):
        parts[0] += f", {result['created']}"
    parts.append(markdown_table(result.get("systems", {})))
    for name, system in result.get("systems", {}).items():
        speakers = system.get("summary", {}).get("speakers")
        if speakers:
            rows = {speaker: {"summary": summary} for speaker, summary in speakers.items()}
            parts.append(f"### {name}, per speaker\n\n" + markdown_table(rows))
    judges = result.get("judges") or {}
    if judges:
        parts.append("Judges: " + "; ".join(f"{k}: {v}" for k, v in judges.items()) + ".")
    notes = result.get("notes") or []
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    errors = [
        f"- {name} / {item.get('id')}: {item['error']}"
        for name, system in result.get("systems", {}).items()
        for item in system.get("items", [])
        if item.get("error")
    ]
    if errors:
        parts.append("## Errors\n\n" + "\n".join(errors))
    return "\n\n".join(parts) + "\n"


def report_paths(out_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """(REPORT.json, REPORT.md) for ``out_path``: a ``*.json`` file path (the markdown beside
    it with the ``.md`` suffix) or a folder (REPORT.json and REPORT.md inside it)."""
    out_path = Path(out_path)
    if out_path.suffix.lower() == ".json":
        return out_path, out_path.with_suffix(".md")
    return out_path / "REPORT.json", out_path / "REPORT.md"


def check_report_path(out_path: str | os.PathLike[str]) -> None:
    """Refuse an ``out_path`` that :func:`write_report` could not write, before the hours of
    synthesis and judging that precede it.

    A ``*.json`` path must not be a folder; any other path is the report folder, so it must
    not be a file; neither REPORT file may be a folder; the folder that gets them must exist
    as a writable folder or be creatable in the nearest existing folder above it, itself
    writable. Existing report files are fine: they are replaced.

    Raises:
        EvaluateError: naming the path and what to give instead.
    """
    out_path = Path(out_path)
    json_path, markdown_path = report_paths(out_path)
    if json_path == out_path and out_path.is_dir():
        raise EvaluateError(
            f"--out {out_path} is a folder; give a new REPORT.json path, or the folder's name "
            "without .json"
        )
    if json_path != out_path and out_path.exists() and not out_path.is_dir():
        raise EvaluateError(
            f"--out {out_path} is a file but names no .json report; give a folder (it gets "
            "REPORT.json and REPORT.md) or a path ending in .json"
        )
    for path in (json_path, markdown_path):
        if path.is_dir():
            raise EvaluateError(f"--out: {path} is a folder; move it away or choose another --out")
    problem = writable_folder_problem(json_path.parent)
    if problem:
        raise EvaluateError(f"--out {out_path}: {problem}; choose another --out")


def write_report(result: Mapping[str, Any], out_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write REPORT.json and REPORT.md atomically; returns their paths.

    out_path: a folder (gets REPORT.json and REPORT.md) or a ``*.json`` file path (the
    markdown goes next to it with the ``.md`` suffix).
    """
    json_path, markdown_path = report_paths(out_path)
    write_json(json_path, result)
    atomic_write_text(markdown_path, render_markdown(result))
    return json_path, markdown_path
