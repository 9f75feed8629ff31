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
                                (``stream_format`` "audio" only: "sse" -> 422; ``instructions``
                                accepted and ignored)

Limits: text longer than ``max_chars`` -> 413; a request body over what ``max_chars`` needs
-> 413 without reading more of it (declared by Content-Length or counted as it arrives,
chunked); text that expands to more than ``max_tokens`` sounds -> 413 (numbers, symbols and
abbreviations are spelled out: 2000 characters of digits make ten times the sounds, and the
work, of 2000 characters of prose; checked in the worker, on the prepared text the synthesis
then uses); a bad field, or a body that is not JSON -> 422; every error, an unknown
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
import json
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException

from fastspeak.audio.io import resample
from fastspeak.controls import CONTROL_RANGES
from fastspeak.synthesis import PreparedText, SynthesisError, Synthesizer, mel_figure
from fastspeak.text.errors import TextError

__all__ = ["create_app", "wav_header"]


def _json_number(value: Any) -> Any:
    """A control's value as JSON gives it: a number (an integer included) passes on to the
    float checks; true/false and strings are refused, as the library refuses them (pydantic
    alone would take true for 1.0 and "2" for 2.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "finite_number", "must be a finite number (got {got})", {"got": json.dumps(value)}
        )
    return value


Number = Annotated[float, BeforeValidator(_json_number)]


def _control(name: str, default: float, description: str | None = None) -> Any:
    """The Field of control ``name`` (a key of :data:`CONTROL_RANGES`): finite, in its range."""
    low, high = CONTROL_RANGES[name]
    return Field(default, ge=low, le=high, allow_inf_nan=False, description=description)


class TTSRequest(BaseModel):
    text: str = Field(min_length=1)
    speaker: StrictStr | StrictInt | None = None  # not true/false/0.0 taken for ids
    speed: Number = _control("speed", 1.0)
    pitch: Number = _control("pitch_semitones", 0.0, "semitones")
    energy: Number = _control("energy_db", 0.0, "dB")
    stream: bool = False


class SpeechRequest(BaseModel):
    """OpenAI ``/v1/audio/speech``: ``model`` and ``voice`` are accepted; ``voice`` picks a
    speaker of a multi-speaker model by name or id (OpenAI's own voice names,
    :data:`OPENAI_VOICES`, mean its default speaker; a single-speaker voice ignores ``voice``).
    ``pcm`` is OpenAI's: headerless 16-bit little-endian mono at 24 kHz
    (:data:`OPENAI_PCM_RATE`). ``stream_format`` takes only ``"audio"`` (the audio itself);
    OpenAI's ``"sse"`` (server-sent events) is refused with 422, not answered with audio
    the client would not read. ``instructions`` is accepted and ignored, as ``model`` is: this
    model has no instruction (tone, style) control."""

    input: str = Field(min_length=1)
    model: str | None = None
    voice: StrictStr | StrictInt | None = None
    speed: Number = _control("speed", 1.0)
    response_format: Literal["wav", "pcm"] = "wav"
    stream_format: Literal["audio"] = "audio"
    instructions: str | None = None  # ignored


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
    its body is read (the ``max_chars`` check needs the parsed JSON). A body without one
    (Transfer-Encoding: chunked) is counted as it arrives: once past ``limit`` the app is
    told the body has ended, nothing more is read, and whatever the app then answers (it
    sees a cut body) is replaced by the 413."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                message = f"request body has {int(value)} bytes; this server takes {self.limit}"
                await _error(413, message)(scope, receive, send)
                return
        received = 0

        async def counted() -> Any:
            """The next body message, until the body passes the limit; then an empty end."""
            nonlocal received
            if received > self.limit:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def answer(message: Any) -> None:
            """The app's response, or, once the body passed the limit, the 413 in its place."""
            if received <= self.limit:
                await send(message)
            elif message["type"] == "http.response.start":
                refusal = f"request body has more than {self.limit} bytes; this server takes "
                await _error(413, f"{refusal}{self.limit}")(scope, receive, send)

        await self.app(scope, counted, answer)


class _Busy(Exception):
    """More requests are waiting than the queue holds."""


