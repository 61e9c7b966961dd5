"""Mastering's error type."""

from __future__ import annotations

from broadcast.core.errors import BroadcastError


class MasteringError(BroadcastError):
    """A programme that could not be made into a file meeting its profile (silent, or still off
    target after one correction, or the audio libraries failed): names the destination file."""
