"""The HTTP server on loopback with the bundled voice, and its web page in headless Chromium."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import io
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from fastspeak.serve.app import _Busy, _Queue, create_app, wav_header


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


@contextlib.contextmanager
def serving(app: object) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in this process, until the block ends
    (for ``create_app`` options ``fastspeak serve`` has no flag for)."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def post(url: str, body: dict | bytes) -> tuple[int, str, bytes]:
    """POST ``body`` (a dict as JSON, bytes as they are) -> (status, Content-Type, body)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def post_chunked(url: str, body: bytes, size: int) -> tuple[int, str, bytes]:
    """POST ``body`` with Transfer-Encoding: chunked (no Content-Length), ``size`` bytes a
    chunk -> (status, Content-Type, body)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=120)
    try:
        chunks = (body[start : start + size] for start in range(0, len(body), size))
        headers = {"Content-Type": "application/json"}
        connection.request("POST", parts.path, chunks, headers, encode_chunked=True)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    wav, rate = soundfile.read(io.BytesIO(data))
    return wav, rate


def test_health_and_voices(server: str) -> None:
    with urllib.request.urlopen(server + "/api/voices") as response:
        (voice,) = json.load(response)
    assert voice["name"] == "default" and voice["sample_rate"] == 22050
    assert voice["card"]["teacher_licence"]
    # a single-speaker voice: its one named speaker is the one used when none is given
    assert voice["speakers"] == ["default"] and voice["default_speaker"] == "default"


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


def test_a_chunked_body_is_counted_as_it_arrives(server: str) -> None:
    """Without a Content-Length the body is counted as it comes (the server takes
    12 * 500 + 4096 bytes here): past the limit the server answers 413 without waiting for
    the rest, which never comes here; a chunked body under the limit is served."""
    url = urllib.parse.urlsplit(server)
    with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
        head = "POST /api/tts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        sock.sendall(f"{head}Transfer-Encoding: chunked\r\n\r\n".encode())
        chunk = b'{"text": "' + b"x" * 16_000
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))  # no last chunk: more to come
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    assert head_bytes.startswith(b"HTTP/1.1 413") and b"application/json" in head_bytes
    assert "more than 10096 bytes" in json.loads(body)["error"]
    big = json.dumps({"text": "x" * 30_000}).encode()
    status, kind, data = post_chunked(server + "/api/tts", big, 1000)  # sent whole
    assert status == 413 and kind == "application/json" and "bytes" in json.loads(data)["error"]
    status, kind, data = post_chunked(server + "/api/tts", b'{"text": "Hello there."}', 5)
    assert status == 200 and kind == "audio/wav" and read_wav(data)[0].size > 0


def test_requests_are_checked_strictly_with_clear_errors(server: str) -> None:
    """A control is a JSON number (true is not 1.0); OpenAI's server-sent events are refused,
    its instructions ignored; a body that is not JSON says where it stops being JSON."""
    for body in ({"text": "Hi.", "speed": True}, {"text": "Hi.", "pitch": "1"}):
        status, kind, data = post(server + "/api/tts", body)
        assert status == 422 and kind == "application/json"
        assert "must be a finite number" in json.loads(data)["error"]
    status, _, data = post(server + "/v1/audio/speech", {"input": "Hi.", "speed": True})
    assert status == 422 and "speed" in json.loads(data)["error"]
    status, _, data = post(server + "/v1/audio/speech", {"input": "Hi.", "stream_format": "sse"})
    assert status == 422 and "stream_format" in json.loads(data)["error"]
    ignored = {"instructions": "Whisper.", "stream_format": "audio"}
    status, kind, _ = post(server + "/v1/audio/speech", {"input": "Hi.", **ignored})
    assert status == 200 and kind == "audio/wav"
    status, kind, data = post(server + "/api/tts", b'{"text": "Hi.",\n "speed" 1}')
    error = json.loads(data)["error"]
    assert status == 422 and kind == "application/json"
    assert error == "the body is not valid JSON: Expecting ':' delimiter at line 2, column 10"


@pytest.fixture(scope="module")
def small_server() -> Iterator[str]:
    """The bundled voice served in this process with ``max_tokens=50``."""
    from fastspeak.synthesis import Synthesizer

    app = create_app(Synthesizer.from_checkpoint(), max_chars=500, max_tokens=50)
    with serving(app) as url:
        yield url


def test_text_that_expands_past_max_tokens_is_refused_on_every_endpoint(
    small_server: str,
) -> None:
    """Thirty characters of digits are read out as 149 sounds: each endpoint refuses them
    with 413 (the work, not the characters, is what is bounded) and serves a sentence of
    21 sounds."""
    long, short = "9" * 30, "Hello there, how are you?"
    for path, field, extra in (
        ("/api/tts", "text", {}),
        ("/api/tts", "text", {"stream": True}),
        ("/api/mel", "text", {}),
        ("/v1/audio/speech", "input", {}),
    ):
        status, kind, data = post(small_server + path, {field: long, **extra})
        assert status == 413 and kind == "application/json", (path, extra)
        error = json.loads(data)["error"]
        assert "expands to 149 sounds" in error and "takes 50" in error, error
        status, kind, _ = post(small_server + path, {field: short, **extra})
        assert status == 200 and kind in ("audio/wav", "image/png"), (path, extra)


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
