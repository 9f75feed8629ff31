"""The HTTP server: ``create_app(synthesizer)`` -> a FastAPI app (no globals, nothing at import).

Endpoints:
    ``GET  /``                  the web page (text box, control sliders, play, mel picture)
    ``GET  /health``            ``{"status": "ok", "sample_rate", "queue"}``
    ``GET  /api/voices``        the voice: name, speakers (names; ``speaker_ids`` name -> id,
                                ``default_speaker``), sample rate, card
    ``POST /api/tts``           JSON ``{text, speaker?, speed, pitch, energy, stream?}`` -> audio/wav;
                                ``stream: true`` sends each sentence as soon as it is made
    ``POST /api/mel``           same body -> image/png of the mel
    ``POST /v1/audio/speech``   OpenAI-style ``{input, voice?, speed?, response_format: wav|pcm}``

Limits: text longer than ``max_chars`` -> 413; a bad field -> 422; every error, an unknown
path (404) or an internal failure (500) included, is JSON ``{"error": ...}``. Synthesis runs in
``workers`` dedicated threads (default 1), each with ``worker_threads`` intra-op torch threads
(default 1), and at most ``max_queue`` requests wait for one; more get 503 with
``Retry-After``. A worker counts as busy until its work ends, even when the client has gone
(a dropped stream). Request fields never name files: a speaker is a name or index from the
voice's own table.

Why one intra-op thread per worker: torch's OpenMP parallel regions started from a thread other
than the process's main thread cost far more (measured on the 2-core CPU: Griffin-Lim of one
2-second sentence 42 ms on the main thread with 2 threads, 109 ms on a worker thread with 2,
50 ms on a worker thread with 1), so a server uses its cores through ``workers`` instead.
"""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any, Literal

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, StrictInt, StrictStr
from starlette.exceptions import HTTPException

from fastspeak.audio.io import resample
from fastspeak.synthesis import SynthesisError, Synthesizer, mel_figure
from fastspeak.text.errors import TextError

__all__ = ["create_app", "wav_header"]


class TTSRequest(BaseModel):
    text: str = Field(min_length=1)
    speaker: StrictStr | StrictInt | None = None  # not true/false/0.0 taken for ids
    speed: float = Field(1.0, ge=0.25, le=4.0, allow_inf_nan=False)
    pitch: float = Field(0.0, ge=-12.0, le=12.0, allow_inf_nan=False, description="semitones")
    energy: float = Field(0.0, ge=-20.0, le=20.0, allow_inf_nan=False, description="dB")
    stream: bool = False


class SpeechRequest(BaseModel):
    """OpenAI ``/v1/audio/speech``: ``model`` and ``voice`` are accepted; ``voice`` picks a
    speaker of a multi-speaker model by name or id (OpenAI's own voice names,
    :data:`OPENAI_VOICES`, mean its default speaker; a single-speaker voice ignores ``voice``).
    ``pcm`` is OpenAI's: headerless 16-bit little-endian mono at 24 kHz
    (:data:`OPENAI_PCM_RATE`)."""

    input: str = Field(min_length=1)
    model: str | None = None
    voice: StrictStr | StrictInt | None = None
    speed: float = Field(1.0, ge=0.25, le=4.0, allow_inf_nan=False)
    response_format: Literal["wav", "pcm"] = "wav"


OPENAI_VOICES = frozenset(
    "alloy ash ballad cedar coral echo fable marin nova onyx sage shimmer verse".split()
)
"""The voice names OpenAI clients send; they mean nothing here (the default speaker)."""

OPENAI_PCM_RATE = 24000
"""The sample rate OpenAI's ``response_format: "pcm"`` is defined at (no header says it)."""


def wav_header(sample_rate: int, samples: int | None) -> bytes:
    """44-byte RIFF/WAVE header for 16-bit mono PCM; ``samples=None`` (streaming) writes the
    largest sizes (a whole number of samples), which players read as "until the end of the
    stream"."""
    data = 0xFFFFFFFF - 37 if samples is None else samples * 2
    return (
        b"RIFF"
        + struct.pack("<I", min(36 + data, 0xFFFFFFFF))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data)
    )


