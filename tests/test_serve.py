"""The HTTP server on loopback with the bundled voice, and its web page in headless Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from fastspeak.serve.app import _Busy, _Queue, wav_header


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_server(["--max-chars", "500", "--threads", "1"]) as url:
        yield url


@contextlib.contextmanager
def running_server(options: list[str]) -> Iterator[str]:
    """``fastspeak serve OPTIONS`` on a free loopback port, until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "fastspeak.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command + options)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url + "/health", timeout=2) as response:
                    assert json.load(response)["status"] == "ok"
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("fastspeak serve did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def post(url: str, body: dict) -> tuple[int, str, bytes]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    wav, rate = soundfile.read(io.BytesIO(data))
    return wav, rate


def test_health_and_voices(server: str) -> None:
    with urllib.request.urlopen(server + "/api/voices") as response:
        (voice,) = json.load(response)
    assert voice["name"] == "default" and voice["sample_rate"] == 22050
    assert voice["card"]["teacher_licence"]


def test_tts_and_speed(server: str) -> None:
    status, kind, data = post(server + "/api/tts", {"text": "Hello there, how are you?"})
    assert status == 200 and kind == "audio/wav"
    normal, rate = read_wav(data)
    assert rate == 22050 and 0.5 < len(normal) / rate < 4 and np.abs(normal).max() > 0.05
    status, _, data = post(server + "/api/tts", {"text": "Hello there, how are you?", "speed": 2})
    fast, _ = read_wav(data)
    assert 0.35 < len(fast) / len(normal) < 0.65


def test_stream_sends_sentences_that_add_up(server: str) -> None:
    text = "The first sentence is here. And here is the second one! Is this the third?"
    status, _, whole = post(server + "/api/tts", {"text": text})
    status, kind, streamed = post(server + "/api/tts", {"text": text, "stream": True})
    assert status == 200 and kind == "audio/wav"
    assert streamed[:44] == wav_header(22050, None)
    data_size = int.from_bytes(streamed[40:44], "little")
    assert data_size % 2 == 0 and data_size > 2**31  # whole 16-bit samples, "to the end"
    assert len(streamed) - 44 == len(whole) - 44  # same samples, header sizes aside


def test_limits_and_errors_are_json(server: str) -> None:
    status, kind, data = post(server + "/api/tts", {"text": "x" * 501})
    assert status == 413 and kind == "application/json" and "500" in json.loads(data)["error"]
    status, kind, data = post(server + "/api/tts", {"text": "x" * 20_000})  # refused unread
    assert status == 413 and "bytes" in json.loads(data)["error"]
    status, _, data = post(server + "/api/tts", {"text": "Hi.", "speed": -1})
    assert status == 422 and "speed" in json.loads(data)["error"]
    status, _, data = post(server + "/api/tts", {"text": "Hi.", "speaker": "../../etc/passwd"})
    assert status == 422 and "error" in json.loads(data)
    status, _, data = post(server + "/api/tts", {"text": "!!!"})
    assert status == 422 and "error" in json.loads(data)
    status, _, data = post(server + "/api/tts", {"wrong": 1})
    assert status == 422 and "text" in json.loads(data)["error"]
    for bad in ({"speed": "NaN"}, {"pitch": "Infinity"}):  # not "less than or equal to 4"
        status, _, data = post(server + "/api/tts", {"text": "Hi.", **bad})
        assert status == 422 and "finite" in json.loads(data)["error"]
    status, _, data = post(server + "/api/tts", {"text": "Hi.", "speaker": False})  # not id 0
    assert status == 422 and "speaker" in json.loads(data)["error"]
    status, _, _ = post(server + "/api/tts", {"text": "Hi.", "speed": 0.25})  # as OpenAI's
    assert status == 200
    status, kind, data = post(server + "/api/tts", {"text": "Hi.", "speaker": "²"})  # not ASCII
    assert status == 422 and kind == "application/json" and "speaker" in json.loads(data)["error"]
    status, kind, data = post(server + "/api/nothing-here", {"text": "Hi."})
    assert status == 404 and kind == "application/json" and json.loads(data)["error"]
    try:
        urllib.request.urlopen(server + "/api/tts", timeout=30)  # GET on a POST route
    except urllib.error.HTTPError as error:
        assert error.code == 405 and json.loads(error.read())["error"]
    else:
        raise AssertionError("GET /api/tts was answered")


def test_openai_speech_and_mel(server: str) -> None:
    status, kind, data = post(server + "/v1/audio/speech", {"model": "x", "input": "Good day."})
    assert status == 200 and kind == "audio/wav" and read_wav(data)[0].size > 0
    status, kind, pcm = post(
        server + "/v1/audio/speech", {"input": "Good day.", "response_format": "pcm"}
    )
    wav, rate = read_wav(data)
    samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32767.0
    assert status == 200 and kind == "audio/pcm; rate=24000"  # OpenAI's pcm is 24 kHz
    assert len(samples) == round(wav.size * 24000 / rate)
    assert abs(np.sqrt(np.mean(samples**2)) / np.sqrt(np.mean(wav**2)) - 1) < 0.05
    status, kind, png = post(server + "/api/mel", {"text": "Good day."})
    assert status == 200 and kind == "image/png" and png[:8] == b"\x89PNG\r\n\x1a\n"


def test_queue_is_bounded() -> None:
    """One worker busy, one request waiting: the next is refused, the waiting one still runs."""
    release = threading.Event()

    async def scenario() -> list:
        queue = _Queue(workers=1, max_queue=1)
        first = asyncio.create_task(queue.run(release.wait))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(queue.run(lambda: "second"))
        await asyncio.sleep(0.05)
        with pytest.raises(_Busy):
            await queue.run(lambda: "third")
        release.set()
        return [await first, await second, queue.waiting]

    assert asyncio.run(scenario()) == [True, "second", 0]


def test_a_dropped_caller_keeps_its_worker_busy_until_the_work_ends() -> None:
    """A cancelled caller (a client gone mid-stream) returns at once, but its worker's slot is
    held until the abandoned work finishes; with max_queue 0 nobody waits for it, while a free
    worker still takes a request."""
    release = threading.Event()

    async def scenario() -> str:
        queue = _Queue(workers=1, max_queue=0)
        try:
            first = asyncio.create_task(queue.run(release.wait))
            await asyncio.sleep(0.05)
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
            assert queue.slots.locked()  # the worker still runs the abandoned work
            with pytest.raises(_Busy):
                await queue.run(lambda: "refused")
            release.set()
            for _ in range(100):
                if not queue.slots.locked():
                    break
                await asyncio.sleep(0.01)
            return await queue.run(lambda: "next")
        finally:
            queue.close()

    assert asyncio.run(scenario()) == "next"


def test_queue_runs_synthesis_on_its_own_threads_with_their_torch_threads() -> None:
    """Work runs on ``workers`` dedicated threads (never the event loop's), each set to
    ``worker_threads`` intra-op torch threads; the main thread's setting is untouched."""
    import torch

    before = torch.get_num_threads()

    def where() -> tuple[str, int]:
        time.sleep(0.05)  # keep this thread busy so the next call takes the other one
        return threading.current_thread().name, torch.get_num_threads()

    async def scenario() -> list:
        queue = _Queue(workers=2, max_queue=4, worker_threads=1)
        try:
            return list(await asyncio.gather(*(queue.run(where) for _ in range(4))))
        finally:
            queue.close()

    seen = asyncio.run(scenario())
    assert {threads for _, threads in seen} == {1}
    names = {name for name, _ in seen}
    assert len(names) == 2 and all(name.startswith("fastspeak-synthesis") for name in names)
    assert torch.get_num_threads() == before


def test_serve_refuses_zero_workers() -> None:
    from fastspeak.cli import main

    assert main(["serve", "--workers", "0"]) == 2
    assert main(["serve", "--worker-threads", "0"]) == 2
    assert main(["serve", "--max-queue", "-1"]) == 2


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian chromium")
def test_web_page_in_headless_chromium(server: str, tmp_path) -> None:
    command = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        f"--user-data-dir={tmp_path}",
        "--virtual-time-budget=60000",
        "--dump-dom",
        server + "/?selftest=1",
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=180).stdout
    start = dom.index('<pre id="selftest">') + len('<pre id="selftest">')
    result = json.loads(dom[start : dom.index("</pre>", start)].replace("&quot;", '"'))
    assert result["voice"] == "default" and result["speed_label"] == "1.25"
    assert result["audio_header"] == "RIFF" and result["audio_bytes"] > 10000
    assert result["mel_width"] > 100
    assert result["too_long_status"].startswith("error 413")
    assert "this server takes" in result["too_long_status"]  # the JSON message, shown
    assert result["mel_cleared_on_error"] and result["audio_kept_on_error"]


