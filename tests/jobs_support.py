"""A worker pool whose workers really crash (SIGKILL themselves) on a recording named crash.*:
for tests/test_transcribe_jobs.py. A module of its own so spawned workers can import the task."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from broadcast.transcription import pool


def crashing_task(index: int, path: str, options) -> tuple:
    if Path(path).stem == "crash":
        pool._worker["messages"].put(("start", index, os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return pool._task(index, path, options)


class CrashingPool(pool.WorkerPool):
    task = staticmethod(crashing_task)
