"""Voices: a trained acoustic model packed for shipping, and the bundled default voice.

A voice is a folder with two files (piper's "one model file + one JSON" contract):

- ``model.safetensors``: the acoustic model's parameters in half precision (the EMA weights
  when the checkpoint has them) and its buffers exact (pitch/energy bin edges and statistics:
  in half precision a bin edge moves and values near it change bins); no optimizer, no
  training state.
- ``voice.json``: ``{"format": "fastspeak-voice", "version": 1, "kind", "config", "vocab",
  "speakers", "stats", "card"}`` — everything synthesis needs besides the weights, and the
  voice card (data, licence, training, evaluation).
- optionally its own HiFi-GAN: ``vocoder.safetensors`` + ``vocoder.json`` (the generator in
  half precision, :func:`fastspeak.vocoders.hifigan.export_generator`), named by
  ``"vocoder": "vocoder.json"`` in voice.json. :func:`default_vocoder` gives it to synthesis
  when the caller names no vocoder; a voice without one speaks through Griffin-Lim.
- optionally ``"griffinlim": {...}`` in voice.json: keyword options of
  :class:`~fastspeak.vocoders.griffinlim.GriffinLim` tuned for this voice's mels (e.g.
  ``{"power": 1.15}``: sharper harmonics for an acoustic model's smooth mels), used whenever the
  voice speaks through Griffin-Lim and the caller gives no options of its own
  (:func:`griffinlim_options`).

``export_voice`` writes one from a ``fastspeak train`` checkpoint; ``load_voice`` rebuilds the
model in fp32 on the CPU; :meth:`fastspeak.synthesis.Synthesizer.from_checkpoint` accepts a
voice folder wherever it accepts a checkpoint, and ``DEFAULT_VOICE`` is the one shipped inside
the package (used when no checkpoint is named).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fastspeak.config import ConfigError, config_from_dict
from fastspeak.files import atomic_write_bytes
from fastspeak.text.errors import TextError
from fastspeak.text.vocab import Vocabulary
from fastspeak.train.checkpoint import CheckpointError

__all__ = [
    "DEFAULT_VOICE",
    "VOICE_FORMAT",
    "default_vocoder",
    "export_voice",
    "griffinlim_options",
    "is_voice",
    "load_voice",
    "shipped_vocoder",
    "voice_card",
]

VOICE_FORMAT = "fastspeak-voice"
VOICE_VERSION = 1
DEFAULT_VOICE = Path(__file__).resolve().parent / "voices" / "default"
CALIBRATION_TEXT = Path(__file__).resolve().parent / "data" / "teacher" / "sentences" / "train.txt"
CALIBRATION_SENTENCES = 16
"""Sentences whose mels calibrate an int8 vocoder (training text, never the held-out list)."""


def is_voice(path: str | os.PathLike[str]) -> bool:
    """True for a voice folder (it holds ``voice.json``)."""
    return (Path(path) / "voice.json").is_file()


def export_voice(
    checkpoint: str | os.PathLike[str],
    out: str | os.PathLike[str],
    card: dict[str, Any] | None = None,
    use_ema: bool = True,
    vocoder: str | os.PathLike[str] | None = None,
    vocoder_int8: bool | None = None,
    griffinlim: dict[str, Any] | None = None,
) -> Path:
    """Write the voice folder ``out`` from a training checkpoint or another voice.

    Args:
        checkpoint: a ``fastspeak train`` checkpoint, or a voice folder (re-exported, e.g. to
            add a vocoder; its card and, unless ``vocoder`` replaces it, its vocoder are kept).
        out: the folder to write (created; existing voice files are replaced).
        card: the voice card (free-form JSON: data, licence, steps, metrics, ...); its entries
            are added to (or replace) those of a source voice's card.
        use_ema: ship the EMA weights when present.
        vocoder: a HiFi-GAN to ship inside the voice (a ``fastspeak train-vocoder`` checkpoint
            or an exported generator), trained on the acoustic model's audio settings.
        vocoder_int8: also ship the vocoder as an int8 ONNX model (``vocoder.int8.onnx``),
            calibrated on this voice's own mels of :data:`CALIBRATION_SENTENCES` training
            sentences; the CPU path then runs on it (faster; check its MOS). None: as a source
            voice does when its own vocoder is kept, else no.
    A source voice's card keeps its entries, except ``evaluation`` when another vocoder
    replaces the one it was measured with (``fastspeak export --report`` writes a new one).
        griffinlim: Griffin-Lim options for this voice (e.g. ``{"power": 1.15}``; checked by
            building the vocoder, VocoderError before anything is written); None keeps a
            source voice's, ``{}`` removes them.
    Returns: ``out``.
    Raises:
        VocoderError: the vocoder cannot be read or was trained on other audio settings.
    """
    from safetensors.torch import save

    from fastspeak.synthesis import load_acoustic_model
    from fastspeak.vocoders import VocoderError

    if is_voice(checkpoint):
        model, config, vocab, speakers = load_voice(checkpoint)
        source = voice_meta(Path(checkpoint))
        kind, stats, base_card = source["kind"], source.get("stats"), source.get("card") or {}
        own = _own_vocoder(Path(checkpoint), source)
        if vocoder is None:
            vocoder = own
        if (
            vocoder_int8 is None
            and own is not None
            and vocoder is not None
            and Path(vocoder) == own
        ):
            vocoder_int8 = bool(json.loads(own.read_text(encoding="utf-8")).get("onnx_int8"))
        replaced = str(vocoder or "griffinlim") != str(own or "griffinlim")
        if replaced and "evaluation" in base_card:  # measured with the vocoder replaced
            base_card = {key: value for key, value in base_card.items() if key != "evaluation"}
        if griffinlim is None:
            griffinlim = source.get("griffinlim") or {}
    else:
        model, config, vocab, speakers, state = load_acoustic_model(checkpoint, use_ema)
        kind, stats = state.get("kind", "fastspeech2"), state.get("stats")
        base_card = {"step": state.get("step")}
    if griffinlim:
        _check_griffinlim(griffinlim, config.audio)
    parameters = {name for name, _ in model.named_parameters()}
    weights = {  # parameters in half precision; buffers (bin edges, statistics) exact
        name: (tensor.half() if name in parameters else tensor).contiguous()
        for name, tensor in model.state_dict().items()
    }
    meta: dict[str, Any] = {
        "format": VOICE_FORMAT,
        "version": VOICE_VERSION,
        "kind": kind,
        "config": config.to_dict(),
        "vocab": vocab.to_dict(),
        "speakers": speakers,
        "stats": stats,
        "card": {**base_card, **(card or {})},
    }
    if griffinlim:
        meta["griffinlim"] = dict(griffinlim)
    if vocoder_int8 and vocoder is None:
        raise VocoderError(
            "--vocoder-int8 needs a vocoder to quantize: add --vocoder hifigan:PATH (or export "
            "a voice that ships one)"
        )
    folder = Path(out)
    made = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        if vocoder is not None:
            calibration = None
            if vocoder_int8:
                calibration = _calibration_mels(model, config, vocab, speakers)
            meta["vocoder"] = _ship_vocoder(vocoder, config.audio, folder, calibration)
    except BaseException:
        if made and not any(folder.iterdir()):
            folder.rmdir()  # a failed export leaves no empty folder behind
        raise
    atomic_write_bytes(folder / "model.safetensors", save(weights))
    atomic_write_bytes(
        folder / "voice.json", (json.dumps(meta, indent=1, ensure_ascii=False) + "\n").encode()
    )
    return folder


def _calibration_mels(model: Any, config: Any, vocab: Vocabulary, speakers: dict) -> list:
    """(1, n_mels, T) mels of the first training sentences, from the voice's own model."""
    from fastspeak.synthesis import Synthesizer

    synthesizer = Synthesizer(model, config, vocab, speakers=speakers)
    lines = CALIBRATION_TEXT.read_text(encoding="utf-8").splitlines()
    texts = [line.strip() for line in lines if line.strip()][:CALIBRATION_SENTENCES]
    return [synthesizer.mel(text).T[None] for text in texts]


