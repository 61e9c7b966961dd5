"""Plain data and error types of the feedback stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from broadcast.core.errors import BroadcastError
from broadcast.media.errors import AudioError  # noqa: F401  (re-exported: feedback files that do not decode)
from broadcast.transcription.models import ModelError, Segment, Transcript

# A case's life: received, handed to a unit, answered, closed; or dismissed (noise, a test, a
# duplicate answered elsewhere). OPEN statuses still run against their due date.
STATUSES = ("new", "assigned", "answered", "closed", "dismissed")
OPEN_STATUSES = ("new", "assigned")
# The statuses of the queue before it held cases, still understood on the way in.
OLD_STATUSES = {"in-review": "assigned", "resolved": "closed"}


class QueueError(BroadcastError):
    """A review-queue request that cannot be done (unknown item, bad status, bad filter)."""


class ItemNotFound(QueueError):
    """No queue item with that id."""


class VersionConflict(QueueError):
    """The item changed since the caller read it (optimistic concurrency): reload and retry."""


@dataclass
class FeedbackItem:
    """One row of the review queue."""

    id: int
    source_name: str
    sha256: str
    stored_path: str
    received_at: str
    duration: float
    language: str | None
    transcript: str
    segments: list[dict]
    corrected_transcript: str | None
    announcement_id: str | None
    area: str | None
    status: str
    tags: list[str]
    reviewer: str | None
    note: str | None
    backend: str | None
    model: str | None
    created_at: str
    updated_at: str
    version: int
    category: str | None = None
    unit: str | None = None
    due_date: str | None = None           # YYYY-MM-DD, the last working day to answer
    contact: str | None = None            # the citizen's phone number (redacted in exports)
    reply_text: str | None = None
    reply_by: str | None = None
    reply_at: str | None = None           # the commune's local time, with its offset
    closed_at: str | None = None
    group_id: int | None = None           # the first item of its group of near-duplicates
    suggested_announcement: str | None = None
    suggestion_score: float | None = None
    reply_audio: str | None = None        # the voice reply, relative to the feedback folder
    assignments: list[dict] = field(default_factory=list)

    @property
    def best_transcript(self) -> str:
        """The reviewer's correction when there is one, else the machine transcript."""
        return self.corrected_transcript if self.corrected_transcript is not None else self.transcript

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Page:
    """A page of queue items plus the total matching the filters (for pagination)."""

    items: list[FeedbackItem]
    total: int
    limit: int
    offset: int
    filters: dict = field(default_factory=dict)
