"""fastspeak: fast non-autoregressive text-to-speech (FastSpeech, FastSpeech 2)."""

__version__ = "0.1.0"
