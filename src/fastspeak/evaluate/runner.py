"""Run several TTS systems over the same sentences and judge them; write REPORT.json/.md.

A *system* is any callable ``item -> (wav, sample_rate)`` (or a :class:`SystemOutput`, which
can also carry token durations). The lead wires in e.g.::

    systems = {
        "model + griffinlim": lambda item: synthesizer.synthesize(item["text"]),
        "teacher audio": lambda item: (load_audio(item["reference_wav"], 22050), 22050),
        "teacher mel + griffinlim (ceiling)": ...,
    }
    result = evaluate_systems(items, systems, "runs/eval")

Per item and system: pocketsphinx transcript (WER/CER), DistillMOS, the frame-rate comb of
vocoders (:func:`.spectral.frame_rate_comb_db`), and against the reference recording when the
item has one: MCD-DTW and mel L1 (:mod:`.spectral`), f0 RMSE/correlation on the mel DTW path
(:mod:`.prosody`); token-duration error when the item and the output both carry durations;
wall time of the system call (real-time factor = seconds spent / seconds of audio; each system
first runs once untimed, so one-off setup such as an ONNX session is not counted).

Per system: corpus-level WER/CER (jiwer), MOS mean ± std, means of the per-item distances,
pooled f0 moments (FastSpeech 2 Table 3), RTF. A failing item is recorded with its error and the
run goes on. An item the *system* failed (it raised or returned bad audio) counts in WER/CER as
silence, every word deleted, so a system cannot improve its WER by failing the hard sentences;
the other metrics have no value for audio that does not exist and average over the items with
audio (``items_ok`` of ``items``: compare systems' MOS and distances only at equal counts). An
item a *judge* failed on (a metric raised) is left out of that metric only.
"""

from __future__ import annotations

import datetime
import math
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from fastspeak.audio.io import load_audio
from fastspeak.config import AudioConfig, FeatureConfig
from fastspeak.evaluate.asr import Transcriber, normalize_transcript, word_error_rate
from fastspeak.evaluate.mos import MosPredictor
from fastspeak.evaluate.prosody import duration_errors, f0_errors, f0_moments, pitch_contour
from fastspeak.evaluate.report import check_report_path, write_report
from fastspeak.evaluate.spectral import compare_mels, frame_rate_comb_db, log_mel

__all__ = ["METRICS", "SystemOutput", "evaluate_systems"]

METRICS = ("asr", "mos", "spectral", "pitch", "duration")

REPORT_NOTES = [
    "WER/CER: pocketsphinx 5.1.1 en-us (weak ASR: piper joe 26 %, human LibriVox 28 % on 20 "
    "sentences); corpus-level over every item: one a system failed counts as silence (all its "
    "words deleted). Other metrics average over the items with audio (Items: with audio/all).",
    "MOS: DistillMOS 0.9.1 prediction (human 4.04, piper joe 4.05, espeak 2.27), mean ± std; "
    "it pads clips under 7.68 s with silence, which lowers short clips (a 1.6 s clip ~0.3 "
    "below the same speech repeated): compare systems on the same sentences.",
    "MCD: mel-spectrogram-derived (DCT-II of the log mel, c1..c24, DTW-aligned to the "
    "reference recording, edge silence below the loudest frame - 40 dB left out on both "
    "sides); comparable within this project only, not with published MCD.",
    "F0: WORLD {pitch_method} on the mel grid, frames paired by the MCD's DTW path; RMSE (Hz) "
    "over every item's frames voiced in both, pooled; Pearson correlation per item (10 such "
    "frames at least), averaged weighted by them; σ, γ (skewness), κ (excess kurtosis) of the "
    "pooled voiced f0 (FastSpeech 2, Table 3).",
    "RTF: wall seconds of the system call per second of audio produced (lower is faster).",
]


@dataclass
class SystemOutput:
    """What a system returns: the waveform and, optionally, its token durations.

    wav: (T_wav,) float in [-1, 1]. durations: (N_tokens,) frames per token on the evaluation
    AudioConfig's hop (compared with ``item["durations"]`` when both exist).
    """

    wav: np.ndarray
    sample_rate: int
    durations: np.ndarray | None = None


