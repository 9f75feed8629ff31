"""Text -> model inputs: sentences, tokens in the vocabulary, chunks and the pauses between.

No torch here: the PyTorch :class:`~fastspeak.synthesis.Synthesizer` and the onnxruntime
runtime (:mod:`fastspeak.runtime`) cut text the same way through :class:`TextChunker`.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fastspeak.text.errors import TextError
from fastspeak.text.processor import TextProcessor
from fastspeak.text.symbols import PUNCTUATION_TOKENS, WORD_BOUNDARY, is_boundary
from fastspeak.text.vocab import Vocabulary

__all__ = ["DEFAULT_PAUSES_MS", "Chunk", "PreparedText", "TextChunker"]

log = logging.getLogger(__name__)

DEFAULT_PAUSES_MS: dict[str, float] = {
    ".": 300.0,
    "?": 350.0,
    "!": 350.0,
    ";": 250.0,
    ":": 250.0,
    ",": 150.0,
    "—": 200.0,
    "…": 400.0,
    WORD_BOUNDARY: 50.0,
    "": 0.0,
}
"""Silence (ms) inserted after a chunk, keyed by the punctuation token that ends it.

Sentences end in ``. ? !``; ``, ; : — …`` end chunks only where a sentence longer than
``max_chunk_tokens`` was cut; ``|`` is a cut at a word boundary and ``""`` a cut with no
boundary at all (or a last sentence with no mark; nothing follows the last chunk anyway).
Override any entry with ``Synthesizer(..., pauses_ms={".": 400})``.
"""

_CLAUSE_MARKS = frozenset(PUNCTUATION_TOKENS.values())


@dataclass
class Chunk:
    """One model input: a sentence or a piece of a long sentence.

    Attributes:
        sentence: the normalized sentence it comes from.
        sentence_index: that sentence's place in the text (the pieces of one long sentence
            share it; a repeated sentence does not).
        tokens: its tokens that are in the vocabulary; ``ids`` the matching ids.
        pause_ms: silence after it in the output (0 for the last chunk of a text).
        frames: mel frames the model made for it (set by synthesis).
    """

    sentence: str
    tokens: list[str]
    ids: list[int]
    pause_ms: float = 0.0
    frames: int = 0
    sentence_index: int = 0

    def pause_samples(self, sample_rate: int, speed: float = 1.0) -> int:
        """The pause after this chunk in samples (rounded), at speaking rate ``speed`` (the
        pause is ``pause_ms / speed``: faster speech pauses shorter, as the model's own
        pauses inside a chunk do)."""
        return round(self.pause_ms * sample_rate / 1000.0 / speed)

    def pause_frames(self, sample_rate: int, hop_length: int, speed: float = 1.0) -> int:
        """The pause after this chunk in mel frames (the samples, rounded to frames)."""
        return round(self.pause_samples(sample_rate, speed) / hop_length)


@dataclass
class PreparedText:
    """A text turned into model inputs by :meth:`TextChunker.prepare`."""

    text: str
    chunks: list[Chunk]
    skipped_tokens: dict[str, int] = field(default_factory=dict)
    """Tokens not in the vocabulary, with counts; they were left out."""


class TextChunker:
    """Cuts text into model inputs.

    Args:
        processor: the text frontend of the model's config.
        vocab: the model's vocabulary (tokens outside it are skipped, with a warning).
        pauses_ms: overrides of :data:`DEFAULT_PAUSES_MS`.
        max_chunk_tokens: longest token sequence given to the model at once (>= 8).
    Raises ValueError for a bad pause table or chunk length.
    """

    def __init__(
        self,
        processor: TextProcessor,
        vocab: Vocabulary,
        pauses_ms: Mapping[str, float] | None = None,
        max_chunk_tokens: int = 256,
    ) -> None:
        if max_chunk_tokens < 8:
            raise ValueError(f"max_chunk_tokens must be >= 8 (got {max_chunk_tokens})")
        self.processor, self.vocab, self.max_chunk_tokens = processor, vocab, max_chunk_tokens
        self.pauses_ms = dict(DEFAULT_PAUSES_MS)
        for key, value in (pauses_ms or {}).items():
            if key not in DEFAULT_PAUSES_MS:
                raise ValueError(
                    f"no pause is defined for {key!r}; the keys are "
                    f"{', '.join(repr(k) for k in DEFAULT_PAUSES_MS)}"
                )
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"pause for {key!r} must be >= 0 ms (got {value})")
            self.pauses_ms[key] = float(value)

    def prepare(self, text: str) -> PreparedText:
        """Split, phonemise and encode ``text`` (sentences, tokens, chunks).

        Raises :class:`~fastspeak.text.errors.TextError` for empty or unspeakable text, when
        no token of the text is in the vocabulary, and for any token outside it when
        ``text.unknown_symbols`` is "error" (with "skip", the default, they are left out, logged
        and counted in ``skipped_tokens``).
        """
        if not isinstance(text, str):
            raise TextError(f"text must be a string (got {type(text).__name__})")
        chunks: list[Chunk] = []
        skipped: Counter[str] = Counter()
        for index, sentence in enumerate(self.processor.sentences(text)):
            tokens, word_ends = self.processor.tokens_and_word_ends(sentence)
            kept = [token for token in tokens if token in self.vocab]
            if word_ends is not None:
                word_ends = [e for t, e in zip(tokens, word_ends, strict=True) if t in self.vocab]
            skipped.update(token for token in tokens if token not in self.vocab)
            if all(is_boundary(token) for token in kept):
                continue  # nothing left to say but pauses
            mark = sentence[-1] if sentence[-1] in _CLAUSE_MARKS else ""
            for start, end, boundary in self._split(kept, mark, word_ends):
                piece = kept[start:end]
                chunks.append(
                    Chunk(
                        sentence=sentence,
                        tokens=piece,
                        ids=self.vocab.encode(piece, unknown="error"),
                        pause_ms=self.pauses_ms[boundary],
                        sentence_index=index,
                    )
                )
        if skipped and self.processor.config.unknown_symbols == "error":
            missing = ", ".join(repr(token) for token in list(skipped)[:20])
            raise TextError(
                f"{text[:40]!r} has symbols this model's vocabulary lacks: {missing}; rephrase "
                "the text, or set text.unknown_symbols=skip to leave them out"
            )
        if not chunks:
            missing = ", ".join(repr(token) for token in list(skipped)[:20])
            raise TextError(
                f"none of the {self.vocab.inventory} symbols of {text[:40]!r} are in this "
                f"model's vocabulary (unknown: {missing}); rephrase the text"
            )
        chunks[-1].pause_ms = 0.0
        if skipped:
            log.warning(
                "skipped %d token(s) not in the vocabulary: %s",
                sum(skipped.values()),
                ", ".join(f"{token!r} x{count}" for token, count in skipped.most_common(10)),
            )
        return PreparedText(text=text, chunks=chunks, skipped_tokens=dict(skipped))

    def prepare_tokens(self, tokens: Sequence[str], text: str = "") -> PreparedText:
        """Model inputs from symbols already in the model's inventory (e.g. a FEATDIR
        manifest's ``tokens``, or phonemes from another frontend): no text processing.

        Long sequences are cut as :meth:`prepare` cuts them. Raises
        :class:`~fastspeak.text.errors.TextError` when a token is not in the vocabulary.
        """
        tokens = list(tokens)
        unknown = self.vocab.unknown(tokens)
        if unknown or not tokens:
            raise TextError(
                f"tokens {', '.join(repr(token) for token in unknown[:20])} are not in this "
                f"model's {self.vocab.inventory} vocabulary"
                if unknown
                else "no tokens to synthesise"
            )
        mark = tokens[-1] if tokens[-1] in _CLAUSE_MARKS else ""
        chunks = [
            Chunk(
                sentence=text,
                tokens=tokens[start:end],
                ids=self.vocab.encode(tokens[start:end], unknown="error"),
                pause_ms=self.pauses_ms[boundary],
            )
            for start, end, boundary in self._split(tokens, mark)
        ]
        chunks[-1].pause_ms = 0.0
        return PreparedText(text=text, chunks=chunks)

    def _split(
        self, tokens: list[str], mark: str, word_ends: list[bool] | None = None
    ) -> list[tuple[int, int, str]]:
        """Cut ``tokens`` into pieces of at most ``max_chunk_tokens``: (start, end, boundary).

        A cut goes after a clause mark in the second half of the window, else after the last
        mark or word (a ``|`` token, or where ``word_ends`` says a word ends), else anywhere.
        Marks just after a cut, and marks left alone at the end, join the piece before (which
        may then exceed the limit by them: better than a piece that says nothing, or a cut
        inside the last word)."""
        limit = self.max_chunk_tokens
        pieces: list[tuple[int, int, str]] = []
        start = 0

        def after_word(end: int) -> bool:  # after any mark or word gap, or an ARPAbet word
            return is_boundary(tokens[end - 1]) or bool(word_ends and word_ends[end - 1])

        while len(tokens) - start > limit:
            top = start + limit
            end = next(
                (e for e in range(top, start + limit // 2, -1) if tokens[e - 1] in _CLAUSE_MARKS),
                None,
            )
            if end is None:
                end = next((e for e in range(top, start, -1) if after_word(e)), None)
            in_word = end is None  # one word longer than a chunk
            end = top if end is None else end
            while end < len(tokens) and tokens[end] in _CLAUSE_MARKS:
                end += 1  # marks just after the cut join its piece, never one of their own
            if tokens[end - 1] in self.pauses_ms:
                boundary = tokens[end - 1]
            else:  # after an ARPAbet word: a word gap's pause
                boundary = "" if in_word else WORD_BOUNDARY
            pieces.append((start, end, boundary))
            start = end
            while start < len(tokens) - 1 and tokens[start] == WORD_BOUNDARY:
                start += 1  # the inserted pause replaces the word gap
        if pieces and all(is_boundary(token) for token in tokens[start:]):
            start = pieces.pop()[0]  # a lone final mark stays with the words before it
        pieces.append((start, len(tokens), mark))
        return pieces
