"""Corpus trees in every supported layout, built from real teacher audio.

flite (``-voice slt``, 16 kHz) speaks a handful of sentences once per session; ``-psdur``
gives the phone end times, which become real TextGrids. The same clips are then laid out as
LJSpeech (MFA-1 'sil'/'sp' TextGrids under ``<alignments>/LJSpeech/`` and MFA-2 empty-label
TextGrids under ``textgrids/``), fastspeak teacher corpora (one and two speakers, TextGrids
from fastspeak's own ``write_textgrid``), VCTK 0.92 (flac, two microphones, one speaker
without transcripts) and 0.80, LibriTTS, AISHELL-3 and generic tables.

A test module gets the fixtures with ``from fixtures_corpora import *`` (``__all__`` lists
exactly the fixtures) and imports the constants it checks against by name.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import soundfile as sf

from fastspeak.data.alignments import Segment, write_textgrid

__all__ = [
    "aishell3",
    "csv_tables",
    "libritts",
    "ljspeech_mfa1",
    "ljspeech_mfa2",
    "teacher_clips",
    "teacher_multi",
    "teacher_single",
    "vctk_080",
    "vctk_092",
]

# (id, raw text, normalized text as spoken)
SENTENCES = [
    (
        "LJ001-0001",
        "Dr. Smith paid $5 for 2 canoes.",
        "Doctor Smith paid five dollars for two canoes.",
    ),
    ("LJ001-0002", "Glue the sheet to the dark blue background.", ""),
    ("LJ001-0003", "It's easy to tell the depth of a well.", ""),
    ("LJ002-0001", "These days, a chicken leg is a rare dish.", ""),
]
HELD_OUT_ID = "LJ002-0001"
# Mandarin transcripts for the AISHELL-3 layout (the audio is English; only the layout matters)
MANDARIN = [
    ("广州女大学生", "guang3 zhou1 nv3 da4 xue2 sheng1"),
    ("登山失联四天", "deng1 shan1 shi1 lian2 si4 tian1"),
    ("警方找到了", "jing3 fang1 zhao3 dao4 le5"),
]


def spoken(raw: str, normalized: str) -> str:
    return normalized or raw


@dataclass(frozen=True)
class Clip:
    """One flite recording: 16 kHz wav, its phones (flite's 'pau' = silence), and length."""

    id: str
    text: str
    wav: Path
    phones: tuple[Segment, ...]
    duration: float


@dataclass(frozen=True)
class CorpusTree:
    root: Path
    alignments: Path | None = None


def _synthesize(text: str, wav: Path) -> Clip:
    result = subprocess.run(
        ["flite", "-voice", "slt", "-psdur", "-t", text, "-o", str(wav)],
        check=True,
        capture_output=True,
        text=True,
    )
    duration = sf.info(str(wav)).duration
    phones, start = [], 0.0
    for pair in result.stdout.split():
        label, end_text = pair.rsplit(":", 1)
        end = min(float(end_text), duration)
        if end > start:
            phones.append(Segment(label, start, end))
            start = end
    if start < duration:  # flite's last end can fall short of the written audio
        phones.append(Segment("pau", start, duration))
    return Clip(wav.stem, text, wav, tuple(phones), duration)


def _mfa_labels(phones: tuple[Segment, ...], mfa_version: int) -> list[Segment]:
    """flite phones as MFA writes them: ARPAbet upper case; silence 'sil' at the edges and
    'sp' inside (MFA 1) or an empty label (MFA >= 2)."""
    out = []
    for index, phone in enumerate(phones):
        if phone.label == "pau":
            edge = index in (0, len(phones) - 1)
            label = ("sil" if edge else "sp") if mfa_version == 1 else ""
        else:
            label = phone.label.upper()
        out.append(Segment(label, phone.start, phone.end))
    return out


def _praat_long(path: Path, tiers: list[tuple[str, list[Segment]]], duration: float) -> None:
    """A Praat long-format TextGrid as MFA writes it (independent of fastspeak's writer)."""
    lines = [
        'File type = "ooTextFile"',
        'Object class = "TextGrid"',
        "",
        "xmin = 0",
        f"xmax = {duration}",
        "tiers? <exists>",
        f"size = {len(tiers)}",
        "item []:",
    ]
    for number, (name, segments) in enumerate(tiers, start=1):
        lines += [
            f"    item [{number}]:",
            '        class = "IntervalTier"',
            f'        name = "{name}"',
            "        xmin = 0",
            f"        xmax = {duration}",
            f"        intervals: size = {len(segments)}",
        ]
        for index, segment in enumerate(segments, start=1):
            lines += [
                f"        intervals [{index}]:",
                f"            xmin = {segment.start}",
                f"            xmax = {segment.end}",
                f'            text = "{segment.label}"',
            ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _praat_short(path: Path, tiers: list[tuple[str, list[Segment]]], duration: float) -> None:
    """The same TextGrid in Praat's short format."""
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", str(duration)]
    lines += ["<exists>", str(len(tiers))]
    for name, segments in tiers:
        lines += ['"IntervalTier"', f'"{name}"', "0", str(duration), str(len(segments))]
        for segment in segments:
            lines += [str(segment.start), str(segment.end), f'"{segment.label}"']
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _mfa_textgrid(path: Path, clip: Clip, mfa_version: int, short: bool = False) -> None:
    phones = _mfa_labels(clip.phones, mfa_version)
    silence = "" if mfa_version >= 2 else "sil"
    speech = [p for p in phones if p.label not in ("", "sil", "sp")]
    words = [
        Segment(silence, 0.0, speech[0].start),
        Segment(clip.text.lower(), speech[0].start, speech[-1].end),
        Segment(silence, speech[-1].end, clip.duration),
    ]
    writer = _praat_short if short else _praat_long
    writer(path, [("words", words), ("phones", phones)], clip.duration)


def _teacher_textgrid(path: Path, clip: Clip) -> None:
    """fastspeak's own writer, silence as empty labels (what teacher corpora contain)."""
    phones = [Segment("" if p.label == "pau" else p.label, p.start, p.end) for p in clip.phones]
    path.parent.mkdir(parents=True, exist_ok=True)
    write_textgrid(path, phones, duration=clip.duration)


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def _flac(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    audio, rate = sf.read(str(source))
    sf.write(str(target), audio, rate, format="FLAC")
    return target


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


@pytest.fixture(scope="session")
def teacher_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    if shutil.which("flite") is None:
        pytest.skip("flite is not installed (apt-get install flite)")
    folder = tmp_path_factory.mktemp("flite")
    return [_synthesize(spoken(raw, norm), folder / f"{i}.wav") for i, raw, norm in SENTENCES]


@pytest.fixture(scope="session")
def ljspeech_mfa1(
    tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]
) -> CorpusTree:
    """LJSpeech with normalized column, held_out.txt, MFA-1 TextGrids in ming024's
    ``<alignments>/LJSpeech/<id>.TextGrid`` layout (one utterance left unaligned)."""
    base = tmp_path_factory.mktemp("ljspeech_mfa1")
    root, alignments = base / "LJSpeech-1.1", base / "mfa1"
    rows = []
    for (uid, raw, normalized), clip in zip(SENTENCES, teacher_clips, strict=True):
        _copy(clip.wav, root / "wavs" / f"{uid}.wav")
        rows.append(f"{uid}|{raw}|{spoken(raw, normalized)}")
        if uid != "LJ001-0003":
            _mfa_textgrid(alignments / "LJSpeech" / f"{uid}.TextGrid", clip, mfa_version=1)
    _write_lines(root / "metadata.csv", rows)
    _write_lines(root / "held_out.txt", ["# fixed held-out sentences", HELD_OUT_ID])
    return CorpusTree(root, alignments)


@pytest.fixture(scope="session")
def ljspeech_mfa2(
    tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]
) -> CorpusTree:
    """LJSpeech with only the raw column and MFA-2 (empty-label) TextGrids in root/textgrids."""
    root = tmp_path_factory.mktemp("ljspeech_mfa2")
    rows = []
    for (uid, raw, normalized), clip in zip(SENTENCES, teacher_clips, strict=True):
        _copy(clip.wav, root / "wavs" / f"{uid}.wav")
        rows.append(f"{uid}|{spoken(raw, normalized)}")
        _mfa_textgrid(root / "textgrids" / f"{uid}.TextGrid", clip, mfa_version=2)
    _write_lines(root / "metadata.csv", rows)
    return CorpusTree(root)


@pytest.fixture(scope="session")
def teacher_single(
    tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]
) -> CorpusTree:
    root = tmp_path_factory.mktemp("teacher_single")
    (root / "corpus.json").write_text(json.dumps({"format": "fastspeak-teacher", "voice": "slt"}))
    rows = []
    for index, clip in enumerate(teacher_clips):
        uid = f"{index:04d}"
        _copy(clip.wav, root / "wavs" / f"{uid}.wav")
        _teacher_textgrid(root / "textgrids" / f"{uid}.TextGrid", clip)
        rows.append(f"{uid}|{clip.text}|{clip.text}")
    _write_lines(root / "metadata.csv", rows)
    _write_lines(root / "held_out.txt", ["0003"])
    return CorpusTree(root)


