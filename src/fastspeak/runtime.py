"""Synthesis on onnxruntime, without torch: an exported voice (``fastspeak export --format
onnx``) read by numpy + onnxruntime + the text frontend.

    voice = OnnxVoice("exported/")
    mel = voice.mel("Hello there.", speed=1.1, pitch_semitones=2.0)    # (T, n_mels) log mel
    wav, sample_rate = voice.synth("Hello there.")                     # needs OUT/vocoder.onnx

Text is cut exactly as the PyTorch Synthesizer cuts it (:class:`~fastspeak.text.chunks.
TextChunker`), chunks run as one padded batch, and the pieces are joined with the same pauses
(silent frames at ``audio.log_floor``). A waveform needs a vocoder graph ``vocoder.onnx``
beside the acoustic model (mels (B, n_mels, T) -> wavs (B, T * hop)).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from fastspeak.config import config_from_dict
from fastspeak.controls import check_controls, resolve_speaker
from fastspeak.text.chunks import Chunk, PreparedText, TextChunker
from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.text.vocab import Vocabulary

__all__ = ["OnnxVoice"]


class OnnxVoice:
    """An exported voice folder on onnxruntime.

    Args:
        folder: the output of ``fastspeak export --format onnx`` (``acoustic.onnx``,
            ``voice.json``, optionally ``vocoder.onnx``).
        pauses_ms, max_chunk_tokens: as for :class:`~fastspeak.synthesis.Synthesizer`.
        providers: onnxruntime execution providers (default CPU).
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        pauses_ms: dict[str, float] | None = None,
        max_chunk_tokens: int = 256,
        providers: list[str] | None = None,
    ) -> None:
        import onnxruntime

        self.folder = Path(folder)
        meta_path = self.folder / "voice.json"
        if not (self.folder / "acoustic.onnx").is_file() or not meta_path.is_file():
            raise FileNotFoundError(
                f"{self.folder} has no acoustic.onnx + voice.json; make it with "
                "`fastspeak export --format onnx --out DIR`"
            )
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self.config = config_from_dict(meta["config"])
        self.vocab = Vocabulary.from_dict(meta["vocab"])
        self.speakers: dict[str, int] = {str(k): int(v) for k, v in meta["speakers"].items()}
        self.card: dict[str, Any] = meta.get("card") or {}
        self.chunker = TextChunker(
            TextProcessor(self.config.text), self.vocab, pauses_ms, max_chunk_tokens
        )
        options = {"providers": providers or ["CPUExecutionProvider"]}
        self.acoustic = onnxruntime.InferenceSession(str(self.folder / "acoustic.onnx"), **options)
        self.inputs = [item.name for item in self.acoustic.get_inputs()]
        # only the vocoder voice.json names: a file left by an earlier export is not this voice's
        vocoder = meta.get("onnx", {}).get("vocoder")
        self.vocoder = (
            onnxruntime.InferenceSession(str(self.folder / vocoder), **options) if vocoder else None
        )

    @property
    def sample_rate(self) -> int:
        return int(self.config.audio.sample_rate)

    def _controls(self, rows: int, speed: float, pitch: float, energy: float, speaker: Any) -> dict:
        """The graph's control inputs for ``rows`` chunks; SynthesisError (a ValueError) for a
        bad control or an unknown speaker, exactly as the PyTorch Synthesizer."""
        model = self.config.model
        check_controls(speed, pitch, energy, "pitch_semitones" in self.inputs, model.name)
        index = resolve_speaker(speaker, self.speakers, model.n_speakers)
        values = {
            "speed": np.full(rows, speed, np.float32),
            "pitch_semitones": np.full(rows, pitch, np.float32),
            "energy_db": np.full(rows, energy, np.float32),
            "speaker_ids": np.full(rows, index or 0, np.int64),
        }
        return {name: value for name, value in values.items() if name in self.inputs}

    def mel(
        self,
        text: str,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
        speaker: str | int | None = None,
    ) -> np.ndarray:
        """One text -> its (T, n_mels) natural-log mel, pauses included as silent frames."""
        prepared = self.chunker.prepare(text)
        pieces = self._chunk_mels(prepared, speed, pitch_semitones, energy_db, speaker)
        hop, rate = self.config.audio.hop_length, self.config.audio.sample_rate
        silent = np.float32(math.log(self.config.audio.log_floor))
        parts = []
        for mel, chunk in pieces:
            parts.append(mel)
            pause = chunk.pause_frames(rate, hop, speed)
            parts.append(np.full((pause, mel.shape[1]), silent, np.float32))
        return np.concatenate(parts).astype(np.float32, copy=False)

    def _chunk_mels(
        self, prepared: PreparedText, speed: float, pitch: float, energy: float, speaker: Any
    ) -> list[tuple[np.ndarray, Chunk]]:
        """Each chunk's (T_i, n_mels) mel, the chunks run as one padded batch."""
        chunks = prepared.chunks
        if not chunks:
            raise TextError("nothing to say")
        longest = max(len(chunk.ids) for chunk in chunks)
        tokens = np.zeros((len(chunks), longest), np.int64)
        for row, chunk in enumerate(chunks):
            tokens[row, : len(chunk.ids)] = chunk.ids
        feed = {
            "tokens": tokens,
            "token_lengths": np.array([len(chunk.ids) for chunk in chunks], np.int64),
            **self._controls(len(chunks), speed, pitch, energy, speaker),
        }
        mels, lengths = self.acoustic.run(None, feed)
        return [(mels[row, : int(lengths[row])], chunk) for row, chunk in enumerate(chunks)]

    def synth(
        self,
        text: str,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
        speaker: str | int | None = None,
    ) -> tuple[np.ndarray, int]:
        """One text -> (waveform (T,) float32, sample rate), through ``vocoder.onnx``: each
        chunk vocoded alone and the pauses exact silence, as the Synthesizer joins them."""
        if self.vocoder is None:
            raise FileNotFoundError(
                f"{self.folder} has no vocoder.onnx; export the voice with a neural vocoder, or "
                "call mel() and vocode elsewhere"
            )
        prepared = self.chunker.prepare(text)
        pieces = self._chunk_mels(prepared, speed, pitch_semitones, energy_db, speaker)
        name = self.vocoder.get_inputs()[0].name
        parts = []
        for mel, chunk in pieces:
            (wav,) = self.vocoder.run(None, {name: mel.T[None].astype(np.float32)})
            parts.append(wav.reshape(-1))
            parts.append(np.zeros(chunk.pause_samples(self.sample_rate, speed), np.float32))
        return np.concatenate(parts).astype(np.float32, copy=False), self.sample_rate
