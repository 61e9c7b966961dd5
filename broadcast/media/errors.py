"""The media layer's one error type."""

from __future__ import annotations

from broadcast.core.errors import BroadcastError


class AudioError(BroadcastError):
    """Audio that cannot be read, filtered, measured or encoded (empty, garbage, truncated, not
    audio, an encoder missing): which file or source, and why."""
