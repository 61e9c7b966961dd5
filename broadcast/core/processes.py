"""Worker processes that never outlive the command that started them; and pause points, the
test hook that lets the fault tests stop a real run at a definite step."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

PR_SET_PDEATHSIG = 1   # <linux/prctl.h>
PAUSE_AT_ENV, PAUSE_DIR_ENV = "BROADCAST_TEST_PAUSE_AT", "BROADCAST_TEST_PAUSE_DIR"
PAUSE_LIMIT = 600.0    # seconds a paused process waits at most, then goes on
_passed: Counter[str] = Counter()


def die_with_parent(parent_pid: int) -> None:
    """In a worker: ask Linux to SIGKILL this process when its parent dies (even by SIGKILL,
    which leaves the parent no chance to clean up), and exit now if it already has. Elsewhere
    a no-op beyond that check. Use as a process pool's initializer, with os.getpid() of the parent."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:      # the parent died before prctl took effect
        os._exit(1)


def worker_init(parent_pid: int) -> None:
    """die_with_parent, and leave Ctrl-C to the parent (it stops the pool and reports)."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def pause_point(event: str) -> None:
    """A test hook, off unless $BROADCAST_TEST_PAUSE_AT is set (nothing changes without it). It
    lists `event:N` pairs, comma-separated: the Nth time this process passes `event`, it writes
    its pid to $BROADCAST_TEST_PAUSE_DIR/<event>-<N>.paused and waits there until <event>-<N>.go
    appears beside it. A test waits for the .paused file, then kills the process at exactly that
    step, or runs a second command against it, then releases it. Events: produce.locked,
    produce.rendered, produce.stage, produce.committed, produce.placed, transcribe.start,
    transcribe.store-written, transcribe.stored, transcribe.inserted, transcribe.queued."""
    wanted, folder = os.environ.get(PAUSE_AT_ENV), os.environ.get(PAUSE_DIR_ENV)
    if not wanted or not folder:
        return
    _passed[event] += 1
    if f"{event}:{_passed[event]}" not in wanted.split(","):
        return
    here, step = Path(folder), f"{event}-{_passed[event]}"
    tmp = here / f".{step}.{os.getpid()}"
    tmp.write_text(str(os.getpid()))
    os.replace(tmp, here / f"{step}.paused")     # whole when it appears
    deadline = time.monotonic() + PAUSE_LIMIT
    while not (here / f"{step}.go").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
