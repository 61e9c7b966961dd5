"""Plain data of the produce pipeline: what is made (Rendition), what it made (RenderResult),
what could not be made (Missing), and the run's report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from broadcast.core.errors import BroadcastError
from broadcast.core.models import Announcement, Approval


@dataclass(frozen=True)
class Rendition:
    """One announcement in one language: synthesised once, mastered once per profile."""

    announcement: Announcement
    approval: Approval
    language: str
    text: str
    text_sha256: str
    recording: str | None = None          # path of a human reading, when that is the route
    translation_approval: dict | None = None
    reading: dict | None = None           # the accepted reading: who read it, who accepted it, how

    @property
    def key(self) -> str:
        return f"{self.announcement.id}/{self.language}"


@dataclass(frozen=True)
class Missing:
    announcement_id: str
    language: str
    area: str
    reason: str


@dataclass
class RenderResult:
    rendition_key: str
    masters: dict[str, dict]               # profile → {"cache": path, sha256, duration, lufs, ...}
    speech: dict                           # engine, voice, engine_version, fallbacks
    first_reading: list[float]
    rendered: bool                         # False when everything came from the cache


@dataclass(frozen=True)
class Withheld:
    """Something scheduled for the day that does not go on air, said where the operator looks
    (the run sheets) with why and the fix. `slots` / `language` None: all of them."""

    announcement_id: str
    title: str
    priority: str
    areas: tuple[str, ...]
    slots: tuple[str, ...] | None
    language: str | None
    reason: str
    fix: str = ""
    kind: str = "failed"
    """changed / not-approved / expired / missing: the database or the files positively say so
    (its earlier files may be removed); failed: this run could not make it (they are kept)."""


@dataclass
class ProduceReport:
    day: date
    folder: Path
    rendered: int = 0
    reused: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    missing: list[Missing] = field(default_factory=list)
    failures: list[BroadcastError] = field(default_factory=list)
    expired: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    not_approved: list[str] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)      # previous files kept: their state is unknown now
    seen_ids: set[str] = field(default_factory=set)    # valid announcement files found
    invalid_ids: set[str] = field(default_factory=set)  # file stems of announcement files that do not load
    files: int = 0


@dataclass(frozen=True)
class Scheduled:
    """An approved announcement that plays on the day, in these slots."""

    announcement: Announcement
    approval: Approval
    slots: list[str]
