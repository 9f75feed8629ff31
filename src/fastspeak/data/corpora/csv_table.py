"""A generic table: one utterance per row, ``wav|text|speaker``.

``root`` is the table file itself, or a folder holding exactly one ``*.csv``/``*.tsv``/``*.psv``.
The delimiter is ``|`` or TAB when the first line contains one (no quoting, like LJSpeech),
else ``,`` with standard CSV quoting. The speaker column is optional (speaker "default").
The table's columns are those of its header, or without one the number of cells most rows
have (2: ``wav,text``; 3: ``wav,text,speaker``). A row with more cells than that is an error,
not a guess: in a comma table it is text with unquoted commas, which would otherwise be cut
short or taken for a speaker.
A header is optional; it is recognised when the first row's first cell is a column name
(``wav``, ``audio``, ``path``, ``file``, ...) rather than an audio file, and then columns
are taken by name (``wav``/``audio``/``path``/``file``, ``text``/``transcript``/``sentence``,
``speaker``/``spk``). Relative wav paths resolve against the table's folder; a path without
a suffix gets ``.wav``. id = file stem (``<speaker>_<stem>`` when a speaker column is given
and the stem does not already start with the speaker).
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

from fastspeak.data.corpora.base import (
    AUDIO_SUFFIXES,
    AlignmentIndex,
    CorpusError,
    HeldOut,
    Skipped,
    as_path,
    build_utterance,
    finish,
    read_lines,
    safe_id,
    speaker_id,
)
from fastspeak.data.types import Utterance

TABLE_SUFFIXES = (".csv", ".tsv", ".psv")
AUDIO_COLUMNS = ("wav", "audio", "path", "file", "filename", "audio_path", "wav_path", "audio_file")
TEXT_COLUMNS = ("text", "transcript", "transcription", "sentence", "normalized_text", "normalized")
SPEAKER_COLUMNS = ("speaker", "spk", "speaker_id", "speaker_name")


def find_table(root: Path) -> Path:
    """The table file named by ``root`` (a file, or a folder with exactly one table)."""
    if not root.exists():
        raise CorpusError(f"csv corpus {root} does not exist")
    if root.is_file():
        return root
    tables = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES)
    if len(tables) != 1:
        found = ", ".join(p.name for p in tables) or "none"
        raise CorpusError(
            f"csv corpus {root}: expected exactly one table ({'/'.join(TABLE_SUFFIXES)}) "
            f"with rows wav|text|speaker, found {found}; pass the table file itself"
        )
    return tables[0]


def looks_like_table(root: Path) -> bool:
    try:
        table = find_table(root)
    except CorpusError:
        return False
    return table.suffix.lower() in TABLE_SUFFIXES


def _delimiter(lines: list[str]) -> str:
    """``|`` or TAB when the first non-empty line holds one, else ``,``."""
    first = next((line for line in lines if line.strip()), "")
    if "|" in first:
        return "|"
    return "\t" if "\t" in first else ","


def read_rows(table: Path) -> tuple[str, list[tuple[int, list[str]]]]:
    """The table's delimiter and its non-empty rows (stripped cells) with 1-based line numbers."""
    lines = read_lines(table)
    delimiter = _delimiter(lines)
    if delimiter == ",":
        reader = csv.reader(lines)
    else:
        reader = csv.reader(lines, delimiter=delimiter, quoting=csv.QUOTE_NONE)
    rows = [
        (number, [cell.strip() for cell in row])
        for number, row in enumerate(reader, start=1)
        if any(cell.strip() for cell in row)
    ]
    return delimiter, rows


def table_width(rows: list[tuple[int, list[str]]]) -> int:
    """A header-less table's number of columns: the row length most rows have (on a tie, the
    shorter), so one odd row never decides the layout."""
    counts = Counter(len(row) for _, row in rows)
    return max(counts, key=lambda width: (counts[width], -width))


