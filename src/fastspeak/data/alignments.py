"""Phone alignments: Praat TextGrids in, token durations in frames out.

One path serves MFA output (old ``sil``/``sp`` labels and MFA >= 2 empty labels) and the
teacher corpora that fastspeak writes (our own tokens as labels, silences empty).

The steps are:
1. ``read_textgrid`` -> contiguous ``Segment`` list (seconds).
2. ``attach_tokens`` lines the segments up with the frontend's tokens: speech labels must equal
   the non-boundary tokens in order; each silence goes to the punctuation token in its gap
   (the pause after a comma), else to the token before it; leading and trailing silence are
   kept apart so preprocessing can trim them.
3. ``TokenAlignment.frame_durations`` turns the token times into integer frame counts that sum
   exactly to the mel length (FastSpeech 2, section 2.2: durations from forced alignment).
4. ``TokenAlignment.blank_frames`` reads an optional "blanks" tier: a teacher that puts a blank
   symbol between its phones (piper / VITS) counts the blank's frames with the token before it,
   so that token's end could as well be where its blank starts; this gives each token the frames
   of its closing blank, for boundary errors that count any cut inside the blank as exact
   (``fastspeak.aligners.metrics``).
   A frame belongs to the token sounding at its centre: with ``center=True`` framing, mel
   frame k is centred on sample ``k * hop_length``. (Rounding each boundary to the nearest
   frame, as ming024/FastSpeech2 does, hands a token the frames centred up to half a hop before
   it starts: half a frame early on average, against what those frames hold.)
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fastspeak.files import atomic_write_text
from fastspeak.text.symbols import is_boundary, is_silence_label


class AlignmentError(ValueError):
    """An alignment file is missing, malformed, or does not fit its transcript or audio."""


@dataclass(frozen=True)
class Segment:
    """One labelled interval in seconds; silence has a silence label (see ``is_silence_label``)."""

    label: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


# ---------------------------------------------------------------------------------------------
# TextGrid reading and writing

_TOKEN = re.compile(
    r'"((?:[^"]|"")*)"|\[\d*\]|(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(<exists>|<absent>)'
)


def _textgrid_tokens(text: str) -> list[str | float]:
    """Strings and numbers of a Praat TextGrid in order; works for long and short formats."""
    tokens: list[str | float] = []
    for match in _TOKEN.finditer(text):
        string, number, flag = match.groups()
        if string is None and number is None and flag is None:
            continue  # "[3]" item/interval indices of the long format
        if string is not None:
            tokens.append(string.replace('""', '"'))
        elif number is not None:
            tokens.append(float(number))
        else:
            tokens.append(flag)
    return tokens


def read_textgrid_tiers(path: str | Path) -> dict[str, list[Segment]]:
    """All interval tiers of a TextGrid (long or short text format), keyed by tier name; point
    tiers (TextTier) are read past."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise AlignmentError(f"cannot read TextGrid {path}: {error}") from error
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise AlignmentError(f"TextGrid {path} is neither UTF-8 nor UTF-16 text")
    tokens = _textgrid_tokens(text)
    if len(tokens) < 2 or tokens[0] != "ooTextFile" or tokens[1] != "TextGrid":
        raise AlignmentError(f"{path} is not a Praat TextGrid (no 'ooTextFile'/'TextGrid' header)")
    try:
        # header: "ooTextFile" "TextGrid" xmin xmax <exists> n_tiers, then the tiers
        position = 2 + 2 + 1
        n_tiers = int(tokens[position])
        position += 1
        tiers: dict[str, list[Segment]] = {}
        for _ in range(n_tiers):
            tier_class, name = tokens[position], tokens[position + 1]
            position += 4  # class, name, xmin, xmax
            count = int(tokens[position])
            position += 1
            width = 3 if tier_class == "IntervalTier" else 2  # a TextTier's points: time, mark
            items = tokens[position : position + width * count]
            position += width * count
            if tier_class != "IntervalTier":
                continue
            segments = [
                Segment(str(items[i + 2]).strip(), float(items[i]), float(items[i + 1]))
                for i in range(0, len(items), 3)
            ]
            tiers[str(name)] = segments
    except (IndexError, ValueError, TypeError) as error:
        raise AlignmentError(f"TextGrid {path} is truncated or malformed: {error}") from error
    return tiers


