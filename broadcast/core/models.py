"""Plain data passed between stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

PRIORITIES = ("normal", "priority", "emergency")
PRIORITY_ORDER = {"emergency": 0, "priority": 1, "normal": 2}
CHANNELS = ("loudspeaker", "zalo", "cap")
# Readings per slot when the announcement does not say (emergencies get at least 3).
DEFAULT_REPEAT = {"normal": 2, "priority": 2, "emergency": 3}
MIN_EMERGENCY_READINGS = 3
# CAP 1.2 <category> values (OASIS CAP 1.2, 3.2.2).
CAP_CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env",
                  "Transport", "Infra", "CBRNE", "Other")


@dataclass(frozen=True)
class Announcement:
    """A validated announcement file. `sha256` covers the canonical content (front matter +
    body); `text_sha256` covers the Vietnamese body only (what translations are tied to)."""

    id: str
    title: str
    priority: str
    areas: tuple[str, ...]
    languages: tuple[str, ...]
    channels: tuple[str, ...]
    dates: tuple[date, ...]
    slots: tuple[str, ...]
    repeat: int
    expires: datetime | None
    body: str
    path: Path
    sha256: str
    text_sha256: str
    category: str = "Safety"
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def readings(self) -> int:
        if self.priority == "emergency":
            return max(self.repeat, MIN_EMERGENCY_READINGS)
        return self.repeat

    def expired_at(self, moment: datetime) -> bool:
        return self.expires is not None and self.expires <= moment


@dataclass(frozen=True)
class Approval:
    seq: int
    announcement_id: str
    sha256: str
    by: str
    at: str
    path: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "id": self.announcement_id, "sha256": self.sha256,
                "by": self.by, "at": self.at}
