"""Shared pieces of the benchmark scripts: machine description and BENCHMARKS.md updates."""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MALLOC_SETTINGS = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "1000000000000"}
BENCHMARKS_MD = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def machine_info() -> dict[str, object]:
    """CPU model, core count, library versions and allocator settings of this run."""
    import numpy
    import torch

    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "malloc_env": {key: os.environ.get(key) for key in MALLOC_SETTINGS},
    }


def command_line(module: str, argv: Sequence[str] | None = None) -> str:
    """The command that reruns a benchmark: the allocator settings in effect, then ``python -m
    MODULE`` with ``argv`` (the process's own arguments when None)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    settings = [f"{key}={os.environ[key]}" for key in MALLOC_SETTINGS if key in os.environ]
    return " ".join([*settings, shlex.join(["python", "-m", module, *arguments])])


def update_benchmarks_md(section: str, summary: str, result: dict[str, Any]) -> None:
    """Replace (or append) the ``## <section>`` block of BENCHMARKS.md with a fresh summary."""
    machine = result.get("machine", {})
    block = (
        f"## {section}\n\n{summary}\n\n"
        f"- machine: {machine.get('cpu_model')}, {machine.get('usable_cores')} cores, "
        f"torch {machine.get('torch')}, allocator env {json.dumps(machine.get('malloc_env'))}\n"
        f"- command: `{result.get('command')}`\n"
    )
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: block + "\n", text, count=1)  # the text verbatim, not a template
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block
    )
    BENCHMARKS_MD.write_text(text)
