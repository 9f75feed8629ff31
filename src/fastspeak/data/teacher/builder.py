"""Build a teacher corpus: wavs + TextGrids in our tokens + metadata, in parallel and resumable.

Layout (single voice, LJSpeech-like)::

    out/wavs/<id>.wav   out/textgrids/<id>.TextGrid   out/metadata.csv (id|text|normalized)

Several voices::

    out/wavs/<speaker>/<id>.wav   out/textgrids/<speaker>/<id>.TextGrid
    out/metadata.csv (id|speaker|text|normalized)

and always ``held_out.txt`` (ids spoken from the fixed held-out sentences), ``corpus.json``
(format "fastspeak-teacher"), ``report.json`` and ``utterances.jsonl`` (one record per
attempted utterance, the resume log).

Ids: ``<speaker>_<NNNNNN>`` where N is the sentence's index in ``train.txt`` (so a larger build
reuses a smaller one) and ``<speaker>_heldout_<NNNN>`` for held-out sentences.

Fill to N: ``num_sentences`` (and ``held_out``) count SUCCESSFUL utterances per speaker. Each
speaker walks its list in the fixed order; when an utterance fails (a phone mismatch, an engine
error), the next sentence of the list is drawn, until N succeed, the list ends, or
``attempt_factor * N`` sentences have been tried (then the report shows the shortfall). Every
speaker tries the same sentences in the same order, so the corpus stays parallel except where
one voice failed a sentence another spoke. Synthesis runs in rounds (all missing utterances of
every speaker in parallel, then the replacements for the failures), so which sentences end up
in the corpus depends only on which ones fail, never on timing.

Resuming: an utterance whose wav and TextGrid exist (and whose log record is ok) is skipped; a
recorded failure of the same text counts as an attempt and is not tried again unless
``retry_failed``.

Every utterance is verified before it is kept: segments contiguous from 0, no negative
durations, last end within one hop (256 samples at the output rate) of the audio length, and the
speech labels equal the frontend's tokens. Files are written atomically (wav first, TextGrid
second); a failed utterance leaves no files and is listed in ``report.json`` with its reason.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import current_process, get_all_start_methods, get_context
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any

from fastspeak.data.alignments import (
    AlignmentError,
    Segment,
    check_contiguous,
    write_textgrid,
)
from fastspeak.data.teacher.engines import (
    ENGINES,
    PhoneMismatch,
    Prosody,
    TeacherEngine,
    TeacherError,
    create_engine,
)
from fastspeak.data.teacher.sentences import load_sentences
from fastspeak.files import atomic_write_text

CORPUS_FORMAT = "fastspeak-teacher"
CORPUS_VERSION = 1
HOP_LENGTH = 256
LOG_FILE = "utterances.jsonl"


@dataclass(frozen=True)
class Job:
    """One utterance to make."""

    id: str
    speaker: str
    text: str
    held_out: bool
    wav_path: str
    textgrid_path: str
    index: int = 0  # the sentence's position in its list


class TeacherCorpusError(ValueError):
    """A teacher-corpus request that cannot be built as asked; the message says what to change."""


def build_teacher_corpus(
    engine: str,
    voices: list[str] | None,
    num_sentences: int,
    out_dir: Path,
    sample_rate: int = 22050,
    workers: int = 0,
    seed: int = 1234,
    held_out: int = 250,
    progress: bool = True,
    *,
    train_sentences: Sequence[str] | None = None,
    held_out_sentences: Sequence[str] | None = None,
    engine_options: dict[str, Any] | None = None,
    attempt_factor: float = 3.0,
    retry_failed: bool = False,
) -> dict[str, Any]:
    """Speak sentences with a teacher voice and write a corpus with exact phone alignments.

    Args:
        engine: "piper" (en_US-joe-medium, inventory espeak), "festival" (cmu_us_slt_arctic_hts,
            arpabet) or "flite" (slt, rms, awb, kal16; arpabet).
        voices: voice names; None -> the engine's default (piper joe, festival slt, flite slt).
            One voice gives the LJSpeech layout, several a multi-speaker layout. Each voice
            speaks the same sentences.
        num_sentences: successful training utterances per voice, drawn in order from the
            packaged ``train.txt`` (at most 15,000); a failed sentence is replaced by the next
            one of the list (see "Fill to N" in the module docstring).
        out_dir: the corpus folder (created; an existing build of the same engine, voices and
            sample rate is resumed: utterances whose wav and TextGrid exist are skipped).
        sample_rate: output rate in Hz; engine audio is resampled to it and saved as 16-bit PCM.
        workers: worker processes; 0 -> ``os.cpu_count()``; 1 runs in this process.
        seed: seeds the per-utterance prosody draw (speed, keyed on the utterance id) and
            piper's sampling noise, so a build with ``workers=1`` is reproducible (several
            workers share the utterances out as they finish, and piper's noise follows the
            order each worker speaks in).
        held_out: how many held-out utterances each voice also speaks successfully, drawn in
            order from the fixed held-out list the same way (ids listed in
            ``out/held_out.txt``; at most 300).
        progress: show a tqdm progress bar.
        train_sentences, held_out_sentences: replace the packaged lists (tests, custom text).
        engine_options: extra keyword arguments for the engine class (e.g. piper
            ``mode="text"``, festival/flite ``lexicon=False``).
        attempt_factor: per voice and split, try at most ``ceil(attempt_factor * N)``
            sentences (and never more than the list holds); 1.0 disables refilling.
        retry_failed: try again the sentences a previous run recorded as failed.

    Returns:
        The report (also written to ``out/report.json``): utterances, failed (list of
        {id, speaker, text, reason} for every attempted utterance that failed), attempted
        (utterances tried: successes plus failures), max_attempts ({train, held_out} per voice),
        complete (every voice reached N and the held-out count) and shortfall (per voice and
        split, how many are missing), phone_match_rate, audio_seconds, audio_hours,
        seconds_taken, engine, voices, inventory, per-speaker counts (with ``attempted``), and
        run statistics (``rounds``: synthesis rounds this run).
        ``phone_match_rate`` is the fraction of judged utterances (present ones and phone
        mismatches) whose engine phones, merged into our inventory, equal the frontend's
        tokens: for piper every token (stress, length, "|" and punctuation); for festival and
        flite the phones without stress and punctuation (a mismatch there fails the utterance,
        so the rate is also the yield). festival adds ``stress_match_rate``.

    Raises:
        TeacherCorpusError (a ValueError): unknown engine or voice, too many sentences
            requested, bad workers or attempt factor, or ``out_dir`` holds a different corpus
            (engine, voices, inventory, sample rate or seed).
    """
    started = time.perf_counter()
    if engine not in ENGINES:
        raise TeacherCorpusError(
            f"unknown teacher engine {engine!r}; choose one of {', '.join(ENGINES)}"
        )
    spec = ENGINES[engine]
    voices = list(voices) if voices else [spec.default_voice]
    for voice in voices:
        if voice not in spec.voices:
            raise TeacherCorpusError(
                f"unknown {engine} voice {voice!r}; available: {', '.join(spec.voices)}"
            )
    if len(set(voices)) != len(voices):
        raise TeacherCorpusError(f"voices repeat: {voices}")
    inventory = spec.inventory
    train_list = list(train_sentences) if train_sentences is not None else load_sentences("train")
    held_list = (
        list(held_out_sentences) if held_out_sentences is not None else load_sentences("held_out")
    )
    if num_sentences < 0 or num_sentences > len(train_list):
        raise TeacherCorpusError(
            f"num_sentences must be 0..{len(train_list)} (got {num_sentences})"
        )
    if held_out < 0 or held_out > len(held_list):
        raise TeacherCorpusError(f"held_out must be 0..{len(held_list)} (got {held_out})")
    if sample_rate <= 0:
        raise TeacherCorpusError(f"sample_rate must be positive (got {sample_rate})")
    if not (math.isfinite(attempt_factor) and attempt_factor >= 1.0):
        raise TeacherCorpusError(f"attempt_factor must be at least 1 (got {attempt_factor})")
    if workers < 0:
        raise TeacherCorpusError(f"workers must be >= 0, 0 = every core (got {workers})")
    workers = workers or os.cpu_count() or 1

    out_dir = Path(out_dir)
    multi = len(voices) > 1
    manifest = {
        "format": CORPUS_FORMAT,
        "version": CORPUS_VERSION,
        "engine": engine,
        "voices": voices,
        "speakers": voices,
        "inventory": inventory,
        "sample_rate": sample_rate,
        "seed": seed,
        "layout": "multi-speaker" if multi else "ljspeech",
        "metadata_columns": (
            ["id", "speaker", "text", "normalized"] if multi else ["id", "text", "normalized"]
        ),
    }
    _check_compatible(out_dir, manifest)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not (out_dir / "corpus.json").exists():  # now, so an interrupted build is held to it too
        atomic_write_text(out_dir / "corpus.json", json.dumps(manifest, indent=2))

    max_train = min(len(train_list), math.ceil(attempt_factor * num_sentences))
    max_held = min(len(held_list), math.ceil(attempt_factor * held_out))
    lanes = [
        lane
        for voice in voices
        for lane in (
            _Lane(voice, True, held_out, _jobs(voice, held_list[:max_held], True, out_dir, multi)),
            _Lane(
                voice,
                False,
                num_sentences,
                _jobs(voice, train_list[:max_train], False, out_dir, multi),
            ),
        )
    ]
    log_path = out_dir / LOG_FILE
    records = _read_log(log_path)

    settings = {
        "engine": engine,
        "inventory": inventory,
        "sample_rate": sample_rate,
        "seed": seed,
        "engine_options": dict(engine_options or {}),
        "threads": 1,
    }
    synthesized: set[str] = set()
    rounds = 0
    with log_path.open("a", encoding="utf-8") as log:
        while True:
            pending = [
                job for lane in lanes for job in lane.walk(records, synthesized, retry_failed)[1]
            ]
            if not pending:
                break
            rounds += 1
            pending.sort(key=lambda job: (not job.held_out, job.index, voices.index(job.speaker)))
            desc = f"{engine} teacher" + (f" (round {rounds})" if rounds > 1 else "")
            for record in _run(pending, settings, workers, progress, desc):
                records[record["id"]] = record
                synthesized.add(record["id"])
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
                log.flush()

    attempted = [job for lane in lanes for job in lane.walk(records, synthesized, retry_failed)[0]]
    report = _finish(out_dir, manifest, attempted, records, multi)
    shortfall: dict[str, dict[str, int]] = {}
    for lane in lanes:
        done = sum(
            1
            for job in lane.walk(records, synthesized, retry_failed)[0]
            if _done(job, records.get(job.id))
        )
        if done < lane.want:
            shortfall.setdefault(lane.voice, {})["held_out" if lane.held_out else "train"] = (
                lane.want - done
            )
    report.update(
        {
            "attempted": len(attempted),
            "train_attempted": sum(1 for job in attempted if not job.held_out),
            "held_out_attempted": sum(1 for job in attempted if job.held_out),
            "max_attempts": {"train": max_train, "held_out": max_held},
            "complete": not shortfall,
            "shortfall": shortfall,
            "seconds_taken": round(time.perf_counter() - started, 2),
            "synthesized_this_run": len(synthesized),
            "skipped_existing": len(attempted) - len(synthesized & {job.id for job in attempted}),
            "rounds": rounds,
            "workers": workers,
            "seed": seed,
            "num_sentences": num_sentences,
            "held_out_requested": held_out,
            "attempt_factor": attempt_factor,
            "retry_failed": retry_failed,
        }
    )
    atomic_write_text(out_dir / "report.json", json.dumps(report, indent=2, ensure_ascii=False))
    return report


# ---------------------------------------------------------------------------------------------
# planning and resuming


def _jobs(voice: str, texts: list[str], held_out: bool, out_dir: Path, multi: bool) -> list[Job]:
    """One voice's candidate utterances of one list, in list order."""
    sub = Path(voice) if multi else Path()
    jobs = []
    for index, text in enumerate(texts):
        utterance_id = f"{voice}_heldout_{index:04d}" if held_out else f"{voice}_{index:06d}"
        jobs.append(
            Job(
                id=utterance_id,
                speaker=voice,
                text=text,
                held_out=held_out,
                wav_path=str(out_dir / "wavs" / sub / f"{utterance_id}.wav"),
                textgrid_path=str(out_dir / "textgrids" / sub / f"{utterance_id}.TextGrid"),
                index=index,
            )
        )
    return jobs


