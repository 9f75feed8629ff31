"""The HTTP server and its web page: ``create_app(synthesizer)``; ``fastspeak serve`` runs it."""

from fastspeak.serve.app import create_app

__all__ = ["create_app"]