def read_textgrid(path: str | Path, tier: str = "phones") -> list[Segment]:
    """The phone tier of a TextGrid as contiguous segments (see :func:`select_tier`)."""
    return select_tier(read_textgrid_tiers(path), path, tier)


def select_tier(
    tiers: dict[str, list[Segment]], path: str | Path, tier: str = "phones"
) -> list[Segment]:
    """One tier of :func:`read_textgrid_tiers`' result (read from ``path``) as contiguous
    segments.

    The tier is found by name, case-insensitively; MFA's multi-speaker "speaker - phones"
    names also match. Gaps between intervals (some tools leave them) become silence.
    """
    wanted = tier.lower()
    chosen = None
    for name, segments in tiers.items():
        lowered = name.lower().strip()
        if lowered == wanted or lowered.endswith(f"- {wanted}") or lowered.endswith(wanted):
            chosen = segments
            break
    if chosen is None:
        raise AlignmentError(
            f"TextGrid {path} has no '{tier}' tier (tiers: {', '.join(tiers) or 'none'})"
        )
    filled: list[Segment] = []
    for segment in chosen:
        if filled and segment.start > filled[-1].end + 1e-6:
            filled.append(Segment("", filled[-1].end, segment.start))
        filled.append(segment)
    return filled


def _fill_gaps(segments: Sequence[Segment], end: float) -> list[Segment]:
    """Ordered, non-overlapping segments -> a contiguous tier from 0 to ``end`` (gaps ``""``)."""
    filled: list[Segment] = []
    position = 0.0
    for segment in segments:
        start, stop = max(segment.start, position), min(segment.end, end)
        if stop <= start:
            continue
        if start > position:
            filled.append(Segment("", position, start))
        filled.append(Segment(segment.label, start, stop))
        position = stop
    if end > position:
        filled.append(Segment("", position, end))
    return filled


def _format_interval(index: int, segment: Segment) -> str:
    label = segment.label.replace('"', '""')
    return (
        f"        intervals [{index}]:\n"
        f"            xmin = {segment.start!r}\n"
        f"            xmax = {segment.end!r}\n"
        f'            text = "{label}"\n'
    )


def write_textgrid(
    path: str | Path,
    phones: Sequence[Segment],
    words: Sequence[Segment] | None = None,
    duration: float | None = None,
    blanks: Sequence[Segment] | None = None,
) -> None:
    """Write a Praat long-format TextGrid with "words" (optional), "phones" and "blanks"
    (optional: a teacher's blank symbols, see :meth:`TokenAlignment.blank_frames`) tiers,
    atomically.

    Silence should be written with an empty label (the MFA >= 2 convention); the gaps between
    blanks are written as empty intervals.
    """
    if not phones:
        raise AlignmentError(f"refusing to write {path}: no phone segments")
    end = duration if duration is not None else phones[-1].end
    tiers = [("words", list(words))] if words else []
    tiers.append(("phones", list(phones)))
    if blanks:
        tiers.append((BLANKS_TIER, _fill_gaps(blanks, end)))
    lines = [
        'File type = "ooTextFile"\n',
        'Object class = "TextGrid"\n\n',
        f"xmin = 0.0\nxmax = {end!r}\ntiers? <exists>\nsize = {len(tiers)}\nitem []:\n",
    ]
    for tier_index, (name, segments) in enumerate(tiers, start=1):
        lines.append(
            f"    item [{tier_index}]:\n"
            '        class = "IntervalTier"\n'
            f'        name = "{name}"\n'
            f"        xmin = 0.0\n        xmax = {end!r}\n"
            f"        intervals: size = {len(segments)}\n"
        )
        lines.extend(_format_interval(i, s) for i, s in enumerate(segments, start=1))
    atomic_write_text(Path(path), "".join(lines))


def alignment_tolerance(sample_rate: int, hop_length: int) -> float:
    """Seconds an alignment may miss its audio's start or end by: two hops, at least 20 ms
    (what :func:`check_contiguous` is given and :meth:`TokenAlignment.frame_durations`
    allows)."""
    return max(2 * hop_length / sample_rate, 0.02)