@dataclass
class _Lane:
    """One voice and one split: ``want`` successes from ``candidates`` (already capped)."""

    voice: str
    held_out: bool
    want: int
    candidates: list[Job]

    def walk(
        self, records: dict[str, dict[str, Any]], synthesized: set[str], retry_failed: bool
    ) -> tuple[list[Job], list[Job]]:
        """(attempted, pending): walk the candidates in order until the successes plus the
        pending reach ``want`` or the candidates end. Present utterances and final failures
        are attempted; a failure is final when this run made it (nothing is tried twice in one
        run), or when an earlier run did and ``retry_failed`` is off."""
        attempted: list[Job] = []
        pending: list[Job] = []
        successes = 0
        for job in self.candidates:
            if successes + len(pending) >= self.want:
                break
            record = records.get(job.id)
            if _done(job, record):
                successes += 1
                attempted.append(job)
            elif job.id in synthesized or (_failed(job, record) and not retry_failed):
                attempted.append(job)
            else:
                pending.append(job)
        return attempted, pending


def _check_compatible(out_dir: Path, manifest: dict[str, Any]) -> None:
    path = out_dir / "corpus.json"
    if not path.exists():
        return
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise TeacherCorpusError(
            f"{path} is unreadable ({error}); remove it or choose another --out"
        ) from error
    for key in ("format", "engine", "voices", "inventory", "sample_rate", "seed"):
        if key == "seed" and "seed" not in existing:
            continue  # corpora written before the seed was recorded
        if existing.get(key) != manifest[key]:
            raise TeacherCorpusError(
                f"{out_dir} already holds a corpus with {key}={existing.get(key)!r}, not "
                f"{manifest[key]!r}; choose another output folder or remove it"
            )


