"""Teacher corpora: speech with exact phone timings from existing TTS voices.

``build_teacher_corpus`` speaks the packaged sentence lists (``load_sentences``) with piper,
festival or flite and writes wavs, TextGrids in our tokens, and metadata (see ``builder``).
"""

from fastspeak.data.teacher.builder import build_teacher_corpus
from fastspeak.data.teacher.sentences import load_sentences

__all__ = ["build_teacher_corpus", "load_sentences"]
