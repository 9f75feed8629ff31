"""Atomic file writes: readers never see half a file, a crash leaves the old file intact."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "new_folder_problem"]


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