def _read_log(path: Path) -> dict[str, dict[str, Any]]:
    """Last record per id; a torn last line from a killed run is ignored."""
    records: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "id" in record:
            records[record["id"]] = record
    return records


def _failed(job: Job, record: dict[str, Any] | None) -> bool:
    """A recorded failure of this very text."""
    return record is not None and record.get("ok") is False and record.get("text") == job.text


def _done(job: Job, record: dict[str, Any] | None) -> bool:
    return (
        record is not None
        and record.get("ok") is True
        and record.get("text") == job.text
        and Path(job.wav_path).is_file()
        and Path(job.textgrid_path).is_file()
    )


# ---------------------------------------------------------------------------------------------
# workers

_WORKER: dict[str, Any] = {}


def _init_worker(settings: dict[str, Any]) -> None:
    from fastspeak.config import TextConfig
    from fastspeak.text.processor import TextProcessor

    _WORKER.clear()
    _WORKER["settings"] = settings
    _WORKER["processor"] = TextProcessor(TextConfig(inventory=settings["inventory"]))
    _WORKER["engines"] = {}
    if current_process().name != "MainProcess":
        # pool workers skip atexit; this stops festival and removes temp dirs on exit
        Finalize(None, _close_worker, exitpriority=10)


def _engine_for(voice: str) -> TeacherEngine:
    engines: dict[str, TeacherEngine] = _WORKER["engines"]
    if voice not in engines:
        settings = _WORKER["settings"]
        options = dict(settings["engine_options"])
        if settings["engine"] == "piper":
            options.setdefault("threads", settings["threads"])
            options.setdefault("seed", settings["seed"])
        engines[voice] = create_engine(settings["engine"], voice, _WORKER["processor"], **options)
    return engines[voice]


