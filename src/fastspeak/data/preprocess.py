"""``fastspeak preprocess``: a corpus -> features, manifests, vocabulary, statistics, splits.

FEATDIR layout::

    config.yaml        the full config used (audio, text, features, split, preprocess)
    vocab.json         token <-> id (also stored in every checkpoint)
    speakers.json      speaker name -> id
    stats.json         pitch and energy statistics in raw units (Hz, STFT norm) for normalising
    train.jsonl val.jsonl test.jsonl   one utterance a line: id, speaker, text, tokens,
                       features (path relative to FEATDIR), frames, seconds, held_out; and
                       blank_frames (per token, the frames of its teacher's closing blank)
                       when the TextGrids have a "blanks" tier (piper teacher corpora)
    report.json        the corpus (absolute path), processed and skipped items (with
                       reasons), timings, warnings (e.g. recordings below audio.sample_rate)
    cache/<hash>/<id>.npz  features; <hash> covers every setting that changes them, so a changed
                       setting never reuses stale features, and an unchanged one reuses them

Each bad file (corrupt or empty audio, missing or mismatched alignment, silence, all-unvoiced
pitch, untokenisable text) is skipped and listed with its reason; one file never stops the run.
Ctrl-C does, within seconds, with any number of workers; the features cached so far are
reused by the next run. FEATDIR must lie outside the corpus folder.

Durations come from TextGrids (teacher corpora, MFA) or, with ``durations=FILE``, from a JSONL
file of ``{"id": ..., "durations": [frames per token, ...]}`` — e.g. a teacher model's attention
alignments (FastSpeech, section 3.3; xcmyz's character durations from Tacotron 2). Those must
have one entry per frontend token and sum to the mel frames of the whole (untrimmed) wav — or,
when the corpus also has TextGrids and ``features.trim_edge_silence`` is on, to those of the wav
trimmed by them (what ``fastspeak align`` writes for a FEATDIR made from those TextGrids).

With ``placeholder_durations`` (``--no-alignments``) a corpus of plain (wav, text) pairs needs
no alignment at all: each utterance's frames are split evenly over its tokens (untrimmed audio)
and stats.json says ``"durations": "placeholder"``. Such a FEATDIR is for ``fastspeak align``
(whose durations.jsonl then goes back through ``--durations``) or for joint training
(``train.durations: learned``, frame-level pitch and energy); the trainer refuses to use its
durations as they are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import soundfile
import yaml
from tqdm import tqdm

from fastspeak.audio.io import AudioError, load_audio
from fastspeak.audio.mel import mel_frames
from fastspeak.audio.pitch import UnvoicedError
from fastspeak.audio.stats import RunningStats
from fastspeak.config import Config
from fastspeak.data.alignments import (
    BLANKS_TIER,
    AlignmentError,
    alignment_tolerance,
    attach_tokens,
    check_contiguous,
    read_textgrid,
    read_textgrid_tiers,
    select_tier,
)
from fastspeak.data.corpora import Skipped, detect_format, read_corpus
from fastspeak.data.dataset import PLACEHOLDER
from fastspeak.data.features import FeatureExtractor
from fastspeak.data.types import Utterance
from fastspeak.files import atomic_write_text
from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.text.vocab import Vocabulary

logger = logging.getLogger("fastspeak.data.preprocess")

FEATURE_VERSION = 2  # 2: TextGrid durations by frame centre (data/alignments.py)
SILENCE_PEAK = 1e-3  # peak amplitude below which a file counts as silence


class PreprocessError(ValueError):
    """The corpus as a whole cannot be preprocessed (nothing usable, bad folder, ...)."""


@dataclass
class Processed:
    """What a worker returns for one usable utterance."""

    entry: dict[str, Any]
    pitch: np.ndarray
    energy: np.ndarray
    source_rate: int | None = None  # of the recording (None: its header is unreadable)


def feature_hash(config: Config) -> str:
    """Cache key: every setting that changes the stored features, plus the format version."""
    return f"v{FEATURE_VERSION}-{config.section_hash('audio', 'text', 'features')}"


def even_durations(frames: int, tokens: int) -> np.ndarray:
    """``frames`` split over ``tokens`` as evenly as possible (the first ones one longer)."""
    return np.asarray(
        [frames // tokens + (index < frames % tokens) for index in range(tokens)], dtype=np.int64
    )


def _source_signature(utterance: Utterance) -> str:
    """Changes when the audio, alignment or transcript of an utterance changes."""
    parts = [utterance.text, utterance.speaker]
    for path in (utterance.audio_path, utterance.alignment_path):
        if path is not None and Path(path).exists():
            stat = Path(path).stat()
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _source_rate(path: Path) -> int | None:
    """The recording's own sample rate from its header, or None when soundfile cannot tell."""
    try:
        return int(soundfile.info(str(path)).samplerate)
    except (RuntimeError, OSError, ValueError):  # soundfile.LibsndfileError is a RuntimeError
        return None