class _TooManySounds(Exception):
    """The text expands to more tokens than the server takes."""

    def __init__(self, tokens: int) -> None:
        super().__init__(tokens)
        self.tokens = tokens


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
    max_tokens: int = 2500,
) -> FastAPI:
    """The server for one loaded voice; see the module docstring for the endpoints and
    limits. ``max_tokens`` bounds the work of one request: 2000 characters of prose are
    about 1750 tokens, 2000 of digits up to 17,000."""
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
        return _error(422, "; ".join(_problem(item, error.body) for item in error.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        headers = dict(error.headers) if error.headers else None
        return _error(error.status_code, str(error.detail), headers)

    @app.exception_handler(Exception)
    async def failure(_: Request, error: Exception) -> JSONResponse:
        return _error(500, f"internal error: {type(error).__name__}: {error}")

    def check(text: str, speaker: str | int | None) -> JSONResponse | None:
        """413 for a text over ``max_chars``, 422 for an unknown speaker, else None."""
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

    default_speaker = _default_speaker_name(synthesizer)

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

    def prepare(text: str) -> PreparedText:
        """``text`` -> its chunks, in the worker (tens of ms for a long text); _TooManySounds
        when they hold more than ``max_tokens`` tokens."""
        prepared = synthesizer.prepare(text)
        tokens = sum(len(chunk.ids) for chunk in prepared.chunks)
        if tokens > max_tokens:
            raise _TooManySounds(tokens)
        return prepared

    async def guarded(text: str, speaker: str | int | None, work: Callable[[], Any]) -> Any:
        """``work()`` through the queue after the request checks; a JSONResponse on refusal
        (``work`` raising _TooManySounds included)."""
        problem = check(text, speaker)
        if problem is not None:
            return problem
        try:
            return await run(work)
        except _Busy:
            return busy()
        except _TooManySounds as error:
            return _error(
                413,
                f"the text expands to {error.tokens} sounds (numbers, symbols and "
                f"abbreviations spelled out); this server takes {max_tokens}; split the text",
            )
        except (TextError, SynthesisError) as error:
            return _error(422, str(error))

    def synth(text: str, controls: tuple[Any, ...]) -> np.ndarray:
        """``text`` -> its waveform, prepared once (:func:`prepare`); runs in the worker."""
        (result,) = synthesizer.synthesize_prepared([prepare(text)], *controls)
        assert result.wav is not None
        return result.wav

    def wav_response(wav: np.ndarray) -> Response:
        return Response(wav_header(sample_rate, len(wav)) + pcm16(wav), media_type="audio/wav")

    @app.post("/api/tts")
    async def tts(request: TTSRequest) -> Response:
        controls = (request.speaker, request.speed, request.pitch, request.energy)
        if request.stream:

            def start() -> tuple[Iterator[np.ndarray], np.ndarray | None]:
                pieces = synthesizer.stream_prepared(prepare(request.text), *controls)
                return pieces, next(pieces, None)

            # the text is checked, and the first sentence made, before the response starts
            started = await guarded(request.text, request.speaker, start)
            if isinstance(started, JSONResponse):
                return started
            pieces, first = started

            async def body() -> AsyncIterator[bytes]:
                yield wav_header(sample_rate, None)
                piece = first
                while piece is not None:
                    yield pcm16(piece)
                    piece = await run(lambda: next(pieces, None), admit=False)

            return StreamingResponse(body(), media_type="audio/wav")
        result = await guarded(request.text, request.speaker, lambda: synth(request.text, controls))
        return result if isinstance(result, JSONResponse) else wav_response(result)

    @app.post("/api/mel")
    async def mel(request: TTSRequest) -> Response:
        controls = (request.speaker, request.speed, request.pitch, request.energy)
        hop_seconds = synthesizer.config.audio.hop_length / sample_rate

        def draw() -> bytes:  # in the worker too: a long mel takes ~1 s to draw
            prepared = prepare(request.text)
            (result,) = synthesizer.synthesize_prepared([prepared], *controls, vocode=False)
            return _mel_png(result.mel, hop_seconds)

        result = await guarded(request.text, request.speaker, draw)
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
        controls = (speaker, request.speed)
        result = await guarded(request.input, speaker, lambda: synth(request.input, controls))
        if isinstance(result, JSONResponse):
            return result
        if request.response_format == "pcm":
            wav = resample(result, sample_rate, OPENAI_PCM_RATE)
            return Response(pcm16(wav), media_type=f"audio/pcm; rate={OPENAI_PCM_RATE}")
        return wav_response(result)

    return app


def _problem(item: Any, body: Any) -> str:
    """One pydantic/FastAPI validation error -> ``"field: message"``; for a body that is not
    JSON, the parser's complaint and where it stopped: line and column (1-based, as
    :class:`json.JSONDecodeError` counts) when FastAPI passes the body's text along, else
    the character."""
    location = item["loc"][1:]
    if item["type"] == "json_invalid":
        reason = (item.get("ctx") or {}).get("error") or "cannot be parsed"
        return f"the body is not valid JSON: {reason}{_where(location, body)}"
    return f"{'.'.join(str(part) for part in location) or 'body'}: {item['msg']}"


def _where(location: Any, body: Any) -> str:
    """`` at line L, column C`` of the 0-based offset ``location[0]`` in ``body`` (its text),
    or `` at character N`` without the text; empty without the offset."""
    if not location or not isinstance(location[0], int):
        return ""
    offset = location[0]
    if not isinstance(body, str) or offset > len(body):
        return f" at character {offset + 1}"
    line = body.count("\n", 0, offset) + 1
    column = offset - body.rfind("\n", 0, offset)  # rfind is -1 on the first line
    return f" at line {line}, column {column}"


def _default_speaker_name(synthesizer: Synthesizer) -> str | None:
    """The name of the speaker a request without one gets: the lowest id's of a
    multi-speaker voice, the only speaker of a single-speaker voice (its ``speakers`` table
    may name it); None when the voice names no speakers."""
    default_id = synthesizer.default_speaker
    return next(
        (
            name
            for name, index in synthesizer.speakers.items()
            if default_id is None or index == default_id
        ),
        None,
    )


def _mel_png(mel: np.ndarray, hop_seconds: float) -> bytes:
    """(T, n_mels) log mel -> PNG bytes, drawn as ``fastspeak synthesize`` draws it."""
    buffer = io.BytesIO()
    mel_figure(mel, len(mel) * hop_seconds).savefig(buffer, format="png")
    return buffer.getvalue()