def _close_worker() -> None:
    for engine in _WORKER.get("engines", {}).values():
        engine.close()
    _WORKER.clear()


def verify_segments(segments: list[Segment], duration: float, tolerance: float) -> list[Segment]:
    """Check a teacher alignment and snap its last end to ``duration``.

    Raises:
        AlignmentError: not contiguous from 0, a negative duration, or the last end more than
            ``tolerance`` seconds from the audio length.
    """
    check_contiguous(segments, duration, tolerance)
    if segments[0].start != 0.0:
        segments = [Segment(segments[0].label, 0.0, segments[0].end), *segments[1:]]
    last = segments[-1]
    if last.start > duration:
        raise AlignmentError(f"segment {last.label!r} starts after the audio ends")
    return [*segments[:-1], Segment(last.label, last.start, duration)]


def _make_utterance(job: Job) -> dict[str, Any]:
    """Synthesize, verify and write one utterance; never leaves files for a failure."""
    from fastspeak.audio.io import resample, save_audio

    settings = _WORKER["settings"]
    processor = _WORKER["processor"]
    sample_rate = settings["sample_rate"]
    record: dict[str, Any] = {
        "id": job.id,
        "speaker": job.speaker,
        "text": job.text,
        "held_out": job.held_out,
        "ok": False,
    }
    wav_path, textgrid_path = Path(job.wav_path), Path(job.textgrid_path)
    try:
        engine = _engine_for(job.speaker)
        prosody = Prosody.sample(job.id, settings["seed"]) if engine.varies_speed else Prosody()
        record["length_scale"] = prosody.length_scale
        normalized = processor.normalize(job.text)
        record["normalized"] = normalized
        tokens = processor.tokens_from_normalized(normalized)
        synthesis = engine.synthesize(normalized, prosody)
        record["phones_match"] = synthesis.phones_match
        if synthesis.stress_match is not None:
            record["stress_match"] = synthesis.stress_match
        labels = [segment.label for segment in synthesis.segments if segment.label]
        if labels != list(tokens):
            raise TeacherError("alignment labels differ from the frontend's tokens")
        wav = resample(synthesis.wav, synthesis.sample_rate, sample_rate)
        duration = len(wav) / sample_rate
        segments = verify_segments(synthesis.segments, duration, HOP_LENGTH / sample_rate)
        words = synthesis.words
        if words:
            words = [*words[:-1], Segment(words[-1].label, words[-1].start, duration)]
            if words[-1].end < words[-1].start:
                words = None
        save_audio(wav_path, wav, sample_rate)
        write_textgrid(textgrid_path, segments, words, duration, synthesis.blanks)
        record.update(ok=True, seconds=round(duration, 4), num_tokens=len(tokens))
    except PhoneMismatch as error:
        record.update(phones_match=False, reason=str(error))
    except (TeacherError, ValueError, OSError) as error:  # TextError, AlignmentError, AudioError
        record["reason"] = f"{type(error).__name__}: {error}"
    if not record["ok"]:
        wav_path.unlink(missing_ok=True)
        textgrid_path.unlink(missing_ok=True)
    return record