@pytest.fixture(scope="session")
def teacher_multi(
    tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]
) -> CorpusTree:
    """Two speakers reading the same three sentence ids."""
    root = tmp_path_factory.mktemp("teacher_multi")
    manifest = {"format": "fastspeak-teacher", "speakers": ["slt", "kal"]}
    (root / "corpus.json").write_text(json.dumps(manifest))
    rows = []
    for speaker in ("slt", "kal"):
        for index, clip in enumerate(teacher_clips[:3]):
            uid = f"{index:04d}"
            _copy(clip.wav, root / "wavs" / speaker / f"{uid}.wav")
            _teacher_textgrid(root / "textgrids" / speaker / f"{uid}.TextGrid", clip)
            rows.append(f"{uid}|{speaker}|{clip.text}|{clip.text}")
    _write_lines(root / "metadata.csv", rows)
    _write_lines(root / "held_out.txt", ["0002"])
    return CorpusTree(root)


VCTK_SPEAKERS = {"p225": (0, 1, 2), "p226": (1, 3)}  # speaker -> indices into the clips


@pytest.fixture(scope="session")
def vctk_092(tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]) -> CorpusTree:
    """VCTK-Corpus-0.92: flac for mic1 and mic2, txt/, p315 with audio but no transcripts,
    MFA-2 alignments as ``<alignments>/<spk>/<id>.TextGrid`` for p225 only."""
    base = tmp_path_factory.mktemp("vctk")
    root, alignments = base / "VCTK-Corpus-0.92", base / "vctk_aligned"
    audio = root / "wav48_silence_trimmed"
    for speaker, indices in {**VCTK_SPEAKERS, "p315": (0,)}.items():
        for number, index in enumerate(indices, start=1):
            stem, clip = f"{speaker}_{number:03d}", teacher_clips[index]
            for mic in ("mic1", "mic2"):
                _flac(clip.wav, audio / speaker / f"{stem}_{mic}.flac")
            if speaker != "p315":
                _write_lines(root / "txt" / speaker / f"{stem}.txt", [clip.text])
            if speaker == "p225":
                _mfa_textgrid(alignments / speaker / f"{stem}.TextGrid", clip, mfa_version=2)
    (audio / "log.txt").write_text("not a speaker folder\n")
    (root / "speaker-info.txt").write_text("ID  AGE  GENDER  ACCENTS  REGION COMMENTS\n")
    return CorpusTree(root, alignments)


