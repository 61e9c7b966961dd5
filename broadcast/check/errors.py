"""The one error `broadcast check` raises of its own."""

from __future__ import annotations

from broadcast.core.errors import BroadcastError


class CheckError(BroadcastError):
    """A date that cannot be checked (no manifest, bad [check] settings, an unknown id)."""