System = Callable[[Mapping[str, Any]], "SystemOutput | tuple[np.ndarray, int]"]


def _as_output(value: Any, name: str) -> SystemOutput:
    if isinstance(value, SystemOutput):
        output = value
    elif isinstance(value, tuple) and len(value) == 2:
        output = SystemOutput(wav=value[0], sample_rate=value[1])
    else:
        raise TypeError(
            f"system {name!r} returned {type(value).__name__}; "
            "expected (wav, sample_rate) or SystemOutput"
        )
    wav = output.wav
    if hasattr(wav, "detach"):  # torch.Tensor without importing torch here
        wav = wav.detach().cpu().numpy()
    wav = np.asarray(wav, dtype=np.float32).squeeze()
    if wav.ndim != 1 or wav.size == 0:
        raise ValueError(f"system {name!r} returned audio of shape {wav.shape}; need (T_wav,)")
    if not np.all(np.isfinite(wav)):
        raise ValueError(f"system {name!r} returned audio holding NaN or infinite samples")
    if int(output.sample_rate) <= 0:
        raise ValueError(f"system {name!r} returned sample rate {output.sample_rate}")
    return SystemOutput(wav=wav, sample_rate=int(output.sample_rate), durations=output.durations)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _mean(values: Iterable[float | None]) -> float | None:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(finite)) if finite else None


class _References:
    """Reference recordings, loaded once per item and shared by every system."""

    def __init__(self, audio_config: AudioConfig, feature_config: FeatureConfig) -> None:
        self.audio_config = audio_config
        self.feature_config = feature_config
        self._cache: dict[int, dict[str, Any]] = {}

    def get(self, index: int, item: Mapping[str, Any], need_pitch: bool) -> dict[str, Any]:
        """{"mels", "f0"} of the item's reference, or {"error"}; {} when it has none."""
        path = item.get("reference_wav")
        if path is None:
            return {}
        entry = self._cache.get(index)
        if entry is None:
            try:
                rate = self.audio_config.sample_rate
                wav = load_audio(path, rate)
                entry = {"wav": wav, "mels": log_mel(wav, rate, self.audio_config)}
            except Exception as error:  # noqa: BLE001 - recorded in the report
                entry = {"error": f"reference {path}: {_describe(error)}"}
            self._cache[index] = entry
        if need_pitch and "wav" in entry and "f0" not in entry:
            rate = self.audio_config.sample_rate
            entry["f0"] = pitch_contour(entry["wav"], rate, self.audio_config, self.feature_config)
        return entry