@pytest.fixture(scope="session")
def vctk_080(tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]) -> CorpusTree:
    root = tmp_path_factory.mktemp("vctk080") / "VCTK-Corpus"
    for speaker, indices in VCTK_SPEAKERS.items():
        for number, index in enumerate(indices, start=1):
            stem, clip = f"{speaker}_{number:03d}", teacher_clips[index]
            _copy(clip.wav, root / "wav48" / speaker / f"{stem}.wav")
            _write_lines(root / "txt" / speaker / f"{stem}.txt", [clip.text])
    return CorpusTree(root)


# (subset, speaker, chapter, clip index, transcripts present)
LIBRITTS_FILES = [
    ("train-clean-100", "19", "198", 0, ("normalized", "original")),
    ("train-clean-100", "19", "198", 1, ("normalized", "original")),
    ("train-clean-100", "103", "1240", 2, ("original",)),
    ("dev-clean", "84", "121123", 3, ("normalized", "original")),
    ("dev-clean", "84", "121123", 0, ()),  # no transcript: skipped and reported
]


def libritts_stem(speaker: str, chapter: str, number: int) -> str:
    return f"{speaker}_{chapter}_{number:06d}_000000"


@pytest.fixture(scope="session")
def libritts(tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]) -> CorpusTree:
    """LibriTTS: two subsets, three speakers; MFA-1 short-format TextGrids mirroring
    ``<speaker>/<chapter>/`` for the train-clean-100 utterances."""
    base = tmp_path_factory.mktemp("libritts")
    root, alignments = base / "LibriTTS", base / "libritts_aligned"
    for number, (subset, speaker, chapter, index, kinds) in enumerate(LIBRITTS_FILES):
        clip, stem = teacher_clips[index], libritts_stem(speaker, chapter, number)
        folder = root / subset / speaker / chapter
        _copy(clip.wav, folder / f"{stem}.wav")
        for kind in kinds:
            text = clip.text if kind == "normalized" else clip.text.upper()
            (folder / f"{stem}.{kind}.txt").write_text(text, encoding="utf-8")
        if subset == "train-clean-100":
            path = alignments / speaker / chapter / f"{stem}.TextGrid"
            _mfa_textgrid(path, clip, mfa_version=1, short=True)
        (folder / f"{speaker}_{chapter}.trans.tsv").write_text("", encoding="utf-8")
    (root / "SPEAKERS.txt").write_text(";ID |SEX| SUBSET |MINUTES| NAME\n", encoding="utf-8")
    return CorpusTree(root, alignments)