def _context():
    """fork where available: the parent holds no engine, and unlike spawn it also works when
    the caller's main module is not a file (``python -``, notebooks)."""
    return get_context("fork" if "fork" in get_all_start_methods() else "spawn")


def _run(
    jobs: list[Job], settings: dict[str, Any], workers: int, progress: bool, desc: str
) -> Iterator[dict[str, Any]]:
    """Yield one record per job as they finish (in-process for workers == 1)."""
    if not jobs:
        return
    from tqdm import tqdm

    bar = tqdm(total=len(jobs), desc=desc, unit="utt", disable=not progress, smoothing=0.05)
    try:
        if workers == 1 or len(jobs) == 1:
            _init_worker(settings)
            try:
                for job in jobs:
                    record = _make_utterance(job)
                    bar.update()
                    yield record
            finally:
                _close_worker()
            return
        with ProcessPoolExecutor(
            max_workers=min(workers, len(jobs)),
            mp_context=_context(),
            initializer=_init_worker,
            initargs=(settings,),
        ) as pool:
            queue = iter(jobs)
            running = set()
            try:
                for job in queue:  # keep a bounded number in flight
                    running.add(pool.submit(_make_utterance, job))
                    if len(running) >= 4 * workers:
                        break
                while running:
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        bar.update()
                        yield future.result()
                        next_job = next(queue, None)
                        if next_job is not None:
                            running.add(pool.submit(_make_utterance, next_job))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        bar.close()


