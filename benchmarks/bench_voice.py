"""The shipped voice on this CPU: end-to-end real-time factor, server first-audio latency, load.

(a) RTF: ``Synthesizer.from_checkpoint()`` (the bundled voice, its vocoder) with
    ``torch.set_num_threads(--threads)``; text -> waveform for each sentence of the held-out
    list (``--sentences``, first ``--count``), one call per sentence after 3 warm-up calls;
    RTF = total synthesis seconds / total audio seconds (and the median per sentence).
(b) First audio: ``fastspeak serve --threads N`` on loopback; POST /api/tts with
    ``stream: true`` for a one-sentence text; seconds from sending the request to the first
    PCM bytes after the 44-byte header; median of ``--first-runs``.
(c) Load: ``--requests`` POST /api/tts (one sentence each, cycling over the list) from
    ``--concurrency`` client threads; counts by status; latency percentiles; the server's RSS
    sampled every 0.25 s (start, peak, end, and the growth over the second half: "flat").

    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000 python -m benchmarks.bench_voice

Writes ``benchmarks/results/voice_cpu.json`` and the "voice (CPU)" section of BENCHMARKS.md.
``--voice DIR --label NAME`` measures another voice folder instead (results in
``voice_cpu_NAME.json`` and the section "voice (CPU): NAME"); ``--rtf-only`` skips (b) and (c).
A voice with HiFi-GAN's speed but untrained weights (the bundled acoustic model + a random
V3 generator; for timing only, it makes noise) is made by::

    python -m benchmarks.bench_voice --make-speed-voice v3 /tmp/voice_v3 [--int8]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.common import command_line, machine_info, update_benchmarks_md
from fastspeak.voice import voice_card

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "src" / "fastspeak" / "data" / "teacher" / "sentences" / "held_out.txt"
RESULTS = Path(__file__).resolve().parent / "results" / "voice_cpu.json"
TARGETS = {"rtf": 0.05, "first_audio_ms": 150.0, "server_errors": 0}


def load_sentences(path: Path, count: int) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line][:count]


def bench_rtf(sentences: list[str], threads: int, voice: Path | None) -> dict[str, Any]:
    import torch

    from fastspeak.synthesis import Synthesizer

    torch.set_num_threads(threads)
    synthesizer = Synthesizer.from_checkpoint(voice)
    for sentence in sentences[:3]:
        synthesizer.synth(sentence)
    seconds, audio = [], []
    for sentence in sentences:
        start = time.perf_counter()
        wav, rate = synthesizer.synth(sentence)
        seconds.append(time.perf_counter() - start)
        audio.append(len(wav) / rate)
    per_sentence = [s / a for s, a in zip(seconds, audio, strict=True)]
    return {
        "vocoder": type(synthesizer.vocoder).__name__,
        "sentences": len(sentences),
        "audio_seconds": round(sum(audio), 2),
        "synthesis_seconds": round(sum(seconds), 3),
        "rtf": round(sum(seconds) / sum(audio), 4),
        "median_sentence_rtf": round(statistics.median(per_sentence), 4),
        "median_sentence_ms": round(statistics.median(seconds) * 1e3, 1),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post(url: str, body: dict, timeout: float = 300) -> int:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return -1


def first_audio_ms(url: str, text: str) -> float:
    request = urllib.request.Request(
        url + "/api/tts",
        json.dumps({"text": text, "stream": True}).encode(),
        {"Content-Type": "application/json"},
    )
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        received = b""
        while len(received) <= 44:
            piece = response.read1(4096)
            if not piece:
                break
            received += piece
        elapsed = time.perf_counter() - start
        response.read()
    return elapsed * 1e3


def bench_server(sentences: list[str], args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    command = [sys.executable, "-m", "fastspeak.cli", "serve", "--port", str(port)]
    command += ["--threads", str(args.threads), "--max-queue", str(args.concurrency * 2)]
    if args.voice is not None:
        command += ["--checkpoint", str(args.voice)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("fastspeak serve did not start") from None
                time.sleep(0.3)
        one = "The colors don't intrude on the viewer."
        for _ in range(3):
            first_audio_ms(url, one)
        firsts = [first_audio_ms(url, one) for _ in range(args.first_runs)]

        memory: list[tuple[float, float]] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                memory.append((time.monotonic(), rss_mib(server.pid)))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        def one_request(index: int) -> tuple[int, float]:
            start = time.perf_counter()
            status = post(url + "/api/tts", {"text": sentences[index % len(sentences)]})
            return status, time.perf_counter() - start

        began = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:  # results counted here, not in threads
            outcomes = list(pool.map(one_request, range(args.requests)))
        wall = time.perf_counter() - began
        latencies = [seconds for _, seconds in outcomes]
        statuses = dict(Counter(status for status, _ in outcomes))
        stop.set()
        sampler.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    rss = [value for _, value in memory]
    half = rss[len(rss) // 2 :]
    ordered = sorted(latencies)
    return {
        "first_audio_ms": {
            "median": round(statistics.median(firsts), 1),
            "min": round(min(firsts), 1),
            "runs": [round(value, 1) for value in firsts],
        },
        "load": {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "statuses": {str(key): value for key, value in sorted(statuses.items())},
            "server_errors": sum(v for k, v in statuses.items() if k >= 500 or k < 0),
            "wall_seconds": round(wall, 1),
            "requests_per_second": round(args.requests / wall, 2),
            "latency_p50_s": round(ordered[len(ordered) // 2], 2),
            "latency_p95_s": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
            "rss_mib_start": round(rss[0], 1),
            "rss_mib_peak": round(max(rss), 1),
            "rss_mib_end": round(rss[-1], 1),
            "rss_mib_growth_second_half": round(half[-1] - half[0], 1),
        },
    }


def make_speed_voice(variant: str, out: Path, int8: bool = False) -> Path:
    """The bundled voice re-exported with a random-weight HiFi-GAN ``variant`` (timing only)."""
    import tempfile

    import torch

    from fastspeak.config import HiFiGANConfig
    from fastspeak.train.checkpoint import save_checkpoint
    from fastspeak.vocoders.hifigan import HiFiGANGenerator
    from fastspeak.voice import DEFAULT_VOICE, export_voice, load_voice

    config = load_voice(DEFAULT_VOICE)[1]
    config.vocoder.generator = HiFiGANConfig(variant=variant)  # type: ignore[arg-type]
    torch.manual_seed(0)
    generator = HiFiGANGenerator(config.vocoder.generator, config.audio.n_mels)
    card = {"note": f"TIMING ONLY: random-weight HiFi-GAN {variant}, it speaks noise"}
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = Path(folder) / "vocoder.pt"
        state = {"kind": "hifigan", "model": generator.state_dict(), "config": config.to_dict()}
        save_checkpoint(checkpoint, {**state, "step": 0})
        return export_voice(DEFAULT_VOICE, out, card=card, vocoder=checkpoint, vocoder_int8=int8)


def summary(result: dict[str, Any]) -> str:
    rtf = result["rtf"]
    who = result.get("voice") or "The bundled voice (`fastspeak synthesize` default)"
    if result.get("voice_note"):
        who += f" ({result['voice_note']})"
    lines = [
        f"{who}, vocoder {rtf['vocoder']}, {result['threads']} threads, this CPU; load average "
        f"at start {result['loadavg_start']}.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| end-to-end RTF, {rtf['sentences']} held-out sentences ({rtf['audio_seconds']} s "
        f"of audio) | {rtf['rtf']} (median sentence {rtf['median_sentence_rtf']}, "
        f"{rtf['median_sentence_ms']} ms) | <= {TARGETS['rtf']} |",
    ]
    server = result.get("server")
    if server is None:
        return "\n".join(lines)
    load = server["load"]
    lines += [
        f"| first audio, one-sentence streamed request | {server['first_audio_ms']['median']}"
        f" ms median | <= {TARGETS['first_audio_ms']:.0f} ms |",
        f"| {load['requests']} requests at concurrency {load['concurrency']} | statuses "
        f"{load['statuses']}, {load['server_errors']} server errors, "
        f"{load['requests_per_second']} req/s, p50 {load['latency_p50_s']} s, p95 "
        f"{load['latency_p95_s']} s | 0 errors |",
        f"| server memory during the load | RSS {load['rss_mib_start']} -> peak "
        f"{load['rss_mib_peak']} -> {load['rss_mib_end']} MiB; second half "
        f"{load['rss_mib_growth_second_half']:+} MiB | flat |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sentences", type=Path, default=SENTENCES)
    parser.add_argument("--count", type=int, default=50, help="sentences for the RTF")
    parser.add_argument("--first-runs", type=int, default=20)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--voice", type=Path, help="a voice folder (default: the bundled one)")
    parser.add_argument("--label", help="with --voice: names its results file and section")
    parser.add_argument("--rtf-only", action="store_true", help="skip the server measures")
    parser.add_argument(
        "--make-speed-voice",
        nargs=2,
        metavar=("VARIANT", "OUT"),
        help="write the bundled voice + a random-weight HiFi-GAN VARIANT to OUT and exit",
    )
    parser.add_argument(
        "--int8", action="store_true", help="with --make-speed-voice: ship the int8 vocoder too"
    )
    parser.add_argument("--out", type=Path, help="results JSON (default: results/voice_cpu*.json)")
    args = parser.parse_args(argv)
    if args.make_speed_voice:
        variant, folder = args.make_speed_voice
        print(make_speed_voice(variant, Path(folder), args.int8))
        return {}
    if (args.voice is None) != (args.label is None):
        parser.error("--voice and --label go together")
    suffix = f"_{args.label}" if args.label else ""
    out = args.out or RESULTS.with_name(f"voice_cpu{suffix}.json")
    sentences = load_sentences(args.sentences, args.count)
    result: dict[str, Any] = {
        "command": command_line("benchmarks.bench_voice", argv),
        "machine": machine_info(),
        "voice": str(args.voice) if args.voice else None,
        "voice_note": voice_card(args.voice).get("note") if args.voice else None,
        "threads": args.threads,
        "loadavg_start": [round(value, 2) for value in os.getloadavg()],
        "rtf": bench_rtf(sentences, args.threads, args.voice),
    }
    print(json.dumps(result["rtf"]), flush=True)
    if not args.rtf_only:
        result["server"] = bench_server(sentences, args)
    result["loadavg_end"] = [round(value, 2) for value in os.getloadavg()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    section = "voice (CPU)" + (f": {args.label}" if args.label else "")
    update_benchmarks_md(section, summary(result), result)
    print(summary(result))
    return result


if __name__ == "__main__":
    main()
