"""What every synthesis path checks of a request, torch-free: the PyTorch
:class:`~fastspeak.synthesis.Synthesizer` and the onnxruntime
:class:`~fastspeak.runtime.OnnxVoice` resolve speakers and validate the speed, pitch and energy
controls here, so both accept and refuse the same things with the same messages.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONTROL_RANGES",
    "SynthesisError",
    "check_controls",
    "resolve_speaker",
]

CONTROL_RANGES = {
    "speed": (0.25, 4.0),
    "pitch_semitones": (-12.0, 12.0),
    "energy_db": (-20.0, 20.0),
}
"""The accepted range of each control, for every path (library, CLI, server, ONNX runtime):
beyond them a model makes silence or noise (speed 100 gives 12 ms of audio) or runs away
(speed 0.001)."""


class SynthesisError(ValueError):
    """A checkpoint, speaker, control value or request the user can fix; the message says how."""


def resolve_speaker(speaker: Any, speakers: Mapping[str, int], n_speakers: int) -> int | None:
    """A speaker name or id (an int, or a string of ASCII digits) -> the model's speaker id.

    A name comes first: with numeric names (LibriTTS's ``"26"``), ``26`` and ``"26"`` both
    mean the speaker named 26, whatever its id; an id is meant only where no speaker has
    that name.

    Args:
        speaker: a name from ``speakers``, an id, or None (the lowest id).
        speakers: the voice's name -> id table (may be empty: ids only).
        n_speakers: the model's speaker count.
    Returns:
        the id, or None for a single-speaker model (no speaker input).
    Raises:
        SynthesisError naming the valid speakers for anything unknown.
    """
    if speaker is None:
        return None if n_speakers <= 1 else min(speakers.values(), default=0)
    if isinstance(speaker, bool):
        raise SynthesisError(f"speaker must be a name or an id, not {speaker!r}")
    index: int | None = None
    if isinstance(speaker, numbers.Integral) and str(int(speaker)) in speakers:
        index = speakers[str(int(speaker))]
    elif isinstance(speaker, str):
        digits = speaker.strip()
        if speaker in speakers:
            index = speakers[speaker]
        elif digits.isascii() and digits.isdigit():
            index = speakers.get(str(int(digits)), int(digits))
    elif isinstance(speaker, numbers.Integral):
        index = int(speaker)
    if index is not None and 0 <= index < max(n_speakers, 1):
        return index if n_speakers > 1 else None
    if n_speakers <= 1:
        names = f" ({', '.join(speakers)})" if speakers else ""
        raise SynthesisError(
            f"unknown speaker {speaker!r}: this model has a single speaker{names}; "
            "leave the speaker unset"
        )
    raise SynthesisError(f"unknown speaker {speaker!r}; {_describe(speakers, n_speakers)}")


def _describe(speakers: Mapping[str, int], n_speakers: int) -> str:
    if not speakers:
        return f"valid speaker ids are 0..{n_speakers - 1}"
    names = sorted(speakers, key=lambda name: speakers[name])
    shown = ", ".join(f"{name} ({speakers[name]})" for name in names[:30])
    more = f" and {len(names) - 30} more" if len(names) > 30 else ""
    return f"valid speakers: {shown}{more}"


def check_controls(
    speed: Any, pitch_semitones: Any, energy_db: Any, variance_control: bool, model_name: str
) -> None:
    """SynthesisError unless every control is a finite real number within
    :data:`CONTROL_RANGES`, and pitch and energy stay 0 for a model without them
    (``variance_control`` False: FastSpeech)."""
    for name, value in (
        ("speed", speed),
        ("pitch_semitones", pitch_semitones),
        ("energy_db", energy_db),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
        ):
            raise SynthesisError(f"{name} must be a finite number (got {value!r})")
        low, high = CONTROL_RANGES[name]
        if not low <= float(value) <= high:
            hint = "; 2.0 speaks twice as fast" if name == "speed" else ""
            raise SynthesisError(f"{name} must be within {low:g}..{high:g} (got {value}){hint}")
    if (pitch_semitones or energy_db) and not variance_control:
        raise SynthesisError(
            f"this {model_name} model has no pitch or energy control; leave pitch and energy "
            "at 0 (or use a FastSpeech 2 model)"
        )
