"""Text -> speech: the one synthesis path used by the CLI, the server, export checks and tests.

::

    synthesizer = Synthesizer.from_checkpoint("runs/joe/best.pt")
    wav, sample_rate = synthesizer.synth("Hello there. How are you?", speed=1.1)

Pipeline for each text:

1. ``TextProcessor.sentences`` normalises and splits it after ``. ? !`` (the SAME frontend
   object, built from the checkpoint's ``text`` config, that preprocessed the training data).
2. Each sentence is phonemised; tokens missing from the checkpoint's vocabulary are skipped and
   counted (the vocabulary is exactly what the model can say); a sentence left with only
   punctuation/word boundaries is dropped, and a text left with nothing is a ``TextError``.
   A sentence longer than
   ``max_chunk_tokens`` is cut at a clause mark (``, ; : — …``) in the second half of the
   window, else at a word boundary, else hard (long inputs stay within what training covered).
3. All chunks (of all texts in a batch) go through the model as padded batches, sorted by
   length, in ``torch.inference_mode()``, and through the vocoder as the same padded batches.
4. The chunks of a text are joined with silences that follow the punctuation that ENDS each
   chunk (:data:`DEFAULT_PAUSES_MS`; the reference code made every mark the same pause). The
   model still speaks each chunk's own punctuation tokens (a comma inside a sentence is the
   model's learnt pause); the table only sets the gaps between chunks.

Output waveforms are float32 at the vocoder's rate and are not normalised or clipped (the
writers clip). The mel of a text (:meth:`Synthesizer.mel`) is the model's postnet mels joined
with silent frames (``audio.log_floor``) of the pause lengths rounded to whole frames.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fastspeak.audio.io import save_audio
from fastspeak.config import Config, ConfigError, config_from_dict
from fastspeak.controls import SynthesisError, check_controls, resolve_speaker
from fastspeak.files import writable_folder_problem
from fastspeak.models.registry import AcousticModel, model_spec, spec_for_kind
from fastspeak.text.chunks import DEFAULT_PAUSES_MS, Chunk, PreparedText, TextChunker
from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.text.vocab import Vocabulary
from fastspeak.train.checkpoint import CheckpointError, load_checkpoint, model_weights
from fastspeak.vocoders.base import Vocoder, make_vocoder

__all__ = [
    "DEFAULT_PAUSES_MS",
    "CheckpointError",
    "Chunk",
    "PreparedText",
    "SynthesisError",
    "SynthesisResult",
    "Synthesizer",
    "load_acoustic_model",
    "synthesize_command",
    "write_outputs",
]


# -- checkpoints ----------------------------------------------------------------------------


def load_acoustic_model(
    path: str | os.PathLike[str], use_ema: bool = True
) -> tuple[AcousticModel, Config, Vocabulary, dict[str, int], dict[str, Any]]:
    """Rebuild the acoustic model of a ``fastspeak train`` checkpoint (any registered kind:
    FastSpeech 2 or FastSpeech, see :mod:`fastspeak.models.registry`) or of a voice folder
    (``fastspeak export --format voice``: its half-precision weights in fp32), on the CPU, in
    eval mode.

    Returns (model, config, vocab, speakers, checkpoint); for a voice folder the last is
    ``{"kind", "stats", "step"}`` from its voice.json. Raises CheckpointError for a missing
    or damaged file, another kind of checkpoint, missing entries, or weights that do not fit
    the saved config.
    """
    from fastspeak.voice import is_voice, load_voice, voice_meta

    if is_voice(path):
        model, config, vocab, speakers = load_voice(path)
        meta = voice_meta(path)
        card = meta.get("card") or {}
        return (
            model,
            config,
            vocab,
            speakers,
            {**{k: meta.get(k) for k in ("kind", "stats")}, "step": card.get("step")},
        )
    checkpoint = load_checkpoint(Path(path))
    kind = checkpoint.get("kind", "fastspeech2")
    spec = spec_for_kind(kind)
    if spec is None:
        raise CheckpointError(
            f"checkpoint {path} holds a {kind} model; synthesis needs an acoustic model "
            "checkpoint (FastSpeech 2 or FastSpeech; pass vocoder checkpoints through the "
            "vocoder option)"
        )
    missing = [key for key in ("model", "config", "vocab") if key not in checkpoint]
    if missing:
        raise CheckpointError(
            f"checkpoint {path} lacks {', '.join(missing)}; it was not written by "
            "`fastspeak train` (full checkpoints carry model, config and vocab)"
        )
    try:
        config = config_from_dict(checkpoint["config"])
        vocab = Vocabulary.from_dict(checkpoint["vocab"])
    except (ConfigError, TextError) as error:
        raise CheckpointError(f"checkpoint {path}: {error}") from error
    if config.model.name != spec.name:
        raise CheckpointError(
            f"checkpoint {path} says kind {kind} but its config has model.name "
            f"{config.model.name}; the file is inconsistent"
        )
    model = spec.build(config.model)
    try:
        model.load_state_dict(model_weights(checkpoint, use_ema), strict=True)
    except RuntimeError as error:
        raise CheckpointError(
            f"checkpoint {path}: the weights do not fit the model described by its own "
            f"config ({error})"
        ) from error
    speakers = {str(name): int(index) for name, index in (checkpoint.get("speakers") or {}).items()}
    return model.eval(), config, vocab, speakers, checkpoint


# -- data -----------------------------------------------------------------------------------


def inference_device(device: str | torch.device) -> torch.device:
    """``"cpu"``, ``"cuda"``, ``"cuda:1"``... -> the torch device; SynthesisError for a name torch
    does not know or a CUDA device this machine does not have."""
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        raise SynthesisError(f"unknown device {device!r}; use cpu, cuda or cuda:N") from error
    if resolved.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise SynthesisError(
                f"device {device!r} asked for, but torch {torch.__version__} sees no CUDA GPU "
                "here; use --device cpu"
            )
        if resolved.index is not None and resolved.index >= count:
            raise SynthesisError(f"device {device!r}: this machine has {count} CUDA GPU(s)")
    return resolved


@dataclass
class SynthesisResult:
    """Everything one text produced.

    Attributes:
        wav: (T_wav,) float32 at ``sample_rate``, or None when only mels were asked for.
        mel: (T_mel, n_mels) float32 natural-log mel, pauses included as silent frames.
        chunks: what was spoken, with pauses and frame counts.
        skipped_tokens: tokens the vocabulary lacks, with counts.
    """

    wav: np.ndarray | None
    sample_rate: int
    mel: np.ndarray
    chunks: list[Chunk]
    skipped_tokens: dict[str, int]


# -- the facade -----------------------------------------------------------------------------


class Synthesizer:
    """An acoustic model (FastSpeech 2 or FastSpeech) + vocoder behind one call: text in,
    waveform out.

    Args:
        model: the acoustic model (moved to ``device`` and put in eval mode).
        config: the full config saved with the model (text frontend, audio settings).
        vocab: the vocabulary the model was trained with.
        vocoder: a :class:`~fastspeak.vocoders.base.Vocoder`, or a name for
            :func:`~fastspeak.vocoders.base.make_vocoder` (default Griffin-Lim).
        speakers: speaker name -> id of a multi-speaker model.
        device: where the model and the vocoder run.
        pauses_ms: overrides of :data:`DEFAULT_PAUSES_MS`.
        max_chunk_tokens: longest token sequence given to the model at once.
        batch_size: chunks per model/vocoder batch.
        vocoder_options: keyword options when ``vocoder`` is a name (e.g. ``{"n_iter": 64}``).

    A multi-speaker model called without a speaker uses its FIRST speaker (the lowest id;
    see :attr:`default_speaker`).
    """

    def __init__(
        self,
        model: AcousticModel,
        config: Config,
        vocab: Vocabulary,
        vocoder: Vocoder | str = "griffinlim",
        speakers: Mapping[str, int] | None = None,
        device: str | torch.device = "cpu",
        pauses_ms: Mapping[str, float] | None = None,
        max_chunk_tokens: int = 256,
        batch_size: int = 16,
        vocoder_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.device = inference_device(device)
        self.config = config
        self.vocab = vocab
        self.processor = TextProcessor(config.text)
        if vocab.inventory != config.text.inventory:
            raise SynthesisError(
                f"the vocabulary is for the {vocab.inventory} inventory but the config's "
                f"text.inventory is {config.text.inventory}; they must come from one checkpoint"
            )
        if len(vocab) > model.config.vocab_size:
            raise SynthesisError(
                f"the vocabulary has {len(vocab)} tokens but the model embeds only "
                f"{model.config.vocab_size}; use the vocabulary saved with the model"
            )
        if model.config.n_mels != config.audio.n_mels:
            raise SynthesisError(
                f"the model makes {model.config.n_mels} mel channels but audio.n_mels is "
                f"{config.audio.n_mels}; the config does not belong to this model"
            )
        if batch_size < 1:
            raise SynthesisError("batch_size must be >= 1")
        self.batch_size = batch_size
        try:
            self.chunker = TextChunker(self.processor, vocab, pauses_ms, max_chunk_tokens)
        except ValueError as error:
            raise SynthesisError(str(error)) from error

        n_speakers = model.config.n_speakers
        self._speakers = {str(name): int(index) for name, index in (speakers or {}).items()}
        bad = {
            name: index
            for name, index in self._speakers.items()
            if not 0 <= index < max(n_speakers, 1)
        }
        if bad:
            raise SynthesisError(
                f"speaker ids {bad} are outside the model's {max(n_speakers, 1)} speaker(s); "
                "the speaker table does not belong to this model"
            )

        self.model = model.to(self.device).eval()
        if isinstance(vocoder, str):
            vocoder = make_vocoder(vocoder, config.audio, **dict(vocoder_options or {}))
        elif vocoder_options:
            raise SynthesisError("vocoder_options apply only when the vocoder is given by name")
        if isinstance(vocoder, torch.nn.Module):
            vocoder = vocoder.to(self.device).eval()
        if vocoder.sample_rate != config.audio.sample_rate:
            raise SynthesisError(
                f"the vocoder runs at {vocoder.sample_rate} Hz but the model's audio is "
                f"{config.audio.sample_rate} Hz; use a vocoder trained on the same audio config"
            )
        self.vocoder = vocoder

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_checkpoint(
        cls,
        path: str | os.PathLike[str] | None = None,
        device: str | torch.device = "cpu",
        vocoder: Vocoder | str | None = None,
        use_ema: bool = True,
        **options: Any,
    ) -> Synthesizer:
        """Load a training checkpoint (config, vocabulary, speakers and weights travel in it)
        or a voice folder (``fastspeak export --format voice``).

        Args:
            path: a checkpoint written by ``fastspeak train``, a voice folder, or None for the
                voice bundled with fastspeak (:data:`fastspeak.voice.DEFAULT_VOICE`).
            vocoder: a Vocoder or a name for :func:`~fastspeak.vocoders.make_vocoder`; None
                (default): the voice's own HiFi-GAN when it ships one, else Griffin-Lim
                (:func:`fastspeak.voice.default_vocoder`). Griffin-Lim takes the voice's own
                options (:func:`fastspeak.voice.griffinlim_options`) unless ``vocoder_options``
                are given.
            use_ema: use the exponential-moving-average weights when the checkpoint has them
                (the trainer validates with them; they are usually the better model).
            options: the remaining :class:`Synthesizer` arguments (``pauses_ms``,
                ``max_chunk_tokens``, ``batch_size``, ``vocoder_options``).
        Raises:
            CheckpointError: missing/corrupt file, not an acoustic-model checkpoint, missing
                entries, weights that do not fit the saved config.
            SynthesisError: a speaker table or vocoder that does not fit the model.
        """
        from fastspeak.voice import DEFAULT_VOICE, default_vocoder, griffinlim_options

        if path is None:
            path = DEFAULT_VOICE
        if vocoder is None:
            vocoder = default_vocoder(path)
        if vocoder == "griffinlim" and options.get("vocoder_options") is None:
            options["vocoder_options"] = griffinlim_options(path)  # the voice's tuning, if any
        model, config, vocab, speakers, _ = load_acoustic_model(path, use_ema)
        return cls(
            model, config, vocab, vocoder=vocoder, speakers=speakers, device=device, **options
        )

    # -- properties ---------------------------------------------------------------------

    @property
    def sample_rate(self) -> int:
        return int(self.vocoder.sample_rate)

    @property
    def speakers(self) -> dict[str, int]:
        """Speaker name -> id (empty for an anonymous single-speaker model)."""
        return dict(self._speakers)

    @property
    def default_speaker(self) -> int | None:
        """Speaker id used when none is given: the lowest id of a multi-speaker model."""
        return resolve_speaker(None, self._speakers, self.model.config.n_speakers)

    def speaker_id(self, speaker: str | int | None) -> int | None:
        """Resolve a speaker name or id (a string of digits is an id) to the model's id.

        Returns None for a single-speaker model. Raises :class:`SynthesisError` listing the
        valid speakers for anything unknown.
        """
        return resolve_speaker(speaker, self._speakers, self.model.config.n_speakers)

    # -- text -> chunks -----------------------------------------------------------------

    def prepare(self, text: str) -> PreparedText:
        """Split, phonemise and encode ``text``: :meth:`TextChunker.prepare`."""
        return self.chunker.prepare(text)

    def prepare_tokens(self, tokens: Sequence[str], text: str = "") -> PreparedText:
        """Model inputs from symbols of the model's inventory: :meth:`TextChunker.prepare_tokens`."""
        return self.chunker.prepare_tokens(tokens, text)

    # -- synthesis ----------------------------------------------------------------------

    def synthesize_prepared(
        self,
        prepared: Sequence[PreparedText],
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
        vocode: bool = True,
    ) -> list[SynthesisResult]:
        """Synthesise texts already turned into chunks by :meth:`prepare` (steps 3-4).

        Lets a caller validate every text before doing any work (as ``synthesize_command``
        does). ``vocode=False`` skips the vocoder: results then have ``wav=None``.
        """
        name = self.model.config.name
        check_controls(
            speed, pitch_semitones, energy_db, model_spec(name).variance_statistics, name
        )
        speaker_index = self.speaker_id(speaker)
        chunks = [chunk for item in prepared for chunk in item.chunks]
        mels: list[np.ndarray] = [np.empty(0, np.float32)] * len(chunks)
        wavs: list[np.ndarray] = [np.empty(0, np.float32)] * len(chunks)
        order = sorted(range(len(chunks)), key=lambda index: len(chunks[index].ids))
        with torch.inference_mode():
            for first in range(0, len(order), self.batch_size):
                group = order[first : first + self.batch_size]
                token_lengths = torch.tensor([len(chunks[i].ids) for i in group])
                tokens = torch.zeros(len(group), int(token_lengths.max()), dtype=torch.long)
                for row, index in enumerate(group):
                    tokens[row, : len(chunks[index].ids)] = torch.tensor(chunks[index].ids)
                speaker_ids = (
                    None
                    if speaker_index is None
                    else torch.full((len(group),), speaker_index, dtype=torch.long)
                )
                output = self.model.infer(
                    tokens.to(self.device),
                    token_lengths.to(self.device),
                    speaker_ids=None if speaker_ids is None else speaker_ids.to(self.device),
                    speed=float(speed),
                    pitch_semitones=float(pitch_semitones),
                    energy_db=float(energy_db),
                )
                mel_lengths = output.mel_lengths.cpu().tolist()
                if vocode:
                    wav_tensor, wav_length_tensor = self.vocoder(
                        output.mels_postnet.float().transpose(1, 2), output.mel_lengths
                    )
                    batch_wavs = wav_tensor.float().cpu().numpy()  # (B, T_max * hop)
                    wav_lengths = wav_length_tensor.cpu().tolist()
                batch_mels = output.mels_postnet.float().cpu().numpy()  # (B, T_max, n_mels)
                for row, index in enumerate(group):
                    chunks[index].frames = int(mel_lengths[row])
                    mels[index] = batch_mels[row, : mel_lengths[row]]
                    if vocode:
                        wavs[index] = batch_wavs[row, : wav_lengths[row]]

        results = []
        position = 0
        hop, sample_rate = self.config.audio.hop_length, self.config.audio.sample_rate
        silent = np.float32(math.log(self.config.audio.log_floor))
        for item in prepared:
            mel_parts: list[np.ndarray] = []
            wav_parts: list[np.ndarray] = []
            for chunk in item.chunks:
                pause_samples = chunk.pause_samples(sample_rate, float(speed))
                pause_frames = chunk.pause_frames(sample_rate, hop, float(speed))
                mel_parts.append(mels[position])
                mel_parts.append(np.full((pause_frames, mels[position].shape[1]), silent))
                if vocode:
                    wav_parts.append(wavs[position])
                    wav_parts.append(np.zeros(pause_samples, np.float32))
                position += 1
            results.append(
                SynthesisResult(
                    wav=np.concatenate(wav_parts).astype(np.float32, copy=False)
                    if vocode
                    else None,
                    sample_rate=self.sample_rate,
                    mel=np.concatenate(mel_parts).astype(np.float32, copy=False),
                    chunks=item.chunks,
                    skipped_tokens=item.skipped_tokens,
                )
            )
        return results

    def synthesize_batch(
        self,
        texts: Sequence[str],
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> list[SynthesisResult]:
        """Synthesise several texts together (their sentences share padded batches).

        Args:
            speaker: name or id (default: the first speaker of a multi-speaker model).
            speed: speaking rate (2.0 = twice as fast; durations are divided by it).
            pitch_semitones: f0 shift (+12 = one octave up).
            energy_db: energy gain in dB.
        Returns: one :class:`SynthesisResult` per text, in order.
        """
        if isinstance(texts, str):
            raise TypeError("synthesize_batch takes a list of texts; use synthesize for one")
        prepared = [self.prepare(text) for text in texts]
        return self.synthesize_prepared(
            prepared, speaker, speed, pitch_semitones, energy_db, vocode=True
        )

    def synthesize(
        self,
        text: str,
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> SynthesisResult:
        """One text -> :class:`SynthesisResult` (waveform, mel, chunks, skipped tokens)."""
        return self.synthesize_batch([text], speaker, speed, pitch_semitones, energy_db)[0]

    def synth(
        self,
        text: str,
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> tuple[np.ndarray, int]:
        """One text -> ``(wav (T_wav,) float32, sample_rate)``; see :meth:`synthesize_batch`."""
        result = self.synthesize(text, speaker, speed, pitch_semitones, energy_db)
        assert result.wav is not None
        return result.wav, result.sample_rate

    def synth_batch(
        self,
        texts: Sequence[str],
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> list[np.ndarray]:
        """Several texts -> their waveforms ((T_wav,) float32 each, at :attr:`sample_rate`)."""
        results = self.synthesize_batch(texts, speaker, speed, pitch_semitones, energy_db)
        return [result.wav for result in results if result.wav is not None]

    def stream(
        self,
        text: str,
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> Iterator[np.ndarray]:
        """Speak ``text`` sentence by sentence: yields each sentence's waveform ((T,) float32,
        its following pause included) as soon as it is made. Concatenated, the pieces have
        :meth:`synth`'s length and, with a neural vocoder, its samples (Griffin-Lim, run per
        sentence instead of in one batch, differs by ~3e-4 RMS relative). The text is checked
        before the first piece.
        """
        yield from self.stream_prepared(
            self.prepare(text), speaker, speed, pitch_semitones, energy_db
        )

    def stream_prepared(
        self,
        prepared: PreparedText,
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> Iterator[np.ndarray]:
        """:meth:`stream` of a text already turned into chunks by :meth:`prepare` (a caller
        that inspects the chunks first, as the server does, prepares the text only once)."""
        groups: list[list[Chunk]] = []
        for chunk in prepared.chunks:  # the pieces of one (long) sentence stay together
            if groups and groups[-1][-1].sentence_index == chunk.sentence_index:
                groups[-1].append(chunk)
            else:
                groups.append([chunk])
        for group in groups:
            piece = PreparedText(text=group[0].sentence, chunks=group)
            (result,) = self.synthesize_prepared(
                [piece], speaker, speed, pitch_semitones, energy_db, vocode=True
            )
            assert result.wav is not None
            yield result.wav

    def mel(
        self,
        text: str,
        speaker: str | int | None = None,
        speed: float = 1.0,
        pitch_semitones: float = 0.0,
        energy_db: float = 0.0,
    ) -> np.ndarray:
        """One text -> its (T_mel, n_mels) natural-log mel, without running the vocoder."""
        prepared = [self.prepare(text)]
        return self.synthesize_prepared(
            prepared, speaker, speed, pitch_semitones, energy_db, vocode=False
        )[0].mel


# -- files ----------------------------------------------------------------------------------


def mel_figure(mel: np.ndarray, duration: float, title: str = "") -> Any:
    """A matplotlib Figure of a (T_mel, n_mels) log mel over ``duration`` seconds."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise SynthesisError(
            "writing mel images needs matplotlib: pip install matplotlib"
        ) from error
    mel = np.asarray(mel, dtype=np.float32)
    if mel.ndim != 2:
        raise ValueError(f"mel must be (T_mel, n_mels), got shape {mel.shape}")
    figure = Figure(figsize=(min(max(6.0, mel.shape[0] / 80.0), 24.0), 3.5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(
        mel.T,
        origin="lower",
        aspect="auto",
        interpolation="none",
        extent=(0.0, duration, 0, mel.shape[1]),
        cmap="magma",
    )
    axes.set_xlabel("time (s)")
    axes.set_ylabel("mel channel")
    axes.set_title(title)
    figure.colorbar(image, ax=axes, label="log mel", pad=0.01)
    figure.subplots_adjust(left=0.1, right=1.0, bottom=0.16, top=0.9)
    return figure


def _save_mel_png(mel: np.ndarray, duration: float, path: Path) -> Path:
    figure = mel_figure(mel, duration, path.stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(handle)
    try:
        os.chmod(temporary, 0o644)
        figure.savefig(temporary, format="png")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def check_output_folder(folder: Path, what: str) -> None:
    """SynthesisError unless something can be written in ``folder``
    (:func:`~fastspeak.files.writable_folder_problem`): checked before any audio is made, so a
    bad ``--out`` costs nothing."""
    problem = writable_folder_problem(folder)
    if problem:
        raise SynthesisError(f"{what}: {problem}")


def write_outputs(
    wav: np.ndarray,
    sample_rate: int,
    out_path: str | os.PathLike[str],
    mel: np.ndarray | None = None,
) -> list[Path]:
    """Write ``wav`` as 16-bit WAV at ``out_path`` and, given ``mel`` (T_mel, n_mels), a PNG
    of it next to it (same name, ``.png``). Both are written atomically; returns the paths."""
    out_path = Path(out_path)
    written = [save_audio(out_path, wav, sample_rate)]
    if mel is not None:
        duration = len(wav) / float(sample_rate)
        written.append(_save_mel_png(mel, duration, out_path.with_suffix(".png")))
    return written


def synthesize_command(
    checkpoint: str | os.PathLike[str] | None,
    text: str | None = None,
    text_file: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    speaker: str | int | None = None,
    speed: float = 1.0,
    pitch_semitones: float = 0.0,
    energy_db: float = 0.0,
    batch_size: int = 8,
    device: str = "cpu",
    vocoder: str | None = None,
    progress: bool = True,
) -> list[Path]:
    """``fastspeak synthesize``: text or a file of lines -> WAV files (+ mel PNGs).

    * ``text``: writes ``out`` (default ``synthesis.wav``) and ``out`` with ``.png``.
    * ``text_file``: one utterance per non-empty line; ``out`` (default ``synthesis/``) is a
      folder receiving ``NNNN.wav`` + ``NNNN.png`` where NNNN is the line's number in the
      file (blank lines are skipped, so numbers may have gaps), ``batch_size`` lines at a time
      (and ``batch_size`` sentences per model/vocoder batch).

    Every line is checked before any audio is made (errors name the line).
    Returns the WAV paths written, in order.
    """
    from tqdm import tqdm

    if (text is None) == (text_file is None):
        raise SynthesisError("give exactly one of --text or --text-file")
    if batch_size < 1:
        raise SynthesisError(f"batch size must be >= 1 (got {batch_size})")
    if text is not None:
        out_path = Path(out) if out is not None else Path("synthesis.wav")
        if out_path.is_dir() or str(out).endswith(("/", os.sep)):
            raise SynthesisError(
                f"--out {out} is a folder; with --text give a file name such as out.wav"
            )
        if not out_path.suffix:
            raise SynthesisError(
                f"--out {out} has no .wav suffix: give a file such as {out_path}.wav (a "
                "folder is for --text-file)"
            )
        if out_path.suffix.lower() != ".wav":
            raise SynthesisError(f"--out {out}: fastspeak writes WAV; name the file *.wav")
        check_output_folder(out_path.parent, f"--out {out}")
        lines = [(0, text)]
    else:
        assert text_file is not None
        source = Path(text_file)
        if source.is_dir():
            raise SynthesisError(
                f"text file {source} is a folder; give a text file with one utterance per line"
            )
        if not source.is_file():
            raise SynthesisError(f"text file {source} does not exist")
        try:
            content = source.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise SynthesisError(f"text file {source} is not UTF-8 text ({error})") from error
        lines = [
            (number, line.strip())
            for number, line in enumerate(content.splitlines(), start=1)
            if line.strip()
        ]
        if not lines:
            raise SynthesisError(f"text file {source} has no non-empty lines")
        out_path = Path(out) if out is not None else Path("synthesis")
        if out_path.exists() and not out_path.is_dir():
            raise SynthesisError(f"--out {out_path} is a file; with --text-file give a folder")
        if out_path.suffix.lower() == ".wav":
            raise SynthesisError(
                f"--out {out_path} names a WAV file; with --text-file give a folder (each line "
                "is written to FOLDER/NNNN.wav)"
            )
        check_output_folder(out_path, f"--out {out_path}")

    synthesizer = Synthesizer.from_checkpoint(
        checkpoint, device=device, vocoder=vocoder, batch_size=batch_size
    )
    synthesizer.speaker_id(speaker)  # fail on a bad speaker before any work
    prepared: list[PreparedText] = []
    for number, line in lines:
        try:
            prepared.append(synthesizer.prepare(line))
        except TextError as error:
            where = f"{text_file}:{number}: " if text_file is not None else ""
            raise TextError(f"{where}{error}") from error

    width = max(4, len(str(lines[-1][0])))
    written: list[Path] = []
    with tqdm(
        total=len(lines), unit="line", desc="synthesize", disable=not progress or text is not None
    ) as bar:
        for first in range(0, len(lines), batch_size):
            batch = prepared[first : first + batch_size]
            results = synthesizer.synthesize_prepared(
                batch, speaker, speed, pitch_semitones, energy_db, vocode=True
            )
            for (number, _line), result in zip(
                lines[first : first + batch_size], results, strict=True
            ):
                assert result.wav is not None
                path = out_path if text is not None else out_path / f"{number:0{width}d}.wav"
                write_outputs(result.wav, result.sample_rate, path, mel=result.mel)
                written.append(path)
            bar.update(len(batch))
    return written


def synthesize_manifest_mels(
    checkpoint: str | os.PathLike[str],
    manifest: str | os.PathLike[str],
    out: str | os.PathLike[str],
    batch_size: int = 16,
    device: str = "cpu",
    progress: bool = True,
) -> Path:
    """``fastspeak synthesize --sentences test.jsonl --mels-out FILE.npz``: the model's mels
    for every utterance of a FEATDIR manifest, from the manifest's tokens (no text frontend),
    saved as float16 (T, n_mels) arrays keyed by utterance id; judge them with
    ``fastspeak evaluate --mels FILE.npz --sentences test.jsonl``.
    """
    from tqdm import tqdm

    source = Path(manifest)
    if not source.is_file() or source.suffix != ".jsonl":
        raise SynthesisError(f"--sentences {source} is not a FEATDIR manifest (*.jsonl)")
    entries = [json.loads(line) for line in source.read_text("utf-8").splitlines() if line.strip()]
    synthesizer = Synthesizer.from_checkpoint(
        checkpoint, device=device, vocoder="griffinlim", batch_size=batch_size
    )
    prepared = [synthesizer.prepare_tokens(entry["tokens"], entry["text"]) for entry in entries]
    # a multi-speaker model speaks each utterance as its manifest speaker: batches by speaker
    multi = synthesizer.model.config.n_speakers > 1
    by_speaker: dict[str | None, list[int]] = {}
    for index, entry in enumerate(entries):
        by_speaker.setdefault(entry.get("speaker") if multi else None, []).append(index)
    mels: dict[str, np.ndarray] = {}
    with tqdm(total=len(entries), disable=not progress, unit="utt") as bar:
        for speaker, indices in by_speaker.items():
            for first in range(0, len(indices), batch_size):
                batch = indices[first : first + batch_size]
                results = synthesizer.synthesize_prepared(
                    [prepared[index] for index in batch], speaker, vocode=False
                )
                for index, result in zip(batch, results, strict=True):
                    mels[entries[index]["id"]] = result.mel.astype(np.float16)
                bar.update(len(batch))
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_path, **mels)  # type: ignore[arg-type]
    return out_path
