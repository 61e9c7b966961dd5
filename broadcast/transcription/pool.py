"""Many recordings at once on this machine: worker processes (spawned, so no inherited state),
each loading the model once with one CTranslate2 thread and decoding and transcribing whole
recordings; results come back in input order, so the caller alone writes them (one writer).

Two one-thread decoders beat one two-thread decoder on the base model's small matrices, so
parallelism is over recordings. A worker dies with its parent (PR_SET_PDEATHSIG on Linux): a
killed `transcribe` leaves no process behind. A worker that crashes (a signal, out of memory)
is replaced; the recordings it held are retried one at a time, so the one that crashes it is
named and reported, and the rest complete."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from broadcast.core.processes import die_with_parent
from broadcast.core.errors import BroadcastError
from broadcast.media.errors import AudioError
from broadcast.transcription.models import ModelError, Transcript
from broadcast.transcription.transcribe import (
    DEFAULT_BACKEND,
    TranscribeOptions,
    default_threads,
    load_backend,
    transcribe_file,
)

# Seconds between looks at the workers' progress messages while waiting for a result.
POLL_SECONDS = 0.2
# A recording caught in this many worker crashes (without being seen to start) is given up on.
MAX_BREAKS = 3

Progress = Callable[[Path, float, float | None], None]
Outcome = Transcript | BroadcastError


@dataclass(frozen=True)
class EngineSpec:
    """What each worker loads: the same arguments as load_backend (threads aside)."""

    backend: str = DEFAULT_BACKEND
    model: str | None = None
    compute_type: str | None = None
    device: str = "cpu"


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity), else the machine's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def transcribe_many(paths: list[Path], engine: EngineSpec, options: TranscribeOptions, jobs: int,
                    on_progress: Progress | None = None) -> Iterator[tuple[Path, Outcome]]:
    """(path, transcript or the error that stopped it) for each recording, in input order.
    `jobs` 1, or a single recording: here, in this process, on all cores' threads; more: that
    many worker processes (at most one per recording), each on cores ÷ workers threads.
    A ModelError (the model cannot load) stops the run: it is raised, not yielded."""
    workers = max(1, min(jobs, len(paths)))
    if workers == 1:
        yield from _here(paths, engine, options, on_progress)
        return
    with WorkerPool(engine, options, workers, on_progress) as pool:
        yield from pool.run(paths)


def _here(paths: list[Path], engine: EngineSpec, options: TranscribeOptions,
          on_progress: Progress | None) -> Iterator[tuple[Path, Outcome]]:
    backend = None
    for path in paths:
        if backend is None:
            backend = load_backend(engine.backend, engine.model, engine.compute_type, None, engine.device)
        try:
            report = (lambda done, total, p=path: on_progress(p, done, total)) if on_progress else None
            yield path, transcribe_file(path, backend, options, on_progress=report)
        except ModelError:
            raise
        except BroadcastError as exc:
            yield path, exc
        except OSError as exc:
            yield path, AudioError(f"cannot read: {exc.strerror or exc}", path)


# ---------------------------------------------------------------------------- in the worker

_worker: dict = {}


def _init(parent_pid: int, engine: EngineSpec, threads: int, messages) -> None:
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the parent's to handle
    _worker["messages"] = messages
    try:
        _worker["backend"] = load_backend(engine.backend, engine.model, engine.compute_type, threads, engine.device)
    except BroadcastError as exc:
        _worker["error"] = (exc.reason, str(exc.path) if exc.path else None, exc.problem.hint)


def _task(index: int, path: str, options: TranscribeOptions) -> tuple:
    """In a worker: ('ok', Transcript), ('error', reason, hint) or ('model', reason, path, hint)."""
    messages = _worker["messages"]
    messages.put(("start", index, os.getpid()))
    if "error" in _worker:
        return ("model", *_worker["error"])
    try:
        return ("ok", transcribe_file(Path(path), _worker["backend"], options,
                                      on_progress=lambda done, total: messages.put(("progress", index, done, total))))
    except ModelError as exc:
        return ("model", exc.reason, str(exc.path) if exc.path else None, exc.problem.hint)
    except BroadcastError as exc:
        return ("error", exc.reason, exc.problem.hint)
    except OSError as exc:
        return ("error", f"cannot read: {exc.strerror or exc}", None)


# ---------------------------------------------------------------------------- in the parent

class WorkerPool:
    """`size` spawned workers; `run` yields outcomes in input order and survives crashes. Call
    it from a thread that outlives the pool: Linux ties PR_SET_PDEATHSIG to the spawning thread."""

    task = staticmethod(_task)    # what a worker runs for one recording

    def __init__(self, engine: EngineSpec, options: TranscribeOptions, size: int,
                 on_progress: Progress | None = None) -> None:
        self.engine, self.options, self.size, self.on_progress = engine, options, size, on_progress
        self.threads = max(1, available_cores() // size)
        self.context = multiprocessing.get_context("spawn")
        self.pools: list[_Pool] = []
        self.paths: list[Path] = []
        self.started: set[int] = set()       # recordings a worker has begun (and not yet returned)
        self.isolated: set[int] = set()      # recordings retried alone after a crash
        self.breaks: dict[int, int] = {}     # crashes each unfinished recording has been caught in
        self.futures: dict[int, tuple[_Pool | None, cf.Future]] = {}   # recordings not yielded yet

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        # Stopped with recordings still out (Ctrl-C, an error): do not wait for the workers.
        kill = exc_type is not None and bool(self.futures)
        for pool in self.pools:
            pool.close(kill=kill)
        self.pools = []

    def _pool(self, size: int) -> _Pool:
        pool = _Pool(self.context, size, self.engine, self.threads if size == self.size else available_cores())
        self.pools.append(pool)
        return pool

    def _submit(self, pool: _Pool, index: int) -> tuple[_Pool, cf.Future]:
        return pool, pool.executor.submit(self.task, index, str(self.paths[index]), self.options)

    def run(self, paths: list[Path]) -> Iterator[tuple[Path, Outcome]]:
        self.paths = list(paths)
        main = self._pool(self.size)
        quarantine: _Pool | None = None
        futures = self.futures = {i: self._submit(main, i) for i in range(len(self.paths))}
        for i, path in enumerate(self.paths):
            while True:
                pool, future = futures[i]
                self._wait(future, pool)
                try:
                    outcome = future.result()
                except BrokenProcessPool:
                    self._drain(pool)
                    if pool is main:
                        main = self._pool(self.size)
                    elif pool is quarantine:
                        quarantine = None
                    for j in sorted(futures):
                        owner, fut = futures[j]
                        if owner is not pool or (fut.done() and fut.exception() is None):
                            continue
                        self.breaks[j] = self.breaks.get(j, 0) + 1
                        if (j in self.started and j in self.isolated) or self.breaks[j] > MAX_BREAKS:
                            futures[j] = (None, _done(_crash_error(self.paths[j])))
                        elif j in self.started or j in self.isolated:
                            # It was running when a worker died: retry it alone, to find the culprit.
                            self.isolated.add(j)
                            quarantine = quarantine or self._pool(1)
                            futures[j] = self._submit(quarantine, j)
                        else:
                            futures[j] = self._submit(main, j)
                        self.started.discard(j)
                    self.pools.remove(pool)
                    pool.close(kill=True)
                    continue
                except Exception as exc:  # noqa: BLE001 - an unexpected failure of one file
                    outcome = ("error", f"transcription failed: {type(exc).__name__}: {exc}", None)
                break
            self.started.discard(i)
            futures.pop(i)
            yield path, self._outcome(path, outcome)

    def _outcome(self, path: Path, outcome) -> Outcome:
        if isinstance(outcome, BroadcastError):
            return outcome
        kind, *rest = outcome
        if kind == "ok":
            return rest[0]
        if kind == "model":
            reason, where, hint = rest
            raise ModelError(reason, where, hint=hint)
        reason, hint = rest
        return AudioError(reason, path, hint=hint)

    def _wait(self, future: cf.Future, pool: _Pool | None) -> None:
        while True:
            done, _ = cf.wait([future], timeout=POLL_SECONDS)
            self._drain(pool)
            if done:
                return

    def _drain(self, pool: _Pool | None) -> None:
        if pool is None:
            return
        for kind, index, *rest in pool.messages():
            if kind == "start":
                self.started.add(index)
            elif kind == "progress" and self.on_progress:
                self.on_progress(self.paths[index], *rest)


class _Pool:
    """One ProcessPoolExecutor and the pipe its workers report on (a SimpleQueue: a put is in
    the pipe when it returns, so a worker that crashes has already said what it was doing)."""

    def __init__(self, context, size: int, engine: EngineSpec, threads: int) -> None:
        self.queue = context.SimpleQueue()
        self.executor = cf.ProcessPoolExecutor(size, mp_context=context, initializer=_init,
                                               initargs=(os.getpid(), engine, threads, self.queue))

    def messages(self) -> Iterator[tuple]:
        with contextlib.suppress(OSError, EOFError, ValueError):
            while not self.queue.empty():
                yield self.queue.get()

    def close(self, kill: bool = False) -> None:
        if kill:
            for process in list((getattr(self.executor, "_processes", None) or {}).values()):
                with contextlib.suppress(Exception):
                    process.kill()
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=True, cancel_futures=True)
        with contextlib.suppress(Exception):
            self.queue.close()


def _done(error: BroadcastError) -> cf.Future:
    future: cf.Future = cf.Future()
    future.set_result(error)
    return future


def _crash_error(path: Path) -> AudioError:
    return AudioError("the transcription worker crashed on this recording (it was killed, ran out of "
                      "memory or hit a fault in the decoder)", path,
                      hint="try it alone with --jobs 1; if it fails again, convert it with ffmpeg and retry")
