"""Tiny model configs shared by tests (seconds on a CPU)."""

from __future__ import annotations

from typing import Any

from fastspeak.config import ModelConfig


def tiny_model_config(name: str = "fastspeech2", **changes: Any) -> ModelConfig:
    """A one-layer, 16-channel ``ModelConfig`` for ``name`` (vocabulary of 20 ids)."""
    settings: dict[str, Any] = {
        "name": name,
        "vocab_size": 20,
        "hidden": 16,
        "encoder_layers": 1,
        "decoder_layers": 1,
        "attention_heads": 2,
        "conv_filter_size": 32,
        "postnet_layers": 2,
        "postnet_channels": 16,
    }
    return ModelConfig(**{**settings, **changes})
