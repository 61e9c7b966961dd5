"""Plain data for the translation stage, and its error type."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from broadcast.core.errors import BroadcastError

# States of one unit in an exchange file (XLIFF 1.2 names; PO maps onto them).
NEEDS_TRANSLATION = "needs-translation"
NEEDS_REVIEW = "needs-review-translation"
FINAL = "final"
# XLIFF target states that count as approved on import (DESIGN.md).
APPROVED_STATES = frozenset({"final", "signed-off"})

# Per-language states of an announcement's translation.
SOURCE = "source"
UNTRANSLATED = "untranslated"
DRAFT = "draft"
APPROVED = "approved"
STALE = "stale"

FORMATS = ("xliff", "po")
FORMAT_SUFFIX = {"xliff": ".xlf", "po": ".po"}
RECORDING_SUFFIXES = (".wav", ".mp3", ".m4a")


class TranslationError(BroadcastError):
    """A translation file or request that cannot be used, with the file and the fix."""


@dataclass(frozen=True)
class Segment:
    """One sentence of the approved Vietnamese body, with where it sits.

    `paragraph` and `line` are 1-based; `line` counts lines inside a paragraph (a list, an
    address block) so that assembly restores line breaks as well as blank lines."""

    paragraph: int
    line: int
    index: int
    text: str
    multiline: bool = False

    @property
    def unit_id(self) -> str:
        if self.multiline:
            return f"p{self.paragraph}-l{self.line}-s{self.index}"
        return f"p{self.paragraph}-s{self.index}"


@dataclass(frozen=True)
class Suggestion:
    """A translation-memory entry close to, but not the same as, a segment: shown, never approved."""

    source: str
    target: str
    score: float
    by: str | None = None
    date: str | None = None
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class MemoryMatch:
    target: str
    by: str | None
    date: str | None


@dataclass
class ExchangeUnit:
    """One unit of an XLIFF or PO file as read back from a translator."""

    unit_id: str
    source: str
    target: str
    state: str              # NEEDS_TRANSLATION / NEEDS_REVIEW / FINAL (normalised)
    approved: bool
    notes: list[str] = field(default_factory=list)


@dataclass
class ExchangeFile:
    path: Path
    format: str
    announcement_id: str | None
    language: str | None
    source_sha256: str | None
    units: list[ExchangeUnit]

    @property
    def approved_count(self) -> int:
        return sum(1 for u in self.units if u.approved)


@dataclass
class PlannedUnit:
    """What `translate` writes for one segment: its target (if any), state, and notes."""

    segment: Segment
    target: str = ""
    state: str = NEEDS_TRANSLATION
    origin: str = ""                       # memory / carried-over / draft-kept / machine
    notes: list[str] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
