"""Worker processes that never outlive the command that started them."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1   # <linux/prctl.h>


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
