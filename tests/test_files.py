"""fastspeak.files: JSON reports, output-folder checks."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from fastspeak.files import new_folder_problem, write_json


def test_write_json_is_strict_json(tmp_path: Path) -> None:
    """NaN (a split without boundaries) becomes null, numpy values plain numbers."""
    path = tmp_path / "sub" / "report.json"
    write_json(path, {"mean_ms": math.nan, "p95": np.float32(2.5), "ids": np.arange(2), "at": path})
    text = path.read_text()
    assert "NaN" not in text
    assert json.loads(text) == {"mean_ms": None, "p95": 2.5, "ids": [0, 1], "at": str(path)}
    assert path.stat().st_mode & 0o777 == 0o644 and list(path.parent.iterdir()) == [path]


def test_new_folder_problem(tmp_path: Path) -> None:
    assert new_folder_problem(tmp_path / "missing") is None
    assert new_folder_problem(tmp_path) is None  # empty
    (tmp_path / "file").write_text("x")
    assert "is a file" in (new_folder_problem(tmp_path / "file") or "")
    assert "not empty" in (new_folder_problem(tmp_path, "--data") or "")
    assert (new_folder_problem(tmp_path, "--data") or "").startswith("--data ")
