"""Token conventions shared by every phone inventory (no torch here).

A token is one string: a phone (``"AH0"``, ``"ˈɑː"``), a character (``"a"``), or a boundary.
Boundaries carry pauses: each punctuation class is its own token, so a comma and a question
mark become different pauses (the reference code mapped all of them to one ``sp``).
"""

from __future__ import annotations

PAD = "<pad>"
UNK = "<unk>"
SPECIAL_TOKENS = (PAD, UNK)

WORD_BOUNDARY = "|"
"""Between words, for inventories that time word gaps (espeak, characters); not ARPAbet/MFA."""

PUNCTUATION_TOKENS: dict[str, str] = {
    ",": ",",
    ".": ".",
    "?": "?",
    "!": "!",
    ";": ";",
    ":": ":",
    "—": "—",  # dash-like pauses: em/en dash, spaced hyphen, parentheses
    "…": "…",
}
"""Raw punctuation character -> boundary token (the token is the canonical character)."""

BOUNDARY_TOKENS = frozenset(PUNCTUATION_TOKENS.values()) | {WORD_BOUNDARY}

SILENCE_LABELS = frozenset({"", "sil", "sp", "pau", "<eps>", "silence"})
"""Alignment labels that mean 'no speech' (MFA 1 uses sil/sp, MFA >= 2 an empty label)."""


def is_boundary(token: str) -> bool:
    """True for punctuation and word-boundary tokens (the tokens that may hold pauses)."""
    return token in BOUNDARY_TOKENS


def is_silence_label(label: str) -> bool:
    """True if an alignment interval label denotes silence."""
    return label.strip().lower() in SILENCE_LABELS
