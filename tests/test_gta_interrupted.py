"""``fastspeak gta`` / ``distill`` on the folder of an interrupted run: the error says what to
do about it (the checks run before any checkpoint is read)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fastspeak.data.distill import DistillError, distill
from fastspeak.data.gta import GTAError, write_gta


def test_an_interrupted_runs_folder_is_named_as_such(piper_featdir: Path, tmp_path: Path) -> None:
    out = tmp_path / "gta"
    (out / "distilled").mkdir(parents=True)  # mels are written first, report.json last
    np.savez(out / "distilled" / "a.npz", mels=np.zeros((3, 80), dtype=np.float16))
    interrupted = r"has no report.json, so it holds an interrupted run: delete it \(rm -r .*gta\)"
    with pytest.raises(GTAError, match=interrupted):
        write_gta(tmp_path / "no.ckpt", piper_featdir, out, progress=False)
    with pytest.raises(DistillError, match=interrupted):
        distill(tmp_path / "no.ckpt", piper_featdir, out, progress=False)
    (out / "report.json").write_text("{}")  # a finished run: only choose a new folder
    with pytest.raises(GTAError, match="exists and is not empty; choose a new folder$"):
        write_gta(tmp_path / "no.ckpt", piper_featdir, out, progress=False)
