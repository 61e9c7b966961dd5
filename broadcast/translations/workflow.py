"""`translate`: approved Vietnamese → an exchange file for the translator, filled from the
memory. The way back in, `translations import`, is `broadcast.translations.importing`."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.languages import LANGUAGES, SOURCE_LANGUAGE
from broadcast.core.models import Announcement
from broadcast.intake.announcements import load_announcements
from broadcast.intake.approval import require_approved
from broadcast.intake.links import refuse_outside_link
from broadcast.translations.exchange import exchange_path, read_exchange, write_po, write_xliff
from broadcast.translations.glossary import Glossary
from broadcast.translations.memory import FUZZY_THRESHOLD, TranslationMemory, normalise
from broadcast.translations.models import (
    FINAL,
    FORMAT_SUFFIX,
    NEEDS_REVIEW,
    NEEDS_TRANSLATION,
    ExchangeUnit,
    PlannedUnit,
    TranslationError,
)
from broadcast.translations.segments import segment
from broadcast.translations.state import exchange_files


@dataclass
class TranslateResult:
    announcement_id: str
    language: str
    path: Path
    units: list[PlannedUnit]

    def count(self, state: str) -> int:
        return sum(1 for u in self.units if u.state == state)

    @property
    def suggestions(self) -> int:
        return sum(1 for u in self.units if u.suggestions and u.state != FINAL)

    def by_origin(self, origin: str) -> int:
        return sum(1 for u in self.units if u.origin == origin)


class Announcements:
    """The workspace's announcements, read once, to look up by id."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        good, bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
        self.good = {a.id: a for a in good}
        self.bad: dict[str, BroadcastError] = {}
        for err in bad:
            for key in (getattr(err, "announcement_id", None), Path(str(err.path)).stem):
                if key:
                    self.bad.setdefault(key, err)

    def find(self, announcement_id: str) -> Announcement:
        """The announcement, or the error of the file(s) meant, or 'no announcement'."""
        if announcement_id in self.good:
            return self.good[announcement_id]
        if announcement_id in self.bad:
            raise self.bad[announcement_id]
        raise TranslationError(f"no announcement with id {announcement_id!r}", self.ws.announcements_dir,
                               hint="`broadcast status` lists the ids")


def find_announcement(ws: Workspace, announcement_id: str) -> Announcement:
    return Announcements(ws).find(announcement_id)


def checked(ws: Workspace, path: Path) -> Path:
    """`path`, once it is known not to be a link out of the workspace (see intake.links)."""
    refuse_outside_link(path, ws.config)
    return path


def check_language(lang: str) -> None:
    if lang == SOURCE_LANGUAGE:
        raise TranslationError("vi is the source language; nothing to translate",
                               hint="pass --to with a target language, e.g. --to hmn")
    if lang not in LANGUAGES:
        raise TranslationError(f"unknown language {lang!r}", hint=f"known: {', '.join(LANGUAGES)}")


def _previous_units(ws: Workspace, ann_id: str, lang: str) -> dict[str, ExchangeUnit]:
    """Units of the exchange files already in the workspace, by source sentence: a translator's
    earlier work, approved or draft, for sentences that have not changed."""
    out: dict[str, ExchangeUnit] = {}
    for path in exchange_files(ws, ann_id, lang):
        try:
            previous = read_exchange(checked(ws, path))
        except TranslationError:
            continue
        for u in previous.units:
            key = normalise(u.source)
            if u.target.strip() and (key not in out or (u.approved and not out[key].approved)):
                out[key] = u
    return out


def plan_units(ann: Announcement, lang: str, memory: TranslationMemory, glossary: Glossary,
               previous: dict[str, ExchangeUnit], *, threshold: float = FUZZY_THRESHOLD,
               machine=None) -> list[PlannedUnit]:
    """Each sentence with what we know: an exact memory match or a still-valid approved unit
    (final), an earlier draft or a machine draft (needs review), else nothing (needs translation);
    near matches only as suggestions."""
    units: list[PlannedUnit] = []
    for seg in segment(ann.body):
        planned = PlannedUnit(seg)
        for term in glossary.terms_in(seg.text):
            planned.notes.append(f"Glossary: {term.source} → {term.target}" + (f" ({term.note})" if term.note else ""))
        exact = memory.exact(seg.text)
        earlier = previous.get(normalise(seg.text))
        if exact is not None:
            planned.target, planned.state, planned.origin = exact.target, FINAL, "memory"
            planned.notes.append("From the translation memory" + (f" ({exact.by}, {exact.date})" if exact.by else ""))
        elif earlier is not None and earlier.approved:
            planned.target, planned.state, planned.origin = earlier.target, FINAL, "carried-over"
            planned.notes.append("Carried over: this sentence is unchanged and its translation was approved")
        elif earlier is not None:
            planned.target, planned.state, planned.origin = earlier.target, NEEDS_REVIEW, "draft-kept"
            planned.notes.append("Earlier draft, not yet approved")
        if planned.state == FINAL:
            missing = glossary.missing(seg.text, planned.target)
            if missing:
                planned.state = NEEDS_REVIEW
                planned.notes.append("Review: lacks the glossary rendering of "
                                     + ", ".join(f"{t.source} → {t.target}" for t in missing))
        if planned.state != FINAL:
            planned.suggestions = memory.suggestions(seg.text, threshold)
        units.append(planned)
    if machine is not None:
        todo = [u for u in units if u.state == NEEDS_TRANSLATION]
        for u, draft in zip(todo, machine.translate([u.segment.text for u in todo], lang)):
            if draft:
                u.target, u.state, u.origin = draft, NEEDS_REVIEW, "machine"
                u.notes.append(f"Machine draft ({machine.model_dir.name}): review and correct before approving")
    return units


def translate_announcement(ws: Workspace, conn: sqlite3.Connection, ann: Announcement, lang: str, *,
                           fmt: str = "xliff", threshold: float = FUZZY_THRESHOLD,
                           machine=None) -> TranslateResult:
    """Write `translations/<id>/<lang>.xlf` (or .po) for the translator."""
    check_language(lang)
    require_approved(conn, ann, ws.config.tz)
    if fmt not in FORMAT_SUFFIX:
        raise TranslationError(f"unknown format {fmt!r}", hint="use xliff or po")
    memory = TranslationMemory(checked(ws, ws.translations_dir / "memory" / f"{lang}.tmx"), lang)
    glossary = Glossary.load(checked(ws, ws.translations_dir / "glossary" / f"{lang}.csv"), lang)
    previous = _previous_units(ws, ann.id, lang)
    units = plan_units(ann, lang, memory, glossary, previous, threshold=threshold, machine=machine)
    path = exchange_path(ws.translations_dir, ann.id, lang, fmt)
    writer = write_xliff if fmt == "xliff" else write_po
    writer(path, announcement_id=ann.id, language=lang, source_sha256=ann.text_sha256, units=units)
    return TranslateResult(ann.id, lang, path, units)