def check_contiguous(segments: Sequence[Segment], duration: float, tolerance: float) -> None:
    """Raise AlignmentError unless segments start at 0, touch end to start, and end at ``duration``.

    Args:
        segments: the phone tier.
        duration: the audio length in seconds.
        tolerance: allowed mismatch in seconds (one hop is the usual choice).
    """
    if not segments:
        raise AlignmentError("alignment has no segments")
    if abs(segments[0].start) > tolerance:
        raise AlignmentError(f"alignment starts at {segments[0].start:.4f} s, not 0")
    for previous, current in zip(segments, segments[1:], strict=False):
        if abs(current.start - previous.end) > 1e-6:
            raise AlignmentError(
                f"segments not contiguous: {previous.label!r} ends {previous.end:.4f} s, "
                f"{current.label!r} starts {current.start:.4f} s"
            )
    for segment in segments:
        if segment.end < segment.start:
            raise AlignmentError(f"segment {segment.label!r} has negative duration")
    if abs(segments[-1].end - duration) > tolerance:
        raise AlignmentError(
            f"alignment ends at {segments[-1].end:.4f} s but the audio lasts {duration:.4f} s"
        )


# ---------------------------------------------------------------------------------------------
# Segments -> token durations


FRAME_TOLERANCE = 1e-3
"""Times within this many frames before a frame centre count as on it: a boundary stored as
``frames * hop / sample_rate`` in a float (the teacher corpora's timings) lands on its frame."""
BLANKS_TIER = "blanks"
BLANK_LABEL = "_"


def frames_before(positions: np.ndarray) -> np.ndarray:
    """How many frames are centred before each position: ``ceil(position)``, positions in
    frames (time x sample_rate / hop_length), up to ``FRAME_TOLERANCE``.

    Frame k (centred at k) belongs to the token that spans its centre, so a boundary at
    position x has the frames 0 .. ceil(x) - 1 before it.
    """
    return np.ceil(positions - FRAME_TOLERANCE).astype(np.int64)


@dataclass(frozen=True)
class TokenAlignment:
    """Token times in seconds.

    Attributes:
        tokens: the frontend's tokens, N of them.
        ends: (N,) end time of each token; token i spans ``[ends[i-1], ends[i])`` and token 0
            starts at ``speech_start``. Boundary tokens may have zero length.
        speech_start: end of the leading silence (0 when there is none).
        total: the length of the audio the alignment covers (trailing silence runs from
            ``ends[-1]`` to ``total``).
    """

    tokens: list[str]
    ends: np.ndarray
    speech_start: float
    total: float

    def frame_durations(
        self, sample_rate: int, hop_length: int, num_samples: int, trim: bool
    ) -> tuple[np.ndarray, int, int]:
        """Integer frame durations that sum exactly to the mel length of the (trimmed) audio.

        Args:
            sample_rate, hop_length: the mel settings.
            num_samples: length of the untrimmed waveform.
            trim: cut the leading and trailing silence (at hop boundaries) instead of folding it
                into the first and last tokens.

        Returns:
            (durations (N,) int64, first_sample, last_sample): the waveform slice
            ``wav[first_sample:last_sample]`` has ``durations.sum()`` mel frames with
            ``center=True`` framing (1 + length // hop_length); each frame counts for the token
            sounding at its centre (``frames_before``), the frames past the last token's end
            for the last token.
        """
        frames_per_second = sample_rate / hop_length
        first_frame = self.first_frame(sample_rate, hop_length, trim)
        if trim:
            last_frame = int(round(float(self.ends[-1]) * frames_per_second))
            first_sample = first_frame * hop_length
            last_sample = min(num_samples, max(first_sample + 1, last_frame * hop_length))
        else:
            first_sample, last_sample = 0, num_samples
        num_frames = 1 + (last_sample - first_sample) // hop_length
        boundaries = frames_before(np.asarray(self.ends, dtype=np.float64) * frames_per_second)
        boundaries = np.clip(boundaries - first_frame, 0, None)
        boundaries = np.maximum.accumulate(boundaries)
        past = int(boundaries[-2]) - num_frames if len(boundaries) > 1 else 0
        allowed = math.ceil(alignment_tolerance(sample_rate, hop_length) * frames_per_second)
        if past > allowed:
            raise AlignmentError(
                f"alignment runs {past} frames past the audio ({num_frames} frames)"
            )
        boundaries = np.minimum(boundaries, num_frames)  # tokens in the overrun get 0 frames
        boundaries[-1] = num_frames
        durations = np.diff(boundaries, prepend=0)
        return durations.astype(np.int64), first_sample, last_sample

    def first_frame(self, sample_rate: int, hop_length: int, trim: bool) -> int:
        """The first mel frame of the audio :meth:`frame_durations` keeps: with ``trim`` the
        frame nearest the start of the first speech phone, else 0."""
        return int(round(self.speech_start * sample_rate / hop_length)) if trim else 0

    def blank_frames(
        self, blanks: Sequence[Segment], durations: np.ndarray, sample_rate: int, hop_length: int
    ) -> np.ndarray:
        """Frames at the end of each token that its teacher spent on a blank symbol.

        Args:
            blanks: the "blanks" tier (labels ``"_"``; other labels are gaps); a blank counts
                for the token it ends with (same end time, up to a tenth of a frame).
            durations: (N,) the token durations from :meth:`frame_durations`.
            sample_rate, hop_length: the mel settings.
        Returns:
            (N,) int64, each in ``0 .. durations[i]`` (0 where no blank ends the token).
        """
        frames_per_second = sample_rate / hop_length
        found = np.zeros(len(self.tokens), dtype=np.int64)
        ends = np.asarray(self.ends, dtype=np.float64) * frames_per_second
        end_frames = frames_before(ends)
        for blank in blanks:
            if blank.label != BLANK_LABEL:
                continue
            end = blank.end * frames_per_second
            index = int(np.argmin(np.abs(ends - end)))
            if abs(ends[index] - end) <= 0.1:
                start = frames_before(np.array([blank.start * frames_per_second]))[0]
                found[index] = end_frames[index] - start
        return np.clip(found, 0, np.asarray(durations, dtype=np.int64))