def check_row_widths(
    table: Path, rows: list[tuple[int, list[str]]], width: int, delimiter: str
) -> None:
    """Every row has at most ``width`` cells.

    Raises:
        CorpusError: naming the rows with more (their text would be cut at the extra
            delimiter, or its rest taken for a speaker) and how to fix the table.
    """
    wide = [number for number, row in rows if len(row) > width]
    if not wide:
        return
    lines = ", ".join(str(number) for number in wide[:5]) + (" ..." if len(wide) > 5 else "")
    if delimiter == ",":
        fix = (
            'the text holds unquoted commas: quote it ("...", a quote inside doubled as ""), '
            "or use a tab- or |-separated table (.tsv/.psv)"
        )
    else:
        fix = f"the text holds the delimiter {delimiter!r}: remove it from the text"
    raise CorpusError(
        f"{table}: {len(wide)} row(s) have more cells than the table's {width} columns "
        f"(line{'s' if len(wide) > 1 else ''} {lines}); {fix}"
    )


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [cell.lower() for cell in header]
    return next((lowered.index(name) for name in names if name in lowered), None)


def _is_header(rows: list[tuple[int, list[str]]], folder: Path) -> bool:
    """Whether the first row names the columns: it holds a known column name, or its first
    cell is no recording while the next rows' are (a data row whose recording is missing
    looks like its neighbours: it is skipped as missing, not taken for a header)."""
    first = rows[0][1]
    if {cell.lower() for cell in first} & {*AUDIO_COLUMNS, *TEXT_COLUMNS, *SPEAKER_COLUMNS}:
        return True
    if first[0].lower().endswith(AUDIO_SUFFIXES) or _resolve(first[0], folder).is_file():
        return False
    return not any(_resolve(row[0], folder).is_file() for _, row in rows[1:6])


def _resolve(cell: str, folder: Path) -> Path:
    path = Path(cell).expanduser()
    if not path.is_absolute():
        path = folder / path
    if not path.suffix and path.with_suffix(".wav").is_file():
        path = path.with_suffix(".wav")
    return path


def read_csv(
    root: str | os.PathLike[str],
    alignments: str | os.PathLike[str] | None = None,
    *,
    skipped: list[Skipped] | None = None,
) -> list[Utterance]:
    """Read a ``wav|text[|speaker]`` table (CSV, TSV or pipe-separated)."""
    table = find_table(as_path(root))
    folder = table.parent
    delimiter, rows = read_rows(table)
    if not rows:
        raise CorpusError(f"no utterances found in csv corpus {table}: the table is empty")
    audio_col: int | None = 0
    text_col: int | None = 1
    speaker_col: int | None = None
    if _is_header(rows, folder):
        header = rows[0][1]
        rows = rows[1:]
        audio_col = _column(header, AUDIO_COLUMNS)
        text_col = _column(header, TEXT_COLUMNS)
        speaker_col = _column(header, SPEAKER_COLUMNS)
        width = len(header)
    else:
        width = table_width(rows)
        speaker_col = 2 if width >= 3 else None
    if audio_col is None or text_col is None:
        raise CorpusError(
            f"{table}: header {header!r} needs an audio column ({', '.join(AUDIO_COLUMNS)}) "
            f"and a text column ({', '.join(TEXT_COLUMNS)})"
        )
    check_row_widths(table, rows, width, delimiter)
    index = AlignmentIndex.for_reader(alignments)
    held_out = HeldOut(folder)
    utterances: list[Utterance] = []
    problems: list[Skipped] = []
    needed = max(c for c in (audio_col, text_col, speaker_col) if c is not None)
    for number, row in rows:
        if len(row) <= needed or not row[audio_col] or not row[text_col]:
            problems.append(Skipped(table, f"line {number}: expected wav|text|speaker, got {row}"))
            continue
        audio = _resolve(row[audio_col], folder)
        if not audio.is_file():
            problems.append(Skipped(audio, f"line {number} of {table}: audio file is missing"))
            continue
        stem = audio.stem
        speaker = row[speaker_col] if speaker_col is not None and row[speaker_col] else "default"
        utterance_id = safe_id(stem) if speaker_col is None else speaker_id(speaker, stem)
        utterances.append(
            build_utterance(utterance_id, stem, audio, row[text_col], speaker, index, held_out)
        )
    return finish(
        utterances, root=table, format="csv", problems=problems, skipped=skipped, alignments=index
    )