# ---------------------------------------------------------------------------------------------
# metadata, manifest and report


def _finish(
    out_dir: Path,
    manifest: dict[str, Any],
    jobs: list[Job],
    records: dict[str, dict[str, Any]],
    multi: bool,
) -> dict[str, Any]:
    """Rewrite metadata.csv, held_out.txt and corpus.json from every utterance present;
    ``jobs`` are the attempted utterances (their failures are listed)."""
    planned = {job.id: job for job in jobs}
    present = []
    for utterance_id in sorted(records):
        record = records[utterance_id]
        if not record.get("ok"):
            continue
        sub = Path(record["speaker"]) if multi else Path()
        wav = out_dir / "wavs" / sub / f"{utterance_id}.wav"
        grid = out_dir / "textgrids" / sub / f"{utterance_id}.TextGrid"
        if wav.is_file() and grid.is_file():
            present.append(record)
    # held-out first, then training, each in id order
    present.sort(key=lambda r: (not r["held_out"], r["id"]))

    lines = []
    for record in present:
        text = record["text"].replace("|", " ")
        normalized = record.get("normalized", text).replace("|", " ")
        fields = [record["id"], record["speaker"]] if multi else [record["id"]]
        lines.append("|".join([*fields, text, normalized]))
    atomic_write_text(out_dir / "metadata.csv", "".join(f"{line}\n" for line in lines))
    held_ids = [r["id"] for r in present if r["held_out"]]
    atomic_write_text(out_dir / "held_out.txt", "".join(f"{i}\n" for i in held_ids))

    def _entry() -> dict[str, Any]:
        return {"utterances": 0, "held_out": 0, "attempted": 0, "failed": 0, "audio_seconds": 0.0}

    speakers: dict[str, dict[str, Any]] = {voice: _entry() for voice in manifest["voices"]}
    for job in jobs:
        speakers.setdefault(job.speaker, _entry())["attempted"] += 1
    for record in present:
        entry = speakers.setdefault(record["speaker"], _entry())
        entry["utterances"] += 1
        entry["held_out"] += int(record["held_out"])
        entry["audio_seconds"] += float(record.get("seconds", 0.0))
    failed_ids = [i for i in planned if i in records and not records[i].get("ok")]
    failed = [
        {k: records[i].get(k) for k in ("id", "speaker", "text", "reason")} for i in failed_ids
    ]
    for i in failed_ids:
        speakers[records[i]["speaker"]]["failed"] += 1
    for entry in speakers.values():
        entry["audio_seconds"] = round(entry["audio_seconds"], 2)

    judged = [r for r in [*present, *(records[i] for i in failed_ids)] if "phones_match" in r]
    matched = sum(1 for r in judged if r["phones_match"])
    stress = [r["stress_match"] for r in present if "stress_match" in r]
    audio_seconds = sum(float(r.get("seconds", 0.0)) for r in present)

    counts = {
        "utterances": len(present),
        "held_out": len(held_ids),
        "train": len(present) - len(held_ids),
        "per_speaker": {k: v["utterances"] for k, v in speakers.items()},
    }
    atomic_write_text(
        out_dir / "corpus.json",
        json.dumps({**manifest, "counts": counts, "hop_tolerance_samples": HOP_LENGTH}, indent=2),
    )
    report: dict[str, Any] = {
        "engine": manifest["engine"],
        "voices": manifest["voices"],
        "inventory": manifest["inventory"],
        "sample_rate": manifest["sample_rate"],
        "utterances": len(present),
        "train_utterances": len(present) - len(held_ids),
        "held_out_utterances": len(held_ids),
        "num_failed": len(failed),
        "failed": failed,
        "phone_match_rate": round(matched / len(judged), 4) if judged else None,
        "phone_match_judged": len(judged),
        "audio_seconds": round(audio_seconds, 2),
        "audio_hours": round(audio_seconds / 3600, 4),
        "speakers": speakers,
    }
    if stress:
        report["stress_match_rate"] = round(sum(stress) / len(stress), 4)
    return report


__all__ = ["Job", "build_teacher_corpus", "verify_segments"]