def evaluate_systems(
    items: Sequence[Mapping[str, Any]],
    systems: Mapping[str, System],
    out_path: str | Path | None,
    progress: bool = True,
    *,
    audio_config: AudioConfig | None = None,
    feature_config: FeatureConfig | None = None,
    metrics: Sequence[str] = METRICS,
    transcriber: Transcriber | None = None,
    mos_predictor: MosPredictor | None = None,
) -> dict[str, Any]:
    """Synthesize every item with every system, judge the audio, write and return the report.

    items: [{"id": str, "text": normalised reference text, "reference_wav": path or None,
      optionally "durations": (N_tokens,) reference frames per token}].
    systems: name -> callable(item) returning (wav (T_wav,) float32, sample_rate) or a
      :class:`SystemOutput`. Names become table rows, in this order.
    out_path: folder for REPORT.json + REPORT.md, or a ``*.json`` path; None writes nothing.
      Checked before any system runs (:func:`~fastspeak.evaluate.report.check_report_path`).
    audio_config / feature_config: mel and f0 settings for MCD and pitch (defaults: 22.05 kHz,
      80 mels, hop 256, DIO) — pass the model's, so durations share its hop.
    metrics: any of "asr", "mos", "spectral", "pitch", "duration".
    Returns the result dictionary described in :mod:`fastspeak.evaluate.report`.
    Raises :class:`~fastspeak.evaluate.report.EvaluateError` (before any system runs) when
    ``out_path`` cannot take the report.
    Each system is first called once on ``items[0]`` untimed, its output discarded (one-off
    setup stays out of the RTF): a system with state, e.g. random draws, is judged on its
    later calls.
    """
    if out_path is not None:
        check_report_path(out_path)
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}; choose from {list(METRICS)}")
    for index, item in enumerate(items):
        if "id" not in item or "text" not in item:
            raise ValueError(f"item {index} needs 'id' and 'text' keys (got {sorted(item)})")
    audio_config = audio_config or AudioConfig()
    feature_config = feature_config or FeatureConfig()
    use = set(metrics)
    if "asr" in use and transcriber is None:
        transcriber = Transcriber()
    if "mos" in use and mos_predictor is None:
        mos_predictor = MosPredictor()
    references = _References(audio_config, feature_config)
    judge_seconds = {"asr": 0.0, "mos": 0.0, "audio": 0.0}

    bar = tqdm(total=len(items) * len(systems), disable=not progress, desc="evaluate", unit="utt")
    result_systems: dict[str, Any] = {}
    for name, system in systems.items():
        bar.set_description(f"evaluate {name}")
        records: list[dict[str, Any]] = []
        outputs: dict[int, SystemOutput] = {}
        contours: dict[int, np.ndarray] = {}  # item index -> f0 contour
        try:  # one untimed call first: one-off setup (an ONNX session, caches) is not RTF
            system(items[0])
        except Exception:  # noqa: BLE001, S110 - the timed call records the failure
            pass
        for index, item in enumerate(items):
            record: dict[str, Any] = {"id": str(item["id"]), "error": None, "metric_errors": {}}
            if item.get("speaker") is not None:
                record["speaker"] = str(item["speaker"])
            records.append(record)
            try:
                start = time.perf_counter()
                output = _as_output(system(item), name)
                elapsed = time.perf_counter() - start
            except Exception as error:  # noqa: BLE001 - one bad item must not stop the run
                record["error"] = _describe(error)
                record["traceback"] = traceback.format_exc(limit=4)
                bar.update()
                continue
            outputs[index] = output
            seconds = len(output.wav) / output.sample_rate
            judge_seconds["audio"] += seconds
            record.update(seconds=seconds, synthesis_seconds=elapsed, rtf=elapsed / seconds)
            _judge_item(
                record, item, index, output, use, transcriber, references,
                audio_config, feature_config, contours, judge_seconds,
            )  # fmt: skip
            bar.update()
        if "mos" in use and outputs:
            assert mos_predictor is not None
            _predict_mos(mos_predictor, outputs, records, judge_seconds)
        result_systems[name] = {
            "summary": _summarise(records, items, contours, use),
            "items": records,
        }
    bar.close()

    audio = judge_seconds["audio"]
    result: dict[str, Any] = {
        "version": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "num_items": len(items),
        "metrics": sorted(use),
        "judges": _judges(use),
        "judge_rtf": {
            "asr": judge_seconds["asr"] / audio if audio and "asr" in use else None,
            "mos": judge_seconds["mos"] / audio if audio and "mos" in use else None,
        },
        "audio_config": asdict(audio_config),
        "notes": [
            note.format(pitch_method=feature_config.pitch_method.upper()) for note in REPORT_NOTES
        ],
        "systems": result_systems,
    }
    if out_path is not None:
        json_path, markdown_path = write_report(result, out_path)
        result["paths"] = {"json": str(json_path), "markdown": str(markdown_path)}
    return result


