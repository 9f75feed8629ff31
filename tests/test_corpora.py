"""Corpus readers on real layouts built from flite audio (see fixtures_corpora.py)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from fastspeak.data.alignments import read_textgrid
from fastspeak.data.corpora import (
    READERS,
    CorpusError,
    Skipped,
    detect_format,
    read_aishell3,
    read_corpus,
    read_csv,
    read_libritts,
    read_ljspeech,
    read_teacher,
    read_vctk,
)
from fastspeak.data.types import Utterance
from fixtures_corpora import *  # noqa: F403  (the session-scoped corpus-tree fixtures)
from fixtures_corpora import (
    AISHELL3_FILES,
    HELD_OUT_ID,
    LIBRITTS_FILES,
    MANDARIN,
    SENTENCES,
    Clip,
    CorpusTree,
    libritts_stem,
    spoken,
)

SILENCES = {"", "sil", "sp", "spn"}


def check_audio(utterances: list[Utterance]) -> None:
    for utterance in utterances:
        assert utterance.audio_path.is_file(), utterance
        assert sf.info(str(utterance.audio_path)).duration > 0.5
    assert [u.id for u in utterances] == sorted(u.id for u in utterances)


def check_alignment(utterance: Utterance) -> None:
    assert utterance.alignment_path is not None and utterance.alignment_path.is_file()
    phones = read_textgrid(utterance.alignment_path)
    assert sum(1 for p in phones if p.label not in SILENCES) >= 5
    assert phones[-1].end == pytest.approx(sf.info(str(utterance.audio_path)).duration, abs=0.02)


def test_registry_names() -> None:
    assert set(READERS) == {"ljspeech", "vctk", "libritts", "aishell3", "csv", "teacher"}


def test_ljspeech_mfa1_alignments_held_out_and_normalized_text(
    ljspeech_mfa1: CorpusTree, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fastspeak.data.corpora"):
        utterances = read_ljspeech(ljspeech_mfa1.root, ljspeech_mfa1.alignments)
    check_audio(utterances)
    assert [u.id for u in utterances] == [uid for uid, _, _ in SENTENCES]
    assert [u.text for u in utterances] == [spoken(raw, norm) for _, raw, norm in SENTENCES]
    assert utterances[0].text == "Doctor Smith paid five dollars for two canoes."
    assert {u.speaker for u in utterances} == {"default"}
    assert [u.held_out for u in utterances] == [u.id == HELD_OUT_ID for u in utterances]
    by_id = {u.id: u for u in utterances}
    assert by_id["LJ001-0003"].alignment_path is None  # MFA left it unaligned
    assert "1 of 4 utterances have no TextGrid" in caplog.text
    for uid in ("LJ001-0001", "LJ001-0002", "LJ002-0001"):
        path = by_id[uid].alignment_path
        assert path == ljspeech_mfa1.alignments / "LJSpeech" / f"{uid}.TextGrid"
        check_alignment(by_id[uid])
        assert {"sil", "sp"} & {p.label for p in read_textgrid(path)}
    # without alignments (and no root/textgrids) there are none
    assert all(u.alignment_path is None for u in read_ljspeech(ljspeech_mfa1.root))


def test_ljspeech_mfa2_textgrids_in_root_and_raw_text(ljspeech_mfa2: CorpusTree) -> None:
    utterances = read_ljspeech(ljspeech_mfa2.root)
    check_audio(utterances)
    assert len(utterances) == len(SENTENCES)
    assert [u.text for u in utterances] == [spoken(raw, norm) for _, raw, norm in SENTENCES]
    assert not any(u.held_out for u in utterances)
    for utterance in utterances:
        assert (
            utterance.alignment_path
            == ljspeech_mfa2.root / "textgrids" / f"{utterance.id}.TextGrid"
        )
        check_alignment(utterance)
        assert "" in {p.label for p in read_textgrid(utterance.alignment_path)}


def test_ljspeech_flat_alignment_folder(ljspeech_mfa1: CorpusTree, tmp_path: Path) -> None:
    flat = tmp_path / "aligned"
    flat.mkdir()
    source = ljspeech_mfa1.alignments / "LJSpeech" / "LJ001-0002.TextGrid"
    shutil.copyfile(source, flat / "LJ001-0002.TextGrid")
    utterances = {u.id: u for u in read_ljspeech(ljspeech_mfa1.root, flat)}
    assert utterances["LJ001-0002"].alignment_path == flat / "LJ001-0002.TextGrid"
    assert utterances["LJ001-0001"].alignment_path is None


def test_ljspeech_missing_wav_and_bad_row_are_reported(
    ljspeech_mfa2: CorpusTree, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "lj"
    shutil.copytree(ljspeech_mfa2.root, root)
    (root / "wavs" / "LJ001-0002.wav").unlink()
    with (root / "metadata.csv").open("a", encoding="utf-8") as stream:
        stream.write("just-an-id\n")
    skipped: list[Skipped] = []
    with caplog.at_level(logging.WARNING, logger="fastspeak.data.corpora"):
        utterances = read_ljspeech(root, skipped=skipped)
    assert len(utterances) == len(SENTENCES) - 1
    assert [s.path.name for s in skipped] == ["LJ001-0002.wav", "metadata.csv"]
    assert "audio file is missing" in skipped[0].reason and "line 5" in skipped[1].reason
    assert "skipped 2 item(s)" in caplog.text


def test_teacher_single_speaker(teacher_single: CorpusTree, teacher_clips: list[Clip]) -> None:
    utterances = read_teacher(teacher_single.root)
    check_audio(utterances)
    assert [u.id for u in utterances] == ["0000", "0001", "0002", "0003"]
    assert [u.text for u in utterances] == [c.text for c in teacher_clips]
    assert [u.held_out for u in utterances] == [False, False, False, True]
    for utterance in utterances:
        check_alignment(utterance)


def test_teacher_multi_speaker_ids_prefixed(teacher_multi: CorpusTree) -> None:
    utterances = read_teacher(teacher_multi.root)
    check_audio(utterances)
    assert [u.id for u in utterances] == [f"{s}_{i:04d}" for s in ("kal", "slt") for i in range(3)]
    assert {u.speaker for u in utterances} == {"kal", "slt"}
    for utterance in utterances:
        assert utterance.audio_path.parent.name == utterance.speaker
        assert utterance.alignment_path is not None
        assert utterance.alignment_path.parent.name == utterance.speaker
        assert utterance.alignment_path.stem == utterance.audio_path.stem
        check_alignment(utterance)
    assert [u.id for u in utterances if u.held_out] == ["kal_0002", "slt_0002"]


def test_vctk_092_reports_missing_transcripts(
    vctk_092: CorpusTree, teacher_clips: list[Clip], caplog: pytest.LogCaptureFixture
) -> None:
    skipped: list[Skipped] = []
    with caplog.at_level(logging.WARNING, logger="fastspeak.data.corpora"):
        utterances = read_vctk(vctk_092.root, vctk_092.alignments, skipped=skipped)
    check_audio(utterances)
    assert [u.id for u in utterances] == [
        "p225_001",
        "p225_002",
        "p225_003",
        "p226_001",
        "p226_002",
    ]
    assert [u.speaker for u in utterances] == ["p225"] * 3 + ["p226"] * 2
    assert utterances[3].text == teacher_clips[1].text
    assert all(u.audio_path.name.endswith("_mic1.flac") for u in utterances)
    for utterance in utterances[:3]:
        check_alignment(utterance)
    assert all(u.alignment_path is None for u in utterances[3:])
    assert [s.path.name for s in skipped] == ["p315_001_mic1.flac"]
    assert "no transcript" in skipped[0].reason
    assert "p315_001_mic1.flac" in caplog.text

    mic2 = read_vctk(vctk_092.root, mic="mic2")
    assert [u.id for u in mic2] == [u.id for u in utterances]
    assert all(u.audio_path.name.endswith("_mic2.flac") for u in mic2)
    with pytest.raises(CorpusError, match="microphone 'mic3'"):
        read_vctk(vctk_092.root, mic="mic3")


def test_vctk_080_wav_layout(vctk_080: CorpusTree) -> None:
    utterances = read_vctk(vctk_080.root)
    check_audio(utterances)
    assert [u.id for u in utterances] == [
        "p225_001",
        "p225_002",
        "p225_003",
        "p226_001",
        "p226_002",
    ]
    assert all(u.audio_path.suffix == ".wav" for u in utterances)


@pytest.mark.parametrize("level", ["corpus", "subset"])
def test_libritts(
    libritts: CorpusTree, teacher_clips: list[Clip], level: str, caplog: pytest.LogCaptureFixture
) -> None:
    root = libritts.root if level == "corpus" else libritts.root / "train-clean-100"
    skipped: list[Skipped] = []
    with caplog.at_level(logging.WARNING, logger="fastspeak.data.corpora"):
        utterances = read_libritts(root, libritts.alignments, skipped=skipped)
    check_audio(utterances)
    expected = {
        libritts_stem(speaker, chapter, number): (speaker, index, kinds, subset)
        for number, (subset, speaker, chapter, index, kinds) in enumerate(LIBRITTS_FILES)
        if kinds and (level == "corpus" or subset == "train-clean-100")
    }
    assert [u.id for u in utterances] == sorted(expected)
    for utterance in utterances:
        speaker, index, kinds, subset = expected[utterance.id]
        assert utterance.speaker == speaker
        text = teacher_clips[index].text
        assert utterance.text == (text if "normalized" in kinds else text.upper())
        if subset == "train-clean-100":
            check_alignment(utterance)  # short-format, MFA-1 labels, <spk>/<chapter>/ mirror
        else:
            assert utterance.alignment_path is None
    if level == "corpus":
        assert [s.path.name for s in skipped] == [f"{libritts_stem('84', '121123', 4)}.wav"]
        assert "no 84_121123_000004_000000.normalized.txt" in skipped[0].reason
    else:
        assert skipped == []


@pytest.mark.parametrize("transcript", ["hanzi", "pinyin"])
def test_aishell3(aishell3: CorpusTree, transcript: str) -> None:
    utterances = read_aishell3(aishell3.root, transcript=transcript)
    check_audio(utterances)
    files = [item for split in AISHELL3_FILES.values() for item in split]
    assert [u.id for u in utterances] == sorted(f"{s}{n:04d}" for s, n, _ in files)
    for utterance, (speaker, _, index) in zip(utterances, sorted(files), strict=True):
        assert utterance.speaker == speaker
        hanzi, pinyin = MANDARIN[index]
        assert utterance.text == (hanzi if transcript == "hanzi" else pinyin)
    # a split folder alone is a corpus too
    assert [u.id for u in read_aishell3(aishell3.root / "test")] == ["SSB00110001"]


def test_aishell3_malformed_line_is_reported(aishell3: CorpusTree, tmp_path: Path) -> None:
    root = tmp_path / "aishell3"
    shutil.copytree(aishell3.root, root)
    with (root / "test" / "content.txt").open("a", encoding="utf-8") as stream:
        stream.write("SSB00110002.wav\t警 jing3 方\n")
    skipped: list[Skipped] = []
    assert len(read_aishell3(root, skipped=skipped)) == 4
    assert len(skipped) == 1 and "line 2" in skipped[0].reason


def test_csv_tables(csv_tables: dict[str, Path], teacher_clips: list[Clip]) -> None:
    texts = [c.text for c in teacher_clips]

    pipe = read_csv(csv_tables["pipe_speaker"])
    check_audio(pipe)
    assert [(u.id, u.speaker) for u in pipe] == [
        ("anna_0", "anna"),
        ("anna_1", "anna"),
        ("bert_0", "bert"),
    ]
    assert [u.text for u in pipe] == [texts[0], texts[1], texts[0]]
    assert pipe[0].audio_path == csv_tables["pipe_speaker"].parent / "audio" / "anna" / "0.wav"

    tsv = read_csv(csv_tables["tsv_header"].parent)  # the folder with one table
    check_audio(tsv)
    assert [(u.id, u.speaker, u.text) for u in tsv] == [
        (f"clip-{n}", "default", texts[n]) for n in range(3)
    ]

    quoted = read_csv(csv_tables["csv_quoted"])
    assert [(u.id, u.speaker, u.text) for u in quoted] == [
        ("solo_s0", "solo", texts[2]),
        ("solo_s1", "solo", texts[3]),
    ]
    assert "," in quoted[1].text

    plain = read_csv(csv_tables["plain"])
    check_audio(plain)
    assert [(u.id, u.text) for u in plain] == [("u0", texts[0]), ("u1", texts[1])]
    # the first row's recording missing (suffix-less paths): that row is skipped, the table read
    table = csv_tables["plain"].parent / "missing_first.csv"
    table.write_text(f"wavs/gone|Not here.\nwavs/u0|{texts[0]}\nwavs/u1|{texts[1]}\n")
    skipped: list = []
    try:
        assert [u.id for u in read_csv(table, skipped=skipped)] == ["u0", "u1"]
    finally:
        table.unlink()
    assert len(skipped) == 1 and "audio file is missing" in skipped[0].reason


def test_detect_format_on_every_layout(
    ljspeech_mfa1: CorpusTree,
    ljspeech_mfa2: CorpusTree,
    teacher_single: CorpusTree,
    teacher_multi: CorpusTree,
    vctk_092: CorpusTree,
    vctk_080: CorpusTree,
    libritts: CorpusTree,
    aishell3: CorpusTree,
    csv_tables: dict[str, Path],
) -> None:
    expected = {
        ljspeech_mfa1.root: "ljspeech",
        ljspeech_mfa2.root: "ljspeech",
        teacher_single.root: "teacher",
        teacher_multi.root: "teacher",
        vctk_092.root: "vctk",
        vctk_080.root: "vctk",
        libritts.root: "libritts",
        libritts.root / "dev-clean": "libritts",
        aishell3.root: "aishell3",
        aishell3.root / "train": "aishell3",
        **{table: "csv" for table in csv_tables.values()},
        **{table.parent: "csv" for table in csv_tables.values()},
    }
    for root, name in expected.items():
        assert detect_format(root) == name, root
        assert read_corpus(root) == READERS[name](root), root


def test_read_corpus_passes_options(vctk_092: CorpusTree, aishell3: CorpusTree) -> None:
    assert all(
        u.audio_path.name.endswith("_mic2.flac") for u in read_corpus(vctk_092.root, mic="mic2")
    )
    pinyin = read_corpus(aishell3.root, "aishell3", transcript="pinyin")
    assert pinyin[0].text == MANDARIN[0][1]


def test_user_errors_name_the_path(ljspeech_mfa2: CorpusTree, tmp_path: Path) -> None:
    missing_metadata = tmp_path / "no_metadata"
    shutil.copytree(ljspeech_mfa2.root / "wavs", missing_metadata / "wavs")
    with pytest.raises(CorpusError, match=r"missing .*no_metadata/metadata\.csv: expected"):
        read_ljspeech(missing_metadata)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError, match=r"cannot tell the corpus format of .*empty"):
        detect_format(empty)
    with pytest.raises(CorpusError, match=r"empty has neither wav48_silence_trimmed/"):
        read_corpus(empty, "vctk")
    with pytest.raises(CorpusError, match=r"does not exist"):
        read_corpus(tmp_path / "nowhere")

    with pytest.raises(CorpusError, match=r"unknown corpus format 'timit'.*ljspeech"):
        read_corpus(ljspeech_mfa2.root, "timit")

    a_file = ljspeech_mfa2.root / "metadata.csv"
    with pytest.raises(CorpusError, match="is not a directory"):
        read_ljspeech(a_file)

    only_header = tmp_path / "header_only"
    only_header.mkdir()
    (only_header / "metadata.csv").write_text("LJ999-0001|no audio anywhere\n")
    (only_header / "wavs").mkdir()
    with pytest.raises(CorpusError, match=r"no utterances found in ljspeech corpus .*header_only"):
        read_ljspeech(only_header)

    with pytest.raises(CorpusError, match="alignment directory .* is not a directory"):
        read_ljspeech(ljspeech_mfa2.root, tmp_path / "no_alignments")

    with pytest.raises(CorpusError, match="expected exactly one table"):
        read_csv(empty)

    not_teacher = tmp_path / "not_teacher"
    shutil.copytree(ljspeech_mfa2.root, not_teacher)
    (not_teacher / "corpus.json").write_text('{"format": "something-else"}')
    assert detect_format(not_teacher) == "ljspeech"
    with pytest.raises(CorpusError, match='does not say "format": "fastspeak-teacher"'):
        read_teacher(not_teacher)


def test_duplicate_ids_are_an_error(csv_tables: dict[str, Path], tmp_path: Path) -> None:
    source = csv_tables["tsv_header"]
    lines = source.read_text().splitlines()
    (tmp_path / "dup.tsv").write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(CorpusError, match="'clip-0'"):
        read_csv(tmp_path / "dup.tsv")


def test_a_corpus_metadata_file_given_for_its_folder_names_the_folder(
    ljspeech_mfa1: CorpusTree,
) -> None:
    from fastspeak.data.corpora import detect_format

    with pytest.raises(CorpusError, match=r"ljspeech corpus in .*: pass the folder, --data"):
        detect_format(ljspeech_mfa1.root / "metadata.csv")


def test_a_recording_without_a_metadata_row_is_reported(
    ljspeech_mfa2: CorpusTree, teacher_multi: CorpusTree, tmp_path: Path
) -> None:
    """LJSpeech-layout readers report the audio in wavs/ that no row names, as VCTK and
    LibriTTS report recordings without transcripts."""
    root = tmp_path / "lj"
    shutil.copytree(ljspeech_mfa2.root, root)
    shutil.copyfile(root / "wavs" / "LJ001-0001.wav", root / "wavs" / "LJ009-0009.wav")
    shutil.copyfile(root / "wavs" / "LJ001-0001.wav", root / "wavs" / "LJ001-0002.flac")
    skipped: list[Skipped] = []
    assert len(read_ljspeech(root, skipped=skipped)) == len(SENTENCES)
    assert [s.path.name for s in skipped] == ["LJ001-0002.flac", "LJ009-0009.wav"]
    assert all("no row of" in s.reason and "wavs/<id>.wav" in s.reason for s in skipped)

    multi = tmp_path / "multi"
    shutil.copytree(teacher_multi.root, multi)
    shutil.copyfile(multi / "wavs" / "kal" / "0000.wav", multi / "wavs" / "kal" / "0042.wav")
    skipped = []
    assert len(read_teacher(multi, skipped=skipped)) == 6
    assert [s.path.relative_to(multi).as_posix() for s in skipped] == ["wavs/kal/0042.wav"]
    assert "wavs/<speaker>/<id>.wav" in skipped[0].reason


def test_alignments_folder_without_textgrids_warns(
    ljspeech_mfa2: CorpusTree, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fastspeak.data.corpora"):
        utterances = read_ljspeech(ljspeech_mfa2.root, tmp_path)
    assert all(u.alignment_path is None for u in utterances)
    assert f"0 TextGrids found under {tmp_path}" in caplog.text


def test_csv_text_with_unquoted_commas_is_an_error(
    csv_tables: dict[str, Path], teacher_clips: list[Clip]
) -> None:
    """The columns come from the whole table: a row with more cells than the others (text
    with unquoted commas) is an error naming the line and the fix, wherever it is, instead of
    a cut transcript or, as the first row, a speaker column made of sentence pieces."""
    folder = csv_tables["plain"].parent
    texts = [c.text for c in teacher_clips]
    table = folder / "commas.csv"
    try:
        for rows, line in (
            ([f"wavs/u0.wav,{texts[3]}", f"wavs/u1.wav,{texts[1]}", "wavs/u0,Fine."], "line 1"),
            ([f"wavs/u1.wav,{texts[1]}", f"wavs/u0.wav,{texts[3]}", "wavs/u0,Fine."], "line 2"),
            (["wav,text", f"wavs/u1.wav,{texts[1]}", f"wavs/u0.wav,{texts[3]}"], "line 3"),
        ):
            assert "," in texts[3]
            table.write_text("\n".join(rows) + "\n")
            with pytest.raises(CorpusError, match=rf"commas\.csv: 1 row\(s\) .* 2 columns \({line}\); the text holds unquoted commas: quote it"):  # fmt: skip
                read_csv(table)
        # every row with three cells: the third is the speaker, as before
        table.write_text(f'wavs/u0.wav,"{texts[3]}",anna\nwavs/u1.wav,{texts[1]},bert\n')
        assert [(u.speaker, u.text) for u in read_csv(table)] == [
            ("anna", texts[3]),
            ("bert", texts[1]),
        ]
    finally:
        table.unlink()
