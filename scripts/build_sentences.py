#!/usr/bin/env python3
"""Regenerate the teacher sentence lists from public text that Debian installs offline.

Sources (see src/fastspeak/data/teacher/sentences/SOURCES.md for licences):
  * WordNet 3.0 usage examples: the quoted examples inside glosses of /usr/share/wordnet/data.*
    (Debian package ``wordnet-base``).
  * The King James Bible, one verse per line, read through the ``bible`` program
    (Debian packages ``bible-kjv`` + ``bible-kjv-text``).

Every sentence is folded to ASCII, checked for speakability (5-25 words, letters and ordinary
punctuation only, no digits, no acronyms, no quotes or brackets), given a capital first letter
and sentence-final punctuation, deduplicated case- and punctuation-insensitively, mixed
(at most ``--bible-share`` of the lists come from the Bible, whose language is archaic) and
shuffled with a fixed seed. The first ``--held-out`` sentences form ``held_out.txt`` (never
trained on); the next ``--train`` form ``train.txt``.

Usage::

    python scripts/build_sentences.py            # rewrites the packaged lists
    python scripts/build_sentences.py --check    # verifies the committed lists are reproduced
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from unidecode import unidecode

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "src" / "fastspeak" / "data" / "teacher" / "sentences"
WORDNET_DIR = Path("/usr/share/wordnet")
MIN_WORDS, MAX_WORDS = 5, 25

_ALLOWED = re.compile(r"^[A-Za-z ,.;:?!'\-]+$")
_WORD = re.compile(r"^[A-Za-z]+(?:[-'][A-Za-z]+)*'?$")
_ACRONYM = re.compile(r"[A-Z]{2,}")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:?!])")


def wordnet_examples(directory: Path = WORDNET_DIR) -> Iterator[str]:
    """Quoted usage examples from WordNet glosses (``... | gloss; "example"; "example"``)."""
    for name in ("data.noun", "data.verb", "data.adj", "data.adv"):
        path = directory / name
        with path.open(encoding="latin-1") as stream:
            for line in stream:
                if line.startswith(" ") or "|" not in line:
                    continue  # licence header
                gloss = line.split("|", 1)[1]
                yield from re.findall(r'"([^"]+)"', gloss)


def bible_verses() -> Iterator[str]:
    """Every verse of the KJV via the ``bible`` program (one verse per line, no wrapping)."""
    program = shutil.which("bible")
    if program is None:
        raise SystemExit("the 'bible' program is missing: apt-get install bible-kjv bible-kjv-text")
    result = subprocess.run(
        [program, "-l", "100000", "Gen1:1-Rev22:21"],
        capture_output=True,
        text=True,
        check=True,
    )
    for line in result.stdout.splitlines():
        match = re.match(r"^\s+\d+\s+(.*\S)\s*$", line)
        if match:
            yield match.group(1)


def _unshout(text: str) -> str:
    """KJV prints LORD and GOD in capitals; speak them as ordinary words."""
    return re.sub(r"\b([A-Z])([A-Z]+)\b", lambda m: m.group(1) + m.group(2).lower(), text)


def clean(raw: str, require_final: bool = False) -> str | None:
    """One speakable sentence, or None when ``raw`` is unsuitable.

    Args:
        raw: the source text.
        require_final: reject text that does not already end in . ? or ! (Bible verses that
            stop mid-sentence).
    """
    text = _SPACES.sub(" ", unidecode(raw)).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    if not text or "--" in text:
        return None
    if require_final and text[-1] not in ".?!":
        return None
    if not _ALLOWED.match(text):
        return None  # digits, quotes, brackets, symbols
    text = text.rstrip(",;:- ")
    if not text:
        return None
    if text[-1] not in ".?!":
        text += "."
    words = text[:-1].split(" ")
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return None
    for word in words:
        bare = word.rstrip(",;:.?!")
        if not bare or not _WORD.match(bare) or _ACRONYM.search(bare):
            return None
        if bare.endswith("'") and not bare.endswith("s'"):
            return None  # a closing quote, not a plural possessive
        if re.search(r"[,;:.?!].", word):
            return None  # "a,b" or inner full stops (abbreviations such as "e.g.")
    if re.search(r"[.?!]", text[:-1]) and not re.search(r"[.?!] [A-Z]", text[:-1]):
        return None
    return text[0].upper() + text[1:]


def dedup_key(sentence: str) -> str:
    return re.sub(r"[^a-z ]", "", sentence.lower()).strip()


def collect(raw: Iterable[str], require_final: bool, seen: set[str]) -> list[str]:
    kept = []
    for item in raw:
        sentence = clean(item, require_final=require_final)
        if sentence is None:
            continue
        key = dedup_key(sentence)
        if key in seen:
            continue
        seen.add(key)
        kept.append(sentence)
    return kept


def build(
    train_size: int, held_out_size: int, bible_share: float, seed: int
) -> tuple[list[str], list[str], dict[str, int]]:
    seen: set[str] = set()
    wordnet = sorted(collect(wordnet_examples(), require_final=False, seen=seen))
    bible = sorted(collect((_unshout(v) for v in bible_verses()), require_final=True, seen=seen))
    rng = random.Random(seed)
    rng.shuffle(wordnet)
    rng.shuffle(bible)
    total = train_size + held_out_size
    n_bible = min(len(bible), int(round(total * bible_share)))
    n_wordnet = min(len(wordnet), total - n_bible)
    pool = wordnet[:n_wordnet] + bible[:n_bible]
    rng.shuffle(pool)
    held_out, train = pool[:held_out_size], pool[held_out_size:total]
    counts = {
        "wordnet_clean": len(wordnet),
        "bible_clean": len(bible),
        "wordnet_used": n_wordnet,
        "bible_used": n_bible,
        "train": len(train),
        "held_out": len(held_out),
    }
    return train, held_out, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=15000, help="train sentences (default 15000)")
    parser.add_argument("--held-out", type=int, default=300, help="held-out sentences (300)")
    parser.add_argument("--bible-share", type=float, default=0.3, help="max Bible share (0.3)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--check", action="store_true", help="compare with the files in --out")
    args = parser.parse_args(argv)

    train, held_out, counts = build(args.train, args.held_out, args.bible_share, args.seed)
    assert not {dedup_key(s) for s in train} & {dedup_key(s) for s in held_out}
    texts = {"train.txt": "\n".join(train) + "\n", "held_out.txt": "\n".join(held_out) + "\n"}
    if args.check:
        stale = [n for n, t in texts.items() if (args.out / n).read_text(encoding="utf-8") != t]
        print("up to date" if not stale else f"differ: {', '.join(stale)}")
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (args.out / name).write_text(text, encoding="utf-8")
    for key, value in counts.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