_STRESS = re.compile(r"(?<=[A-Z])[012]$")


def _same_phone(label: str, token: str) -> bool:
    """Labels match tokens exactly, or up to ARPAbet stress digits (MFA vs CMUdict variants)."""
    return label == token or _STRESS.sub("", label) == _STRESS.sub("", token)


def attach_tokens(segments: Sequence[Segment], tokens: Sequence[str]) -> TokenAlignment:
    """Line up alignment segments with the frontend's tokens.

    Speech segments must carry the non-boundary tokens in order, up to ARPAbet stress digits
    (the frontend's token, with its stress, is kept). Segments labelled with boundary
    tokens, as teacher corpora write them, match those tokens directly. A silence goes to the
    first boundary token skipped in its gap, else to the token before it (so an unmarked pause
    lengthens the phone before it, and a pause after a comma becomes the comma's duration).

    Args:
        segments: contiguous phone segments (seconds).
        tokens: (N,) frontend tokens for the transcript.

    Raises:
        AlignmentError: the speech labels and tokens disagree (the message shows where).
    """
    if not tokens:
        raise AlignmentError("no tokens to align")
    ends = np.full(len(tokens), np.nan)
    position = 0  # next token to fill
    speech_start: float | None = None
    pending_silence: Segment | None = None

    for segment in segments:
        if is_silence_label(segment.label):
            if speech_start is None:
                continue  # leading silence
            start = pending_silence.start if pending_silence else segment.start
            pending_silence = Segment("", start, segment.end)
            continue
        label = segment.label
        gap_boundary: int | None = None
        while (
            position < len(tokens)
            and not _same_phone(label, tokens[position])
            and is_boundary(tokens[position])
        ):
            # a boundary token absent from the alignment: zero length unless a pause is in the gap
            if gap_boundary is None:
                gap_boundary = position
            ends[position] = segment.start
            position += 1
        if position >= len(tokens) or not _same_phone(label, tokens[position]):
            expected = tokens[position] if position < len(tokens) else "<end of tokens>"
            raise AlignmentError(
                f"alignment label {label!r} at {segment.start:.3f} s does not match token "
                f"{position} ({expected!r}); tokens: {' '.join(tokens)}"
            )
        if speech_start is None:
            speech_start = segment.start
        if pending_silence is not None:
            if gap_boundary is not None:
                # the pause belongs to the boundary token: earlier tokens end before it
                for index in range(gap_boundary, position):
                    ends[index] = pending_silence.end
            elif position > 0:
                ends[position - 1] = pending_silence.end
            pending_silence = None
        ends[position] = segment.end
        position += 1
    if speech_start is None:
        raise AlignmentError("alignment contains only silence")
    last_speech_end = float(np.nanmax(ends))
    for index in range(position, len(tokens)):
        if not is_boundary(tokens[index]):
            raise AlignmentError(
                f"tokens {' '.join(tokens[index:])!r} have no alignment segments "
                "(transcript and alignment differ)"
            )
        ends[index] = last_speech_end
    total = segments[-1].end
    return TokenAlignment(list(tokens), ends, float(speech_start), float(total))