def _ship_vocoder(
    source: str | os.PathLike[str], audio: Any, folder: Path, calibration: list | None = None
) -> str:
    """Write ``folder/vocoder.{safetensors,json}`` from ``source`` (refused unless trained on
    ``audio``); returns the JSON's name."""
    from fastspeak.vocoders.hifigan import export_generator

    _, meta_path = export_generator(source, folder / "vocoder.safetensors", calibration, audio)
    return meta_path.name


def _check_griffinlim(options: dict[str, Any], audio: Any) -> None:
    """VocoderError unless ``options`` build a Griffin-Lim vocoder for ``audio``."""
    from fastspeak.vocoders import VocoderError
    from fastspeak.vocoders.griffinlim import GriffinLim

    try:
        GriffinLim(audio, **options)
    except (TypeError, ValueError) as error:
        raise VocoderError(
            f"Griffin-Lim options {options} do not fit: {error} (see "
            "fastspeak.vocoders.griffinlim.GriffinLim for its options)"
        ) from error


def griffinlim_options(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The Griffin-Lim options a voice folder carries (voice.json ``"griffinlim"``), or {}: a
    checkpoint, or a voice without them."""
    if not is_voice(path):
        return {}
    return dict(voice_meta(Path(path)).get("griffinlim") or {})


def shipped_vocoder(path: str | os.PathLike[str]) -> Path | None:
    """The HiFi-GAN a voice folder ships (its ``vocoder.json``), or None: a checkpoint, or a
    voice without one."""
    if not is_voice(path):
        return None
    return _own_vocoder(Path(path), voice_meta(Path(path)))


def default_vocoder(path: str | os.PathLike[str]) -> str:
    """The vocoder synthesis uses for ``path`` when none is named: ``"hifigan:FOLDER/vocoder.json"``
    for a voice that ships one, else ``"griffinlim"`` (a checkpoint, or a voice without one)."""
    own = shipped_vocoder(path)
    return f"hifigan:{own}" if own is not None else "griffinlim"


def _own_vocoder(folder: Path, meta: dict[str, Any]) -> Path | None:
    """``folder``'s vocoder as its voice.json ``meta`` names it (None when it names none)."""
    name = meta.get("vocoder")
    return folder / name if name else None


def voice_meta(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """A voice folder's voice.json, checked for format and version (CheckpointError)."""
    folder = Path(folder)
    if not is_voice(folder):
        raise CheckpointError(f"{folder} is not a voice folder (no voice.json in it)")
    try:
        meta = json.loads((folder / "voice.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{folder / 'voice.json'} is not readable JSON ({error})") from error
    if meta.get("format") != VOICE_FORMAT or meta.get("version") != VOICE_VERSION:
        raise CheckpointError(
            f"{folder / 'voice.json'} is not a {VOICE_FORMAT} v{VOICE_VERSION} file; re-export "
            "it with `fastspeak export --format voice`"
        )
    return dict(meta)


def load_voice(path: str | os.PathLike[str]) -> tuple[Any, Any, Vocabulary, dict[str, int]]:
    """(model in fp32 eval mode on the CPU, Config, Vocabulary, speakers) of a voice folder.

    Raises CheckpointError for a missing or damaged voice (the message names the file).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from fastspeak.models.registry import spec_for_kind

    folder = Path(path)
    meta = voice_meta(folder)
    spec = spec_for_kind(meta.get("kind", ""))
    if spec is None:
        raise CheckpointError(f"{folder}: unknown model kind {meta.get('kind')!r}")
    try:
        config = config_from_dict(meta["config"])
        vocab = Vocabulary.from_dict(meta["vocab"])
    except (ConfigError, TextError, KeyError) as error:
        raise CheckpointError(f"{folder / 'voice.json'}: {error}") from error
    if not (folder / "model.safetensors").is_file() and (folder / "acoustic.onnx").is_file():
        raise CheckpointError(
            f"{folder} is an ONNX export (`export --format onnx`): run it with "
            "fastspeak.runtime.OnnxVoice; `synthesize`, `serve` and `evaluate` take a voice "
            "folder (`export --format voice`) or a checkpoint"
        )
    model = spec.build(config.model)
    try:
        weights = load_file(str(folder / "model.safetensors"))
    except (OSError, SafetensorError) as error:
        raise CheckpointError(
            f"{folder / 'model.safetensors'} is not readable ({error})"
        ) from error
    state = model.state_dict()
    converted = {
        name: tensor.to(state[name].dtype) if name in state else tensor
        for name, tensor in weights.items()
    }
    try:
        model.load_state_dict(converted, strict=True)
    except RuntimeError as error:
        raise CheckpointError(
            f"{folder}: weights do not fit the voice's config ({error})"
        ) from error
    speakers = {str(name): int(index) for name, index in (meta.get("speakers") or {}).items()}
    return model.eval(), config, vocab, speakers


def voice_card(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``card`` entry of a voice folder's ``voice.json``."""
    meta = json.loads((Path(path) / "voice.json").read_text(encoding="utf-8"))
    return dict(meta.get("card") or {})