def _judge_item(
    record: dict[str, Any],
    item: Mapping[str, Any],
    index: int,
    output: SystemOutput,
    use: set[str],
    transcriber: Transcriber | None,
    references: _References,
    audio_config: AudioConfig,
    feature_config: FeatureConfig,
    contours: dict[int, np.ndarray],
    judge_seconds: dict[str, float],
) -> None:
    """Fill one record's metrics; each metric's failure is recorded, not raised."""
    errors: dict[str, str] = record["metric_errors"]
    if "asr" in use:
        assert transcriber is not None
        try:
            start = time.perf_counter()
            record["transcript"] = transcriber.transcribe(output.wav, output.sample_rate)
            judge_seconds["asr"] += time.perf_counter() - start
            scores = word_error_rate([item["text"]], [record["transcript"]])
            record["wer"], record["cer"] = scores["wer"], scores["cer"]
        except Exception as error:  # noqa: BLE001
            errors["asr"] = _describe(error)

    test_f0 = None
    if "pitch" in use:
        try:
            test_f0 = pitch_contour(output.wav, output.sample_rate, audio_config, feature_config)
            contours[index] = test_f0
        except Exception as error:  # noqa: BLE001
            errors["pitch"] = _describe(error)

    if "spectral" in use:
        frame_rate = audio_config.sample_rate / audio_config.hop_length
        record["frame_rate_comb_db"] = frame_rate_comb_db(
            output.wav, output.sample_rate, frame_rate
        )

    if use & {"spectral", "pitch"}:
        reference = references.get(index, item, need_pitch="pitch" in use)
        if "error" in reference:
            errors["reference"] = reference["error"]
        elif reference:
            try:
                spectral = compare_mels(
                    reference["mels"],
                    log_mel(output.wav, output.sample_rate, audio_config),
                    align="dtw",
                )
                if "spectral" in use:
                    record["mcd_db"], record["mel_l1"] = spectral.mcd_db, spectral.mel_l1
                if test_f0 is not None:
                    path = (spectral.path_reference, spectral.path_test)
                    pitch = f0_errors(reference["f0"], test_f0[: spectral.test_frames], path)
                    record["f0_rmse_hz"] = pitch.rmse_hz
                    record["f0_correlation"] = pitch.correlation
                    record["voicing_error"] = pitch.voicing_error
                    record["f0_voiced_pairs"], record["f0_pairs"] = pitch.voiced_pairs, pitch.pairs
            except Exception as error:  # noqa: BLE001
                errors["spectral"] = _describe(error)

    if "duration" in use and output.durations is not None and item.get("durations") is not None:
        try:
            durations = duration_errors(
                item["durations"],
                np.asarray(output.durations),
                audio_config.hop_length,
                audio_config.sample_rate,
            )
            record["duration_error_ms"] = durations.mae_ms
            record["boundary_error_ms"] = durations.boundary_mae_ms
        except Exception as error:  # noqa: BLE001
            errors["duration"] = _describe(error)


def _predict_mos(
    predictor: MosPredictor,
    outputs: dict[int, SystemOutput],
    records: list[dict[str, Any]],
    judge_seconds: dict[str, float],
) -> None:
    """Score a system's clips in batches (grouped by sample rate); fall back to one by one."""
    by_rate: dict[int, list[int]] = {}
    for index, output in outputs.items():
        by_rate.setdefault(output.sample_rate, []).append(index)
    start = time.perf_counter()
    for rate, indices in by_rate.items():
        try:
            scores = predictor.predict_batch([outputs[i].wav for i in indices], rate)
            for i, score in zip(indices, scores, strict=True):
                records[i]["mos"] = float(score)
        except Exception:  # noqa: BLE001 - find the clip that fails
            for i in indices:
                try:
                    records[i]["mos"] = predictor.predict(outputs[i].wav, rate)
                except Exception as error:  # noqa: BLE001
                    records[i]["metric_errors"]["mos"] = _describe(error)
    judge_seconds["mos"] += time.perf_counter() - start


