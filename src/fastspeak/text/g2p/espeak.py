"""espeak-ng IPA, exactly as the piper teacher voice (en_US-joe-medium) receives it.

piper's ``PiperVoice.phonemize`` yields raw symbols: NFD-decomposed IPA characters, stress
marks ``ˈ ˌ`` before the vowel, ``ː`` and combining diacritics after it, ``" "`` between words
and punctuation characters. :func:`espeak_token_groups` merges them into our tokens, and
:class:`EspeakPhonemizer` runs the same piper code path (piper's bundled espeak-ng and its
``EspeakPhonemizer``) so that, token for token::

    EspeakPhonemizer().phonemize(text)
        == [token for token, _ in espeak_token_groups(sum(voice.phonemize(text), []))]

for normalized text (which never contains piper's ``[[ raw phoneme ]]`` syntax).
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

from fastspeak.text.symbols import PUNCTUATION_TOKENS, WORD_BOUNDARY

BOS = "^"
EOS = "$"
STRESS_MARKS = frozenset({"ˈ", "ˌ"})
JOIN_PREVIOUS = frozenset({"ː", "ˑ", "ʰ", "ʲ", "ʷ", "ˠ", "ˤ", "˞", "ⁿ", "ˡ"})
"""Non-combining modifier symbols that belong to the previous phone (length, aspiration,
palatalisation — espeak writes ``bˈiːʲ``); combining diacritics are detected separately."""
TIE_BARS = frozenset({"\u0361", "\u035c"})
"""Tie bars join the previous and the next symbol (``t͡ʃ``); en-us espeak rarely writes them."""

_NOT_PHONES = frozenset(PUNCTUATION_TOKENS.values()) | {WORD_BOUNDARY, BOS, EOS}


def _joins_previous(symbol: str) -> bool:
    return bool(symbol) and all(
        char in JOIN_PREVIOUS or unicodedata.combining(char) for char in symbol
    )


def espeak_token_groups(raw_symbols: list[str]) -> list[tuple[str, list[int]]]:
    """Merge piper's raw phoneme symbols into tokens, keeping which symbols each absorbed.

    Rules (applied left to right):

    * a stress mark ``ˈ``/``ˌ`` joins the NEXT phone symbol (``ˈ``, ``ɑ`` -> ``ˈɑ``);
    * ``ː``, the modifiers in :data:`JOIN_PREVIOUS` and combining diacritics
      (``unicodedata.combining``) join the PREVIOUS phone; a tie bar also pulls in the next;
    * ``" "`` becomes :data:`~fastspeak.text.symbols.WORD_BOUNDARY` ``"|"``; punctuation
      becomes its boundary token (``symbols.PUNCTUATION_TOKENS``);
    * piper's BOS ``"^"`` and EOS ``"$"`` are INCLUDED as tokens ``"^"``/``"$"`` of their own
      (so their durations — leading/trailing silence — stay attributable); they never occur in
      :meth:`EspeakPhonemizer.phonemize`, and callers that do not want them drop them;
    * identical adjacent boundary tokens collapse into one (indices merged); a word boundary
      next to punctuation is kept, because piper keeps it (``","`` then ``"|"``);
    * a stress mark with no phone after it, or a modifier with no phone before it, becomes a
      token of its own.

    Args:
        raw_symbols: piper symbols in order, e.g. ``[s for s, _ in alignments]`` or the
            flattened output of ``PiperVoice.phonemize``.

    Returns:
        ``(token, indices)`` pairs; every input index appears exactly once, in order.
    """
    groups: list[tuple[str, list[int]]] = []
    pending: list[int] = []  # stress marks waiting for their phone
    join_next = False  # after a tie bar

    def flush_pending() -> None:
        if pending:
            groups.append(("".join(raw_symbols[j] for j in pending), list(pending)))
            pending.clear()

    for index, symbol in enumerate(raw_symbols):
        boundary: str | None
        if symbol in STRESS_MARKS:
            pending.append(index)
            continue
        if symbol in (BOS, EOS):
            boundary = symbol
        elif symbol == " ":
            boundary = WORD_BOUNDARY
        else:
            boundary = PUNCTUATION_TOKENS.get(symbol)
        if boundary is not None:
            flush_pending()
            join_next = False
            if boundary not in (BOS, EOS) and groups and groups[-1][0] == boundary:
                groups[-1][1].append(index)
            else:
                groups.append((boundary, [index]))
            continue
        previous_is_phone = bool(groups) and groups[-1][0] not in _NOT_PHONES
        if (_joins_previous(symbol) or join_next) and previous_is_phone and not pending:
            token, indices = groups[-1]
            groups[-1] = (token + symbol, [*indices, index])
            join_next = symbol in TIE_BARS
            continue
        join_next = symbol in TIE_BARS
        groups.append(("".join(raw_symbols[j] for j in pending) + symbol, [*pending, index]))
        pending.clear()
    flush_pending()
    return groups


def espeak_tokens(raw_symbols: list[str]) -> list[str]:
    """Only the tokens of :func:`espeak_token_groups`."""
    return [token for token, _ in espeak_token_groups(raw_symbols)]


_STATE_LOCK = threading.Lock()
_PHONEMIZER: Any = None


def _espeak_lock() -> Any:
    """piper's own espeak lock when piper is importable, so PiperVoice and we never interleave
    (espeak-ng keeps global state)."""
    from piper import voice as piper_voice

    return getattr(piper_voice, "_ESPEAK_PHONEMIZER_LOCK", _STATE_LOCK)


def _piper_espeak() -> Any:
    """piper's EspeakPhonemizer over its bundled espeak-ng data, created once per process."""
    global _PHONEMIZER
    if _PHONEMIZER is None:
        with _espeak_lock():  # piper's: espeak-ng is never initialised under a running voice
            if _PHONEMIZER is None:
                from piper.phonemize_espeak import EspeakPhonemizer as PiperEspeak

                _PHONEMIZER = PiperEspeak()
    return _PHONEMIZER


def piper_raw_symbols(normalized: str, voice: str = "en-us") -> list[str]:
    """The raw symbols piper's ``PiperVoice.phonemize`` gives for ``normalized``, flattened
    over sentences (no ``^``/``$``)."""
    phonemizer = _piper_espeak()
    with _espeak_lock():
        sentences = phonemizer.phonemize(voice, normalized)
    return [symbol for sentence in sentences for symbol in sentence]


class EspeakPhonemizer:
    """Normalized text -> espeak-ng IPA tokens matching the piper teacher voice.

    Args:
        voice: espeak-ng voice name (``TextConfig.language``; the teacher uses ``"en-us"``).
    """

    inventory = "espeak"

    def __init__(self, voice: str = "en-us") -> None:
        self.voice = voice

    def phonemize(self, normalized: str) -> list[str]:
        """Tokens of :func:`espeak_token_groups` over piper's symbols for ``normalized``."""
        return espeak_tokens(piper_raw_symbols(normalized, self.voice))
