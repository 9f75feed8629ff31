"""Feature-extraction throughput: mel + pitch (DIO + StoneMask) + energy + phoneme averaging.

Measures the per-utterance path that preprocessing runs, as "x real time" (seconds of audio
processed per wall-clock second), in one process and in a pool of worker processes (default 2),
each process using one torch thread. One STFT per utterance feeds both mel and energy.

Audio: real files (``--wavs DIR``, every ``*.wav``; loading is timed separately) or, by
default, synthetic voiced-like clips of 3-8 s (a harmonic complex with intonation, vibrato,
syllable gating, unvoiced noise bursts and background noise). Phone durations are random
(mean ~7 frames, some zero) and sum to the mel frame count, as real alignments do.

glibc malloc on this kind of machine maps/unmaps large buffers on every call; run with the same
allocator settings for every compared run (the JSON records them)::

    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000 \\
        python -m benchmarks.bench_features --out benchmarks/results/features.json

Target: >= 150x real time for the whole pipeline on 2 cores (pyworld DIO dominates).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.common import MALLOC_SETTINGS, command_line, machine_info, update_benchmarks_md
from fastspeak.audio.energy import frame_energy
from fastspeak.audio.io import load_audio
from fastspeak.audio.mel import MelSpectrogram, mel_frames
from fastspeak.audio.pitch import extract_pitch
from fastspeak.audio.stats import average_by_durations
from fastspeak.config import Config
from fastspeak.data.features import FeatureExtractor, UtteranceFeatures

_CONFIG = Config()
_AUDIO = _CONFIG.audio
_FEATURES = _CONFIG.features
_MEL: MelSpectrogram | None = None
_EXTRACTOR: FeatureExtractor | None = None


def _init_worker() -> None:
    global _MEL, _EXTRACTOR
    torch.set_num_threads(1)
    _EXTRACTOR = FeatureExtractor(_CONFIG)
    _MEL = _EXTRACTOR.mel


def extract(wav: np.ndarray, durations: np.ndarray) -> UtteranceFeatures:
    """The preprocessing path itself. wav: (T_wav,) float32; durations: (N,) summing to T_mel."""
    assert _EXTRACTOR is not None, "call _init_worker() first"
    return _EXTRACTOR(wav, durations)


def _extract_staged(wav: np.ndarray, durations: np.ndarray) -> dict[str, float]:
    """The stages of :func:`extract` one by one, timing each (seconds)."""
    assert _MEL is not None
    start = time.perf_counter()
    with torch.inference_mode():
        magnitude = _MEL.spectrogram(torch.from_numpy(wav))
        mels = _MEL.mel_from_magnitude(magnitude).numpy()
        energy = frame_energy(magnitude).numpy()
    after_mel = time.perf_counter()
    f0 = extract_pitch(wav, _AUDIO, _FEATURES, n_frames=mels.shape[0])
    after_pitch = time.perf_counter()
    average_by_durations(f0, durations, voiced_mask=f0 > 0)
    average_by_durations(energy, durations)
    end = time.perf_counter()
    return {
        "mel_energy": after_mel - start,
        "pitch": after_pitch - after_mel,
        "averaging": end - after_pitch,
    }


def _task_array(item: tuple[np.ndarray, np.ndarray]) -> int:
    return extract(*item).mels.shape[0]


def _task_file(item: tuple[str, np.ndarray]) -> int:
    path, durations = item
    return extract(load_audio(path, _AUDIO.sample_rate), durations).mels.shape[0]


def synthetic_clip(rng: np.random.Generator, seconds: float, sample_rate: int) -> np.ndarray:
    """Voiced-like test signal: (T_wav,) float32, peak 0.5."""
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    base = rng.uniform(95.0, 230.0)
    f0 = base * (1.0 + 0.12 * np.sin(2 * np.pi * rng.uniform(0.2, 0.5) * t + rng.uniform(0, 6)))
    f0 *= 1.0 + 0.02 * np.sin(2 * np.pi * 5.5 * t)  # vibrato
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    harmonics = np.zeros(n)
    for k in range(1, int(4000 / base) + 1):
        harmonics += np.sin(k * phase + rng.uniform(0, 6)) / k
    # syllable gating at ~4 Hz: voiced stretches separated by short noisy (unvoiced) gaps
    syllable = rng.uniform(0.15, 0.35, size=int(seconds * 8) + 2).cumsum()
    index = np.searchsorted(syllable, t)
    voiced = (index % 5 != 4).astype(np.float64)
    smooth = np.hanning(int(0.02 * sample_rate))
    voiced = np.convolve(voiced, smooth / smooth.sum(), mode="same")
    noise = rng.standard_normal(n)
    wav = voiced * harmonics + (1 - voiced) * 0.3 * noise + 0.01 * noise
    return (0.5 * wav / np.abs(wav).max()).astype(np.float32)


def random_durations(rng: np.random.Generator, n_frames: int) -> np.ndarray:
    """Random phone durations (mean ~7 frames, ~5 % zero) summing to n_frames."""
    durations = rng.integers(1, 14, size=n_frames)  # more than enough phones
    durations[rng.random(n_frames) < 0.05] = 0
    ends = np.cumsum(durations)
    count = int(np.searchsorted(ends, n_frames)) + 1
    durations = durations[:count].copy()
    durations[-1] -= int(durations.sum()) - n_frames
    assert durations.sum() == n_frames and durations.min() >= 0
    return durations


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--wavs", type=Path, help="folder of *.wav files (default: synthetic)")
    parser.add_argument("--clips", type=int, default=40, help="synthetic clips (3-8 s each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/features.json"))
    args = parser.parse_args(argv)

    missing = [key for key, value in MALLOC_SETTINGS.items() if os.environ.get(key) != value]
    if missing:
        print(f"warning: {', '.join(missing)} not set as the docstring says", file=sys.stderr)

    rng = np.random.default_rng(args.seed)
    _init_worker()
    sample_rate = _AUDIO.sample_rate
    load_seconds = 0.0
    if args.wavs is not None:
        paths = sorted(args.wavs.glob("*.wav"))
        if not paths:
            parser.error(f"no *.wav files in {args.wavs}")
        start = time.perf_counter()
        wavs = [load_audio(path, sample_rate) for path in paths]
        load_seconds = time.perf_counter() - start
        source = f"{len(paths)} files from {args.wavs}"
    else:
        paths = []
        wavs = [synthetic_clip(rng, rng.uniform(3.0, 8.0), sample_rate) for _ in range(args.clips)]
        source = f"{args.clips} synthetic voiced-like clips of 3-8 s"
    durations = [random_durations(rng, mel_frames(len(w), _AUDIO.hop_length)) for w in wavs]
    audio_seconds = sum(len(w) for w in wavs) / sample_rate
    print(f"{source}: {audio_seconds:.1f} s of audio")

    extract(wavs[0], durations[0])  # warm-up
    single, stages = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for wav, duration in zip(wavs, durations, strict=True):
            extract(wav, duration)
        single.append(audio_seconds / (time.perf_counter() - start))
        timings = [_extract_staged(w, d) for w, d in zip(wavs, durations, strict=True)]
        stages.append({key: sum(t[key] for t in timings) for key in timings[0]})
    stage_ms = {
        key: 1000 * statistics.median(s[key] for s in stages) / audio_seconds for key in stages[0]
    }
    print(
        f"1 process: {statistics.median(single):.1f}x real time; ms per audio second: "
        + ", ".join(f"{key} {value:.2f}" for key, value in stage_ms.items())
    )

    task: Callable[[Any], int]
    items: list[Any]
    if paths:
        items, task = [(str(p), d) for p, d in zip(paths, durations, strict=True)], _task_file
    else:
        items, task = list(zip(wavs, durations, strict=True)), _task_array
    parallel = []
    context = multiprocessing.get_context("spawn")
    with context.Pool(args.workers, initializer=_init_worker) as pool:
        pool.map(task, items[: 2 * args.workers], chunksize=1)  # start-up and warm-up
        for _ in range(args.repeats):
            start = time.perf_counter()
            pool.map(task, items, chunksize=1)
            parallel.append(audio_seconds / (time.perf_counter() - start))
    label = f"{args.workers} processes" + (" (incl. loading)" if paths else "")
    print(f"{label}: {statistics.median(parallel):.1f}x real time")

    result: dict[str, object] = {
        "benchmark": "feature extraction (mel + dio/stonemask pitch + energy + phone averaging)",
        "command": command_line("benchmarks.bench_features", argv),
        "machine": machine_info(),
        "audio": {"source": source, "seconds": round(audio_seconds, 2), "files": len(wavs)},
        "config": {"audio": vars(_AUDIO), "features": vars(_FEATURES)},
        "repeats": args.repeats,
        "single_process": {
            "median_x_real_time": statistics.median(single),
            "runs_x_real_time": single,
            "median_ms_per_audio_second": stage_ms,
            "torch_threads": 1,
        },
        "parallel": {
            "workers": args.workers,
            "includes_file_loading": bool(paths),
            "median_x_real_time": statistics.median(parallel),
            "runs_x_real_time": parallel,
        },
    }
    if paths:
        result["loading_x_real_time"] = audio_seconds / load_seconds
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    update_benchmarks_md(
        "features: " + ("real audio" if paths else "synthetic audio"),
        f"Feature extraction alone (mel + pitch + energy + phoneme averaging) on {len(wavs)} "
        f"files, {audio_seconds:.0f} s of audio: median "
        f"**{statistics.median(single):.0f}x** real time in one process, "
        f"**{statistics.median(parallel):.0f}x** with {args.workers} worker processes.",
        result,
    )
    print(f"wrote {args.out}")
    return result


if __name__ == "__main__":
    main()