AISHELL3_FILES = {  # split -> [(speaker, utterance number, mandarin index)]
    "train": [("SSB0005", 1, 0), ("SSB0005", 2, 1), ("SSB0009", 1, 2)],
    "test": [("SSB0011", 1, 0)],
}


@pytest.fixture(scope="session")
def aishell3(tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]) -> CorpusTree:
    root = tmp_path_factory.mktemp("aishell3") / "data_aishell3"
    for split, files in AISHELL3_FILES.items():
        lines = []
        for speaker, number, index in files:
            stem = f"{speaker}{number:04d}"
            _copy(teacher_clips[index].wav, root / split / "wav" / speaker / f"{stem}.wav")
            hanzi, pinyin = MANDARIN[index]
            pairs = " ".join(f"{h} {p}" for h, p in zip(hanzi, pinyin.split(), strict=True))
            lines.append(f"{stem}.wav\t{pairs}")
        _write_lines(root / split / "content.txt", lines)
    (root / "spk-info.txt").write_text("SSB0005\tA\tfemale\tnorth\n", encoding="utf-8")
    return CorpusTree(root)


@pytest.fixture(scope="session")
def csv_tables(
    tmp_path_factory: pytest.TempPathFactory, teacher_clips: list[Clip]
) -> dict[str, Path]:
    """Generic tables over the same clips: name -> table file (each in its own folder).

    - ``pipe_speaker``: no header, ``wav|text|speaker``, relative paths, two speakers with
      clashing file names (ids get the speaker prefix)
    - ``tsv_header``: header ``text<TAB>path``, no speaker column, absolute paths
    - ``csv_quoted``: comma CSV with header ``audio,text,speaker`` and quoted text with commas
    - ``plain``: no header, ``wav|text``, paths without suffix
    """
    base = tmp_path_factory.mktemp("tables")
    tables: dict[str, Path] = {}

    folder = base / "pipe_speaker"
    rows = []
    for speaker, clips in (("anna", teacher_clips[:2]), ("bert", teacher_clips[:1])):
        for number, clip in enumerate(clips):
            _copy(clip.wav, folder / "audio" / speaker / f"{number}.wav")
            rows.append(f"audio/{speaker}/{number}.wav|{clip.text}|{speaker}")
    tables["pipe_speaker"] = folder / "list.txt.psv"
    _write_lines(tables["pipe_speaker"], rows)

    folder = base / "tsv_header"
    rows = ["text\tpath"]
    for number, clip in enumerate(teacher_clips[:3]):
        wav = _copy(clip.wav, folder / "clips" / f"clip-{number}.wav")
        rows.append(f"{clip.text}\t{wav}")
    tables["tsv_header"] = folder / "train.tsv"
    _write_lines(tables["tsv_header"], rows)

    folder = base / "csv_quoted"
    rows = ["audio,text,speaker"]
    for number, clip in enumerate(teacher_clips[2:4]):
        _copy(clip.wav, folder / f"s{number}.wav")
        rows.append(f's{number}.wav,"{clip.text}",solo')
    tables["csv_quoted"] = folder / "metadata.csv"
    _write_lines(tables["csv_quoted"], rows)

    folder = base / "plain"
    rows = []
    for number, clip in enumerate(teacher_clips[:2]):
        _copy(clip.wav, folder / "wavs" / f"u{number}.wav")
        rows.append(f"wavs/u{number}|{clip.text}")
    tables["plain"] = folder / "files.csv"
    _write_lines(tables["plain"], rows)
    return tables
