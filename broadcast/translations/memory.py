"""The translation memory `translations/memory/<lang>.tmx`: approved vi → lang sentence pairs,
each with its translator (`creationid`) and date (`creationdate`).

Exact means exact: a segment is filled from memory only when its text is the same string as
an approved source (after Unicode NFC and whitespace folding). Anything else, however close,
is a suggestion for the translator: "thứ Hai" and "thứ Ba", 15 and 16 differ by one letter."""

from __future__ import annotations

import fcntl
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from broadcast.core.fsutil import atomic_write_bytes
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.translations.models import MemoryMatch, Suggestion, TranslationError

FUZZY_THRESHOLD = 75          # percent; below this a memory entry is not even suggested
MAX_SUGGESTIONS = 3
TMX_DATE = "%Y%m%dT%H%M%SZ"    # TMX 1.4 creationdate format
LOCK_POLL_S = 0.05             # how often a waiting import tries the memory's lock again
LOCK_WAIT_MESSAGE_S = 2.0      # a wait longer than this is said on the terminal

# Words a near match most often gets wrong in an announcement: numbers (dates, times, phone
# numbers, amounts) and weekdays. Named in the suggestion so the translator checks them.
_CRITICAL = re.compile(
    r"\d+(?:[.,:/h]\d+)*|thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ\s+nhật", re.IGNORECASE)


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def critical_differences(text: str, other: str) -> tuple[str, ...]:
    """Numbers and weekdays that are in one text and not the other, e.g. ('thứ Ba ≠ thứ Hai',)."""
    mine = [m.group(0) for m in _CRITICAL.finditer(text)]
    theirs = [m.group(0) for m in _CRITICAL.finditer(other)]
    only_mine = [t for t in mine if t.lower() not in [x.lower() for x in theirs]]
    only_theirs = [t for t in theirs if t.lower() not in [x.lower() for x in mine]]
    out = []
    for i in range(max(len(only_mine), len(only_theirs))):
        a = only_mine[i] if i < len(only_mine) else "—"
        b = only_theirs[i] if i < len(only_theirs) else "—"
        out.append(f"{a} ≠ {b}")
    return tuple(out)


class TranslationMemory:
    """One language's TMX, loaded through translate-toolkit."""

    def __init__(self, path: Path, language: str) -> None:
        from translate.storage import tmx

        self.path = path
        self.language = language
        if path.is_file():
            try:
                self.store = tmx.tmxfile.parsestring(path.read_bytes(), sourcelanguage=SOURCE_LANGUAGE,
                                                     targetlanguage=language)
            except Exception as exc:  # lxml and translate-toolkit raise several types
                raise TranslationError(f"not a readable TMX file ({exc})", path,
                                       hint="restore it from a backup, or move it away to start a new memory"
                                       ) from None
        else:
            self.store = tmx.tmxfile(sourcelanguage=SOURCE_LANGUAGE, targetlanguage=language)
            self.store.addheader()
        self._index: dict[str, object] | None = None
        self._matcher = None

    @classmethod
    def for_language(cls, translations_dir: Path, language: str) -> TranslationMemory:
        return cls(translations_dir / "memory" / f"{language}.tmx", language)

    def __len__(self) -> int:
        return len(self._units())

    def _units(self) -> list:
        return [u for u in self.store.units if u.source and u.target]

    def _exact_index(self) -> dict[str, object]:
        if self._index is None:
            # later entries win: a corrected translation is added after the one it replaces
            self._index = {normalise(u.source): u for u in self._units()}
        return self._index

    def exact(self, source: str) -> MemoryMatch | None:
        unit = self._exact_index().get(normalise(source))
        if unit is None:
            return None
        return MemoryMatch(target=str(unit.target), by=unit.xmlelement.get("creationid"),
                           date=unit.xmlelement.get("creationdate"))

    def suggestions(self, source: str, threshold: float = FUZZY_THRESHOLD,
                    limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """Near matches at or above `threshold` percent; the exact match itself is not one."""
        from translate.search import match

        if not self._units():
            return []
        if self._matcher is None:
            self._matcher = match.matcher(self.store, max_candidates=limit + 1,
                                          min_similarity=threshold, max_length=100_000)
        by_pair = {(str(u.source), str(u.target)): u for u in self._units()}
        out: list[Suggestion] = []
        for hit in self._matcher.matches(source):
            if normalise(hit.source) == normalise(source):
                continue
            score = _score_from_notes(hit.getnotes())
            unit = by_pair.get((str(hit.source), str(hit.target)))
            out.append(Suggestion(
                source=str(hit.source), target=str(hit.target), score=score,
                by=unit.xmlelement.get("creationid") if unit is not None else None,
                date=unit.xmlelement.get("creationdate") if unit is not None else None,
                differences=critical_differences(source, str(hit.source)),
            ))
        return out[:limit]

    def add(self, source: str, target: str, *, by: str, when: datetime | None = None) -> bool:
        """Record an approved pair; False when the same pair is already the current entry."""
        source, target = normalise(source), target.strip()
        current = self._exact_index().get(source)
        if current is not None and str(current.target) == target:
            return False
        self.store.addtranslation(source, SOURCE_LANGUAGE, target, self.language)
        unit = self.store.units[-1]
        stamp = (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime(TMX_DATE)
        unit.xmlelement.set("creationid", by)
        unit.xmlelement.set("creationdate", stamp)
        if source and target:
            self._exact_index()[source] = unit     # kept up to date: an import adds many pairs
        self._matcher = None
        return True

    def save(self) -> None:
        atomic_write_bytes(self.path, bytes(self.store))


def lock_path(translations_dir: Path, language: str) -> Path:
    return translations_dir / "memory" / f"{language}.tmx.lock"


@contextmanager
def memory_lock(translations_dir: Path, language: str, *,
                on_wait: Callable[[str], None] | None = None,
                wait_message_after: float = LOCK_WAIT_MESSAGE_S) -> Iterator[Path]:
    """Hold `memory/<lang>.tmx.lock` (an exclusive flock) for a read-modify-write of that
    language's memory: a second import into the same language waits here until the first has
    saved, then reads what it saved, so no pair is lost. The kernel drops the lock when its
    process ends, however it ends. `on_wait` gets one message when the wait passes
    `wait_message_after` seconds, naming the process that holds the lock."""
    path = lock_path(translations_dir, language)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        start = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            if not told and on_wait is not None and time.monotonic() - start >= wait_message_after:
                holder = _holder(fd)
                on_wait(f"{path.parent / (language + '.tmx')}: waiting for another import into the "
                        f"{language} memory{f' (process {holder})' if holder else ''} to finish")
                told = True
            time.sleep(LOCK_POLL_S)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)        # closing drops the flock


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""


def _score_from_notes(notes: str) -> float:
    m = re.search(r"(\d+(?:\.\d+)?)%", notes or "")
    return round(float(m.group(1)), 1) if m else 0.0
