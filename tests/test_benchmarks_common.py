"""benchmarks/common.py: BENCHMARKS.md sections and the recorded command."""

from __future__ import annotations

from pathlib import Path

import benchmarks.common as common
import pytest


def test_a_section_is_replaced_verbatim_and_the_others_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n## one\n\nold\n\n## two\n\nkept\n")
    monkeypatch.setattr(common, "BENCHMARKS_MD", path)
    summary = r"a\1b, C:\temp\new and \g<0>"  # a regex template would choke or rewrite these
    result = {"machine": {"cpu_model": "x"}, "command": "python -m benchmarks.x"}
    common.update_benchmarks_md("one", summary, result)
    text = path.read_text()
    assert summary in text and "old" not in text
    assert text.index("## one") < text.index("## two") and "kept" in text
    common.update_benchmarks_md("three", "new section", result)
    assert path.read_text().rstrip().endswith("- command: `python -m benchmarks.x`")


def test_command_line_reruns_the_module_with_its_allocator_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_MMAP_MAX_", "0")
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    line = common.command_line("benchmarks.bench_voice", ["--out", "a b.json"])
    assert line == "MALLOC_MMAP_MAX_=0 python -m benchmarks.bench_voice --out 'a b.json'"