def pcm16(wav: np.ndarray) -> bytes:
    """float waveform in [-1, 1] -> little-endian 16-bit PCM bytes."""
    return (np.clip(wav, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


class _BodyLimit:
    """ASGI middleware: a request whose Content-Length is over ``limit`` bytes gets 413 before
    its body is read (the ``max_chars`` check needs the parsed JSON)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                    message = f"request body has {int(value)} bytes; this server takes {self.limit}"
                    await _error(413, message)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


class _Busy(Exception):
    """More requests are waiting than the queue holds."""


class _Queue:
    """Runs synthesis in ``workers`` dedicated threads, each with ``worker_threads`` intra-op
    torch threads; at most ``max_queue`` callers wait for one."""

    def __init__(self, workers: int, max_queue: int, worker_threads: int = 1) -> None:
        import torch

        self.slots = asyncio.Semaphore(workers)
        self.max_queue, self.waiting = max_queue, 0
        self.executor = ThreadPoolExecutor(
            workers,
            thread_name_prefix="fastspeak-synthesis",
            initializer=torch.set_num_threads,
            initargs=(worker_threads,),
        )

    async def run(self, function: Callable[[], Any], admit: bool = True) -> Any:
        """``function()`` in a worker thread once a worker is free. ``admit=False`` (the next
        sentence of a stream already answered) waits even when the queue is full. A caller
        cancelled while its work runs (a client gone) gets CancelledError at once, but the
        worker's slot is freed only when the work ends, so the queue never admits more work
        than there are free workers."""
        if admit and self.slots.locked() and self.waiting >= self.max_queue:
            raise _Busy
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            future = asyncio.get_running_loop().run_in_executor(self.executor, function)
        except BaseException:
            self.slots.release()
            raise
        future.add_done_callback(self._finished)
        return await asyncio.shield(future)

    def _finished(self, future: asyncio.Future[Any]) -> None:
        self.slots.release()
        if not future.cancelled():
            future.exception()  # retrieved: a cancelled caller's error is not logged as lost

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def create_app(
    synthesizer: Synthesizer,
    voice_name: str = "default",
    card: dict[str, Any] | None = None,
    max_chars: int = 2000,
    max_queue: int = 64,
    workers: int = 1,
    worker_threads: int = 1,
) -> FastAPI:
    """The server for one loaded voice; see the module docstring for the endpoints."""
    queue: _Queue | None = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal queue
        queue = _Queue(workers, max_queue, worker_threads)  # inside the server's event loop
        try:
            yield
        finally:
            queue.close()

    app = FastAPI(title="fastspeak", lifespan=lifespan)
    # a character is at most 12 bytes of JSON (an escaped surrogate pair), plus the other fields
    app.add_middleware(_BodyLimit, limit=12 * max_chars + 4096)
    sample_rate = synthesizer.sample_rate

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(part) for part in item['loc'][1:]) or 'body'}: {item['msg']}"
            for item in error.errors()
        ]
        return _error(422, "; ".join(problems))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        headers = dict(error.headers) if error.headers else None
        return _error(error.status_code, str(error.detail), headers)

    @app.exception_handler(Exception)
    async def failure(_: Request, error: Exception) -> JSONResponse:
        return _error(500, f"internal error: {type(error).__name__}: {error}")

    def check(text: str, speaker: str | int | None) -> JSONResponse | None:
        if len(text) > max_chars:
            return _error(413, f"text has {len(text)} characters; this server takes {max_chars}")
        if speaker is not None:
            try:
                synthesizer.speaker_id(speaker)
            except SynthesisError as error:
                return _error(422, str(error))
        return None

    async def run(function: Callable[[], Any], admit: bool = True) -> Any:
        assert queue is not None
        return await queue.run(function, admit)

    def busy() -> JSONResponse:
        return _error(503, "the server is busy; retry shortly", {"Retry-After": "1"})

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        html = resources.files("fastspeak.serve").joinpath("static/index.html").read_text()
        return HTMLResponse(html)

    @app.get("/health")
    async def health() -> dict[str, Any]:
        waiting = queue.waiting if queue is not None else 0
        return {"status": "ok", "sample_rate": sample_rate, "queue": waiting}

    default_id = synthesizer.default_speaker
    default_speaker = next(
        (name for name, index in synthesizer.speakers.items() if index == default_id), None
    )

    @app.get("/api/voices")
    async def voices() -> list[dict[str, Any]]:
        return [
            {
                "name": voice_name,
                "speakers": list(synthesizer.speakers),
                "speaker_ids": synthesizer.speakers,  # name -> id
                "default_speaker": default_speaker,
                "sample_rate": sample_rate,
                "card": card or {},
            }
        ]

    async def guarded(text: str, speaker: str | int | None, work: Callable[[], Any]) -> Any:
        """``work()`` through the queue after the request checks; a JSONResponse on refusal."""
        problem = check(text, speaker)
        if problem is not None:
            return problem
        try:
            return await run(work)
        except _Busy:
            return busy()
        except (TextError, SynthesisError) as error:
            return _error(422, str(error))

    def wav_response(wav: np.ndarray) -> Response:
        return Response(wav_header(sample_rate, len(wav)) + pcm16(wav), media_type="audio/wav")

    @app.post("/api/tts")
    async def tts(request: TTSRequest) -> Response:
        controls = (request.speaker, request.speed, request.pitch, request.energy)
        if request.stream:
            pieces: Iterator[np.ndarray] = synthesizer.stream(request.text, *controls)
            # the text is checked, and the first sentence made, before the response starts
            first = await guarded(request.text, request.speaker, lambda: next(pieces, None))
            if isinstance(first, JSONResponse):
                return first

            async def body() -> AsyncIterator[bytes]:
                yield wav_header(sample_rate, None)
                piece = first
                while piece is not None:
                    yield pcm16(piece)
                    piece = await run(lambda: next(pieces, None), admit=False)

            return StreamingResponse(body(), media_type="audio/wav")
        result = await guarded(
            request.text, request.speaker, lambda: synthesizer.synth(request.text, *controls)
        )
        return result if isinstance(result, JSONResponse) else wav_response(result[0])

    @app.post("/api/mel")
    async def mel(request: TTSRequest) -> Response:
        controls = (request.speaker, request.speed, request.pitch, request.energy)
        hop_seconds = synthesizer.config.audio.hop_length / sample_rate
        result = await guarded(  # drawn in the worker too: a long mel takes ~1 s to draw
            request.text,
            request.speaker,
            lambda: _mel_png(synthesizer.mel(request.text, *controls), hop_seconds),
        )
        if isinstance(result, JSONResponse):
            return result
        return Response(result, media_type="image/png")

    def openai_voice(voice: str | int | None) -> str | int | None:
        """The speaker a ``voice`` asks for: None (the default) for OpenAI's own voice names
        and for a single-speaker model, else the voice itself (an unknown one is refused
        with the valid speakers, as on /api/tts)."""
        if synthesizer.model.config.n_speakers <= 1:
            return None
        if isinstance(voice, str) and voice.strip().lower() in OPENAI_VOICES:
            return None
        return voice

    @app.post("/v1/audio/speech")
    async def openai_speech(request: SpeechRequest) -> Response:
        speaker = openai_voice(request.voice)
        result = await guarded(
            request.input,
            speaker,
            lambda: synthesizer.synth(request.input, speaker, request.speed),
        )
        if isinstance(result, JSONResponse):
            return result
        if request.response_format == "pcm":
            wav = resample(result[0], sample_rate, OPENAI_PCM_RATE)
            return Response(pcm16(wav), media_type=f"audio/pcm; rate={OPENAI_PCM_RATE}")
        return wav_response(result[0])

    return app


def _mel_png(mel: np.ndarray, hop_seconds: float) -> bytes:
    """(T, n_mels) log mel -> PNG bytes, drawn as ``fastspeak synthesize`` draws it."""
    buffer = io.BytesIO()
    mel_figure(mel, len(mel) * hop_seconds).savefig(buffer, format="png")
    return buffer.getvalue()
