"""What `broadcast check` finds: an issue, the signal figures, one file's result, a date's report
(the report is what check.json holds; its format constants live in produce.checkmarks)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from broadcast.check.thresholds import Thresholds
from broadcast.core.errors import BroadcastError
from broadcast.produce.checkmarks import CHECK_FORMAT, FLAGS

# What a file sharing another's bytes takes over from that one's analysis.
SHARED_FIELDS = ("transcribed", "note", "reference", "transcript", "cer", "wer", "coverage", "heard", "numbers",
                 "missing_numbers", "missing_sentences",
                 "syllables", "speech_seconds", "speech_rate", "duration", "expected_duration",
                 "leading_silence", "trailing_silence", "clipped_samples")


@dataclass
class Issue:
    check: str        # "cer" | "wer" | "coverage" | "sentence" | "number" | "rate" | "silence" | "clipping"
                      # | "duration" | "text" | "speech" | "file"
    level: str        # "review" | "fail"
    message: str


@dataclass
class SignalReport:
    duration: float
    leading_silence: float
    trailing_silence: float
    clipped_samples: int
    clipped_share: float
    peak_dbfs: float


@dataclass
class FileCheck:
    """The result for one produced file (files with the same bytes share the analysis)."""

    path: str
    announcement: str
    language: str
    area: str | None
    slot: str | None
    sha256: str
    engine: str | None
    voice: str | None
    flag: str = "ok"
    transcribed: bool = False
    note: str = ""
    reference: str = ""
    transcript: str = ""
    cer: float | None = None
    wer: float | None = None
    coverage: float | None = None      # share of the text's syllables the transcript covers
    heard: float | None = None         # how alike what was heard is to the text, 0–1
    numbers: list[dict] = field(default_factory=list)          # every number: written, spoken, heard, found
    missing_numbers: list[str] = field(default_factory=list)   # the written forms not found
    missing_sentences: list[str] = field(default_factory=list)  # the sentences not heard, as written
    syllables: int | None = None
    speech_seconds: float | None = None
    speech_rate: float | None = None
    duration: float | None = None
    expected_duration: float | None = None
    leading_silence: float | None = None
    trailing_silence: float | None = None
    clipped_samples: int | None = None
    issues: list[Issue] = field(default_factory=list)

    def add(self, check: str, level: str, message: str) -> None:
        self.issues.append(Issue(check, level, message))
        if FLAGS.index(level) > FLAGS.index(self.flag):
            self.flag = level

    def take_over(self, shared: FileCheck) -> None:
        """The analysis of a file with the same bytes: its figures, and its issues (the flag
        follows: the worst of this file's own issues and those)."""
        for name in SHARED_FIELDS:
            setattr(self, name, getattr(shared, name))
        for issue in shared.issues:
            self.add(issue.check, issue.level, issue.message)


@dataclass
class CheckReport:
    day: date
    folder: Path
    backend: str | None
    model: str | None
    thresholds: Thresholds
    files: list[FileCheck] = field(default_factory=list)
    errors: list[BroadcastError] = field(default_factory=list)

    def count(self, flag: str) -> int:
        return sum(1 for f in self.files if f.flag == flag)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(f.flag == "fail" for f in self.files)

    def to_json(self) -> dict:
        return {
            "format": CHECK_FORMAT,
            "date": self.day.isoformat(),
            "checked_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "backend": self.backend, "model": self.model,
            "thresholds": asdict(self.thresholds),
            "summary": {flag: self.count(flag) for flag in FLAGS},
            "errors": [str(e) for e in self.errors],
            "files": [asdict(f) for f in self.files],
        }