class _Cached(NamedTuple):
    """An utterance's cache file: its features and where its audio sits in the source."""

    durations: np.ndarray
    pitch: np.ndarray
    energy: np.ndarray
    seconds: float  # of the audio the features cover
    source_seconds: float  # of the source recording
    trim_start: float | None  # seconds cut off the source's start (None: an older file)


class _Worker:
    """Per-process state: the text processor and feature extractor are built once."""

    def __init__(
        self,
        config: Config,
        cache_dir: Path,
        feat_dir: Path,
        durations: dict[str, list[int]] | None = None,
        placeholder: bool = False,
    ) -> None:
        self.config = config
        self.durations = durations
        self.placeholder = placeholder
        self.cache_dir = cache_dir
        self.feat_dir = feat_dir
        self.processor = TextProcessor(config.text)
        self.extractor = FeatureExtractor(config)

    def __call__(self, utterance: Utterance) -> Processed | tuple[str, str]:
        try:
            return self._process(utterance)
        except (AudioError, AlignmentError, UnvoicedError, TextError) as error:
            return utterance.id, f"{type(error).__name__}: {error}"
        except (ValueError, RuntimeError, OSError) as error:  # never let one file end the run
            return utterance.id, f"unexpected {type(error).__name__}: {error}"

    def _process(self, utterance: Utterance) -> Processed | tuple[str, str]:
        audio_config, limits = self.config.audio, self.config.preprocess
        path = self.cache_dir / f"{utterance.id}.npz"
        signature = _source_signature(utterance)
        tokens = self.processor.tokens(utterance.text)
        given = None
        if self.durations is not None:
            given = self.durations.get(utterance.id)
            if given is None:
                return utterance.id, "no entry in the --durations file"
            if len(given) != len(tokens):
                return utterance.id, (
                    f"--durations has {len(given)} values for {len(tokens)} tokens; the "
                    "alignments must use this config's text frontend"
                )
            signature = hashlib.sha256(f"{signature}:{given}".encode()).hexdigest()[:16]
        elif self.placeholder:
            signature = hashlib.sha256(f"{signature}:{PLACEHOLDER}".encode()).hexdigest()[:16]
        elif utterance.alignment_path is None:
            return utterance.id, (
                "no alignment: give --alignments with MFA TextGrids, or without MFA "
                "--no-alignments, then fastspeak align and preprocess --durations (README, "
                "'fastspeak align')"
            )
        cached = self._load_cached(path, signature, Path(utterance.audio_path))
        if cached is not None and given is not None and cached.trim_start is None:
            cached = None  # made before trim_start was stored: --durations needs it
        if cached is None:
            wav = load_audio(utterance.audio_path, audio_config.sample_rate)
            seconds = len(wav) / audio_config.sample_rate
            if not len(wav):
                return utterance.id, "empty audio"
            if float(np.abs(wav).max()) < SILENCE_PEAK:
                return utterance.id, "silence-only audio"
            if not limits.min_seconds <= seconds <= limits.max_seconds:
                return utterance.id, self._length_problem(seconds)
            first_sample = 0
            if self.placeholder:
                frames = mel_frames(len(wav), audio_config.hop_length)
                if frames < len(tokens):
                    return utterance.id, (
                        f"{len(tokens)} tokens but only {frames} mel frames: too short to align"
                    )
                durations = even_durations(frames, len(tokens))
            elif given is not None:
                durations = np.asarray(given, dtype=np.int64)
                wav, first_sample = self._audio_for_given(
                    utterance, tokens, wav, int(durations.sum())
                )
                if (durations < 0).any():
                    return utterance.id, "--durations has negative values"
            else:
                durations, wav, first_sample = self._audio_from_textgrid(utterance, tokens, wav)
            features = self.extractor(wav, durations)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp.npz")
            np.savez(
                temporary,
                mels=features.mels.astype(np.float16),
                durations=features.durations,
                pitch=features.pitch,
                energy=features.energy,
                voiced=features.voiced,
                signature=np.array(signature),
                seconds=np.array(len(wav) / audio_config.sample_rate),
                source_seconds=np.array(seconds),
                trim_start=np.array(first_sample / audio_config.sample_rate),
            )
            os.replace(temporary, path)
            cached = self._load_cached(path, signature, Path(utterance.audio_path))
            assert cached is not None
        durations, pitch, energy, seconds, source_seconds, trim_start = cached
        if not limits.min_seconds <= source_seconds <= limits.max_seconds:
            return utterance.id, self._length_problem(source_seconds)  # limits changed since
        entry = {
            "id": utterance.id,
            "speaker": utterance.speaker,
            "text": utterance.text,
            "tokens": tokens,
            "features": str(path.relative_to(self.feat_dir)),
            "frames": int(durations.sum()),
            "seconds": round(seconds, 4),
            "held_out": utterance.held_out,
        }
        if len(tokens) != len(durations):
            return utterance.id, "cached durations do not match the tokens; delete the cache"
        if given is None and not self.placeholder:
            blanks, trim_start = self._from_textgrid(utterance, tokens, durations)
            if blanks is not None:
                entry["blank_frames"] = blanks
        if not self.placeholder and trim_start is not None:
            # where the stored audio sits in the source file (fastspeak align writes its
            # TextGrids on the source timeline)
            entry["trim_start"] = round(trim_start, 6)
            entry["source_seconds"] = round(source_seconds, 6)
        used = durations > 0 if self.config.features.pitch_level == "phoneme" else slice(None)
        used_energy = (
            durations > 0 if self.config.features.energy_level == "phoneme" else slice(None)
        )
        return Processed(
            entry, pitch[used], energy[used_energy], _source_rate(Path(utterance.audio_path))
        )

    def _length_problem(self, seconds: float) -> str:
        limits = self.config.preprocess
        return (
            f"{seconds:.2f} s is outside preprocess.min_seconds..max_seconds "
            f"({limits.min_seconds}..{limits.max_seconds})"
        )

    def _audio_from_textgrid(
        self, utterance: Utterance, tokens: list[str], wav: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Durations (N,) from the utterance's TextGrid, the waveform they cover and its first
        sample in ``wav``.

        With ``features.trim_edge_silence`` the waveform is cut to the first and last speech
        phones (at hop boundaries).
        """
        assert utterance.alignment_path is not None
        audio_config = self.config.audio
        segments = read_textgrid(utterance.alignment_path)
        tolerance = alignment_tolerance(audio_config.sample_rate, audio_config.hop_length)
        check_contiguous(segments, len(wav) / audio_config.sample_rate, tolerance)
        durations, first, last = attach_tokens(segments, tokens).frame_durations(
            audio_config.sample_rate,
            audio_config.hop_length,
            len(wav),
            trim=self.config.features.trim_edge_silence,
        )
        return durations, wav[first:last], first

    def _from_textgrid(
        self, utterance: Utterance, tokens: list[str], durations: np.ndarray
    ) -> tuple[list[int] | None, float]:
        """From one read of the utterance's TextGrid: per token, the frames of the teacher's
        blank that ends it when there is a "blanks" tier (``TokenAlignment.blank_frames``),
        else None; and the seconds trimmed off the start of the source audio."""
        assert utterance.alignment_path is not None
        tiers = read_textgrid_tiers(utterance.alignment_path)  # one read for both
        audio_config = self.config.audio
        alignment = attach_tokens(select_tier(tiers, utterance.alignment_path), tokens)
        first = alignment.first_frame(
            audio_config.sample_rate,
            audio_config.hop_length,
            trim=self.config.features.trim_edge_silence,
        )
        trim_start = first * audio_config.hop_length / audio_config.sample_rate
        if BLANKS_TIER not in tiers:
            return None, trim_start
        found = alignment.blank_frames(
            tiers[BLANKS_TIER], durations, audio_config.sample_rate, audio_config.hop_length
        )
        return [int(frames) for frames in found], trim_start

    def _audio_for_given(
        self, utterance: Utterance, tokens: list[str], wav: np.ndarray, total: int
    ) -> tuple[np.ndarray, int]:
        """The waveform that ``--durations`` summing to ``total`` frames cover, and its first
        sample in ``wav``.

        That is the whole waveform, or — when the corpus has TextGrids and
        ``features.trim_edge_silence`` is on — the waveform trimmed by them, as in a FEATDIR
        made from those TextGrids (so ``fastspeak align`` on such a FEATDIR can feed back).

        Raises:
            AlignmentError: the durations cover neither.
        """
        hop = self.config.audio.hop_length
        whole = mel_frames(len(wav), hop)
        if total == whole:
            return wav, 0
        trimmed: int | None = None
        if utterance.alignment_path is not None and self.config.features.trim_edge_silence:
            trimmed_durations, trimmed_wav, first = self._audio_from_textgrid(
                utterance, tokens, wav
            )
            trimmed = int(trimmed_durations.sum())
            if total == trimmed:
                return trimmed_wav, first
        covered = f"{whole} frames" + ("" if trimmed is None else f" ({trimmed} once trimmed)")
        raise AlignmentError(
            f"--durations sum to {total} frames, the audio has {covered} "
            f"(1 + samples // hop_length); they must match{self._trim_hint(utterance, total, whole)}"
        )

    def _trim_hint(self, utterance: Utterance, total: int, whole: int) -> str:
        """Why ``--durations`` shorter than the whole audio may not match: durations from
        ``fastspeak align`` on a FEATDIR made from TextGrids with edge-silence trimming cover
        the trimmed audio, which only those TextGrids reproduce."""
        if total >= whole:
            return ""
        if utterance.alignment_path is None:
            missing = "this run has no TextGrid for it: give the same --alignments"
        elif not self.config.features.trim_edge_silence:
            missing = "features.trim_edge_silence is off here: turn it on"
        else:
            return ""  # trimmed by its TextGrid and still no match: another cause
        return (
            f". They are shorter than the audio: durations from `fastspeak align` on a FEATDIR "
            "made with TextGrids and features.trim_edge_silence cover the audio those TextGrids "
            f"trimmed, and {missing} as when that FEATDIR was made"
        )

    @staticmethod
    def _load_cached(path: Path, signature: str, audio_path: Path) -> _Cached | None:
        """The cache file's features when it was made from these sources, else None."""
        if not path.exists():
            return None
        try:
            with np.load(path) as stored:
                if str(stored["signature"]) != signature:
                    return None
                seconds = float(stored["seconds"])
                if "source_seconds" in stored:
                    source = float(stored["source_seconds"])
                else:  # a file made before it was stored: the source's length from its header
                    source = soundfile.info(str(audio_path)).duration
                trim = float(stored["trim_start"]) if "trim_start" in stored else None
                return _Cached(
                    stored["durations"], stored["pitch"], stored["energy"], seconds, source, trim
                )
        except (OSError, KeyError, ValueError):
            return None  # a damaged cache file is recomputed


_WORKER: _Worker | None = None


def _init_worker(
    config: Config,
    cache_dir: Path,
    feat_dir: Path,
    durations: dict[str, list[int]] | None = None,
    placeholder: bool = False,
    *,
    ignore_interrupt: bool = False,
) -> None:
    """Build the process's :class:`_Worker`. A pool worker (``ignore_interrupt``) ignores
    SIGINT: Ctrl-C reaches the whole process group, and the parent alone stops the run (it
    terminates the pool), so the workers print no tracebacks."""
    if ignore_interrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    import torch

    torch.set_num_threads(1)
    global _WORKER
    _WORKER = _Worker(config, cache_dir, feat_dir, durations, placeholder)


def _init_pool_worker(
    config: Config,
    cache_dir: Path,
    feat_dir: Path,
    durations: dict[str, list[int]] | None,
    placeholder: bool,
) -> None:
    _init_worker(config, cache_dir, feat_dir, durations, placeholder, ignore_interrupt=True)


def _run_worker(utterance: Utterance) -> Processed | tuple[str, str]:
    assert _WORKER is not None
    return _WORKER(utterance)


def _split_count(requested: int, available: int) -> int:
    """At most ``requested`` and at most a tenth of ``available`` (at least one if >= 2)."""
    if available < 2:
        return 0
    return min(requested, max(1, available // 10))


def _sentence_groups(entries: list[dict[str, Any]], seed: int) -> list[list[dict[str, Any]]]:
    """Entries grouped by sentence (their words, case and punctuation aside), in the order of
    a seeded hash: of the utterance id for a sentence said once, of the sentence for one said
    several times (by several speakers), so every reading of a sentence shares a split."""
    by_text: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        words = " ".join(re.findall(r"\w+", entry["text"].lower()))
        by_text.setdefault(words, []).append(entry)

    def key(text: str, group: list[dict[str, Any]]) -> str:
        name = group[0]["id"] if len(group) == 1 else f"sentence:{text}"
        return hashlib.sha1(f"{seed}:{name}".encode()).hexdigest()

    ordered = sorted(by_text.items(), key=lambda item: key(*item))
    return [group for _, group in ordered]


def _take(
    groups: list[list[dict[str, Any]]], count: int, available: int
) -> tuple[list[Any], list[Any]]:
    """(whole groups, in order, until they hold ``count`` entries, the rest), flattened. A
    group that would take more than ``max(count, available // 10)`` entries is passed over
    (a sentence read by many speakers must not fill val or test, nor empty train)."""
    cap = max(count, available // 10)
    taken: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for group in groups:
        if len(taken) < count and len(taken) + len(group) <= cap:
            taken += group
        else:
            rest += group
    return taken, rest


def assign_splits(entries: list[dict[str, Any]], config: Config) -> dict[str, list[dict[str, Any]]]:
    """Deterministic train/val/test split by a seeded hash (see :func:`_sentence_groups`):
    the readings of one sentence by several speakers all land in the same split, so val and
    test never hold a sentence that train has.

    Held-out utterances always go to test (and only they, when the corpus has any); otherwise
    about ``split.test_size`` utterances are drawn. About ``split.val_size`` come from the
    rest. Neither takes more than a tenth of what is left (whole sentences; a sentence read
    more often than that stays in train), so small corpora keep most utterances for training.
    """
    split = config.split
    test = [entry for entry in entries if entry["held_out"]]
    pool = _sentence_groups([entry for entry in entries if not entry["held_out"]], split.seed)
    available = sum(len(group) for group in pool)
    if not test:
        test, rest = _take(pool, _split_count(split.test_size, available), available)
        pool = _sentence_groups(rest, split.seed)
        available = len(rest)
    val, train = _take(pool, _split_count(split.val_size, available), available)
    return {
        name: sorted(items, key=lambda entry: entry["id"])
        for name, items in (("train", train), ("val", val), ("test", test))
    }


def _write_jsonl(path: Path, entries: Iterable[dict[str, Any]]) -> None:
    atomic_write_text(
        path, "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in entries)
    )


def _write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_durations_file(path: Path) -> dict[str, list[int]]:
    """A JSONL of ``{"id": str, "durations": [int, ...]}`` -> {id: durations}."""
    if not Path(path).is_file():
        raise PreprocessError(f"durations file {path} does not exist")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise PreprocessError(
            f"durations file {path} is not UTF-8 (byte {error.start}: {error.reason}); give "
            "the durations.jsonl `fastspeak align` writes"
        ) from error
    durations: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            durations[str(record["id"])] = [int(value) for value in record["durations"]]
        except (ValueError, KeyError, TypeError) as error:
            raise PreprocessError(
                f'{path}:{number}: expected {{"id": ..., "durations": [ints]}} ({error})'
            ) from error
    return durations


def check_workers(workers: int | None) -> None:
    """``workers`` is None (the config's), 0 (every core) or a positive number of processes.

    Raises:
        PreprocessError: any other value.
    """
    if workers is not None and workers < 0:
        raise PreprocessError(
            f"--workers must be 0 (every core) or a positive number of processes, got {workers}"
        )


def check_out_dir(data_dir: Path, out_dir: Path) -> None:
    """FEATDIR must lie outside a corpus folder: its report.json, config.yaml, manifests and
    cache/ would mix with (and overwrite) the corpus's own files.

    Raises:
        PreprocessError: ``out_dir`` is the corpus folder ``data_dir`` or inside it.
    """
    if not data_dir.is_dir():
        return  # a table file: FEATDIR may sit beside it
    corpus, out = data_dir.resolve(), out_dir.resolve()
    if out == corpus or corpus in out.parents:
        raise PreprocessError(
            f"--out {out_dir} is {'the corpus folder' if out == corpus else 'inside the corpus'} "
            f"--data {data_dir}; FEATDIR would overwrite the corpus's files: choose a folder "
            f"outside it, e.g. --out {corpus.parent / (corpus.name + '_features')}"
        )


def _count_textgrids(directory: Path) -> int:
    return sum(
        1
        for _, _, names in os.walk(directory)
        for name in names
        if name.lower().endswith(".textgrid")
    )


def check_alignments_found(utterances: list[Utterance], alignments: Path) -> None:
    """With ``--alignments`` given for TextGrid durations, at least one utterance has one.

    Raises:
        PreprocessError: no utterance has a TextGrid; the message says whether the folder
            holds none at all or only TextGrids named after no utterance id.
    """
    if any(utterance.alignment_path is not None for utterance in utterances):
        return
    found = _count_textgrids(Path(alignments))
    if not found:
        problem = f"0 TextGrids found under --alignments {alignments} (searched recursively)"
    else:
        problem = (
            f"none of the {found} TextGrids under --alignments {alignments} is named after an "
            f"utterance id (e.g. {utterances[0].id}.TextGrid)"
        )
    raise PreprocessError(
        f"{problem}; pass the folder MFA wrote its <id>.TextGrid files to, or without MFA "
        "use --no-alignments, then fastspeak align and preprocess --durations"
    )


def _run_pool(
    utterances: list[Utterance], workers: int, initargs: tuple[Any, ...], progress: bool
) -> list[Processed | tuple[str, str]]:
    """Every utterance's worker result, computed by ``workers`` processes (1: this one).

    An exception here (Ctrl-C's KeyboardInterrupt) terminates the pool at once instead of
    waiting for the queued utterances; the workers ignore SIGINT, so they print nothing.
    What is cached stays: each cache file is written atomically.
    """
    bar = tqdm(total=len(utterances), desc="preprocess", unit="utt", disable=not progress)
    results: list[Processed | tuple[str, str]] = []
    pool = None
    try:
        if workers == 1:
            _init_worker(*initargs)
            found: Iterable[Processed | tuple[str, str]] = map(_run_worker, utterances)
        else:
            context = multiprocessing.get_context("spawn")
            # children started while SIGINT is ignored keep ignoring it until their
            # initializer says so too (Ctrl-C during their start-up prints nothing)
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                pool = context.Pool(workers, initializer=_init_pool_worker, initargs=initargs)
            finally:
                signal.signal(signal.SIGINT, previous)
            found = pool.imap_unordered(_run_worker, utterances, chunksize=4)
        for result in found:
            results.append(result)
            bar.update()
    except BaseException:
        if pool is not None:
            pool.terminate()
            pool.join()
        _remove_partial_files(initargs[1])
        raise
    finally:
        bar.close()
    if pool is not None:
        pool.close()
        pool.join()
    return results


def _remove_partial_files(cache_dir: Path) -> None:
    """Delete the temporary files of workers killed while writing, and ``cache_dir`` itself
    when it holds nothing."""
    for partial in Path(cache_dir).glob("*.tmp.npz"):
        partial.unlink(missing_ok=True)
    _remove_empty(Path(cache_dir))


def _remove_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def low_rate_warning(processed: list[Processed], sample_rate: int) -> str | None:
    """A warning when recordings are below ``sample_rate`` (upsampled, so nothing above half
    their rate is in them), or None."""
    low = [item.source_rate for item in processed if item.source_rate is not None]
    low = [rate for rate in low if rate < sample_rate]
    if not low:
        return None
    return (
        f"{len(low)} of {len(processed)} utterances were recorded below audio.sample_rate "
        f"{sample_rate} Hz (lowest {min(low)} Hz) and upsampled: they hold nothing above "
        f"{min(low) / 2000:g} kHz, so the model will be band-limited to {min(low) / 2000:g} kHz "
        "on them; leave such recordings out, or set audio.sample_rate to their rate"
    )


def preprocess(
    config: Config,
    data_dir: Path,
    out_dir: Path,
    corpus_format: str = "auto",
    alignments: Path | None = None,
    workers: int | None = None,
    progress: bool = True,
    durations: Path | None = None,
    placeholder_durations: bool = False,
) -> dict[str, Any]:
    """Extract features for every utterance of a corpus and write FEATDIR (see module docstring).

    ``durations``: a JSONL file of per-token frame durations (e.g. teacher attention
    alignments) used instead of TextGrids. ``placeholder_durations``: no alignments at all,
    even durations for ``fastspeak align`` or joint training to replace. ``workers``: None
    takes ``preprocess.workers``; 0 means every core. Returns the report (also in
    ``out_dir/report.json``); its ``warnings`` list what needs the user's attention (also
    logged). Ctrl-C stops the run within seconds; features cached so far are reused by the
    next run.
    """
    if placeholder_durations and durations is not None:
        raise PreprocessError("give either a durations file or placeholder durations, not both")
    check_workers(workers)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    check_out_dir(data_dir, out_dir)
    given = read_durations_file(durations) if durations is not None else None
    started = time.perf_counter()
    unreadable: list[Skipped] = []
    if corpus_format == "auto":
        corpus_format = detect_format(data_dir)
    utterances = read_corpus(data_dir, corpus_format, alignments, skipped=unreadable)
    if not utterances:
        raise PreprocessError(f"no utterances found in {data_dir}")
    if alignments is not None and given is None and not placeholder_durations:
        check_alignments_found(utterances, alignments)
    key = feature_hash(config)
    cache_dir = out_dir / "cache" / key  # made by the first feature written
    workers = workers if workers is not None else config.preprocess.workers
    workers = workers or os.cpu_count() or 1
    workers = min(workers, len(utterances))

    processed: list[Processed] = []
    skipped = [{"id": str(item.path), "text": "", "reason": item.reason} for item in unreadable]
    texts = {utterance.id: utterance.text for utterance in utterances}
    initargs = (config, cache_dir, out_dir, given, placeholder_durations)
    for result in _run_pool(utterances, workers, initargs, progress):
        if isinstance(result, Processed):
            processed.append(result)
        else:
            utterance_id, reason = result
            skipped.append({"id": utterance_id, "text": texts[utterance_id], "reason": reason})
    if not processed:
        _remove_empty(cache_dir)
        reasons = sorted({item["reason"] for item in skipped})[:5]
        raise PreprocessError(
            f"every utterance in {data_dir} was skipped; first reasons: {reasons}"
        )

    entries = [item.entry for item in processed]
    vocab = Vocabulary.from_tokens((entry["tokens"] for entry in entries), config.text.inventory)
    speakers = {name: index for index, name in enumerate(sorted({e["speaker"] for e in entries}))}
    splits = assign_splits(entries, config)
    # normalisation statistics from the training split alone: held-out audio stays unseen
    train_ids = {entry["id"] for entry in splits["train"]} or {entry["id"] for entry in entries}
    pitch_stats, energy_stats = RunningStats(), RunningStats()
    for item in processed:
        if item.entry["id"] in train_ids:
            pitch_stats.update(item.pitch)
            energy_stats.update(item.energy)

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.yaml", yaml.safe_dump(config.to_dict(), sort_keys=False))
    vocab.save(out_dir / "vocab.json")
    _write_json(out_dir / "speakers.json", speakers)
    _write_json(
        out_dir / "stats.json",
        {
            "pitch": pitch_stats.to_dict(),
            "energy": energy_stats.to_dict(),
            "feature_hash": key,
            **({"durations": PLACEHOLDER} if placeholder_durations else {}),
        },
    )
    for name, items in splits.items():
        _write_jsonl(out_dir / f"{name}.jsonl", items)
    audio_seconds = sum(entry["seconds"] for entry in entries)
    warnings = [w for w in (low_rate_warning(processed, config.audio.sample_rate),) if w]
    for warning in warnings:
        logger.warning("%s: %s", data_dir, warning)
    elapsed = time.perf_counter() - started
    report = {
        "data": str(data_dir.resolve()),
        "corpus_format": corpus_format,
        "feature_hash": key,
        "utterances": len(utterances) + len(unreadable),  # = processed + skipped
        "processed": len(entries),
        "skipped": sorted(skipped, key=lambda item: item["id"]),
        "splits": {name: len(items) for name, items in splits.items()},
        "speakers": len(speakers),
        "vocabulary": len(vocab),
        "audio_seconds": round(audio_seconds, 2),
        "seconds_taken": round(elapsed, 2),
        "realtime_factor": round(audio_seconds / elapsed, 1) if elapsed > 0 else None,
        "workers": workers,
        "durations_file": str(Path(durations).resolve()) if durations is not None else None,
        "placeholder_durations": placeholder_durations,
        "stale_caches": stale_caches(out_dir, key),
        "warnings": warnings,
    }
    _write_json(out_dir / "report.json", report)
    return report


def stale_caches(out_dir: Path, key: str) -> list[dict[str, Any]]:
    """The ``cache/`` folders of FEATDIR other than ``key``'s (features of other settings or of
    an older fastspeak, which nothing reads once the manifests name ``key``): name and MB.
    Empty ones (left by a failed run of an older fastspeak) are removed, not listed."""
    found = []
    for folder in sorted((out_dir / "cache").glob("*")):
        _remove_empty(folder)
        if folder.is_dir() and folder.name != key:
            size = sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
            found.append({"folder": f"cache/{folder.name}", "mb": round(size / 2**20, 1)})
    return found