def _summarise(
    records: list[dict[str, Any]],
    items: Sequence[Mapping[str, Any]],
    contours: Mapping[int, np.ndarray],
    use: set[str],
    by_speaker: bool = True,
) -> dict[str, Any]:
    """The system's summary; with items of several speakers (and ``by_speaker``) also one
    summary per speaker under ``"speakers"`` (F0 moments mixed over speakers mean little)."""
    ok = [i for i, record in enumerate(records) if record["error"] is None]
    summary: dict[str, Any] = {"items": len(records), "items_ok": len(ok)}
    seconds = sum(records[i]["seconds"] for i in ok)
    spent = sum(records[i]["synthesis_seconds"] for i in ok)
    summary["audio_seconds"] = seconds
    summary["rtf"] = spent / seconds if seconds else None
    if "asr" in use:
        # a system's failed item said nothing: all its words deleted
        judged = [i for i, r in enumerate(records) if r["error"] is not None or "transcript" in r]
        if any(normalize_transcript(items[i]["text"]) for i in judged):
            scores = word_error_rate(
                [items[i]["text"] for i in judged],
                [records[i].get("transcript", "") for i in judged],
            )
            summary.update(wer=scores["wer"], cer=scores["cer"])
    if "mos" in use:
        mos = [records[i]["mos"] for i in ok if records[i].get("mos") is not None]
        if mos:
            summary["mos_mean"] = float(np.mean(mos))
            summary["mos_std"] = float(np.std(mos))
    for key in (
        "mcd_db",
        "mel_l1",
        "frame_rate_comb_db",
        "duration_error_ms",
        "boundary_error_ms",
    ):
        summary[key] = _mean(records[i].get(key) for i in ok)
    if "pitch" in use:
        summary.update(_pooled_f0([records[i] for i in ok]))
    if "pitch" in use and contours:
        moments = f0_moments(np.concatenate([contours[i] for i in sorted(contours)]))
        summary.update(
            f0_mean=moments["mean"],
            f0_std=moments["std"],
            f0_skewness=moments["skewness"],
            f0_kurtosis=moments["kurtosis"],
        )
    summary["errors"] = len(records) - len(ok)
    summary["metric_errors"] = sum(bool(record["metric_errors"]) for record in records)
    speakers = sorted({str(item["speaker"]) for item in items if item.get("speaker") is not None})
    if by_speaker and len(speakers) > 1:
        summary["speakers"] = {}
        for speaker in speakers:
            chosen = [i for i, item in enumerate(items) if str(item.get("speaker")) == speaker]
            summary["speakers"][speaker] = _summarise(
                [records[i] for i in chosen],
                [items[i] for i in chosen],
                {new: contours[old] for new, old in enumerate(chosen) if old in contours},
                use,
                by_speaker=False,
            )
    return summary


def _pooled_f0(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A system's f0 agreement over all its items' voiced-in-both frame pairs: the RMSE of the
    pooled pairs, the per-item correlations weighted by their pairs (an item of 2 pairs no
    longer counts as much as one of 200) and the pooled voicing error; ``f0_items`` items had
    enough pairs for a correlation (:data:`~fastspeak.evaluate.prosody.MIN_CORRELATION_PAIRS`)."""
    rmse = [
        (r["f0_rmse_hz"], r["f0_voiced_pairs"]) for r in records if _finite(r.get("f0_rmse_hz"))
    ]
    correlation = [
        (r["f0_correlation"], r["f0_voiced_pairs"])
        for r in records
        if _finite(r.get("f0_correlation"))
    ]
    voicing = [
        (r["voicing_error"], r["f0_pairs"]) for r in records if _finite(r.get("voicing_error"))
    ]

    def weighted(values: list[tuple[float, int]], square: bool = False) -> float | None:
        weight = sum(n for _, n in values)
        if not weight:
            return None
        if square:
            return math.sqrt(sum(v * v * n for v, n in values) / weight)
        return sum(v * n for v, n in values) / weight

    return {
        "f0_rmse_hz": weighted(rmse, square=True),
        "f0_correlation": weighted(correlation),
        "voicing_error": weighted(voicing),
        "f0_items": len(correlation),
    }


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(value)


def _judges(use: set[str]) -> dict[str, str]:
    judges = {}
    if "asr" in use:
        judges["asr"] = "pocketsphinx 5.1.1 en-us"
    if "mos" in use:
        judges["mos"] = "DistillMOS 0.9.1"
    return judges
