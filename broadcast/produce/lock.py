"""One `produce` at a time per workspace."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from broadcast.core.errors import BroadcastError

LOCK_NAME = "produce.lock"


class ProduceLocked(BroadcastError):
    """Another `broadcast produce` holds this workspace and date."""


class ProduceLock:
    """An advisory lock per workspace (flock, so a crashed holder releases it at once); the
    file names the holder's pid for the message a second run prints. One lock for the whole
    workspace, not per date, because runs share the master cache and its cleanup."""

    def __init__(self, state_dir: Path, wait: bool) -> None:
        self.path = state_dir / LOCK_NAME
        self.wait = wait
        self.fh = None

    def __enter__(self) -> ProduceLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            fh.close()
            raise ProduceLocked(
                f"another `broadcast produce` (pid {holder}) is running in this workspace", self.path,
                hint="wait for it to finish, or run again with --wait to queue behind it",
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh
        return self

    def __exit__(self, *exc) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
