"""The speech stage's error: a BroadcastError, so the CLI reports it as a one-line message."""

from __future__ import annotations

from broadcast.core.errors import BroadcastError


class SpeechError(BroadcastError):
    """No speech could be made: which voice or file, why, and what to do about it."""


class VoiceUnavailable(SpeechError):
    """A voice cannot be used on this machine right now (engine, model or network missing)."""
