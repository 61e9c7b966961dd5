"""Feedback intake, the pipeline behind `broadcast transcribe`: identify each recording
(sha256; one already queued is skipped), transcribe the new ones (here, in worker processes,
or on a Ray cluster), keep the original in feedback/store/ and queue the transcript.

Transcription runs in parallel; this process alone writes the queue (SQLite or PostgreSQL),
in input order, so a batch lands the same way whatever the number of workers. A recording
that cannot be read is reported and the rest go on."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.pg import connect_queue
from broadcast.core.processes import pause_point
from broadcast.executors.session import ExecutorSpec
from broadcast.executors.whisper import transcribe_on_ray
from broadcast.feedback.audio import remove_dead_temp_files, sha256_file, store_original
from broadcast.feedback.models import FeedbackItem
from broadcast.feedback.queue import NewItem, add_item, find_by_sha256
from broadcast.media.errors import AudioError
from broadcast.transcription.models import Transcript
from broadcast.transcription.pool import EngineSpec, transcribe_many
from broadcast.transcription.transcribe import TranscribeOptions

STORE_DIR = "store"


@dataclass(frozen=True)
class IngestSettings:
    """How the batch is transcribed and what its items are filed under."""

    engine: EngineSpec = field(default_factory=EngineSpec)
    options: TranscribeOptions = field(default_factory=TranscribeOptions)
    jobs: int = 1
    """Worker processes on this machine (the local executor); 1: in this process."""
    announcement: str | None = None
    area: str | None = None


@dataclass
class Events:
    """What the caller shows as the batch goes; every callback is optional."""

    added: Callable[[Path, FeedbackItem], None] | None = None
    skipped: Callable[[Path, FeedbackItem], None] | None = None
    failed: Callable[[BroadcastError], None] | None = None
    progress: Callable[[Path, float, float | None], None] | None = None
    """Where a recording being transcribed is: (path, seconds done, seconds in all or None)."""
    done: Callable[[Path], None] | None = None
    """One more recording dealt with (added, skipped or failed), in input order."""


@dataclass
class IngestResult:
    added: int = 0
    skipped: int = 0
    failed: int = 0


def received_at(path: Path, ws: Workspace) -> str:
    """When the recording reached the commune: its file time, in the commune's time zone."""
    return datetime.fromtimestamp(path.stat().st_mtime, ws.config.tz).isoformat(timespec="seconds")


def ingest(ws: Workspace, files: list[Path], settings: IngestSettings, spec: ExecutorSpec,
           events: Events | None = None) -> IngestResult:
    """Queue a transcript of every recording in `files` not queued yet (see the module doc)."""
    events = events or Events()
    result = IngestResult()
    pause_point("transcribe.start")    # test hook, off by default (core.processes)
    conn = connect_queue(ws)
    store = ws.feedback_dir / STORE_DIR
    remove_dead_temp_files(store)

    def emit(name: str, *args) -> None:
        callback = getattr(events, name)
        if callback:
            callback(*args)

    # Identify first: what is already queued (or repeated in this batch) is not transcribed.
    identity: dict[Path, str | BroadcastError] = {}
    todo: list[Path] = []
    first: dict[str, Path] = {}
    for path in files:
        try:
            sha = identity[path] = sha256_file(path)
        except OSError as exc:
            identity[path] = AudioError(f"cannot read: {exc.strerror or exc}", path)
            continue
        if sha not in first and find_by_sha256(conn, sha) is None:
            todo.append(path)
        first.setdefault(sha, path)
    transcribed = set(todo)
    why_failed: dict[str, str] = {}     # sha256 → why its first copy in this batch failed

    with contextlib.ExitStack() as stack:
        outcomes = _transcripts(stack, todo, settings, spec, events.progress)
        for path in files:
            sha = identity[path]
            try:
                if isinstance(sha, BroadcastError):
                    raise sha
                transcript = None
                if path in transcribed:     # its outcome is next, even if a concurrent run queued it meanwhile
                    got_path, transcript = next(outcomes)
                    assert got_path == path, (got_path, path)
                existing = find_by_sha256(conn, sha)
                if existing is not None:
                    result.skipped += 1
                    emit("skipped", path, existing)
                    continue
                if transcript is None:      # a repeat of a recording in this batch that failed
                    why = why_failed.get(sha, "it could not be transcribed")
                    raise AudioError(f"{why} (the same recording as {first[sha].name})", path)
                if isinstance(transcript, BroadcastError):
                    why_failed[sha] = transcript.reason
                    raise transcript
                stored = store_original(path, store, sha)
                pause_point("transcribe.stored")
                item, new = add_item(conn, NewItem(
                    source_name=path.name, sha256=sha, stored_path=str(stored.relative_to(ws.feedback_dir)),
                    received_at=received_at(path, ws), transcript=transcript,
                    announcement_id=settings.announcement, area=settings.area))
                pause_point("transcribe.queued")
                if new:
                    result.added += 1
                    emit("added", path, item)
                else:  # queued by a concurrent run meanwhile
                    result.skipped += 1
                    emit("skipped", path, item)
            except AudioError as exc:
                result.failed += 1
                emit("failed", exc)
            except OSError as exc:
                result.failed += 1
                emit("failed", AudioError(f"cannot read: {exc.strerror or exc}", path))
            finally:
                emit("done", path)
    return result


def _transcripts(stack: contextlib.ExitStack, paths: list[Path], settings: IngestSettings, spec: ExecutorSpec,
                 progress) -> Iterator[tuple[Path, Transcript | BroadcastError]]:
    """(path, transcript or error) for `paths`, in their order, from where the executor says."""
    engine = settings.engine
    if spec.kind == "ray":
        remote = transcribe_on_ray(stack, spec, paths, engine.backend, engine.model, engine.compute_type,
                                   settings.options, device=engine.device)

        def from_ray() -> Iterator[tuple[Path, Transcript | BroadcastError]]:
            for path in paths:
                try:
                    yield path, remote[path]()
                except AudioError as exc:
                    yield path, exc
        return from_ray()
    many = transcribe_many(paths, engine, settings.options, settings.jobs, on_progress=progress)
    stack.callback(many.close)      # workers stop when the batch ends, even on an error
    return many
