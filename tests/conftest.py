"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

# Short sentences keep the teacher corpus (and every training step on it) fast.
TRAIN_SENTENCES = [
    "The cat sat on the mat.",
    "Open the door slowly.",
    "We met at noon.",
    "Blue boats drift by the pier.",
    "She reads a book every night.",
    "Rain fell all day long.",
    "A small bird sang loudly.",
    "Turn left at the old mill.",
    "Dogs bark at strangers.",
    "Fresh bread smells good.",
    "He painted the fence green.",
]
HELD_OUT_SENTENCES = ["The river runs cold.", "Bring me the red cup."]


@pytest.fixture(scope="session")
def piper_featdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real FEATDIR: 13 short piper (en_US-joe-medium) utterances, preprocessed with
    configs/piper_joe/fastspeech2.yaml (train 10, val 1, test 2). Read-only for tests."""
    from fastspeak.config import load_config
    from fastspeak.data.preprocess import preprocess
    from fastspeak.data.teacher.builder import build_teacher_corpus

    root = tmp_path_factory.mktemp("piper_featdir")
    corpus, feat_dir = root / "corpus", root / "feat"
    build_teacher_corpus(
        engine="piper",
        voices=None,
        num_sentences=len(TRAIN_SENTENCES),
        out_dir=corpus,
        workers=1,
        held_out=len(HELD_OUT_SENTENCES),
        progress=False,
        train_sentences=TRAIN_SENTENCES,
        held_out_sentences=HELD_OUT_SENTENCES,
    )
    config_path = Path(__file__).parent.parent / "configs" / "piper_joe" / "fastspeech2.yaml"
    preprocess(load_config(config_path), corpus, feat_dir, workers=1, progress=False)
    return feat_dir