def test_a_multi_speaker_voice_on_loopback(tmp_path: Path) -> None:
    """Speakers by name or id on both endpoints; OpenAI's own voice names mean the default
    speaker, any other unknown voice is refused (it was spoken by the default speaker)."""
    from test_synthesis import write_checkpoint

    checkpoint = write_checkpoint(tmp_path / "multi.pt", speakers={"ann": 0, "bob": 1, "cy": 2})
    with running_server(["--checkpoint", str(checkpoint)]) as url:
        with urllib.request.urlopen(url + "/api/voices") as response:
            (voice,) = json.load(response)
        assert voice["speaker_ids"] == {"ann": 0, "bob": 1, "cy": 2}
        assert voice["default_speaker"] == "ann"
        speech = url + "/v1/audio/speech"
        bob = post(speech, {"input": "Who is it?", "voice": "bob"})[2]
        assert post(speech, {"input": "Who is it?", "voice": 1})[2] == bob
        assert post(url + "/api/tts", {"text": "Who is it?", "speaker": "bob"})[2] == bob
        default = post(speech, {"input": "Who is it?"})[2]
        assert post(speech, {"input": "Who is it?", "voice": "alloy"})[2] == default != bob
        status, _, data = post(speech, {"input": "Who is it?", "voice": "Bob "})
        assert status == 422 and "ann (0), bob (1), cy (2)" in json.loads(data)["error"]
