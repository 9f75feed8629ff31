"""Atomic file writes: readers never see half a file, a crash leaves the old file intact."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "new_folder_problem",
    "to_jsonable",
    "writable_folder_problem",
    "write_json",
]


@contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; on success it is renamed to
    ``path`` (mode 0644), on an exception it is removed. Parent folders are created."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=suffix
    )
    os.close(handle)
    try:
        os.chmod(temporary, 0o644)
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def new_folder_problem(path: str | os.PathLike[str], option: str = "--out") -> str | None:
    """Why ``path`` cannot be a new output folder (it is a file, or a folder with files in
    it), or None when it is missing or empty."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        return f"{option} {folder} is a file; choose a new folder"
    if folder.is_dir() and any(folder.iterdir()):
        return f"{option} {folder} exists and is not empty; choose a new folder"
    return None


def writable_folder_problem(folder: str | os.PathLike[str]) -> str | None:
    """Why nothing can be written in ``folder``, or None when it is a folder this process may
    write in, or can be made in the nearest existing folder above it, itself writable (checked
    before long work, so a bad output path costs nothing)."""
    existing = Path(folder).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, so no folder can be made in it"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"the folder {existing} is not writable by this user"
    return None


def to_jsonable(value: Any) -> Any:
    """Plain JSON types: NaN/inf -> None, numpy scalars/arrays -> Python, Path -> str."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist"):  # numpy scalar or array
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | os.PathLike[str], value: Any) -> None:
    """``value`` as strict, indented JSON (no NaN: None instead), written atomically."""
    text = json.dumps(to_jsonable(value), indent=2, ensure_ascii=False, allow_nan=False)
    atomic_write_text(path, text + "\n")
